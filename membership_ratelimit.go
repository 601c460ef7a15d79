// Membership core: the per-neighbour rate limit on records of new members.

package hyparlist

import "time"

// This file owns the rate limit on records that would add a name the
// member table does not hold (issue 14, finding 3: without keys, anyone
// who completes a handshake could fill every node's table at once). Each
// neighbour has a token bucket of MaxNewMembersPerSecond tokens a second,
// holding at most NewMembersBurst and one second's worth at first; records from nodes that are not
// neighbours share one bucket. Records of members already held (updates,
// refutations, suspicions, tombstones of known names) are never limited,
// nor the records of the node's own join exchange, which legitimately
// brings the whole cluster at once (up to MaxMembers of them, from the
// neighbour it started the exchange with, for joinExemptionTime). A record over the limit is
// dropped and counted (membershipStats.NewMembersDropped); anti-entropy
// brings it again later.

// newMemberBucket is a token bucket on the core clock. Credit is in
// record-nanoseconds: a record costs one second's worth (1e9), and a
// nanosecond adds MaxNewMembersPerSecond, so that integer arithmetic is
// exact and deterministic.
type newMemberBucket struct {
	credit int64
	at     int64 // core clock of the last refill
}

// newMemberCost is the credit one record costs.
const newMemberCost = int64(time.Second)

// newBucket returns a bucket that holds one second's worth now, not the
// burst: a new neighbour's allowance fills at the rate, so that
// reconnecting, or coming back under a new name, earns little.
func (m *Membership) newBucket() newMemberBucket {
	n := min(m.cfg.MaxNewMembersPerSecond, m.cfg.NewMembersBurst)
	return newMemberBucket{credit: int64(n) * newMemberCost, at: m.clock}
}

// take refills b to now and spends one record's credit; false if there is
// not enough.
func (b *newMemberBucket) take(now int64, perSecond, burst int) bool {
	limit := int64(burst) * newMemberCost
	if dt := now - b.at; dt > 0 {
		// Clamp before multiplying, so that a long idle time cannot overflow.
		b.credit += min(dt, limit/int64(perSecond)+1) * int64(perSecond)
		b.credit = min(b.credit, limit)
	}
	b.at = max(b.at, now)
	if b.credit < newMemberCost {
		return false
	}
	b.credit -= newMemberCost
	return true
}

// admitNew reports whether a record from src may add a name to the table,
// spending the sender's allowance; a refused record is counted.
func (m *Membership) admitNew(src mergeSource) bool {
	if m.cfg.MaxNewMembersPerSecond == 0 || src.approved {
		// Without a limit; or an aliveVerdict answer, paid for when asked.
		return true
	}
	from := src.peer
	if from == "" || from == m.self.Name {
		return true // a local decision
	}
	if m.joinExempt(src) {
		m.joinCredit--
		return true
	}
	b := &m.strangerCredit
	if i, ok := m.neighborIndex(from); ok {
		b = &m.neighborCredit[i]
	}
	if b.take(m.clock, m.cfg.MaxNewMembersPerSecond, m.cfg.NewMembersBurst) {
		return true
	}
	m.stats.NewMembersDropped++
	return false
}

// Bounds of the rate limit's settings: the credit, burst × 1e9, and the
// refill, rate × 1e9 at most, stay far from the int64 range.
const (
	maxNewMembersPerSecond = 1_000_000
	maxNewMembersBurst     = 1_000_000
)

// joinExemptionTime bounds how long after the node's join exchange
// started its records are exempt from the rate limit (and count as
// confirmed, membership_confirm.go), so that the neighbour of that
// exchange cannot use the exemption later by marking any records it sends
// as a join's. Not from a paper: a join exchange of 100,000 records (about
// 10 MB with short metadata) takes seconds even on a slow link; a minute
// leaves room for a loaded node. Records of the exchange that arrive
// later are limited like any others and come again by anti-entropy.
const joinExemptionTime = time.Minute

// joinExempt reports whether a record from src belongs to the node's own
// join exchange, while its exemption lasts: from the exchange's
// neighbour, within joinExemptionTime of its start and MaxMembers records.
func (m *Membership) joinExempt(src mergeSource) bool {
	return m.joinRecord(src) && m.joinCredit > 0
}

// joinRecord reports whether src is the node's own join exchange, within
// joinExemptionTime of its start.
func (m *Membership) joinRecord(src mergeSource) bool {
	return src.join && src.peer != "" && src.peer == m.joinPeer && m.clock < m.joinUntil
}
