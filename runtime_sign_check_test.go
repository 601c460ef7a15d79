// Tests of where the loop checks broadcast signatures: once per message,
// after Plumtree's news check.

package hyparlist

import (
	"crypto/ed25519"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimeDuplicateNotVerified: a node gets the same signed membership
// announcement three times on one stream — the message, an exact copy, and
// a copy of its ID with another payload under the first one's signature.
// It verifies the signature once: the two copies reach Plumtree as known
// IDs, unverified, and Plumtree drops them, so the altered payload is
// merged nowhere. Before session 9 every copy was verified on the reader
// (three checks, 44 % of a 1,000-node join storm's checks were of
// duplicates, BENCHMARKS.md).
func TestRuntimeDuplicateNotVerified(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := newMockClusterWithSink(t, 3, nil, sink)
		defer c.shutdown()
		c.joinAll()
		eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, 3) })
		victim := c.nodes[0].ml
		conn := forgerStream(t, c, victim)
		synctest.Wait()
		var before sigCounts
		onLoop(t, victim, func(l *runLoop) { before = l.sigs })

		_, key, _ := ed25519.GenerateKey(nil)
		ghost := memberRecord{Name: "ghost", Addr: "10.99.0.1:1", State: memberStateAlive}
		payload, err := appendAnnouncement(nil, []memberRecord{ghost})
		if err != nil {
			t.Fatal(err)
		}
		altered, err := appendAnnouncement(nil, []memberRecord{{Name: "altered", Addr: "10.99.0.2:1", State: memberStateAlive}})
		if err != nil {
			t.Fatal(err)
		}
		g := signedGossip(key, "forger", 1, ClassMembership, payload)
		swapped := g
		swapped.Payload = altered
		lim := defaultWireLimits()
		for _, m := range []gossipMsg{g, g, swapped} {
			if err := writeMessageFrame(conn, m, lim); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		var after sigCounts
		onLoop(t, victim, func(l *runLoop) { after = l.sigs })
		if got := after.checked - before.checked; got != 1 {
			t.Errorf("%d signatures verified for one message sent three times, want 1", got)
		}
		if got := after.skipped - before.skipped; got < 2 {
			t.Errorf("%d copies passed unverified, want at least the 2 sent", got)
		}
		eventually(t, time.Minute, "the announcement merged everywhere", func() bool {
			for _, n := range c.nodes {
				if !slices.Contains(memberNames(n.ml.Members()), "ghost") {
					return false
				}
			}
			return true
		})
		for _, n := range c.nodes {
			if slices.Contains(memberNames(n.ml.Members()), "altered") {
				t.Errorf("%s merged the altered copy", n.rec.name)
			}
		}
		if got := counterSum(sink, "hyparlist.msg.refused"); got != 0 {
			t.Errorf("%v messages refused, want 0", got)
		}
	})
}

// TestRuntimeReplayNotVerified: once a node has forgotten a broadcast it
// took (SeenTTL), copies of it signed by its origin's bound key — the capture, and the
// capture with another payload (a bad signature) — and a copy below the
// window are refused (replay, replay, seq_too_old) with no signature
// verified. Before session 15 each copy was verified first (3 checks; the altered
// payload refused as signature): in a 1,000-node join storm's idle window,
// 23,664 verified-then-refused replays (BENCHMARKS.md).
func TestRuntimeReplayNotVerified(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := joinedClusterWithSink(t, 3, verifyUser, sink)
		victim, origin := c.nodes[0], c.nodes[1].ml
		captured := captureSigned(t, origin)
		if err := origin.Broadcast([]byte("real")); err != nil {
			t.Fatal(err)
		}
		waitDeliveredOnce(t, victim.rec, [][]byte{[]byte("real")})
		real := capturedOf(t, captured, "real")
		waitSeenTTL(t, victim.ml)

		conn := forgerStream(t, c, victim.ml)
		synctest.Wait()
		var before sigCounts
		onLoop(t, victim.ml, func(l *runLoop) { before = l.sigs })
		lim := defaultWireLimits()
		// An IHAVE first, as in a join storm: the ID becomes missing, and
		// a copy refused unverified must drop it from the missing table
		// as the admitter's refusal does (Plumtree.refused).
		if err := writeMessageFrame(conn, ihaveMsg{Entries: []ihaveEntry{{ID: real.ID, Round: 1}}}, lim); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		altered := real
		altered.Payload = []byte("altered")
		old := signedGossip(origin.signKey, real.ID.Origin, real.ID.Seq-originWindowBits-1, ClassUser, []byte("old"))
		for _, g := range []gossipMsg{real, altered, old} {
			if err := writeMessageFrame(conn, g, lim); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		var after sigCounts
		onLoop(t, victim.ml, func(l *runLoop) { after = l.sigs })
		onLoop(t, victim.ml, func(l *runLoop) {
			if _, ok := l.pt.missing.m[real.ID]; ok {
				t.Error("a copy refused unverified left its ID missing (it would be grafted)")
			}
		})
		if got := after.checked - before.checked; got != 0 {
			t.Errorf("%d signatures verified for 3 refused copies, want 0", got)
		}
		if got, want := after.replays-before.replays, uint64(3); got != want {
			t.Errorf("%d copies refused unverified, want %d", got, want)
		}
		for reason, want := range map[string]float64{refusedReplay: 2, refusedSeqTooOld: 1, refusedSignature: 0} {
			if got := counterSum(sink, "hyparlist.msg.refused;reason="+reason); got != want {
				t.Errorf("refused for %s: %v, want %v", reason, got, want)
			}
		}
		for _, p := range []string{"real", "altered", "old"} {
			if got := victim.rec.count([]byte(p)); got > 1 || (p != "real" && got > 0) {
				t.Errorf("%q delivered %d times", p, got)
			}
		}
	})
}
