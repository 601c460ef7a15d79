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

// inLinkHold runs f in a synctest bubble on linkHoldSetup's pair, and
// shuts it down after.
func inLinkHold(t *testing.T, f func(t *testing.T, sink *inmemSink, a, b *testNode, link net.Conn)) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c, a, b, link, releaseB := linkHoldSetup(t, sink)
		defer c.shutdown()
		defer releaseB()
		f(t, sink, a, b, link)
	})
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

// sendHeldDisconnect is sendDisconnect while b's link owns b's name at a:
// it checks that a refused the DISCONNECT on arrival (and held it).
func sendHeldDisconnect(t *testing.T, sink *inmemSink, a, b *testNode) net.Conn {
	t.Helper()
	conn := sendDisconnect(t, a, b)
	synctest.Wait()
	if got := counterSum(sink, "hyparlist.msg.refused;reason="+refusedNotLink); got != 1 {
		_ = conn.Close()
		t.Fatalf("%v DISCONNECTs refused on arrival, want 1", got)
	}
	return conn
}

// endOwnerKeepsB closes link, b's link stream that owns b's name at a,
// and checks that a still counts b as a neighbour, and that it applied
// no held DISCONNECT.
func endOwnerKeepsB(t *testing.T, sink *inmemSink, a, b *testNode, link net.Conn) {
	t.Helper()
	_ = link.Close()
	synctest.Wait()
	if !slices.Contains(memberNames(a.ml.Neighbors()), b.rec.name) {
		t.Errorf("a dropped b when b's old link ended: an older held DISCONNECT was applied")
	}
	if got := counterSum(sink, "hyparlist.msg.disconnect_late"); got != 0 {
		t.Errorf("%v DISCONNECTs applied late, want 0", got)
	}
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
// and a kept b until the link failed as silent. An honest b closes the
// new stream right after its DISCONNECT (closeDownLink): the hold
// outlives it; on disco16 (d31ff86) the "sender closes" case failed, the
// stream's end dropped the hold.
func TestRuntimeDisconnectHeldForEndedLink(t *testing.T) {
	for _, closes := range []bool{false, true} {
		name := "sender keeps stream"
		if closes {
			name = "sender closes stream"
		}
		t.Run(name, func(t *testing.T) {
			inLinkHold(t, func(t *testing.T, sink *inmemSink, a, b *testNode, link net.Conn) {
				var conn net.Conn
				defer func() {
					if conn != nil {
						_ = conn.Close()
					}
				}()
				stallForHold(t, a, link, func() {
					conn = sendDisconnect(t, a, b)
					if closes {
						_ = conn.Close()
					}
				}, sink)
				if slices.Contains(memberNames(a.ml.Neighbors()), b.rec.name) {
					t.Fatalf("a still counts b as a neighbour after b's DISCONNECT and the end of its old link")
				}
				if got := counterSum(sink, "hyparlist.msg.disconnect_late"); got != 1 {
					t.Errorf("%v DISCONNECTs applied late, want 1", got)
				}
			})
		})
	}
}

// stallForHold stalls a's loop until its inbox is full (b's link's reader
// waits for room), closes link, b's link stream, runs send (b's frames
// over other streams), checks that one DISCONNECT was refused on arrival
// and lets a's loop go on.
func stallForHold(t *testing.T, a *testNode, link net.Conn, send func(), sink *inmemSink) {
	t.Helper()
	stall := make(chan struct{})
	if err := a.ml.submit(loopFunc(func(*runLoop) { <-stall })); err != nil {
		t.Fatal(err)
	}
	defer func() {
		close(stall)
		synctest.Wait()
	}()
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
	send()
	synctest.Wait()
	if got := counterSum(sink, "hyparlist.msg.refused;reason="+refusedNotLink) - refused; got != 1 {
		t.Fatalf("%v DISCONNECTs refused on arrival, want 1", got)
	}
}

// TestAttackForgedDisconnectHeld: an outsider sends DISCONNECT under a
// neighbour's name while the neighbour's link stays open; it is held, and
// dropped when any stream but the owner carries a later HyParView frame
// under the name (here the outsider's own), so that the neighbour's link
// ending later does not apply it: the node keeps the neighbour (no
// DISCONNECT applied late). Expiry is TestLinkOwnersHoldExpires. A hold
// outlives its stream (an honest sender closes it at once,
// TestRuntimeDisconnectHeldForEndedLink), so an outsider that sends one
// and closes its stream has it applied if the link ends within
// heldDisconnectFor, as on main one sent just after the link's end was
// (SECURITY.md).
func TestAttackForgedDisconnectHeld(t *testing.T) {
	inLinkHold(t, func(t *testing.T, sink *inmemSink, a, b *testNode, link net.Conn) {
		conn := sendHeldDisconnect(t, sink, a, b)
		defer conn.Close()
		writeMsg(t, b, conn, shuffleReplyMsg{})
		synctest.Wait()
		if !slices.Contains(memberNames(a.ml.Neighbors()), b.rec.name) {
			t.Fatalf("a dropped b while b's link was open")
		}
		endOwnerKeepsB(t, sink, a, b, link)
	})
}

// TestRuntimeDisconnectHeldNotOverNewerWord: b's DISCONNECT over a new
// stream S2 is held while b's old link stream S1 owns b's name at a; b
// then sends NEIGHBOR over yet another stream S3, which a takes (b
// re-linked). When S1 ends, the older held DISCONNECT must not undo the
// newer NEIGHBOR: a keeps b. Before, only a frame on S2 itself dropped
// the hold, and a dropped b while b counted a.
func TestRuntimeDisconnectHeldNotOverNewerWord(t *testing.T) {
	inLinkHold(t, func(t *testing.T, sink *inmemSink, a, b *testNode, link net.Conn) {
		s2 := sendHeldDisconnect(t, sink, a, b)
		defer s2.Close()
		s3, _, err := b.ml.dial(Address{Addr: a.ml.LocalNode().Address(), Name: a.rec.name})
		if err != nil {
			t.Fatal(err)
		}
		defer s3.Close()
		writeMsg(t, b, s3, neighborMsg{HighPriority: true})
		synctest.Wait()
		if !slices.Contains(memberNames(a.ml.Neighbors()), b.rec.name) {
			t.Fatalf("a dropped b before the old link ended")
		}
		endOwnerKeepsB(t, sink, a, b, link) // the old owner S1 ends
	})
}

// TestRuntimeDisconnectHeldStaleAfterNeighborUp: b's DISCONNECT is held
// while b's old link owns b's name at a; then a takes b as a neighbour
// again without a frame from b (a NeighborUp, as on a FORWARDJOIN). When
// the old link ends, the loop ignores the DISCONNECT, older than the new
// link, and counts it in disconnect_stale. Before, a dropped b.
func TestRuntimeDisconnectHeldStaleAfterNeighborUp(t *testing.T) {
	inLinkHold(t, func(t *testing.T, sink *inmemSink, a, b *testNode, link net.Conn) {
		s2 := sendHeldDisconnect(t, sink, a, b)
		defer s2.Close()
		bPeer := Peer{Name: b.rec.name, Addr: b.ml.LocalNode().Address()}
		if err := a.ml.submit(loopFunc(func(l *runLoop) { l.neighborUp(bPeer) })); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		endOwnerKeepsB(t, sink, a, b, link)
		if got := counterSum(sink, "hyparlist.msg.disconnect_stale"); got != 1 {
			t.Errorf("%v held DISCONNECTs ignored as stale, want 1", got)
		}
	})
}

// holdScene is a linkOwners in which owner owns "b", and in, a DISCONNECT
// from "b", for the hold tests of the pure type.
func holdScene(t *testing.T, at time.Time) (o *linkOwners, owner net.Conn, in inbound) {
	t.Helper()
	o = &linkOwners{}
	owner, _ = net.Pipe()
	if owns, _, _ := o.claimOrHold("b", owner, inbound{from: Peer{Name: "b"}, msg: keepaliveMsg{}}, at); !owns {
		t.Fatal("owner did not claim b")
	}
	return o, owner, inbound{from: Peer{Name: "b"}, msg: disconnectMsg{Alive: true}}
}

// holdFrom holds in, read at at from a new stream that does not own
// "b", and returns that stream.
func holdFrom(t *testing.T, o *linkOwners, in inbound, at time.Time) net.Conn {
	t.Helper()
	conn, _ := net.Pipe()
	if _, held, _ := o.claimOrHold("b", conn, in, at); !held {
		t.Fatal("DISCONNECT not held")
	}
	return conn
}

// TestLinkOwnersHoldExpires: a DISCONNECT held longer than
// heldDisconnectFor is not handed over when the owner ends; one within it
// is, and its stream becomes the owner.
func TestLinkOwnersHoldExpires(t *testing.T) {
	t0 := time.Unix(1000, 0)
	for _, tc := range []struct {
		name string
		end  time.Time
		want bool
	}{
		{"within", t0.Add(heldDisconnectFor), true},
		{"expired", t0.Add(heldDisconnectFor + time.Second), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, owner, in := holdScene(t, t0)
			holder := holdFrom(t, o, in, t0)
			if _, _, got := o.release("b", owner, tc.end); got != tc.want {
				t.Errorf("handed over %v, want %v", got, tc.want)
			}
			if got := o.owner["b"] == holder; got != tc.want {
				t.Errorf("holding stream owns b: %v, want %v", got, tc.want)
			}
		})
	}
}

