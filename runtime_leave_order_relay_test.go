package hyparlist

import (
	"log/slog"
	"testing"
	"time"
)

// leftOrderLoop is a started run loop (newPublishLoop) with a Delegate
// and an EventDelegate, so that deliveries queue their callbacks, that has delivered the
// alive announcement of member x, numbered base.
func leftOrderLoop(t *testing.T, base uint64) *runLoop {
	t.Helper()
	l := newPublishLoop(t, false)
	rec := &recorder{}
	l.m.config.Delegate, l.m.config.Events = rec, rec
	l.m.live = l.m.config
	l.m.logger = slog.New(slog.NewTextHandler(testLogOutput(), nil))
	l.m.metrics = newRuntimeMetrics(newInmemSink(time.Minute, time.Minute), nil)
	l.now = mt0
	receiveGossip(l, "x", MessageID{Origin: "x", Seq: base | ptSharedBit}, ClassMembership, announceOf(t, "x", memberStateAlive))
	if !l.ms.isLive("x") {
		t.Fatal("x not listed alive after its announcement")
	}
	l.callbacks = l.callbacks[:0]
	return l
}

// receiveGossip feeds the loop's Plumtree a GOSSIP of id from neighbour
// from, as onInbound does, and runs the cores.
func receiveGossip(l *runLoop, from string, id MessageID, class Class, payload []byte) {
	l.feed(corePlumtree, Receive{From: Peer{Name: from, Addr: from + ":7946"}, Msg: gossipMsg{ID: id, Class: class, Payload: payload}})
	l.runQueue()
}

// receiveLeft feeds the loop x's own left announcement, numbered seq on
// the shared tree, from neighbour from.
func receiveLeft(t *testing.T, l *runLoop, from string, seq uint64) {
	t.Helper()
	receiveGossip(l, from, MessageID{Origin: "x", Seq: seq | ptSharedBit}, ClassMembership, announceOf(t, "x", memberStateLeft))
}

// announceOf returns the announcement of name's own record in state s.
func announceOf(t *testing.T, name string, s memberState) []byte {
	t.Helper()
	b, err := appendAnnouncement(nil, []memberRecord{{Name: name, Addr: "127.0.0.9:7946", State: s}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// callbackKinds returns the kinds of the callbacks the loop iteration
// queued.
func callbackKinds(l *runLoop) []string {
	var out []string
	for _, c := range l.callbacks {
		out = append(out, c.kind)
	}
	return out
}

// TestRuntimeRelayedLeftAfterLeaversBroadcast: the left announcement of a
// member reaches a node directly (shared tree) before the broadcast the
// member sent just before it, which comes one hop later through a relay
// (the member's own tree), as in serf's
// TestSerf_eventsLeave_avoidInfiniteLeaveRebroadcast. The node reports the
// broadcast (NotifyMsg) before the leave (NotifyLeave): the left waits for
// the number before it. Before runtime_leave_order.go the leave came first.
func TestRuntimeRelayedLeftAfterLeaversBroadcast(t *testing.T) {
	const base = 1000
	l := leftOrderLoop(t, base)
	// The left, number base+2, direct from x on the shared tree.
	receiveLeft(t, l, "x", base+2)
	if !l.ms.isLive("x") {
		t.Fatal("x's left merged while its broadcast numbered before it is missing")
	}
	// The intent, number base+1, relayed by y on x's own tree.
	receiveGossip(l, "y", MessageID{Origin: "x", Seq: base + 1}, ClassUser, []byte("intent"))
	if l.ms.isLive("x") {
		t.Fatal("x's left still held after the broadcast before it was delivered")
	}
	got := callbackKinds(l)
	if len(got) != 2 || got[0] != "broadcast" || got[1] != "event" {
		t.Fatalf("callbacks %v, want [broadcast event] (NotifyMsg, then NotifyLeave)", got)
	}
}

// TestRuntimeLeftHoldBounded: a left whose earlier broadcast never comes
// is merged after leftHoldTime, and a left with nothing missing before it,
// or with nothing of its origin's remembered near it, is not held.
func TestRuntimeLeftHoldBounded(t *testing.T) {
	const base = 1000
	l := leftOrderLoop(t, base)
	receiveLeft(t, l, "y", base+5)
	if !l.ms.isLive("x") {
		t.Fatal("left merged at once despite a gap")
	}
	l.now = mt0.Add(l.leftHoldTime() - time.Millisecond)
	l.onTimers()
	if !l.ms.isLive("x") {
		t.Fatal("left merged before leftHoldTime")
	}
	l.now = mt0.Add(l.leftHoldTime())
	l.onTimers()
	l.runQueue()
	if l.ms.isLive("x") {
		t.Fatal("left still held after leftHoldTime")
	}
	if len(l.leftOrder.held) != 0 {
		t.Fatalf("%d lefts held after leftHoldTime; want none", len(l.leftOrder.held))
	}

	l = leftOrderLoop(t, base)
	receiveGossip(l, "x", MessageID{Origin: "x", Seq: base + 1}, ClassUser, []byte("intent"))
	receiveLeft(t, l, "x", base+2)
	if l.ms.isLive("x") {
		t.Fatal("left with nothing missing before it was held")
	}

	// Nothing of x's remembered within leftGapWindow below its left (a
	// long pause, or a node that has just joined): not held.
	l = leftOrderLoop(t, base)
	receiveLeft(t, l, "y", base+leftGapWindow+2)
	if l.ms.isLive("x") {
		t.Fatal("left held with nothing of its origin remembered near it")
	}
}

// The leaver's intent (base+1, its own tree) is relayed late, and between
// it and the left (base+3) the leaver announced another member's record
// (base+2, shared tree) that arrives directly, as the left does: the left
// still waits for the intent (found by review: it waited for base+2 only).
func TestRuntimeLeftWaitsPastAnnouncementBetween(t *testing.T) {
	const base = 1000
	l := leftOrderLoop(t, base)
	receiveGossip(l, "x", MessageID{Origin: "x", Seq: (base + 2) | ptSharedBit}, ClassMembership, announceOf(t, "z", memberStateAlive))
	receiveLeft(t, l, "x", base+3)
	if !l.ms.isLive("x") {
		t.Fatal("left merged while the intent before the announcement is missing")
	}
	receiveGossip(l, "y", MessageID{Origin: "x", Seq: base + 1}, ClassUser, []byte("intent"))
	if got := callbackKinds(l); len(got) < 2 || got[len(got)-1] != "event" {
		t.Fatalf("callbacks %v: NotifyLeave of x before its intent's NotifyMsg", got)
	}
	if l.ms.isLive("x") {
		t.Fatal("left still held after the gap below it was filled")
	}
}
