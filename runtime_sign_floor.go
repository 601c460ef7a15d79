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
// A floor holds for one key: the key of the window it was made with. While
// the member is not live (left, dead, or not listed) a broadcast under
// another key (a forger's, or the member's next run's before it is listed)
// neither takes the floor over nor lowers it, so a forger who binds a gone
// member's name with its own key, then replays the member's captures,
// gets none of them delivered again (F3). Nor can the forger's numbers
// refuse the member's next run: a forgotten number raises the floor
// only up to the highest number admitted under the floor's key (a floor
// shared by every key would let the forger's 2^62, forgotten, refuse the
// next run's broadcasts for good), and a run under a new key is not judged
// by the old key's floor. When the member is live again, the next broadcast
// admitted under its bound key (checked at its address when it changed,
// runtime_sign.go, or bound on first use while the member was gone) makes
// the floor that key's. For a key a name's floor is not for, the rule
// before session 15 holds (below the window refused; a new window takes
// its first number).
//
// Not covered (SECURITY.md, "Replays" under what is not protected; shown
// by the session-15 review's tests): the captures of a member's previous
// key once the floor has passed to its next run's key; a floor dropped
// because an outsider filled the tables with made-up names; a forger's
// key bound while the member was gone, whose next admitted broadcast
// takes the floor over.
//
// Bound: at most MaxMembers floors (48 bytes and a name each), the bound of
// the bindings. When full, room is made by dropping the floors of names
// neither bound to a key nor listed in the member table (looked for at most
// once per originEvictPause when none is found); when none can be dropped
// the new name gets no floor, and the rule before session 15 holds for it.

// originFloor is the replay floor of an origin name, for the broadcasts
// signed by key. Numbers are without the shared tree's bit.
type originFloor struct {
	key originKey
	// floor: the highest number Plumtree has forgotten, at least the
	// bottom of key's window when the floor was made.
	floor uint64
	// top: the highest number admitted under key since the floor was
	// made; a forgotten number above it is ignored (F4).
	top uint64
}

// floorFor returns the floor of name for key, if it has one.
func (o *originKeys) floorFor(name string, key originKey) (uint64, bool) {
	f, ok := o.floors[name]
	if !ok || f.key != key {
		return 0, false
	}
	return f.floor, true
}

// admitted records that the window w of name, bound to key, admitted
// seq: it raises the top of name's floor for key, or makes the floor
// (when name has none, or has one for another key and is a live member),
// starting it at the bottom of w.
func (l *runLoop) admitted(name string, key originKey, seq uint64, w *seqWindow) {
	o := &l.origins
	seq &^= ptSharedBit
	f, had := o.floors[name]
	switch {
	case had && f.key == key:
		if seq > f.top {
			f.top = seq
			o.floors[name] = f
		}
		return
	case had && !l.ms.isLive(name):
		// Another key while the member is gone (a forger's, or its
		// previous run's): the floor stays with its key (F3).
		return
	case !had && len(o.floors) >= o.max && !o.evictFloors(l.ms, l.now):
		return
	}
	if o.floors == nil {
		o.floors = make(map[string]originFloor)
	}
	// Numbers of key below w's bottom may have been admitted before the
	// floor was made, and forgotten since: at or below it, refused.
	bottom := max(w.top, originWindowBits) - originWindowBits
	o.floors[name] = originFloor{key: key, floor: bottom, top: w.top}
}

// forgetBroadcast is the loop's Plumtree forgetter: it raises the floor of
// id's origin to id's number, unless that is above the highest number
// admitted under the floor's key (F4: no such message was admitted; a
// number of another key below it only refuses, below the window, more of
// the floor key's numbers than needed).
func (l *runLoop) forgetBroadcast(id MessageID) {
	o := &l.origins
	f, ok := o.floors[id.Origin]
	n := id.Seq &^ ptSharedBit
	if !ok || n > f.top || n <= f.floor {
		return
	}
	f.floor = n
	o.floors[id.Origin] = f
}

// evictFloors drops the floors of names that are neither bound to a key
// nor listed in ms, and reports whether one was dropped; it does not look
// again within originEvictPause of a look that found none.
func (o *originKeys) evictFloors(ms *Membership, now time.Time) bool {
	if now.Before(o.floorsPausedUntil) {
		return false
	}
	n := len(o.floors)
	for name := range o.floors {
		if _, bound := o.keys[name]; !bound && ms.table.get(name) == nil {
			delete(o.floors, name)
		}
	}
	if len(o.floors) < n {
		return true
	}
	o.floorsPausedUntil = now.Add(originEvictPause)
	return false
}
