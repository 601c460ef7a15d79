package hyparlist

import (
	"crypto/ed25519"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// The session-15 review's three replay holes (its review15g tests, renamed),
// and the bounds of the floors (runtime_sign_floor.go). Each of the three
// fails on main 0020f14: every replay is delivered again.

// replayNewestFirst writes real to conn, the newest first (it makes the
// new window).
func replayNewestFirst(t *testing.T, conn interface{ Write([]byte) (int, error) }, real []gossipMsg) {
	t.Helper()
	lim := defaultWireLimits()
	for i := len(real) - 1; i >= 0; i-- {
		if err := writeMessageFrame(conn, real[i], lim); err != nil {
			t.Fatal(err)
		}
	}
}

// wantOnce fails t for each of real not delivered exactly once to rec.
func wantOnce(t *testing.T, rec *recorder, real []gossipMsg) {
	t.Helper()
	for _, g := range real {
		if n := rec.count(g.Payload); n != 1 {
			t.Errorf("%s delivered %d times, want once", g.Payload, n)
		}
	}
}

// broadcastThree makes b broadcast real-0..2, waits until a delivered
// them, and returns the captured GOSSIPs.
func broadcastThree(t *testing.T, a *testNode, b *Memberlist) []gossipMsg {
	t.Helper()
	captured := captureSigned(t, b)
	for i := range 3 {
		if err := b.Broadcast([]byte(fmt.Sprint("real-", i))); err != nil {
			t.Fatal(err)
		}
	}
	waitDeliveredOnce(t, a.rec, [][]byte{[]byte("real-0"), []byte("real-1"), []byte("real-2")})
	var real []gossipMsg
	for _, g := range captured() {
		if g.Class == ClassUser {
			real = append(real, g)
		}
	}
	if len(real) != 3 {
		t.Fatalf("captured %d broadcasts, want 3", len(real))
	}
	return real
}

// leaveForgotten makes run leave and shut down, and waits until a lists
// it no more and has forgotten its broadcasts (SeenTTL).
func leaveForgotten(t *testing.T, a *testNode, run *Memberlist) {
	t.Helper()
	if err := run.Leave(time.Second); err != nil {
		t.Fatal(err)
	}
	if err := run.Shutdown(); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "the member gone", func() bool { return a.ml.NumMembers() == 1 })
	waitSeenTTL(t, a.ml)
}

// forgottenThree starts a cluster of two checking application broadcasts,
// makes node-01 broadcast three (broadcastThree), and waits until node-00
// has forgotten them (SeenTTL); node-01 stays live.
func forgottenThree(t *testing.T) (*testCluster, *testNode, *Memberlist, []gossipMsg) {
	t.Helper()
	c := joinedCluster(t, 2, verifyUser)
	a, b := c.nodes[0], c.nodes[1].ml
	real := broadcastThree(t, a, b)
	waitSeenTTL(t, a.ml)
	return c, a, b, real
}

// floorKeys returns the keys of name's floors on node.
func floorKeys(t *testing.T, node *Memberlist, name string) []originKey {
	t.Helper()
	var keys []originKey
	onLoop(t, node, func(l *runLoop) {
		for _, k := range l.origins.floors[name].keys {
			keys = append(keys, k.key)
		}
	})
	return keys
}

// leaveAndRestart makes run leave and shut down, starts the next run of
// node-01 at addr with key (nil: a new one) and VerifyUserBroadcasts, joins
// it through a, and waits until a lists it.
func leaveAndRestart(t *testing.T, c *testCluster, a *testNode, run *Memberlist, addr string, key ed25519.PrivateKey) *Memberlist {
	t.Helper()
	if err := run.Leave(time.Second); err != nil {
		t.Fatal(err)
	}
	if err := run.Shutdown(); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{name: "node-01"}
	conf := mockConfig("node-01", verifyUser)
	conf.SigningKey = key
	conf.Transport = restartTransport(c.net, "node-01", addr)
	conf.Delegate, conf.Events = rec, rec
	next, err := create(conf, newInmemSink(time.Hour, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = next.Shutdown() })
	if _, err := next.Join([]string{a.ml.LocalNode().Address()}); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "the next run listed", func() bool { return allSee([]*testNode{a}, 2) })
	return next
}

