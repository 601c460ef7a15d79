// Runtime: the replay floor of each origin name — the highest sequence
// number of its checked broadcasts that Plumtree has forgotten, kept apart
// from the name's key binding so that a rebinding does not reset it.

package hyparlist

import "time"

// An origin's replay window (runtime_sign_replay.go) covers its newest
// originWindowBits sequence numbers. Until session 15 a number below it was
// refused (seq_too_old) whatever it was, and under overload with checks on,
// a genuine broadcast that came by a GRAFT after 512 later ones of its
// origin was lost for good (BENCHMARKS.md, "Session 11"; 269 to 906 per
// burst of 3 × 2,000 in a synctest cluster of 3, TestRuntimeBurstFloor).
//
// Plumtree remembers every message it took for SeenTTL, and asks the loop
// only about those it does not remember. So a number below the window that
// Plumtree is asked about was never admitted, unless Plumtree has since
// forgotten it. The core tells the loop each ID it forgets
// (Plumtree.setForgetter), and the loop keeps per origin name the highest
// forgotten number: the floor. Below the window a number above the floor
// is admitted, one at or below it refused (seq_too_old). A floor starts
// at the bottom of the window it is made with (what that window's
// predecessors may have admitted and Plumtree forgotten is below it).
//
// Session 14 kept the floor in the binding's window (903bf2a, reverted);
// its review found two holes, each a test here:
//
//   - F3 (TestRuntimeReplayAcrossRebinding): any key rebinds the name of a
//     member that is not live (runtime_sign.go), and the new binding's
//     window started its floor at the first number it was given. A forger
//     who had captured a gone member's broadcasts rebound the name with a
//     key of its own, then replayed the captures, which rebound the old key
//     with a new window: each was delivered again, once per SeenTTL for as
//     long as the forger went on. Now the floor outlives the binding, and
//     a new window of the floor's key refuses its first number too when
//     it is at or below the floor.
//   - F4 (TestRuntimeFloorUncheckedForget): Plumtree forgets unchecked
//     broadcasts too, and an unchecked broadcast can carry any number; one
//     numbered 2^62 raised the floor of its name, and every later
//     broadcast of the name below its window was refused. Now the floor
//     also keeps the highest number admitted under its key, and a
//     forgotten number above that is ignored: no such message was admitted.
//     Only checked broadcasts are admitted (windowed), so only they move
//     the floor.
//
// Session 16 (issue 14) closed the three holes the session-15 review
// found, each a test in runtime_sign_floor_keys_test.go:
//
//   - A member restarted under a new key (Config.SigningKey unset draws a
//     key per run): the floor passed to the new key, and once the member
//     was gone and SeenTTL had passed, the captures of its previous key
//     bound that key again with a window without a floor, and were
//     delivered again (TestRuntimeReplayOldKeyAfterRestart). Now a name
//     keeps a floor per key, for up to floorKeysPerName keys: the key a
//     member signs with now and the ones it signed with before.
//   - A forger's key bound while the member was gone, and admitted once
//     the member was live again, took the floor over; the member's
//     replayed captures, which start a key check that binds the member's
//     key again, got a window without a floor
//     (TestRuntimeReplayForgerKeyWhileLive). Now the forger's key gets a
//     floor of its own, and the member's key keeps its.
//   - A flood of made-up names, each a binding and a floor, dropped a gone
//     member's binding and then its floor (TestRuntimeReplayFloodOfNames).
//     Now a name not listed in the member table evicts no floor: when the
//     table of floors is full it gets none. A listed name evicts the
//     floors of names never listed, and failing those, of names not
//     listed for floorKeepGone; never those of names listed now or within
//     floorKeepGone.
//
// Which keys get a floor: a name without floors gets one for the first key
// admitted under it. After that a new key of the name gets a floor only
// when it is admitted while the member is live (alive or suspect): while it
// is gone, another key (a forger's, or its next run's before it is listed)
// gets none, so it cannot push the member's keys out. It can move their
// floors, only up: its numbers, once forgotten, raise the floor of each key
// of the name whose top is at or above them (below), which refuses more
// of the member's late numbers, never fewer
// (TestRuntimeReplayGoneKeyRaisesFloor; main's one floor per name did the
// same). A member's next run gets its floor at its first broadcast
// admitted once it is listed again. When a name has floorKeysPerName keys,
// the key admitted least recently while the member was live loses its
// floor: a key's "last used" is refreshed only while the member is live, so
// a forger whose keys got floors earlier cannot, using them while the
// member is gone, make the member's own key the least recently used
// (TestRuntimeReplayGoneForgerRefresh; 7b07462 refreshed it first).
//
// A floor's top moves only with a broadcast of its key that was checked
// and admitted (admitBroadcast). Plumtree's forgetter gives only the
// message's ID, not its key, so a forgotten number raises the floor of
// every key of the name whose top is at or above it (F4 for each key): a
// number of another key then refuses, below the window, more of a key's
// own numbers than needed, never fewer.
//
// Not covered (SECURITY.md, "Replays" under what is not protected): the
// captures of a key that lost its floor (floorKeysPerName other keys of
// the name admitted while the member was live after the key was last
// admitted while it was live: restarts under new keys, or a forger's keys
// bound while the member was gone or by a key check answered at its
// address); a gone member's floors evicted by listed
// names once floorKeepGone has passed (a forger can list made-up names only
// at the rate the member table admits new records); a name that got no
// floor because the table was full of names listed now or within
// floorKeepGone.
//
// Bound: at most MaxMembers names, each with up to floorKeysPerName floors
// of 56 bytes; measured (BenchmarkOriginFloorsHeap, BENCHMARKS.md, "Session
// 16: replay floors"), 153.5 bytes per name with one key and 313.5 with
// four, 15.4 and 31.4 MB at the default MaxMembers of 100,000 (main's one
// floor per name: 110.4 bytes, 11.0 MB). When full, room
// for a listed name is made as above (looked for at most once per
// originEvictPause when none is found); when none can be made, or the name
// is not listed, it gets no floor, and the rule before session 15 holds for
// it (below the window refused; a new window takes its first number).

