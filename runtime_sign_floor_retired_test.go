package hyparlist

import (
	"crypto/ed25519"
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// The retired number of a name (runtime_sign_floor.go): the captures of a
// key that lost its floor to floorKeysPerName later keys are not bound on
// first use again.

// TestRuntimeReplayRetiredKey: a member broadcasts three times under its
// first key, then restarts four times under new keys (Config.SigningKey
// unset), each run's broadcast delivered while it is live, so the first
// key loses its floor to the fifth. Once the member has gone and SeenTTL
// has passed, a forger replays the first run's captures: none may be
// delivered again. Before the retired number (main 37ca7c8) the first
// replay bound the first key on first use with a window without a floor,
// and all three were delivered a second time.
func TestRuntimeReplayRetiredKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := joinedClusterWithSink(t, 2, verifyUser, sink)
		a, b := c.nodes[0], c.nodes[1].ml
		first := publicKey(b.signKey)
		real := broadcastThree(t, a, b)
		addr := b.LocalNode().Address()
		run := b
		for i := range floorKeysPerName {
			run = leaveAndRestart(t, c, a, run, addr, nil)
			msg := []byte(fmt.Sprint("run-", i+1))
			if err := run.Broadcast(msg); err != nil {
				t.Fatal(err)
			}
			eventually(t, time.Minute, "the run's broadcast delivered", func() bool { return a.rec.count(msg) == 1 })
		}
		for _, k := range floorKeys(t, a.ml, "node-01") {
			if k == first {
				t.Fatal("the first key kept its floor past four later keys")
			}
		}
		for _, reason := range []string{refusedSeqTooOld, refusedReplay} {
			if n := counterSum(sink, "hyparlist.msg.refused;reason="+reason); n != 0 {
				t.Errorf("%v refused as %s before the replays, want 0 (the restarts are genuine)", n, reason)
			}
		}
		leaveForgotten(t, a, run)
		replayNewestFirst(t, forgerStream(t, c, a.ml), real)
		time.Sleep(time.Minute)
		synctest.Wait()
		wantOnce(t, a.rec, real)
		if n := counterSum(sink, "hyparlist.msg.refused;reason="+refusedSeqTooOld); n != 3 {
			t.Errorf("%v refused as seq_too_old, want the 3 replays", n)
		}
	})
}

// TestRuntimeRetiredNumberKeyChecked: a live member's broadcast under a
// key without a floor, numbered at or below its name's retired number (a
// run that started before another key lost its floor), is not refused
// for good: it starts a key check at the member's address, is held, and
// is delivered once the check binds the key. Refused at once instead, it
// would be lost (two nodes: no other neighbour to repair it).
func TestRuntimeRetiredNumberKeyChecked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := joinedCluster(t, 2, verifyUser)
		a, b := c.nodes[0], c.nodes[1].ml
		onLoop(t, a.ml, func(l *runLoop) {
			delete(l.origins.keys, "node-01")
			l.origins.floors["node-01"] = nameFloors{retired: 1<<62 - 1, listed: l.origins.floorStamp(l.now)}
		})
		if err := b.Broadcast([]byte("held")); err != nil {
			t.Fatal(err)
		}
		eventually(t, time.Minute, "the broadcast delivered after the key check", func() bool { return a.rec.count([]byte("held")) == 1 })
		onLoop(t, a.ml, func(l *runLoop) {
			if got := l.origins.keys["node-01"].key; got != publicKey(b.signKey) {
				t.Error("the member's key not bound by the check")
			}
		})
	})
}

// TestOriginRetiredNumber: the key that gives way to a fifth raises its
// name's retired number to its top, capped at the clock (a forger's key
// numbered far ahead raises it no further than now); retiredKey holds for
// a key without a floor at or below it, not above it nor for a key with a
// floor.
func TestOriginRetiredNumber(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		node, _, _ := checkingNode(t)
		onLoop(t, node, func(l *runLoop) {
			listName(l, "m")
			var keys []ed25519.PrivateKey
			for i := range floorKeysPerName + 1 {
				_, k, _ := ed25519.GenerateKey(nil)
				keys = append(keys, k)
				seq := uint64(1000 + i)
				if i == 0 {
					seq = 1 << 62 // the first key's top: far ahead of the clock
				}
				if !admitUnder(t, l, "m", k, seq) {
					t.Fatalf("key %d refused", i)
				}
			}
			f := l.origins.floors["m"]
			if now := startSequence(l.now); f.retired != now {
				t.Fatalf("retired %d, want the clock %d (the first key's top capped)", f.retired, now)
			}
			o := &l.origins
			if !o.retiredKey("m", publicKey(keys[0]), 1<<40) {
				t.Error("the retired key not refused at or below the retired number")
			}
			if o.retiredKey("m", publicKey(keys[0]), f.retired+1) {
				t.Error("a number above the retired number refused")
			}
			if o.retiredKey("m", publicKey(keys[1]), 1000) {
				t.Error("a key with a floor refused by the retired number")
			}
			if o.retiredKey("other", publicKey(keys[0]), 1) {
				t.Error("a name without floors refused")
			}
		})
	})
}