// TestRuntimeReplayOldKeyAfterRestart (review15g's OldKeyAfterRestart): a
// member restarts under a new key (the default, Config.SigningKey unset);
// its next run's broadcast is delivered, and the floor of the first key
// is kept beside the new key's. When the member has gone again, a forger
// replays the first run's captured broadcasts, then binds the name with
// a key of its own and replays them again: none may be delivered again.
// On main 0020f14 the floor passed to the new key and each round
// delivered all three again.
func TestRuntimeReplayOldKeyAfterRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := joinedClusterWithSink(t, 2, verifyUser, sink)
		a, b := c.nodes[0], c.nodes[1].ml
		real := broadcastThree(t, a, b)
		// The next run, new key.
		n2 := leaveAndRestart(t, c, a, b, b.LocalNode().Address(), nil)
		if err := n2.Broadcast([]byte("after")); err != nil {
			t.Fatal(err)
		}
		eventually(t, time.Minute, "the next run's broadcast delivered", func() bool { return a.rec.count([]byte("after")) == 1 })
		keys := floorKeys(t, a.ml, "node-01")
		if len(keys) != 2 || keys[0] != publicKey(b.signKey) || keys[1] != publicKey(n2.signKey) {
			t.Errorf("floors of %d keys, want the first run's and the next's", len(keys))
		}
		leaveForgotten(t, a, n2)
		_, forged, _ := ed25519.GenerateKey(nil)
		for round := range 2 {
			conn := forgerStream(t, c, a.ml)
			if round > 0 {
				mine := signedGossip(forged, "node-01", 1<<62+uint64(round), ClassUser, []byte(fmt.Sprint("forged-", round)))
				if err := writeMessageFrame(conn, mine, defaultWireLimits()); err != nil {
					t.Fatal(err)
				}
			}
			replayNewestFirst(t, conn, real)
			waitSeenTTL(t, a.ml)
		}
		wantOnce(t, a.rec, real)
		if n := counterSum(sink, "hyparlist.msg.refused;reason="+refusedSeqTooOld); n != 6 {
			t.Errorf("%v refused as seq_too_old, want the 6 replays", n)
		}
	})
}

// TestRuntimeReplayFloodOfNames (review15g's FloodEvictsFloor): a forger
// that captured broadcasts of a name that is not listed waits SeenTTL,
// floods 3 × MaxMembers new names with broadcasts of its own (each a
// binding and, on main 0020f14, a floor that evicted the others), and
// replays the captures: none may be delivered again (flood=0: the
// control). On main each was delivered again. The victim here is a name
// never listed, and the flood's names are not listed either: it covers a
// flood that evicts nothing. A member listed and then gone, against a
// flood of listed names, is TestRuntimeReplayListedFloodKeepsGoneMember.
func TestRuntimeReplayFloodOfNames(t *testing.T) {
	for _, flood := range []int{0, 3} {
		t.Run(fmt.Sprint("flood=", flood), func(t *testing.T) { replayFloodOfNames(t, flood) })
	}
}

// replayFloodOfNames runs TestRuntimeReplayFloodOfNames with flood ×
// MaxMembers names.
func replayFloodOfNames(t *testing.T, flood int) {
	synctest.Test(t, func(t *testing.T) {
		const maxMembers = 8
		c := joinedCluster(t, 1, func(conf *Config) {
			conf.VerifyUserBroadcasts = true
			conf.MaxMembers = maxMembers
		})
		a := c.nodes[0]
		_, victim, _ := ed25519.GenerateKey(nil)
		_, forger, _ := ed25519.GenerateKey(nil)
		lim := defaultWireLimits()
		conn := forgerStream(t, c, a.ml)
		var real []gossipMsg
		for i := range 3 {
			g := signedGossip(victim, "victim", 1<<40+uint64(i), ClassUser, []byte(fmt.Sprint("real-", i)))
			real = append(real, g)
			if err := writeMessageFrame(conn, g, lim); err != nil {
				t.Fatal(err)
			}
		}
		waitDeliveredOnce(t, a.rec, [][]byte{[]byte("real-0"), []byte("real-1"), []byte("real-2")})
		waitSeenTTL(t, a.ml)
		conn = forgerStream(t, c, a.ml)
		for i := range flood * maxMembers {
			g := signedGossip(forger, fmt.Sprint("flood-", i), 1, ClassUser, []byte(fmt.Sprint("flood-", i)))
			if err := writeMessageFrame(conn, g, lim); err != nil {
				t.Fatal(err)
			}
		}
		replayNewestFirst(t, conn, real)
		time.Sleep(time.Second)
		synctest.Wait()
		wantOnce(t, a.rec, real)
	})
}