// floorKeysPerName is how many keys of one name keep a floor: the key the
// member signs with now and up to three it signed with before (a member
// restarted without Config.SigningKey draws a new key per run). A fifth
// takes the place of the key admitted least recently.
const floorKeysPerName = 4

// floorKeepGone is how long after a name was last seen in the member table
// its floors are kept from eviction: until then a flood of new listed names
// gets no floors rather than drop them. Chosen: a day, longer than a
// restart or a partition, short enough that a cluster whose members come
// and go under new names (MaxMembers of them in a day) still gives new
// members floors.
const floorKeepGone = 24 * time.Hour

// keyFloor is the replay floor of an origin name for the broadcasts
// signed by key. Numbers are without the shared tree's bit.
type keyFloor struct {
	key originKey
	// floor: the highest number Plumtree has forgotten, at least the
	// bottom of key's window when the floor was made.
	floor uint64
	// top: the highest number admitted under key since the floor was
	// made; a forgotten number above it is ignored (F4).
	top uint64
	// used: when a broadcast under key was last admitted while the
	// member was live, or the floor made (floorStamp).
	used int64
}

// nameFloors is the floors of one origin name, one per key.
type nameFloors struct {
	keys []keyFloor
	// listed: when the name was last seen in the member table
	// (floorStamp; noted when a floor is made, at each member event of
	// the name, and by eviction scans); 0, never.
	listed int64
}

// find returns the index of key's floor in f, or -1.
func (f nameFloors) find(key originKey) int {
	for i := range f.keys {
		if f.keys[i].key == key {
			return i
		}
	}
	return -1
}

// floorFor returns the floor of name for key, if it has one.
func (o *originKeys) floorFor(name string, key originKey) (uint64, bool) {
	f := o.floors[name]
	if i := f.find(key); i >= 0 {
		return f.keys[i].floor, true
	}
	return 0, false
}

