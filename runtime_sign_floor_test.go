package hyparlist

import (
	"crypto/ed25519"
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// waitSeenTTL sleeps until node has forgotten what it saw so far.
func waitSeenTTL(t *testing.T, node *Memberlist) {
	t.Helper()
	var seenTTL time.Duration
	onLoop(t, node, func(l *runLoop) { seenTTL = l.pt.cfg.SeenTTL })
	time.Sleep(seenTTL + time.Minute)
	synctest.Wait()
}

// checkingNode starts one node that checks application broadcasts, and
// returns it with a key and a signature made with it (admitBroadcast reads
// only the key in it).
func checkingNode(t *testing.T) (*Memberlist, ed25519.PrivateKey, []byte) {
	t.Helper()
	c := joinedCluster(t, 1, func(conf *Config) { conf.VerifyUserBroadcasts = true })
	_, key, _ := ed25519.GenerateKey(nil)
	return c.nodes[0].ml, key, signBroadcast(key, MessageID{}, ClassUser, nil)
}

// TestRuntimeReplayAcrossRebinding is review14d's F3: a forger that has
// captured a member's broadcast waits until the member is gone (it left)
// and the node has forgotten the broadcast (SeenTTL), then, twice, binds
// the member's name to a key of its own with a broadcast of its own (any
// key rebinds a name that is not live), and replays the capture, which
// binds the member's key again (each round after the node forgot the
// last). The capture must not be delivered again:
// the floor of the member's key outlives its binding. On main before
// session 15 (no floor) and with session 14's floor in the binding's
// window (903bf2a) each replay was delivered again: the new binding's
// window took its first number.
func TestRuntimeReplayAcrossRebinding(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := joinedClusterWithSink(t, 2, verifyUser, sink)
		a, b := c.nodes[0], c.nodes[1].ml
		real := broadcastThree(t, a, b)
		leaveForgotten(t, a, b)

		_, forged, _ := ed25519.GenerateKey(nil)
		lim := defaultWireLimits()
		for round := range 2 {
			conn := forgerStream(t, c, a.ml)
			mine := signedGossip(forged, "node-01", 1<<40+uint64(round), ClassUser, []byte(fmt.Sprint("forged-", round)))
			if err := writeMessageFrame(conn, mine, lim); err != nil {
				t.Fatal(err)
			}
			eventually(t, time.Minute, "the forger's broadcast in the gone name", func() bool {
				return a.rec.count(mine.Payload) == 1
			})
			// The newest capture first: it makes the new window.
			for i := len(real) - 1; i >= 0; i-- {
				if err := writeMessageFrame(conn, real[i], lim); err != nil {
					t.Fatal(err)
				}
			}
			// Until the node forgets them again, replays are duplicates.
			waitSeenTTL(t, a.ml)
		}
		for _, g := range real {
			if n := a.rec.count(g.Payload); n != 1 {
				t.Errorf("%s delivered %d times, want once", g.Payload, n)
			}
		}
		if n := counterSum(sink, "hyparlist.msg.refused;reason="+refusedSeqTooOld); n != 6 {
			t.Errorf("%v refused as seq_too_old, want the 6 replays", n)
		}
	})
}

// TestRuntimeFloorUncheckedForget is review14d's F4, on the loop: an
// origin's checked broadcasts are admitted, then Plumtree forgets a
// broadcast in its name numbered 2^62 (an unchecked one can carry any
// number); a broadcast of the origin below its window that was never
// admitted must still be admitted, and one at or below the real
// forgotten numbers refused. With session 14's floor (903bf2a) the
// forgotten 2^62 raised the floor and the late broadcast was refused.
func TestRuntimeFloorUncheckedForget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		node, key, sig := checkingNode(t)
		const base = 1 << 40
		id := func(seq uint64) MessageID { return MessageID{Origin: "origin", Seq: base + seq} }
		onLoop(t, node, func(l *runLoop) {
			l.origins.keys["origin"] = originBinding{key: publicKey(key)}
			for seq := uint64(10); seq < 10+originWindowBits+100; seq++ {
				if seq == 20 {
					continue // never admitted: it comes late, below
				}
				if !l.admitBroadcast(id(seq), ClassUser, sig) {
					t.Fatalf("%d refused", seq)
				}
			}
			l.forgetBroadcast(id(10)) // Plumtree forgot the origin's first
			l.forgetBroadcast(MessageID{Origin: "origin", Seq: 1 << 62})
			if !l.admitBroadcast(id(20), ClassUser, sig) {
				t.Error("a broadcast below the window, above the floor, refused")
			}
			if l.admitBroadcast(id(10), ClassUser, sig) {
				t.Error("a forgotten broadcast admitted again")
			}
			if l.admitBroadcast(id(5), ClassUser, sig) {
				t.Error("a broadcast below the floor made with the window admitted")
			}
		})
	})
}