// TestLinkOwnersExpiredHoldReplaced: an expired hold (a forger's stream
// kept open) gives up its name's slot, so a later honest DISCONNECT for
// that name is held, not refused for good; a live hold keeps it.
func TestLinkOwnersExpiredHoldReplaced(t *testing.T) {
	t0 := time.Unix(1000, 0)
	o, _, in := holdScene(t, t0)
	holdFrom(t, o, in, t0) // the forger's
	honest, _ := net.Pipe()
	if _, held, _ := o.claimOrHold("b", honest, in, t0.Add(heldDisconnectFor)); held {
		t.Errorf("second DISCONNECT held while the first hold is live")
	}
	if _, held, _ := o.claimOrHold("b", honest, in, t0.Add(heldDisconnectFor+time.Second)); !held {
		t.Errorf("honest DISCONNECT refused: the expired hold still takes the slot")
	}
}

// TestLinkOwnersHandOverInOrder: once the owner's end hands a held
// DISCONNECT over, every HyParView frame under its name, from the new
// owner or any other stream, waits until the DISCONNECT is in the loop's
// inbox (handed): the inbox serves its waiters in no order, and the
// sender's newer word (a NEIGHBOR that re-links it) must not reach the
// loop first and then be undone by the older DISCONNECT. Without the
// wait (disco16, d31ff86) claimOrHold let both through at once.
func TestLinkOwnersHandOverInOrder(t *testing.T) {
	t0 := time.Unix(1000, 0)
	o, owner, in := holdScene(t, t0)
	holder := holdFrom(t, o, in, t0)
	other, _ := net.Pipe()
	_, done, ok := o.release("b", owner, t0)
	if !ok {
		t.Fatal("DISCONNECT not handed over")
	}
	word := inbound{from: Peer{Name: "b"}, msg: neighborMsg{HighPriority: true}}
	for _, conn := range []net.Conn{holder, other} {
		if _, _, wait := o.claimOrHold("b", conn, word, t0); wait == nil {
			t.Errorf("a frame under b went on while b's DISCONNECT was handed over")
		}
	}
	if _, _, wait := o.claimOrHold("c", other, inbound{from: Peer{Name: "c"}, msg: neighborMsg{}}, t0); wait != nil {
		t.Errorf("another name's frame waits")
	}
	o.handed("b", done)
	if owns, _, wait := o.claimOrHold("b", holder, word, t0); wait != nil || !owns {
		t.Errorf("after the hand-over: owns %v, waits %v; want the holding stream to own b", owns, wait != nil)
	}
}