// TestRuntimeReplayForgerKeyWhileLive (review15g's ForgerTakesFloorWhileLive):
// a forger whose key was bound while the member was gone (simulated on the
// loop: the binding set to the forger's key while the member is live, as
// after a rejoin learnt by push-pull) has one broadcast admitted. Its
// replays of the member's forgotten broadcasts then start a key check,
// which binds the member's real key again: none may be delivered again.
// On main 0020f14 the forger's admitted broadcast took the floor over, the
// member's key got a window without one, and each replay was delivered.
func TestRuntimeReplayForgerKeyWhileLive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, a, b, real := forgottenThree(t)
		_, forged, _ := ed25519.GenerateKey(nil)
		fsig := signBroadcast(forged, MessageID{}, ClassUser, nil)
		onLoop(t, a.ml, func(l *runLoop) {
			if !l.ms.isLive("node-01") {
				t.Fatal("node-01 not live")
			}
			l.origins.keys["node-01"] = originBinding{key: publicKey(forged)}
			if !l.admitBroadcast(MessageID{Origin: "node-01", Seq: 1 << 62}, ClassUser, fsig) {
				t.Fatal("forger's broadcast refused")
			}
		})
		if keys := floorKeys(t, a.ml, "node-01"); len(keys) != 2 || keys[0] != publicKey(b.signKey) {
			t.Errorf("floors of %d keys, want the member's first and the forger's", len(keys))
		}
		replayNewestFirst(t, forgerStream(t, c, a.ml), real)
		time.Sleep(time.Minute)
		synctest.Wait()
		wantOnce(t, a.rec, real)
	})
}

// TestRuntimeRestartRetiredKeyDelivered: legitimate restarts are not
// refused by the floors of retired keys. A member runs under key 1, then
// key 2 (restarted without Config.SigningKey), then key 1 again
// (Config.SigningKey set to it); each run's broadcast is delivered and
// nothing is refused as replay or seq_too_old.
func TestRuntimeRestartRetiredKeyDelivered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := joinedClusterWithSink(t, 2, verifyUser, sink)
		a, b := c.nodes[0], c.nodes[1].ml
		first := b.signKey
		addr := b.LocalNode().Address()
		run := b
		for i, key := range []ed25519.PrivateKey{nil, first} {
			if err := run.Broadcast([]byte(fmt.Sprint("run-", i))); err != nil {
				t.Fatal(err)
			}
			eventually(t, time.Minute, "the run's broadcast", func() bool { return a.rec.count([]byte(fmt.Sprint("run-", i))) == 1 })
			next := leaveAndRestart(t, c, a, run, addr, key)
			run = next
		}
		if err := run.Broadcast([]byte("run-2")); err != nil {
			t.Fatal(err)
		}
		eventually(t, time.Minute, "the last run's broadcast", func() bool { return a.rec.count([]byte("run-2")) == 1 })
		if keys := floorKeys(t, a.ml, "node-01"); len(keys) != 2 {
			t.Errorf("floors of %d keys, want 2 (the first key's kept and used again)", len(keys))
		}
		for _, reason := range []string{refusedSeqTooOld, refusedReplay} {
			if n := counterSum(sink, "hyparlist.msg.refused;reason="+reason); n != 0 {
				t.Errorf("%v refused as %s, want 0", n, reason)
			}
		}
	})
}

