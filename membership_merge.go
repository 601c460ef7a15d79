// Membership core: merging a record into the member table (SWIM precedence,
// refutation, events).

package hyparlist

import (
	"math"
	"time"
)

// This file owns merging a record into the member table: the SWIM
// precedence rule, refutation of records about the local node, the
// EventDelegate actions and the bookkeeping every change implies
// (suspicion, tombstone reclaim).

// mergeSource says where a record came from.
type mergeSource struct {
	// origin is the node that broadcast the announcement: the accuser of a
	// suspicion. Empty for records learned by anti-entropy.
	origin string
	// broadcast is set for announcements and local decisions, clear for
	// anti-entropy.
	broadcast bool
	// approved is set for a record an aliveVerdict accepted.
	approved bool
	// peer is the neighbour the record came from (the sender of an
	// anti-entropy message, or the node Plumtree received an announcement
	// from); empty for local decisions.
	peer string
	// join is set for the records of a join exchange.
	join bool
}

// announced reports whether the record travels in an announcement: one
// delivered by Plumtree, or a suspicion the local node announces.
func (s mergeSource) announced() bool { return s.broadcast && s.origin != "" }

// merge applies a valid record about any member.
func (m *Membership) merge(r memberRecord, src mergeSource) {
	if m.refuseAboveCeiling(r, src) {
		return // membership_incarnation.go
	}
	if r.Name == m.self.Name {
		m.mergeSelf(r)
		return
	}
	e := m.table.get(r.Name)
	if e == nil {
		m.mergeNew(r, src)
		return
	}
	if m.foreignLeave(e, r, src) {
		return // membership_sign.go
	}
	if m.vouched(r, src) && e.id.addr == r.Addr {
		m.confirm(r.Name)
	}
	if r.Incarnation >= e.inc && m.addressConflict(e, r) {
		// Checked before precedence, so that a claim is reported whether
		// or not it would win; a stale claim is ignored silently.
		m.reportConflict(e, r)
		return
	}
	if r.Incarnation == e.inc && r.State == e.state {
		if r.State == memberStateSuspect {
			m.confirmSuspicion(e, src.origin)
		}
		if src.announced() && e.id.matches(r.Addr, r.Meta) {
			e.flags |= entryHeard
		}
		if !contentWins(r, e.id) {
			return
		}
	} else if !supersedes(r.Incarnation, r.State, e.inc, e.state) {
		return
	}
	if r.State == memberStateDead && !src.broadcast && e.state.live() {
		// An exchange's tombstone of a live member is a suspicion here
		// (membership_exchange_dead.go).
		if r = m.suspectInstead(r); !supersedes(r.Incarnation, r.State, e.inc, e.state) {
			return
		}
	}
	if m.needsAliveCheck(e, r, src) {
		m.askAlive(r, src)
		return
	}
	m.applyRecord(e, m.identFor(r, e.id), r.Incarnation, r.State, m.stateChangeOf(r), src)
}

// identFor returns the identity of r: held (the entry's current one) if r
// has the same address, metadata and versions, else a new one. A record
// without versions keeps the versions held.
func (m *Membership) identFor(r memberRecord, held *memberIdent) *memberIdent {
	if held != nil {
		if held.matchesRecord(r) {
			return held
		}
		r.Versions = r.Versions.orHeld(held.vsn)
	}
	return newMemberIdent(r.Name, r.Addr, cloneBytes(r.Meta), r.Versions)
}

// mergeNew applies a record about a name the table does not hold.
func (m *Membership) mergeNew(r memberRecord, src mergeSource) {
	if !r.State.live() && time.Duration(r.AgeSeconds)*time.Second >= m.cfg.ReclaimTime {
		return // a tombstone every node is about to forget
	}
	if !m.admitNew(src) {
		return
	}
	if m.needsAliveCheck(nil, r, src) {
		m.askAlive(r, src)
		return
	}
	if m.table.len() >= m.cfg.MaxMembers {
		old := m.oldestTombstone()
		if !r.State.live() || old == nil || old == m.local() {
			return
		}
		m.forget(old)
	}
	e := m.table.insert(m.identFor(r, nil), r.Incarnation, r.State, m.stateChangeOf(r))
	m.afterChange(e, memberEntry{}, false, src)
}

// oldestTombstone returns the tombstone with the earliest state change
// (ties by name), or nil. Every tombstone has a reclaim deadline, so they
// are all in the deadline heap.
func (m *Membership) oldestTombstone() *memberEntry {
	var best *memberEntry
	for i := range m.deadlines.items {
		e := m.deadlines.entry(&m.table.arena, i)
		if e.state.live() {
			continue
		}
		if best == nil || e.changed < best.changed || (e.changed == best.changed && e.id.name < best.id.name) {
			best = e
		}
	}
	return best
}

// forget removes e from the table and from the deadline heap.
func (m *Membership) forget(e *memberEntry) {
	if e.heapPos >= 0 {
		m.deadlines.remove(&m.table.arena, e)
	}
	m.table.remove(e)
}

// stateChangeOf is when the state of r began, on the core clock: now,
// back-dated by the age a tombstone travelled with.
func (m *Membership) stateChangeOf(r memberRecord) int64 {
	if r.State.live() {
		return m.clock
	}
	return m.clock - int64(time.Duration(r.AgeSeconds)*time.Second)
}

