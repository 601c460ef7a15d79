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
	// sent is set once the announcement was queued on a link.
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

// noteLeaveSend records that the leave announcement is being sent: any
// membership Gossip this node originates once Leave has started.
func (l *runLoop) noteLeaveSend(msg Message) {
	if !l.leave.active || l.leave.sent {
		return
	}
	if g, ok := msg.(Gossip); ok && g.Class == ClassMembership && g.ID.Origin == l.m.self.Name {
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
	l.leave.reply <- waits
	l.leave = leaveState{}
}