// TestOriginFloorsBounded: the floors never cover more than MaxMembers
// names nor more than floorKeysPerName keys of one name. When full, a name
// not listed in the member table evicts nothing (it gets no floor); a
// listed one evicts the floors of names never listed, then of names not
// listed for floorKeepGone, never those of names listed now or since.
func TestOriginFloorsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		node, key, sig := checkingNode(t)
		onLoop(t, node, func(l *runLoop) {
			const bound = 4
			l.origins.max = bound
			admit := func(name string, k ed25519.PrivateKey, s []byte) {
				t.Helper()
				l.origins.keys[name] = originBinding{key: publicKey(k)}
				if !l.admitBroadcast(MessageID{Origin: name, Seq: 1 << 40}, ClassUser, s) {
					t.Fatalf("%s refused", name)
				}
				if n := len(l.origins.floors); n > bound {
					t.Fatalf("%d floors, bound %d", n, bound)
				}
			}
			has := func(name string) bool { _, ok := l.origins.floors[name]; return ok }
			list := func(name string) *memberEntry {
				return l.ms.table.insert(newMemberIdent(name, name+":1", nil, memberVersions{}), 1, memberStateAlive, 0)
			}
			for i := range 3 * bound {
				admit(fmt.Sprint("unlisted-", i), key, sig)
			}
			if !has("unlisted-0") || has(fmt.Sprint("unlisted-", bound)) {
				t.Fatal("a name not listed evicted a floor")
			}
			// Listed names evict the names never listed.
			for i := range bound {
				list(fmt.Sprint("member-", i))
				admit(fmt.Sprint("member-", i), key, sig)
				if !has(fmt.Sprint("member-", i)) {
					t.Fatalf("member-%d has no floor", i)
				}
			}
			// Full of listed names: a new one gets none.
			list("member-new")
			admit("member-new", key, sig)
			if has("member-new") {
				t.Fatal("a listed name evicted another's floor")
			}
			// member-0 goes: kept for floorKeepGone, then evictable.
			l.ms.table.remove(l.ms.table.get("member-0"))
			l.origins.floorsPausedUntil = time.Time{}
			admit("member-new", key, sig)
			if has("member-new") || !has("member-0") {
				t.Fatal("a recently listed name's floor evicted")
			}
			l.now = l.now.Add(floorKeepGone + time.Second)
			l.origins.floorsPausedUntil = time.Time{}
			admit("member-new", key, sig)
			if !has("member-new") || has("member-0") {
				t.Fatal("a name gone for floorKeepGone kept its floor")
			}
			// Keys of one live name: at most floorKeysPerName, the least
			// recently admitted gives way.
			for range floorKeysPerName + 2 {
				_, k, _ := ed25519.GenerateKey(nil)
				l.now = l.now.Add(time.Second)
				admit("member-1", k, signBroadcast(k, MessageID{}, ClassUser, nil))
			}
			if n := len(l.origins.floors["member-1"].keys); n != floorKeysPerName {
				t.Fatalf("%d keys, want %d", n, floorKeysPerName)
			}
			if _, ok := l.origins.floorFor("member-1", publicKey(key)); ok {
				t.Error("the least recently admitted key kept its floor")
			}
		})
	})
}

// TestRuntimeForgedCopyAfterSeenTTL: after SeenTTL, on an idle node whose
// Plumtree core has not stepped since, a GOSSIP that reuses the ID of a
// live member's forgotten broadcast with a payload and key of a forger's
// must not be delivered. Before session 16 the loop asked the core whether
// it knew the ID (it did: the core forgets at its next Step), passed the
// GOSSIP on unchecked, and the core, stepped, took it as new: the forged
// payload was delivered in the member's name (found while writing
// TestRuntimeReplayForgerKeyWhileLive).
func TestRuntimeForgedCopyAfterSeenTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, a, _, real := forgottenThree(t)
		_, forger, _ := ed25519.GenerateKey(nil)
		g := signedGossip(forger, "node-01", real[2].ID.Seq, ClassUser, []byte("forged"))
		g.ID = real[2].ID
		if err := writeMessageFrame(forgerStream(t, c, a.ml), g, defaultWireLimits()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if n := a.rec.count([]byte("forged")); n != 0 {
			t.Errorf("forged copy delivered %d times, want 0", n)
		}
	})
}

// listName lists name as alive in l's member table.
func listName(l *runLoop, name string) {
	l.ms.table.insert(newMemberIdent(name, name+":1", nil, memberVersions{}), 1, memberStateAlive, 0)
}

// unlistName removes name from l's member table (the member is gone).
func unlistName(l *runLoop, name string) {
	if e := l.ms.table.get(name); e != nil {
		l.ms.table.remove(e)
	}
}

