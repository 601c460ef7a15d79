// Runtime: bounding the application state of anti-entropy exchanges
// (Delegate.LocalState).

package hyparlist

import (
	"slices"
	"time"
)

// This file bounds what the application state of anti-entropy exchanges
// (membership's PushPullState, answered with Delegate.LocalState) costs
// the node. Each exchange sends the local state to the peer: the node's
// own exchanges, and every exchange a peer opens with a memberDigestMsg. A
// digest is 13 bytes and the state may be up to MaxLocalStateSize, so
// unbounded, a peer sending digests makes the node call LocalState, copy
// the state and queue a frame of its size once per digest. So:
//
//   - a peer holds at most one exchange slot of each kind (join exchange
//     or not): a request from a peer that holds one is dropped. A slot is
//     held until the peer is handed the state, and for
//     stateExchangeWindow after that;
//   - all peers together hold at most maxStateExchanges slots; a request
//     beyond them is dropped;
//   - LocalState is called at most once per kind and stateExchangeWindow:
//     the requests that arrive while a call is queued or running, or
//     within the window after it answered, share its one copy;
//   - that copy is counted in the message dispatcher's byte budget while
//     the node keeps it (until the first request after the window), and
//     the call is queued at the size of the previous answer.
//
// A dropped request costs that exchange the application state only: the
// member records still travel, a later exchange carries the state, and a
// join exchange still gets its (empty) end marker, so that the joiner's
// Join does not wait for a state that will not come.
// The limits are on requests, so they hold whatever the peers send.
// Not in the papers. memberlist refuses push/pull requests beyond 128
// concurrent ones (maxPushPullRequests); it calls LocalState for each.

// maxStateExchanges bounds the exchange slots held at once, by all peers:
// at most that many peers are handed the local state per
// stateExchangeWindow. 128 as memberlist's bound on concurrent push/pull
// requests; a healthy node takes part in about two exchanges per
// PushPullInterval (its own and one a neighbour starts).
const maxStateExchanges = 128

// stateExchangeWindow is how long one LocalState answer is shared by
// later exchanges, and how long a peer that was handed the state waits
// before it is handed it again. One second keeps the shared state fresh
// next to Config.PushPullInterval (30s in DefaultLANConfig) and the delay
// of a new link's exchange (linkExchangeDelay, one second or more), and
// bounds a peer that floods digests to one state frame per second.
const stateExchangeWindow = time.Second

// stateDecision is what to do with an exchange's request for the state.
type stateDecision uint8

const (
	// stateDropped: the peer holds a slot already, or none is free.
	stateDropped stateDecision = iota
	// stateShare: answer at once with the shared state.
	stateShare
	// stateWait: a LocalState call is under way; its answer will do.
	stateWait
	// stateFetch: queue a LocalState call.
	stateFetch
	// statePending: the peer's earlier request of the same kind still
	// waits for its answer, which answers this one too. A join exchange
	// started twice with the same contact (membership_join.go) must not
	// get the end marker of a dropped request ahead of the state.
	statePending
)

// stateSlot is one peer's exchange: waiting for the state, or handed it
// at a given time.
type stateSlot struct {
	peer     Peer
	join     bool
	answered bool
	at       time.Time // when the peer was handed the state
}

// sharedState is the LocalState answer of one kind (join or not).
type sharedState struct {
	fetching bool      // a LocalState call is queued or running
	have     bool      // state and at are set
	at       time.Time // when the answer came back
	state    []byte    // the answer; nil: the application has nothing to send
	lastSize int       // length of the latest answer
}

// stateExchanges is the bookkeeping of this file. The loop owns it.
type stateExchanges struct {
	slots  []stateSlot // at most maxStateExchanges
	shared [2]sharedState
}

// kind returns the shared state of join exchanges, or of the others.
func (g *stateExchanges) kind(join bool) *sharedState {
	if join {
		return &g.shared[1]
	}
	return &g.shared[0]
}

// expire frees the slots answered stateExchangeWindow ago or earlier and
// forgets the shared states received as long ago. It returns the bytes of
// the states it forgot.
func (g *stateExchanges) expire(now time.Time) (released int) {
	g.slots = slices.DeleteFunc(g.slots, func(s stateSlot) bool { return s.answered && now.Sub(s.at) >= stateExchangeWindow })
	for i := range g.shared {
		s := &g.shared[i]
		if s.have && now.Sub(s.at) >= stateExchangeWindow {
			released += len(s.state)
			s.have, s.state = false, nil
		}
	}
	return released
}