// TestRuntimeLateBroadcastBelowWindow: an origin's broadcast that
// reaches a node after more than originWindowBits later ones of the same
// origin (as a GRAFT's answer does under overload) is delivered: the node
// never admitted it, and remembers all it admitted. Once the node has
// forgotten the origin's messages (SeenTTL), a replay of it, or of any
// number below the window up to the highest forgotten, is refused
// (seq_too_old). Before session 15 the late broadcast was refused and lost.
// (Session 14's test, 903bf2a.)
func TestRuntimeLateBroadcastBelowWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := joinedClusterWithSink(t, 2, verifyUser, sink)
		a := c.nodes[0]
		conn := forgerStream(t, c, a.ml)
		_, key, _ := ed25519.GenerateKey(nil)
		lim := defaultWireLimits()
		const base, late, count = 1 << 40, 5, originWindowBits + 100
		send := func(seq uint64) {
			t.Helper()
			g := signedGossip(key, "origin", base+seq, ClassUser, []byte(fmt.Sprint("m", seq)))
			if err := writeMessageFrame(conn, g, lim); err != nil {
				t.Fatal(err)
			}
		}
		for seq := uint64(1); seq <= count; seq++ {
			if seq != late {
				send(seq)
			}
		}
		send(late)
		eventually(t, time.Minute, "the late broadcast judged", func() bool {
			return a.rec.count([]byte(fmt.Sprint("m", late))) == 1 ||
				counterSum(sink, "hyparlist.msg.refused;reason="+refusedSeqTooOld) > 0
		})
		if n := counterSum(sink, "hyparlist.msg.refused;reason="+refusedSeqTooOld); n != 0 {
			t.Fatalf("%v refused as seq_too_old, want 0", n)
		}
		waitSeenTTL(t, a.ml)
		// Replays below the window, on a new stream (the first one was
		// idle too long): the late one and its neighbour.
		conn = forgerStream(t, c, a.ml)
		send(late)
		send(late + 1)
		send(count + 1) // new: admitted
		eventually(t, time.Minute, "the new broadcast delivered", func() bool {
			return a.rec.count([]byte(fmt.Sprint("m", count+1))) == 1
		})
		synctest.Wait()
		for _, seq := range []uint64{late, late + 1} {
			if n := a.rec.count([]byte(fmt.Sprint("m", seq))); n != 1 {
				t.Errorf("m%d delivered %d times, want once", seq, n)
			}
		}
		if n := counterSum(sink, "hyparlist.msg.refused;reason="+refusedSeqTooOld); n != 2 {
			t.Errorf("%v refused as seq_too_old, want the 2 replays", n)
		}
	})
}

// TestRuntimeBurstFloor: three nodes with small send queues and
// VerifyUserBroadcasts burst 2,000 1-KiB payloads each at once. None may
// be refused as seq_too_old or replay: a payload that a relay announced by IHAVE
// (its queue full) and that came by GRAFT after 512 later ones of its
// origin was refused so before session 15 (269 to 906 per run without the
// floor), and lost.
func TestRuntimeBurstFloor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n, each = 3, 2000
		sink := newInmemSink(time.Hour, time.Hour)
		c := newMockClusterWithSink(t, n, func(conf *Config) {
			stallConfig(conf)
			conf.VerifyUserBroadcasts = true
			conf.MessageCacheTTL = 5 * time.Minute
		}, sink)
		defer c.shutdown()
		c.joinAll()
		eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, n) })
		sent := burstEach(t, c, each)
		time.Sleep(5 * time.Minute)
		for _, reason := range []string{refusedSeqTooOld, refusedReplay} {
			if got := counterSum(sink, "hyparlist.msg.refused;reason="+reason); got != 0 {
				t.Errorf("%v broadcasts refused as %s, want 0", got, reason)
			}
		}
		missing := 0
		for i, nd := range c.nodes {
			for j, p := range sent {
				for _, x := range p {
					if i != j && nd.rec.count(x) == 0 {
						missing++
					}
				}
			}
		}
		// Not asserted: a silent loss without any refusal, about 1 run
		// in 20 here, is issue 10's (TestRuntimeBurstsDeliverAll).
		t.Logf("%d (node, payload) pairs not delivered", missing)
	})
}
