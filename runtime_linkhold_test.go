// Tests of the DISCONNECTs held for their name's owner stream to end
// (runtime_linkhold.go).

package hyparlist

import (
	"net"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// linkHoldSetup is a joined pair a, b whose links carried keepalives, with
// b's loop stalled until the returned release is called; link is b's
// link stream to a, which owns b's name at a.
func linkHoldSetup(t *testing.T, sink *inmemSink) (c *testCluster, a, b *testNode, link net.Conn, release func()) {
	t.Helper()
	c = newMockClusterWithSink(t, 2, func(c *Config) { c.HandoffQueueDepth = 1 }, sink)
	c.joinAll()
	a, b = c.nodes[0], c.nodes[1]
	eventually(t, time.Minute, "a and b neighbours", func() bool {
		return slices.Contains(memberNames(a.ml.Neighbors()), b.rec.name) &&
			slices.Contains(memberNames(b.ml.Neighbors()), a.rec.name)
	})
	time.Sleep(2 * a.ml.config.keepaliveInterval()) // the links carried keepalives
	got := make(chan net.Conn, 1)
	stall := make(chan struct{})
	if err := b.ml.submit(loopFunc(func(l *runLoop) {
		var conn net.Conn
		if k := l.links[a.rec.name]; k != nil {
			k.mu.Lock()
			conn = k.conn
			k.mu.Unlock()
		}
		got <- conn
		<-stall
	})); err != nil {
		t.Fatal(err)
	}
	if link = <-got; link == nil {
		close(stall)
		t.Fatal("b has no link stream to a")
	}
	return c, a, b, link, func() { close(stall) }
}

// sendDisconnect opens a stream to a under b's name and sends DISCONNECT
// over it, as b after closing its link, or an outsider using b's name.
func sendDisconnect(t *testing.T, a, b *testNode) net.Conn {
	t.Helper()
	conn, _, err := b.ml.dial(Address{Addr: a.ml.LocalNode().Address(), Name: a.rec.name})
	if err != nil {
		t.Fatal(err)
	}
	writeMsg(t, b, conn, disconnectMsg{Alive: true})
	return conn
}

// writeMsg writes msg to conn, a stream b dialled.
func writeMsg(t *testing.T, b *testNode, conn net.Conn, msg Message) {
	t.Helper()
	frame, _, err := b.ml.crypto.appendFrame(nil, nil, msg, b.ml.lim, b.ml.sendLabel(conn))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(frame); err != nil {
		t.Fatal(err)
	}
}

// TestRuntimeDisconnectHeldForEndedLink: b closes its link stream to a
// while a's reader of it waits for room in a's stalled loop, then sends
// DISCONNECT over a new stream. The DISCONNECT is refused on arrival (the
// old stream still owns b's name) but held, and applied once the old
// reader ends: a no longer counts b as a neighbour. Before, it was dropped
// and a kept b until the link failed as silent.
func TestRuntimeDisconnectHeldForEndedLink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c, a, b, link, releaseB := linkHoldSetup(t, sink)
		defer c.shutdown()
		defer releaseB()
		stall := make(chan struct{})
		if err := a.ml.submit(loopFunc(func(*runLoop) { <-stall })); err != nil {
			t.Fatal(err)
		}
		// b's link writer keeps sending keepalives: a's inbox fills and
		// the link's reader waits.
		time.Sleep(4 * a.ml.config.keepaliveInterval())
		synctest.Wait()
		if n := a.ml.inbox.len(); n != 1 {
			t.Fatalf("a's inbox holds %d, want 1 (full)", n)
		}
		_ = link.Close()
		time.Sleep(2 * readerEndCheckEvery)
		synctest.Wait()
		refused := counterSum(sink, "hyparlist.msg.refused;reason="+refusedNotLink)
		conn := sendDisconnect(t, a, b)
		defer conn.Close()
		synctest.Wait()
		if got := counterSum(sink, "hyparlist.msg.refused;reason="+refusedNotLink) - refused; got != 1 {
			t.Fatalf("%v DISCONNECTs refused on arrival, want 1", got)
		}
		close(stall)
		synctest.Wait()
		if slices.Contains(memberNames(a.ml.Neighbors()), b.rec.name) {
			t.Fatalf("a still counts b as a neighbour after b's DISCONNECT and the end of its old link")
		}
		if got := counterSum(sink, "hyparlist.msg.disconnect_late"); got != 1 {
			t.Errorf("%v DISCONNECTs applied late, want 1", got)
		}
	})
}

// TestAttackForgedDisconnectHeld: an outsider sends DISCONNECT under a
// neighbour's name while the neighbour's link stays open; it is held, and
// dropped when it expires, when the outsider's stream ends, or when that
// stream carries a later HyParView frame, so that the
// neighbour's link ending later does not apply it: the node keeps the
// neighbour (no DISCONNECT applied late).
func TestAttackForgedDisconnectHeld(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(t *testing.T, b *testNode, conn net.Conn)
	}{
		{"expired", func(*testing.T, *testNode, net.Conn) { time.Sleep(heldDisconnectFor + time.Second) }},
		{"stream ended", func(_ *testing.T, _ *testNode, conn net.Conn) { _ = conn.Close() }},
		{"later frame", func(t *testing.T, b *testNode, conn net.Conn) { writeMsg(t, b, conn, shuffleReplyMsg{}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sink := newInmemSink(time.Hour, time.Hour)
				c, a, b, link, releaseB := linkHoldSetup(t, sink)
				defer c.shutdown()
				defer releaseB()
				conn := sendDisconnect(t, a, b)
				defer conn.Close()
				synctest.Wait()
				if got := counterSum(sink, "hyparlist.msg.refused;reason="+refusedNotLink); got != 1 {
					t.Fatalf("%v DISCONNECTs refused on arrival, want 1", got)
				}
				tc.end(t, b, conn)
				synctest.Wait()
				if !slices.Contains(memberNames(a.ml.Neighbors()), b.rec.name) {
					t.Fatalf("a dropped b while b's link was open")
				}
				_ = link.Close() // the owner ends
				synctest.Wait()
				if !slices.Contains(memberNames(a.ml.Neighbors()), b.rec.name) {
					t.Errorf("a dropped b after the forged DISCONNECT's hold ended")
				}
				if got := counterSum(sink, "hyparlist.msg.disconnect_late"); got != 0 {
					t.Errorf("%v DISCONNECTs applied late, want 0", got)
				}
			})
		})
	}
}
