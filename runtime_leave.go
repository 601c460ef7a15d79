package hyparlist

import "time"

// This file owns the loop's side of Leave. A graceful leave has two
// phases:
//
//  1. membership announces the node left (a Plumtree broadcast). The node
//     stays in the overlay until the announcement has left it: pushed on
//     an eager link, or — when every link is lazy and only IHAVEs go out —
//     grafted by a neighbour. At most leaveSpreadTime.
//  2. HyParView leaves: every neighbour is told DISCONNECT (not alive) and
//     every link closes once its queue is written. Leave's caller waits
//     for that.
//
// Not in the papers: HyParView's and Plumtree's papers have no graceful
// leave; without phase 1 a node that is a leaf of the broadcast tree would
// close its links before its lazy announcement could be grafted.

// leaveState is the progress of a Leave.
type leaveState struct {
	// active is set from the start of phase 1 to the end of phase 2.
	active bool
	// id is the announcement's message ID, known from Plumtree's local
	// delivery of it; sent is set once it was queued on a link.
	id    MessageID
	hasID bool
	sent  bool
	reply chan<- []flushWait
}

// leaveTimer ends phase 1 when the announcement could not be seen to
// leave the node in time.
type leaveTimer struct{}

func (leaveTimer) isTimer() {}

// cmdLeave starts a Leave; the loop answers, at the end of phase 2, with
// the links to wait for.
type cmdLeave struct {
	reply chan<- []flushWait
}

func (c cmdLeave) apply(l *runLoop) {
	if l.left || l.leave.active {
		c.reply <- nil
		return
	}
	l.leave = leaveState{active: true, reply: c.reply}
	l.feed(coreMembership, LeaveCluster{})
	l.runQueue()
	if len(l.lastHeard) == 0 {
		l.finishLeave() // nobody to tell
		return
	}
	l.timers.add(l.now, l.leaveSpreadTime(), ownerRuntime, leaveTimer{})
}

// leaveSpreadTime bounds phase 1: an IHAVE batch, the neighbours' wait for
// the payload before they GRAFT, and a round trip for the GRAFT and the
// payload (GraftTimeout is a round-trip allowance).
func (l *runLoop) leaveSpreadTime() time.Duration {
	c := l.m.config
	return c.IHaveInterval + 2*c.GraftTimeout
}

// noteLeaveDeliver learns the announcement's ID: the first membership
// broadcast this node delivers to itself once Leave has started (Plumtree
// delivers a local broadcast before it pushes it).
func (l *runLoop) noteLeaveDeliver(d Deliver) {
	if l.leave.active && !l.leave.hasID && d.Class == ClassMembership && d.From.Name == l.m.self.Name {
		l.leave.id, l.leave.hasID = d.ID, true
	}
}

// noteLeaveSend records that the announcement is being sent.
func (l *runLoop) noteLeaveSend(msg Message) {
	if !l.leave.hasID || l.leave.sent {
		return
	}
	if g, ok := msg.(Gossip); ok && g.ID == l.leave.id {
		l.leave.sent = true
	}
}

// continueLeave ends phase 1 once the announcement is on its way.
func (l *runLoop) continueLeave() {
	if l.leave.active && l.leave.sent {
		l.finishLeave()
	}
}

// finishLeave runs phase 2: HyParView leaves, every link is closed once
// written, and the Leave caller is answered with the links to wait for.
func (l *runLoop) finishLeave() {
	if !l.leave.active {
		return
	}
	// HyParView's NeighborDown closes the neighbours' links; the others
	// are closed here.
	open := make(map[*outLink]bool, len(l.links))
	for _, k := range l.links {
		open[k] = true
	}
	l.feed(coreHyParView, LeaveCluster{})
	l.runQueue()
	l.left = true
	for _, name := range l.linkNames() {
		k := l.links[name]
		open[k] = true
		l.closeLink(k)
	}
	waits := make([]flushWait, 0, len(open))
	for k := range open {
		waits = append(waits, flushWait{done: k.done})
	}
	l.publish() // LocalNode is left when Leave returns
	l.leave.reply <- waits
	l.leave = leaveState{}
}

// answerAfterLeave answers a HyParView message that reaches the node after
// it left: a peer that still counts it as a neighbour (an asymmetric link,
// so it got no DISCONNECT) is told DISCONNECT (not alive) and forgets it at
// once instead of waiting for the link to fall silent. Not in the paper,
// which has no graceful leave. Everything else is ignored.
func (l *runLoop) answerAfterLeave(in inbound) {
	switch in.msg.(type) {
	case Keepalive, Neighbor, Join, ForwardJoin, Shuffle:
		l.send(in.from, Disconnect{Alive: false})
	}
}