// admitUnder binds name to k (as acceptOrigin does for a name not live,
// or as a key check does) and admits seq under it, a second later than
// the last call.
func admitUnder(t *testing.T, l *runLoop, name string, k ed25519.PrivateKey, seq uint64) bool {
	t.Helper()
	l.now = l.now.Add(time.Second)
	if b, ok := l.origins.keys[name]; !ok || b.key != publicKey(k) {
		l.origins.keys[name] = originBinding{key: publicKey(k)}
	}
	return l.admitBroadcast(MessageID{Origin: name, Seq: seq}, ClassUser, signBroadcast(k, MessageID{}, ClassUser, nil))
}

// TestRuntimeReplayGoneForgerRefresh (review16's
// GoneForgerRefreshEvictsMemberKey): a forger whose keys already hold
// floors of a member's name (each admitted once while the member was live:
// the path TestRuntimeReplayForgerKeyWhileLive sets up) binds and uses
// them while the member is gone. The member's next run (a new key) must
// then take the place of a forger's key, not of the member's own key, used
// after all of them while it was live: once the member is gone again, a
// forgotten broadcast of its key must still be refused. On 7b07462 a key's
// "last used" was refreshed while the member was gone, the member's key
// became the least recently used, lost its floor, and the replay was
// admitted again.
func TestRuntimeReplayGoneForgerRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		node, _, _ := checkingNode(t)
		onLoop(t, node, func(l *runLoop) {
			const m = "member"
			_, member, _ := ed25519.GenerateKey(nil)
			_, next, _ := ed25519.GenerateKey(nil)
			var forger [floorKeysPerName - 1]ed25519.PrivateKey
			for i := range forger {
				_, forger[i], _ = ed25519.GenerateKey(nil)
			}
			const seq = 1 << 40
			listName(l, m)
			if !admitUnder(t, l, m, member, seq) {
				t.Fatal("member's broadcast refused")
			}
			// The forger's keys, each admitted once while the member
			// was live.
			for i, f := range forger {
				if !admitUnder(t, l, m, f, 1<<50+uint64(i)) {
					t.Fatal("forger's broadcast refused")
				}
			}
			// The member broadcasts last (its key the most recent), and
			// Plumtree forgets that broadcast (SeenTTL).
			if !admitUnder(t, l, m, member, seq+1) {
				t.Fatal("member's broadcast refused")
			}
			l.forgetBroadcast(MessageID{Origin: m, Seq: seq + 1})
			// Gone: the forger binds and uses each of its keys.
			unlistName(l, m)
			for i, f := range forger {
				if !admitUnder(t, l, m, f, 1<<50+100+uint64(i)) {
					t.Fatal("forger's broadcast refused")
				}
			}
			// The member's next run (new key), live.
			listName(l, m)
			if !admitUnder(t, l, m, next, 1<<41) {
				t.Fatal("next run's broadcast refused")
			}
			if _, ok := l.origins.floorFor(m, publicKey(member)); !ok {
				t.Error("the member's key lost its floor to its next run while the forger's keys, used only while it was gone, kept theirs")
			}
			// Gone again: the capture of seq+1, forgotten, replayed.
			unlistName(l, m)
			if admitUnder(t, l, m, forger[0], 1<<50+200) && admitUnder(t, l, m, member, seq+1) {
				t.Error("a forgotten broadcast of the member's key admitted again")
			}
		})
	})
}