// request registers the exchange with p; call expire first.
func (g *stateExchanges) request(now time.Time, p Peer, join bool) stateDecision {
	for _, s := range g.slots {
		if s.peer.Name == p.Name && s.join == join {
			if !s.answered {
				return statePending
			}
			return stateDropped
		}
	}
	if len(g.slots) >= maxStateExchanges {
		return stateDropped
	}
	slot := stateSlot{peer: p, join: join}
	d := stateWait
	switch s := g.kind(join); {
	case s.have:
		slot.answered, slot.at = true, now
		d = stateShare
	case !s.fetching:
		s.fetching = true
		d = stateFetch
	}
	g.slots = append(g.slots, slot)
	return d
}

// fetched records the answer of a LocalState call (nil: nothing to send)
// and marks the waiting slots of its kind answered. It returns those
// slots' peers and the bytes of a shared state it replaced.
func (g *stateExchanges) fetched(now time.Time, join bool, state []byte) (waiting []Peer, released int) {
	s := g.kind(join)
	if s.have {
		released = len(s.state)
	}
	*s = sharedState{have: true, at: now, state: state, lastSize: len(state)}
	for i := range g.slots {
		if sl := &g.slots[i]; sl.join == join && !sl.answered {
			sl.answered, sl.at = true, now
			waiting = append(waiting, sl.peer)
		}
	}
	return waiting, released
}

// fetchDropped forgets a LocalState call that was never queued, and frees
// the slots that waited for it.
func (g *stateExchanges) fetchDropped(join bool) {
	g.kind(join).fetching = false
	g.slots = slices.DeleteFunc(g.slots, func(s stateSlot) bool { return !s.answered && s.join == join })
}

// localState acts on membership's PushPullState for the exchange with
// peer: it hands membership the shared state, or asks the Delegate for
// it, within the limits above.
func (l *runLoop) localState(peer Peer, join bool) {
	d := l.m.config.Delegate
	if d == nil {
		if join {
			l.handState(peer, join, nil) // the join exchange's end marker
		}
		return
	}
	g := &l.m.exchanges
	l.m.msgQueue.release(g.expire(l.now))
	switch g.request(l.now, peer, join) {
	case stateDropped:
		l.m.metrics.stateExchangeDropped()
		l.m.logger.Debug("state exchange request dropped", "peer", peer.Name, "join", join)
		if join {
			// The end marker without the state, so that the joiner's Join
			// returns now instead of waiting for it until TCPTimeout.
			l.handState(peer, join, nil)
		}
	case stateShare:
		l.handState(peer, join, g.kind(join).state)
	case stateFetch:
		l.fetchLocalState(d, join, g.kind(join).lastSize)
	}
}

// fetchLocalState queues a Delegate.LocalState call, accounted at the size
// of the previous answer, whose copy of the state comes back to the loop
// (cmdLocalState). A state over what membership may send is not copied.
func (l *runLoop) fetchLocalState(d Delegate, join bool, expected int) {
	m := l.m
	limit := m.config.membershipConfig().MaxLocalStateSize
	l.laterOrElse(m.msgQueue, expected, "local_state", func() {
		state := d.LocalState(join)
		if len(state) > limit {
			m.logger.Warn("local state too large for an exchange, not sent", "bytes", len(state), "limit", limit)
			state = nil
		}
		_ = m.submit(cmdLocalState{join: join, state: clonePayload(state)})
	}, func() { m.exchanges.fetchDropped(join) })
}

// onLocalState shares a LocalState answer with the exchanges waiting for
// it, and counts it in the message dispatcher's budget while it is kept.
func (l *runLoop) onLocalState(join bool, state []byte) {
	waiting, released := l.m.exchanges.fetched(l.now, join, state)
	l.m.msgQueue.release(released)
	l.m.msgQueue.hold(len(state))
	for _, p := range waiting {
		l.handState(p, join, state)
	}
}

// handState hands membership the state for the exchange with p; in a
// join exchange an empty one too, which tells p the state part is done.
func (l *runLoop) handState(p Peer, join bool, state []byte) {
	if len(state) > 0 || join {
		l.feed(coreMembership, LocalStateReady{Peer: p, Join: join, State: state})
	}
}
