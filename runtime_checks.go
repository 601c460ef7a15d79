// Runtime: answering the membership core's questions with the application's
// delegates.

package hyparlist

import (
	"fmt"
	"log/slog"
)

// This file answers the membership core's questions with the application's
// filters, and reports its name conflicts (membership_checks.go):
//
//	aliveCheck     → AliveDelegate.NotifyAlive → aliveVerdict
//	mergeCheck     → MergeDelegate.NotifyMerge → mergeVerdict
//	memberConflict → ConflictDelegate.NotifyConflict
//
// The delegates run on the event dispatcher, never on the loop; the
// verdict comes back as a command. A veto also disconnects the vetoed
// node (runtime_deny.go). A question dropped because the event
// queue is full loses its records until anti-entropy brings them again.

// askAlive runs AliveDelegate.NotifyAlive for a record and feeds the
// verdict back. A record whose address is outside Config.CIDRsAllowed is
// refused at once, without asking: as in memberlist, which refuses alive
// messages (new nodes and address changes) from outside its networks,
// such a node never becomes a member; the refusal denies it like a veto.
func (l *runLoop) askAlive(c aliveCheck) {
	if !l.addrAllowed(c.Record.Addr) {
		l.m.logRefusal(slog.LevelWarn, "member_cidr", addrSource(c.Record.Addr), "refusing a member outside CIDRsAllowed", "member", c.Record.Name, "addr", c.Record.Addr)
		v := aliveVerdict{Check: c, Accept: false}
		l.feed(coreMembership, v)
		l.onVeto(v)
		return
	}
	ad := l.m.config.Alive
	if ad == nil {
		l.feed(coreMembership, aliveVerdict{Check: c, Accept: true})
		return
	}
	m := l.m
	n := m.memberNode(Member{Name: c.Record.Name, Addr: c.Record.Addr, Meta: c.Record.Meta, State: c.Record.State})
	// The node shares its name and metadata with the record.
	size := recordBytes(c.Record) + nodeStructBytes + len(n.Addr)
	l.later(m.eventQueue, size, "alive_check", func() {
		err := ad.NotifyAlive(n)
		if err != nil {
			m.logger.Warn("alive delegate refused a member", "member", n.Name, "error", err)
		}
		_ = m.submit(cmdVerdict{ev: aliveVerdict{Check: c, Accept: err == nil}, err: err})
	})
}

// askMerge runs MergeDelegate.NotifyMerge for the records of a join
// exchange and feeds the verdict back.
func (l *runLoop) askMerge(c mergeCheck) {
	md := l.m.config.Merge
	if md == nil {
		l.feed(coreMembership, mergeVerdict{Check: c, Accept: true})
		return
	}
	m := l.m
	nodes := make([]*Node, len(c.Records))
	size := 0
	for i, r := range c.Records {
		nodes[i] = m.memberNode(Member{Name: r.Name, Addr: r.Addr, Meta: r.Meta, State: r.State})
		// Each node shares its name and metadata with its record.
		size += recordBytes(r) + pointerBytes + nodeStructBytes + len(nodes[i].Addr)
	}
	l.later(m.eventQueue, size, "merge_check", func() {
		err := md.NotifyMerge(nodes)
		if err != nil {
			m.logger.Warn("merge delegate canceled a merge", "peer", c.From.Name, "error", err)
		}
		_ = m.submit(cmdVerdict{ev: mergeVerdict{Check: c, Accept: err == nil}, err: err})
	})
}

// notifyMemberConflict tells the ConflictDelegate about a refused claim.
func (l *runLoop) notifyMemberConflict(c memberConflict) {
	cd := l.m.live.Conflict
	if cd == nil {
		return
	}
	existing, other := l.m.memberNode(c.Existing), l.m.memberNode(c.Other)
	l.later(l.m.eventQueue, nodeBytes(existing)+nodeBytes(other), "event", func() { cd.NotifyConflict(existing, other) })
}

// cmdVerdict carries a delegate's answer back to membership. err is the
// delegate's error, for a Join waiting on the verdict.
type cmdVerdict struct {
	ev  Event
	err error
}

func (c cmdVerdict) apply(l *runLoop) {
	if l.left {
		return
	}
	l.feed(coreMembership, c.ev)
	l.onVeto(c.ev)
	switch v := c.ev.(type) {
	case mergeVerdict:
		l.answerJoinWaits(c.err)
	case aliveVerdict:
		// A veto of the contact's own record while a Join waits fails
		// that Join as a merge veto would: the vetoed contact is cut off,
		// so the join exchange cannot end (serf's AliveDelegate is its
		// MergeDelegate).
		if !v.Accept && c.err != nil && l.joinWaitsFor(v.Check.Record.Name) {
			l.answerJoinWaits(c.err)
		}
	}
}

// joinWaitsFor reports whether a Join waits on a join exchange through
// contact name.
func (l *runLoop) joinWaitsFor(name string) bool {
	for _, w := range l.joinWaits {
		if w.contact == name {
			return true
		}
	}
	return false
}

// joinWait is a Join waiting for the verdict on the node's join exchange.
type joinWait struct {
	result  chan error // capacity 1
	contact string     // the Join's contact
}

// maxJoinWaits bounds the Joins waiting for a verdict; a Join beyond it
// does not wait.
const maxJoinWaits = 64

// addJoinWait registers a Join that waits for the verdict on the node's
// join exchange; nil when it need not (or cannot) wait.
func (l *runLoop) addJoinWait(contact string) <-chan error {
	if l.m.config.Merge == nil || len(l.joinWaits) >= maxJoinWaits {
		return nil
	}
	w := joinWait{result: make(chan error, 1), contact: contact}
	l.joinWaits = append(l.joinWaits, w)
	return w.result
}

// answerJoinWaits answers the waiting Joins with the first verdict on a
// join exchange. A node waits only while it has no neighbour yet, so that
// verdict is about its own join exchange, with its first neighbour:
// usually the contact, but HyParView may link it to another node first.
func (l *runLoop) answerJoinWaits(err error) {
	for i, w := range l.joinWaits {
		if err != nil {
			w.result <- fmt.Errorf("%w: %w", ErrMergeCanceled, err)
		} else {
			w.result <- nil
		}
		l.joinWaits[i] = joinWait{}
	}
	l.joinWaits = l.joinWaits[:0]
}

// dropJoinWait forgets a Join that stopped waiting.
func (l *runLoop) dropJoinWait(result <-chan error) {
	for i, w := range l.joinWaits {
		if w.result == result {
			l.joinWaits = append(l.joinWaits[:i], l.joinWaits[i+1:]...)
			return
		}
	}
}