// admitted records that the window w of name, bound to key, admitted
// seq: it raises the top of name's floor for key, or makes that floor
// (when name has none, or the member is live), starting it at the bottom
// of w.
func (l *runLoop) admitted(name string, key originKey, seq uint64, w *seqWindow) {
	o := &l.origins
	seq &^= ptSharedBit
	now := o.floorStamp(l.now)
	f, had := o.floors[name]
	e := l.ms.table.get(name)
	live := e != nil && e.state.live()
	if i := f.find(key); i >= 0 {
		// In place (the slice is the map's): no map write per admission.
		// f.listed is kept by member events and eviction scans.
		k := &f.keys[i]
		k.top = max(k.top, seq)
		if live {
			// Only while the member is live: a forger using keys that
			// got floors earlier while it is gone must not make the
			// member's own key the least recently used.
			k.used = now
		}
		return
	}
	switch {
	case had && !live:
		// Another key while the member is gone (a forger's, or its
		// next run's): no floor of its own, so it pushes none of the
		// name's keys out. Its numbers, once forgotten, still raise the
		// floors of the name's keys up to their tops (forgetBroadcast):
		// more refused, never less.
		return
	case !had && len(o.floors) >= o.max && (e == nil || !o.evictFloors(l.ms, l.now)):
		// Full: a name not listed evicts nothing.
		return
	}
	if o.floors == nil {
		o.floors = make(map[string]nameFloors)
	}
	if e != nil {
		f.listed = now
	}
	// Numbers of key below w's bottom may have been admitted before the
	// floor was made, and forgotten since: at or below it, refused.
	bottom := max(w.top, originWindowBits) - originWindowBits
	k := keyFloor{key: key, floor: bottom, top: w.top, used: now}
	if len(f.keys) < floorKeysPerName {
		f.keys = append(f.keys, k)
	} else {
		f.keys[f.leastUsed()] = k
	}
	o.floors[name] = f
}

// leastUsed returns the index of the key of f admitted least recently
// (ties: the first).
func (f nameFloors) leastUsed() int {
	least := 0
	for i := range f.keys {
		if f.keys[i].used < f.keys[least].used {
			least = i
		}
	}
	return least
}

// floorStamp returns the floors' stamp of now: nanoseconds since
// floorEpoch, plus one (0 is never). Time.Sub uses the monotonic readings
// when both times have one (time.Now's do), so a step of the wall clock
// moves no stamp; with Unix nanoseconds (7b07462) a step of a day made
// every gone member's floors evictable.
func (o *originKeys) floorStamp(now time.Time) int64 {
	return int64(now.Sub(o.floorEpoch)) + 1
}

// floorListed notes that name is in the member table now (a member
// event): its floors, if any, count as listed from now.
func (l *runLoop) floorListed(name string) {
	if f, ok := l.origins.floors[name]; ok {
		f.listed = l.origins.floorStamp(l.now)
		l.origins.floors[name] = f
	}
}

// forgetBroadcast is the loop's Plumtree forgetter: it raises the floor of
// each key of id's origin to id's number, unless that is above the highest
// number admitted under the key (F4: no such message of that key was
// admitted).
func (l *runLoop) forgetBroadcast(id MessageID) {
	f, ok := l.origins.floors[id.Origin]
	if !ok {
		return
	}
	n := id.Seq &^ ptSharedBit
	for i := range f.keys {
		if k := &f.keys[i]; n <= k.top && n > k.floor {
			k.floor = n
		}
	}
}

// evictFloors makes room for the floors of a listed name: it drops the
// floors of names never seen in ms's table, or if there are none, of
// names not seen there for floorKeepGone, and reports whether one was
// dropped. It notes the names it finds listed, and does not look again
// within originEvictPause of a look that found none.
func (o *originKeys) evictFloors(ms *Membership, now time.Time) bool {
	if now.Before(o.floorsPausedUntil) {
		return false
	}
	n := len(o.floors)
	stamp := o.floorStamp(now)
	cut := stamp - int64(floorKeepGone)
	for pass := range 2 {
		for name, f := range o.floors {
			switch {
			case ms.table.get(name) != nil:
				f.listed = stamp
				o.floors[name] = f
			case f.listed == 0 || (pass == 1 && f.listed < cut):
				delete(o.floors, name)
			}
		}
		if len(o.floors) < n {
			return true
		}
	}
	o.floorsPausedUntil = now.Add(originEvictPause)
	return false
}