// TestRuntimeReplayGoneKeyRaisesFloor (review16's GoneForgerMovesMemberFloor):
// a key admitted while the member is gone gets no floor, but its numbers,
// once forgotten, raise the floor of each key of the name whose top is at
// or above them (Plumtree's forgetter gives no key): here the member's
// floor rises from its window's bottom to the forger's number, and a
// forgotten number above the member's top moves nothing (F4). Only more
// is refused, never less: the member's key still has numbers above the
// raised floor admitted.
func TestRuntimeReplayGoneKeyRaisesFloor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		node, _, _ := checkingNode(t)
		onLoop(t, node, func(l *runLoop) {
			const m = "member"
			_, member, _ := ed25519.GenerateKey(nil)
			_, forger, _ := ed25519.GenerateKey(nil)
			const seq = 1 << 40
			listName(l, m)
			if !admitUnder(t, l, m, member, seq) {
				t.Fatal("member's broadcast refused")
			}
			before, _ := l.origins.floorFor(m, publicKey(member))
			unlistName(l, m)
			for _, n := range []uint64{seq - 100, seq + 100} {
				if !admitUnder(t, l, m, forger, n) {
					t.Fatal("forger's broadcast refused")
				}
				l.forgetBroadcast(MessageID{Origin: m, Seq: n})
			}
			if _, ok := l.origins.floorFor(m, publicKey(forger)); ok {
				t.Error("a key admitted while the member was gone got a floor")
			}
			if after, _ := l.origins.floorFor(m, publicKey(member)); before >= seq-100 || after != seq-100 {
				t.Errorf("the member's floor went from %d to %d, want from below %d to it", before, after, uint64(seq-100))
			}
			if admitUnder(t, l, m, member, seq-100) {
				t.Error("the member's key admitted a number at its raised floor")
			}
			if !admitUnder(t, l, m, member, seq-50) {
				t.Error("the member's key refused a number above its raised floor")
			}
		})
	})
}

// TestOriginFloorStamp: the floors' stamps ("used", "listed") are offsets
// from floorEpoch, starting at 1 (0 is never), not Unix nanoseconds: on
// 7b07462 a step of the wall clock by a day made every gone member's
// floors evictable. The loop takes floorEpoch from time.Now, whose
// monotonic reading Time.Sub (and so the stamp) uses rather than the wall
// clock; outside synctest, as here, time.Now has one.
func TestOriginFloorStamp(t *testing.T) {
	o := originKeys{floorEpoch: time.Now()}
	if !strings.Contains(o.floorEpoch.String(), " m=") {
		t.Fatalf("time.Now %v has no monotonic reading", o.floorEpoch)
	}
	if s := o.floorStamp(o.floorEpoch); s != 1 {
		t.Errorf("stamp of the epoch %d, want 1 (0 is never)", s)
	}
	later := o.floorEpoch.Add(floorKeepGone)
	want := int64(floorKeepGone) + 1
	if s := o.floorStamp(later); s != want {
		t.Errorf("stamp a day after the epoch %d, want %d", s, want)
	}
	if s := o.floorStamp(later.In(time.FixedZone("x", 3600))); s != want {
		t.Errorf("stamp moved with the time's zone: %d, want %d", s, want)
	}
	if s := o.floorStamp(time.Now()); s < 1 || s > want {
		t.Errorf("stamp of now %d, want a small offset", s)
	}
}

// TestRuntimeReplayListedFloodKeepsGoneMember (review16's
// ListedFloodKeepsGoneMember): a member listed and then gone keeps its
// floor against a flood of listed names (each allowed to evict) until
// floorKeepGone, and its forgotten broadcast is refused. A name never
// listed (listed=false) loses its floor to such a flood at once (logged,
// not asserted: SECURITY.md, names without a floor).
func TestRuntimeReplayListedFloodKeepsGoneMember(t *testing.T) {
	for _, wasListed := range []bool{true, false} {
		t.Run(fmt.Sprint("listed=", wasListed), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				node, _, _ := checkingNode(t)
				onLoop(t, node, func(l *runLoop) {
					l.origins.max = 4
					const v = "victim"
					_, victim, _ := ed25519.GenerateKey(nil)
					_, flood, _ := ed25519.GenerateKey(nil)
					if wasListed {
						listName(l, v)
					}
					if !admitUnder(t, l, v, victim, 1<<40) {
						t.Fatal("victim refused")
					}
					l.forgetBroadcast(MessageID{Origin: v, Seq: 1 << 40})
					unlistName(l, v)
					delete(l.origins.keys, v)
					for i := range 3 * l.origins.max {
						name := fmt.Sprint("flood-", i)
						listName(l, name)
						l.origins.floorsPausedUntil = time.Time{}
						admitUnder(t, l, name, flood, 1)
					}
					delete(l.origins.keys, v)
					replayed := admitUnder(t, l, v, victim, 1<<40)
					t.Logf("listed=%v: replay admitted %v", wasListed, replayed)
					if wasListed && replayed {
						t.Error("a gone member's forgotten broadcast admitted again after a flood of listed names")
					}
				})
			})
		})
	}
}