// TestLinkOwnersEndedHolderHandedOver: a held DISCONNECT whose stream
// ended first (an honest sender closes it at once) is still handed over
// when the owner ends, and leaves b without an owner: the next stream
// under b claims it.
func TestLinkOwnersEndedHolderHandedOver(t *testing.T) {
	t0 := time.Unix(1000, 0)
	o, owner, in := holdScene(t, t0)
	holder := holdFrom(t, o, in, t0)
	if _, _, ok := o.release("b", holder, t0); ok {
		t.Fatal("the holding stream's end handed something over")
	}
	_, done, ok := o.release("b", owner, t0)
	if !ok {
		t.Fatal("DISCONNECT dropped when its stream ended")
	}
	o.handed("b", done)
	if _, owned := o.owner["b"]; owned {
		t.Errorf("b owned by a stream after its holder ended")
	}
	next, _ := net.Pipe()
	if owns, _, _ := o.claimOrHold("b", next, inbound{from: Peer{Name: "b"}, msg: keepaliveMsg{}}, t0); !owns {
		t.Errorf("the next stream under b did not claim it")
	}
}

// TestRuntimeDisconnectNotHeldAfterOtherStreamsWord: b dials S2 and sends
// DISCONNECT, closes it, then dials S3 and sends NEIGHBOR (b re-links a).
// Two TCP streams are not ordered: a reads S3's NEIGHBOR first (b is
// still active at a: accepted, no NeighborUp), then S2's DISCONNECT,
// which is held while b's old link stream still owns b's name. When that
// stream ends, the older DISCONNECT is applied and a drops b, which
// counts a. On main the DISCONNECT is refused (not_link) and a keeps b.
// The stale check (NeighborUp after the hold) and the drop on another
// stream's frame (after the hold) both miss a newer word read before the
// hold. Found by session 17's review; fixed by linkOwners.spoke: a
// DISCONNECT is not held while another open stream that does not own the
// name has carried its sender's word.
func TestRuntimeDisconnectNotHeldAfterOtherStreamsWord(t *testing.T) {
	inLinkHold(t, func(t *testing.T, sink *inmemSink, a, b *testNode, link net.Conn) {
		s3, _, err := b.ml.dial(Address{Addr: a.ml.LocalNode().Address(), Name: a.rec.name})
		if err != nil {
			t.Fatal(err)
		}
		defer s3.Close()
		writeMsg(t, b, s3, neighborMsg{HighPriority: true}) // b's newer word, read first
		synctest.Wait()
		s2 := sendHeldDisconnect(t, sink, a, b) // b's older DISCONNECT, read late
		_ = s2.Close()                          // an honest b closed it at once
		if !slices.Contains(memberNames(a.ml.Neighbors()), b.rec.name) {
			t.Fatalf("a dropped b before the old link ended")
		}
		endOwnerKeepsB(t, sink, a, b, link)
	})
}
