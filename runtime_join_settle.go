// Runtime: making Join return after the join exchange, as memberlist's does
// after push/pull.

package hyparlist

import "time"

// This file makes Join return after the join exchange, as memberlist's
// Join returns after its push/pull: when Join returns, the node lists the
// contact (whose records carry the contact's members; the contact merged
// the joiner's record before it answered with them), and the contact's
// state has arrived and Delegate.MergeRemoteState(join=true) has returned
// (serf clears its "ignore old events" flag right after Join).
//
// A Join waits so only when the node had no neighbour when it sent its
// JOIN: only then is its first exchange its join exchange, which joinVia
// makes the exchange with the contact. A join exchange always carries a
// state message, empty when the peer has no state (membership's
// LocalStateReady), so that the joiner knows when the state part is done.
// The wait is part of Join's Config.TCPTimeout; a peer of an earlier
// version sends no empty state, and a Join through it waits that long.

// listedWait is a Join waiting for its join exchange.
type listedWait struct {
	name  string        // the contact
	state bool          // the join exchange's state has arrived
	done  chan struct{} // closed when the exchange is done
}

// addListedWait registers a wait for the join exchange through contact
// name, or returns nil when the node cannot wait (maxJoinWaits already).
func (l *runLoop) addListedWait(name string) <-chan struct{} {
	if len(l.listedWaits) >= maxJoinWaits {
		return nil
	}
	w := listedWait{name: name, done: make(chan struct{})}
	l.listedWaits = append(l.listedWaits, w)
	return w.done
}

// joinStateArrived records that the state of a join exchange with from
// has arrived; its MergeRemoteState callback is queued in the same loop
// iteration. Only the contact's state settles a Join's wait: the node may
// run join exchanges with neighbours too (membership_join.go), and one of
// them answering first must not let Join return before the contact has
// merged the joiner and its state has been merged here, as memberlist's
// push/pull with the contact does.
func (l *runLoop) joinStateArrived(from string) {
	for i := range l.listedWaits {
		if l.listedWaits[i].name == from {
			l.listedWaits[i].state = true
		}
	}
	l.dirty = true
}

// settleListedWaits answers the waits whose state has arrived and whose
// contact the snapshot s lists. The answer is queued behind the
// iteration's callbacks on the message dispatcher, so that it comes after
// MergeRemoteState has returned.
func (l *runLoop) settleListedWaits(s *snapshot) {
	kept := l.listedWaits[:0]
	for _, w := range l.listedWaits {
		if _, ok := s.member(w.name); !ok || !w.state {
			kept = append(kept, w)
			continue
		}
		done := w.done
		release := func() { close(done) }
		l.laterOrElse(l.m.msgQueue, 0, "join_settled", release, release)
	}
	clear(l.listedWaits[len(kept):])
	l.listedWaits = kept
}

// dropListedWait forgets a wait that timed out.
func (l *runLoop) dropListedWait(done <-chan struct{}) {
	for i, w := range l.listedWaits {
		if w.done == done {
			l.listedWaits = append(l.listedWaits[:i], l.listedWaits[i+1:]...)
			return
		}
	}
}

// waitJoinExchange waits, until deadline, for the join exchange a Join
// waits on (settleListedWaits). A wait that runs out is not an error: Join
// reached the contact. It returns ErrShutdown if the node shuts down
// first.
func (m *Memberlist) waitJoinExchange(done <-chan struct{}, deadline time.Time) error {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		_ = m.submit(loopFunc(func(l *runLoop) { l.dropListedWait(done) }))
	case <-m.shutdownCh:
		return ErrShutdown
	}
	return nil
}
