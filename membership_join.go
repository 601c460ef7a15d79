// Membership core: the node's join exchange and its retries.

package hyparlist

import "time"

// This file owns the join exchange: the node's first anti-entropy
// exchange, which brings it the whole member table. It starts with the
// joinVia contact as soon as the handshake with it is done, as
// memberlist's push/pull does, and again with the first neighbour if the
// contact has not answered by then; any exchange the node starts before
// one is answered is a join exchange. It used to wait for a neighbour,
// and for the contact to become one for up to linkExchangeDelay; but a
// contact whose active view is full links to nobody (HyParView's onJoin),
// so in a join storm every joiner waited a second, then exchanged with a
// neighbour that was often gone again before it answered (the walks of
// other joins evict it, and what was in flight on the link is lost): at
// 256 nodes joining one seed at once, 27 of 255 joiners never got an
// answer from their join peer, and the next chance was the periodic
// exchange, a PushPullInterval (30 s in DefaultLANConfig) later. A busy
// contact may not answer at all (a node has a bounded number of links, and
// its answer needs one to the joiner). So an exchange that has no answer
// after joinExchangeRetry starts again with a random neighbour, and a node
// starts at most maxJoinExchanges join exchanges in all. Not in the
// papers; memberlist's Join fails when its push/pull does.

// joinExchangeRetry is how long a join exchange waits for its answer
// before another starts. An answer takes two round trips; 3 s leaves room
// for a node whose loop is far behind in a storm (answers took 2.3 s at
// the median in one 256-node storm on a loaded 2-core machine), so that a
// slow answer is rarely asked for twice.
const joinExchangeRetry = 3 * time.Second

// maxJoinExchanges bounds the join exchanges a node starts: the first and
// up to three retries. After them the periodic exchange repairs.
const maxJoinExchanges = 4

// memberJoinRetryTimer fires joinExchangeRetry after join exchange number
// Attempt started.
type memberJoinRetryTimer struct {
	Attempt int
}

func (memberJoinRetryTimer) isTimer() {}

// startJoinExchange starts a join exchange with p: p's join records may
// add up to MaxMembers names without the new-member rate limit, for
// joinExemptionTime (membership_ratelimit.go).
func (m *Membership) startJoinExchange(p Peer) {
	m.joined = true
	m.joinPeer, m.joinCredit, m.joinUntil = p.Name, m.cfg.MaxMembers, m.clock+int64(joinExemptionTime)
	m.joinAnswered = false
	m.joinAttempts++
	m.startExchange(p, true)
	if m.joinAttempts < maxJoinExchanges {
		m.emit(SetTimer{After: joinExchangeRetry, Timer: memberJoinRetryTimer{Attempt: m.joinAttempts}})
	}
}

// joinAnswer records that an exchange the node started was answered with
// records (a request of the peer's wants buckets of the local table): the
// node has synchronised with a peer, the join exchange's purpose, whether
// that exchange was the join exchange or one a new link started.
func (m *Membership) joinAnswer(mr memberRecordsMsg) {
	if len(mr.Want) == 0 {
		m.joinAnswered = true
	}
}

// joinWanted reports whether the next exchange is a join exchange: the
// node has not started one, or none was answered and the node may start
// another.
func (m *Membership) joinWanted() bool {
	return !m.joined || !m.joinAnswered && m.joinAttempts < maxJoinExchanges
}

// onJoinRetryTimer starts the join exchange again, with a random
// neighbour, if no exchange was answered since the one it was set for
// started.
func (m *Membership) onJoinRetryTimer(t memberJoinRetryTimer) {
	if !m.joinWanted() || t.Attempt != m.joinAttempts || m.leaving || len(m.neighbors) == 0 {
		return
	}
	m.startJoinExchange(m.neighbors[m.rng.IntN(len(m.neighbors))])
}
