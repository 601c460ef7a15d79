package hyparlist

import (
	"bytes"
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
	// approved is set for a record an AliveVerdict accepted.
	approved bool
	// peer is the neighbour an anti-entropy record came from.
	peer string
}

// merge applies a valid record about any member.
func (m *Membership) merge(r MemberRecord, src mergeSource) {
	if r.Name == m.self.Name {
		m.mergeSelf(r)
		return
	}
	e := m.table.get(r.Name)
	if e == nil {
		m.mergeNew(r, src)
		return
	}
	if r.Incarnation >= e.m.Incarnation && m.addressConflict(e, r) {
		// Checked before precedence, so that a claim is reported whether
		// or not it would win; a stale claim is ignored silently.
		m.reportConflict(e.m, r)
		return
	}
	if r.Incarnation == e.m.Incarnation && r.State == e.m.State {
		if r.State == MemberStateSuspect {
			m.confirmSuspicion(e, src.origin)
		}
		if !contentWins(r, e.m) {
			return
		}
	} else if !supersedes(r.Incarnation, r.State, e.m.Incarnation, e.m.State) {
		return
	}
	if m.needsAliveCheck(e, r, src) {
		m.askAlive(r, src)
		return
	}
	nm := Member{Name: r.Name, Addr: r.Addr, Meta: cloneBytes(r.Meta), Incarnation: r.Incarnation, State: r.State,
		StateChange: e.m.StateChange}
	if r.State != e.m.State {
		nm.StateChange = m.stateChangeOf(r)
	}
	m.applyChange(e, nm, src)
}

// mergeNew applies a record about a name the table does not hold.
func (m *Membership) mergeNew(r MemberRecord, src mergeSource) {
	if !r.State.live() && time.Duration(r.AgeSeconds)*time.Second >= m.cfg.ReclaimTime {
		return // a tombstone every node is about to forget
	}
	if m.needsAliveCheck(nil, r, src) {
		m.askAlive(r, src)
		return
	}
	if m.table.len() >= m.cfg.MaxMembers {
		old := m.table.oldestGone()
		if !r.State.live() || old == nil || old == m.local {
			return
		}
		m.table.remove(old)
	}
	e := m.table.insert(Member{Name: r.Name, Addr: r.Addr, Meta: cloneBytes(r.Meta), Incarnation: r.Incarnation,
		State: r.State, StateChange: m.stateChangeOf(r)})
	m.afterChange(e, Member{}, false, src)
}

// stateChangeOf is when the state of r began: now, back-dated by the age a
// tombstone travelled with.
func (m *Membership) stateChangeOf(r MemberRecord) time.Time {
	if r.State.live() {
		return m.now
	}
	return m.now.Add(-time.Duration(r.AgeSeconds) * time.Second)
}

// applyChange replaces e's record by nm and does what the change implies.
func (m *Membership) applyChange(e *memberEntry, nm Member, src mergeSource) {
	old := e.m
	m.table.update(e, nm)
	m.afterChange(e, old, true, src)
}

// afterChange runs the consequences of e changing from old (existed false:
// from nothing): suspicion timers, tombstone reclaim, EventDelegate actions
// and the nudge of a neighbour that anti-entropy says is suspect or dead.
func (m *Membership) afterChange(e *memberEntry, old Member, existed bool, src mergeSource) {
	cur := e.m
	wasLive := existed && old.State.live()
	sameState := existed && old.State == cur.State && old.Incarnation == cur.Incarnation

	if cur.State != MemberStateSuspect {
		e.susp = nil
	} else if !sameState {
		m.startSuspicion(e, src.origin)
	}
	if !cur.State.live() && !sameState {
		m.armReclaim(e)
	}

	switch {
	case !wasLive && cur.State.live():
		m.emit(MemberJoined{Member: cur.clone()})
	case wasLive && !cur.State.live():
		m.emit(MemberLeft{Member: cur.clone()})
	case wasLive && (old.Addr != cur.Addr || !bytes.Equal(old.Meta, cur.Meta)):
		m.emit(MemberUpdated{Member: cur.clone()})
	}

	if !src.broadcast && src.peer == cur.Name && !wasLive && cur.State.live() {
		// The peer's own record reached this node only by anti-entropy:
		// its announcement was lost or refused here (a name reserved for
		// a dead address until now). Announce it on the peer's behalf, so
		// that the others need not wait for their own exchanges. At most
		// one announcement per exchange.
		m.announce(cur.record())
	}
	if !src.broadcast && (cur.State == MemberStateSuspect || cur.State == MemberStateDead) &&
		(!existed || old.State == MemberStateAlive) {
		if p, ok := m.neighbor(cur.Name); ok {
			m.nudge(p)
		}
	}
}

// mergeSelf handles a record about the local node. The local record is
// authoritative (SWIM §4.2): any other record at an incarnation at least as
// high — suspect, dead, left, or alive with other metadata — is refuted
// by announcing alive at a higher incarnation. A live record at another
// address is not about this node but about another one claiming its name:
// it is reported as a conflict and not refuted (refuting would start a
// duel of incarnations between the two).
func (m *Membership) mergeSelf(r MemberRecord) {
	me := m.local.m
	if r.Incarnation < me.Incarnation {
		return
	}
	if r.Addr != me.Addr && r.State.live() {
		m.reportConflict(me, r)
		return
	}
	if r.Incarnation == me.Incarnation && r.State == MemberStateAlive &&
		r.Addr == me.Addr && bytes.Equal(r.Meta, me.Meta) {
		return
	}
	if r.Incarnation == math.MaxUint32 {
		return // cannot go higher; a wrapped counter would lose everywhere
	}
	me.Incarnation = r.Incarnation + 1
	m.table.update(m.local, me)
	m.stats.Refutations++
	m.announce(me.record())
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
