package hyparlist

import (
	"testing"
	"testing/synctest"
	"time"
)

// ghostPair is checkPair with b shut down: nothing listens at addr, b's
// address, so a ping there is lost without an error and a dial refused.
func ghostPair(t *testing.T, sink *inmemSink) (c *testCluster, a *testNode, dials *dialCounter, addr string) {
	t.Helper()
	c, a, b, dials := checkPair(t, sink, nil, nil)
	addr = b.ml.LocalNode().Address()
	if err := b.ml.Shutdown(); err != nil {
		t.Fatal(err)
	}
	return c, a, dials, addr
}

// TestRefusedChecksWaitOutsideSlots: checks of ghosts at an address where
// nothing listens (the ping is lost without an error, as UDP to a closed
// port is; the dial is refused at once) wait for their packets side by
// side, not in the maxRunningChecks check slots: twice as many ghosts as
// slots have all dialled after one checkPacketWait. Before the packet's
// wait was moved out of the slots (review of session 17), each slot held
// one wait, and half of them dialled only after a second wait.
func TestRefusedChecksWaitOutsideSlots(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c, a, dials, addr := ghostPair(t, sink)
		defer c.shutdown()
		const ghosts = 2 * maxRunningChecks
		onLoop(t, a.ml, func(l *runLoop) {
			for range ghosts { // the mock finds a node by name: all are b
				l.queueCheck(ProbeMember{Peer: Peer{Name: "b", Addr: addr}, Confirm: true})
			}
		})
		wait := a.ml.checkPacketWait()
		time.Sleep(wait + wait/2)
		synctest.Wait()
		if n := dials.dials.Load(); n != ghosts {
			t.Errorf("%d of %d checks of ghosts at a refusing address dialled after %v (checkPacketWait %v), want all", n, ghosts, wait+wait/2, wait)
		}
		if got := counterSum(sink, "hyparlist.member.check_packets;kind=unanswered"); got != ghosts {
			t.Errorf("check_packets unanswered = %v, want %d", got, ghosts)
		}
		// Every wait and dial has ended: the loop's counts are back to
		// zero (a leaked packet wait would block later checks for good).
		time.Sleep(a.ml.config.TCPTimeout)
		synctest.Wait()
		onLoop(t, a.ml, func(l *runLoop) {
			if c := l.checks; c.pinging != 0 || c.running != 0 || len(c.dials) != 0 || len(c.queue) != 0 {
				t.Errorf("checks settled with pinging %d, running %d, %d dials and %d queued, want all 0", c.pinging, c.running, len(c.dials), len(c.queue))
			}
		})
	})
}

// TestProbeDialNotDelayed: the dial of a check or probe (probeOnce, after
// its packet went unanswered) is refused as fast as the address refuses;
// it waits for no packet of its own, and holds its slot only for the dial.
func TestProbeDialNotDelayed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c, a, dials, addr := ghostPair(t, sink)
		defer c.shutdown()
		start := time.Now()
		a.ml.probeOnce(ProbeMember{Peer: Peer{Name: "b", Addr: addr}}, nil)
		if n := dials.dials.Load(); n != 1 {
			t.Fatalf("%d dials, want 1 (refused)", n)
		}
		if took := time.Since(start); took >= a.ml.config.ProbeTimeout {
			t.Errorf("the dial of an address that refuses took %v (ProbeTimeout %v)", took, a.ml.config.ProbeTimeout)
		}
	})
}

// TestNoProbeDialAfterShutdown: a probe whose packet wait is ended by
// Shutdown does not go on to dial, and a dial that starts after Shutdown
// dials nothing (with a user Transport that does not end dials on
// Shutdown, Shutdown's wg.Wait would wait for it, up to TCPTimeout).
func TestNoProbeDialAfterShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, a, dials, addr := ghostPair(t, newInmemSink(time.Hour, time.Hour))
		defer c.shutdown()
		onLoop(t, a.ml, func(l *runLoop) { l.probe(ProbeMember{Peer: Peer{Name: "b", Addr: addr}}) })
		synctest.Wait() // the probe waits for the packet's answer
		if n := dials.dials.Load(); n != 0 {
			t.Fatalf("the probe dialled (%d) before waiting for a packet", n)
		}
		if err := a.ml.Shutdown(); err != nil {
			t.Fatal(err)
		}
		a.ml.probeOnce(ProbeMember{Peer: Peer{Name: "b", Addr: addr}}, nil)
		if n := dials.dials.Load(); n != 0 {
			t.Errorf("%d dials after Shutdown, want 0", n)
		}
	})
}