// applyChange gives e the record (id, inc, st) — a state change begins
// now — and does what the change implies.
func (m *Membership) applyChange(e *memberEntry, id *memberIdent, inc uint32, st memberState, src mergeSource) {
	m.applyRecord(e, id, inc, st, m.clock, src)
}

// applyRecord is applyChange with the time a state change began.
func (m *Membership) applyRecord(e *memberEntry, id *memberIdent, inc uint32, st memberState, changed int64, src mergeSource) {
	if e.flags&entryUnconfirmed != 0 && e.state.live() && st.live() {
		// An unconfirmed member keeps the time it was listed while it
		// stays live: new incarnations or a suspicion do not postpone its
		// check (membership_confirm.go).
		changed = e.changed
	}
	old := *e
	m.table.set(e, id, inc, st, changed)
	m.afterChange(e, old, true, src)
}

// afterChange runs the consequences of e changing from old (existed false:
// from nothing): suspicion, deadlines, EventDelegate actions and the nudge
// of a neighbour that anti-entropy says is suspect or dead.
func (m *Membership) afterChange(e *memberEntry, old memberEntry, existed bool, src mergeSource) {
	wasLive := existed && old.state.live()
	sameState := existed && old.state == e.state && old.inc == e.inc

	if e.state != memberStateSuspect {
		e.susp = nil
	} else if !sameState {
		m.startSuspicion(e, src.origin)
	}
	e.flags &^= entryHeard | entryAnnounce
	if src.announced() {
		e.flags |= entryHeard
	}
	if !wasLive && e.state.live() {
		m.markUnconfirmed(e, src) // membership_confirm.go
	}
	if !src.broadcast && src.peer == e.id.name && !wasLive && e.state.live() {
		// The peer's own record reached this node only by anti-entropy:
		// its announcement was lost or refused here (a name reserved for
		// a dead address until now), or is still on its way — the peer
		// announces a refutation in the same step in which it answers the
		// exchange that told it, so after a partition heals the records
		// usually arrive first. Announce it on the peer's behalf after
		// proxyAnnounceDelay unless the peer's own announcement was heard
		// meanwhile (announceDue).
		e.flags |= entryAnnounce
	}
	m.refreshDeadline(e)

	switch {
	case !wasLive && e.state.live():
		m.emit(MemberChanged{Event: NodeJoin, Member: m.member(e)})
	case wasLive && !e.state.live():
		m.countLoss(src)
		m.emit(MemberChanged{Event: NodeLeave, Member: m.member(e)})
	case wasLive && old.id != e.id && !old.id.matches(e.id.addr, e.id.meta):
		m.emit(MemberChanged{Event: NodeUpdate, Member: m.member(e)})
	}

	if !src.broadcast && (e.state == memberStateSuspect || e.state == memberStateDead) &&
		(!existed || old.state == memberStateAlive) {
		if p, ok := m.neighbor(e.id.name); ok {
			m.nudge(p)
		}
	}
}

// countLoss counts a live member lost by a record from src: an
// announcement, or (neither peer nor origin) a local decision, which its
// caller counts. An exchange cannot remove a live member
// (membership_exchange_dead.go, membership_sign.go).
func (m *Membership) countLoss(src mergeSource) {
	if src.broadcast && (src.peer != "" || src.origin != "") {
		m.stats.DeadFromAnnouncements++
	}
}

// proxyAnnounceDelay is how long a node waits before it announces a peer's
// record on the peer's behalf (entryAnnounce): long enough for the peer's own
// announcement to cross the broadcast tree and a graft (at 10^4 nodes the
// last delivery takes about 0.5 s, a graft GraftTimeout1 plus a round
// trip). Not from a paper. Without the wait every exchange that crossed a
// refutation re-broadcast it: after a 50/50 partition healed, each node's
// refutation went through the cluster 2–3 times.
const proxyAnnounceDelay = 2 * time.Second

// mergeSelf handles a record about the local node. The local record is
// authoritative (SWIM §4.2): any other record at an incarnation at least as
// high — suspect, dead, left, or alive with other metadata — is refuted
// by announcing alive at a higher incarnation. A live record at another
// address is not about this node but about another one claiming its name:
// it is reported as a conflict and not refuted (refuting would start a
// duel of incarnations between the two).
func (m *Membership) mergeSelf(r memberRecord) {
	me := m.local()
	if r.Incarnation < me.inc {
		return
	}
	if r.Addr != me.id.addr && r.State.live() {
		m.reportConflict(me, r)
		return
	}
	if r.Incarnation == me.inc && r.State == memberStateAlive && me.id.matchesRecord(r) {
		return
	}
	if r.Incarnation == math.MaxUint32 {
		return // cannot go higher; a wrapped counter would lose everywhere
	}
	m.table.set(me, me.id, r.Incarnation+1, me.state, m.clock)
	m.stats.Refutations++
	m.announce(announceRefute, me.record())
}

// nudge schedules an exchange with neighbour p at the end of the step, so
// that p learns at once what anti-entropy just said about it and refutes.
func (m *Membership) nudge(p Peer) {
	for _, q := range m.nudges {
		if q.Name == p.Name {
			return
		}
	}
	m.nudges = append(m.nudges, p)
}
