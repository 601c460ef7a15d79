// Runtime: the loop's side of a graceful Leave.

package hyparlist

import "time"

// This file owns the loop's side of Leave. A graceful leave has two
// phases:
//
//  1. membership announces the node left (a Plumtree broadcast), and the
//     node stays in the overlay for leaveSpreadTime: long enough for the
//     announcement to be pushed on the eager links, announced by IHAVE on
//     the lazy ones, and grafted from this node by any neighbour that did
//     not get it from elsewhere.
//  2. HyParView leaves: every neighbour is told DISCONNECT (not alive) and
//     every link closes once its queue is written. Leave's caller waits
//     for that.
//
// Not in the papers: HyParView's and Plumtree's papers have no graceful
// leave. Phase 1 does not end as soon as the announcement is pushed on an
// eager link: when neighbours leave at the same time, that link may lead
// to a node that has just left and drops it, and only the lazy neighbours'
// GRAFTs (after IHaveInterval and GraftTimeout) save the announcement. A
// node whose announcement is lost stays listed alive until it shuts down.

// leaveState is the progress of a Leave.
type leaveState struct {
	// active is set from the start of phase 1 to the end of phase 2.
	active bool
	reply  chan<- []flushWait
}

// leaveTimer ends phase 1.
type leaveTimer struct{}

func (leaveTimer) isTimer() {}

// cmdLeave starts a Leave; the loop answers, at the end of phase 2, with
// the links to wait for.
type cmdLeave struct {
	reply chan<- []flushWait
	// timeout is Leave's; phase 1 takes at most half of it, when positive.
	timeout time.Duration
}

func (c cmdLeave) apply(l *runLoop) {
	if l.left || l.leave.active {
		c.reply <- nil
		return
	}
	l.leave = leaveState{active: true, reply: c.reply}
	l.feed(coreMembership, leaveCluster{})
	l.runQueue()
	if len(l.lastHeard) == 0 {
		l.finishLeave() // nobody to tell
		return
	}
	spread := l.leaveSpreadTime()
	if c.timeout > 0 {
		// Leave must return within its timeout, as memberlist's does on a
		// healthy cluster: the announcement is pushed on the eager links at
		// once; the rest of phase 1 only serves neighbours that must GRAFT
		// it, and gets what the timeout leaves after writing.
		spread = min(spread, c.timeout/2)
	}
	l.timers.add(l.now, spread, coreRuntime, leaveTimer{})
}

// leaveSpreadTime is the length of phase 1: an IHAVE batch, the neighbours' wait for
// the payload before they GRAFT, and a round trip for the GRAFT and the
// payload (GraftTimeout is a round-trip allowance).
func (l *runLoop) leaveSpreadTime() time.Duration {
	c := l.m.config
	return c.IHaveInterval + 2*c.GraftTimeout
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
	l.feed(coreHyParView, leaveCluster{})
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
	case keepaliveMsg, linkPingMsg, neighborMsg, joinMsg, forwardJoinMsg, shuffleMsg:
		l.send(in.from, disconnectMsg{Alive: false})
	}
}
