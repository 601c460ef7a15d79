// Membership core: the questions it asks its driver before accepting records,
// and the name conflicts it reports.

package hyparlist

import "time"

// This file owns the questions the core asks its driver before it accepts
// records, and the name conflicts it reports:
//
//   - aliveCheck (MembershipConfig.checkAlive): may this record make a
//     member live, change a live member's address or metadata, or (an
//     alive record) its incarnation? The runtime asks
//     AliveDelegate.NotifyAlive.
//   - mergeCheck (MembershipConfig.checkMerge): may the records of this
//     join exchange be merged? The runtime asks MergeDelegate.NotifyMerge.
//   - memberConflict: a record claims a member's name at another address
//     while the member is live, or dead for less than NameReclaimTime. The
//     runtime tells ConflictDelegate.NotifyConflict.
//
// The core stays pure: a question is an action, its answer an event
// (aliveVerdict, mergeVerdict) carrying the question back, so the core
// keeps no state while the driver decides. An answer is applied as if the
// record had just arrived: precedence is checked again, and a record
// overtaken meanwhile by a newer one changes nothing. A question whose
// answer never comes (a driver that drops it) loses its records, which
// anti-entropy brings back later.

// aliveCheck asks the driver whether Record may be applied: it would make
// Record.Name a live member (from unknown, dead or left), change a live
// member's address or metadata, or, being an alive record, its incarnation
// or state (a refutation of a suspicion, a re-announcement). Records that
// change nothing are not asked about. Answer with aliveVerdict{Check: the
// aliveCheck}.
type aliveCheck struct {
	Record memberRecord
	src    mergeSource
}

// aliveVerdict answers an aliveCheck: with Accept the record is merged,
// otherwise it is ignored.
type aliveVerdict struct {
	Check  aliveCheck
	Accept bool
}

// mergeCheck asks the driver whether the records From sent in a join
// exchange may be merged. Answer with mergeVerdict{Check: the mergeCheck}.
// A join exchange of many records asks once per memberRecordsMsg message
// (at most 256 records).
type mergeCheck struct {
	From    Peer
	Records []memberRecord
}

// mergeVerdict answers a mergeCheck: with Accept the records are merged
// (each may still need an aliveCheck), otherwise none is.
type mergeVerdict struct {
	Check  mergeCheck
	Accept bool
}

// memberConflict reports that a record claimed the name of Existing (the
// local node, or a member the table holds) at another address, and was
// ignored. Other is the claim.
type memberConflict struct {
	Existing Member
	Other    Member
}

func (aliveVerdict) isEvent() {}
func (mergeVerdict) isEvent() {}

func (aliveCheck) isAction()     {}
func (mergeCheck) isAction()     {}
func (memberConflict) isAction() {}

// needsAliveCheck reports whether applying r over e (nil: unknown name)
// must wait for an aliveVerdict. The caller applies r only when it wins
// over e, so r changes something. memberlist consults its AliveDelegate on
// every alive message it would apply, whatever it changes, and not on
// suspect ones; a suspect record is asked about only when it would make
// the member live or change its address or metadata.
func (m *Membership) needsAliveCheck(e *memberEntry, r memberRecord, src mergeSource) bool {
	if !m.cfg.checkAlive || src.approved || !r.State.live() {
		return false
	}
	return r.State == memberStateAlive || e == nil || !e.state.live() || !e.id.matches(r.Addr, r.Meta)
}

// askAlive emits the aliveCheck for r.
func (m *Membership) askAlive(r memberRecord, src mergeSource) {
	r.Meta = cloneBytes(r.Meta)
	m.emit(aliveCheck{Record: r, src: src})
}

// onAliveVerdict merges an accepted record.
func (m *Membership) onAliveVerdict(v aliveVerdict) {
	if !v.Accept || v.Check.Record.validate() != nil {
		return
	}
	src := v.Check.src
	src.approved = true
	m.merge(v.Check.Record, src)
}

// joinCheckWait bounds how long broadcast records wait for the verdict
// of a join exchange's mergeCheck (onDeliver): a driver that never
// answers must not stop the member list for good.
const joinCheckWait = 30 * time.Second

// onMergeVerdict merges the records of an accepted join exchange.
func (m *Membership) onMergeVerdict(v mergeVerdict) {
	if m.joinChecks > 0 {
		m.joinChecks--
	}
	if !v.Accept || len(v.Check.Records) > maxMemberRecordsPerMessage {
		return
	}
	for _, r := range v.Check.Records {
		if r.validate() == nil {
			m.merge(r, mergeSource{peer: v.Check.From.Name, join: true})
		}
	}
}

// addressConflict reports whether r, which differs in address from e,
// must be refused because e's name is not free for another address: e is
// live, or dead for less than NameReclaimTime. A left member's name is
// free.
func (m *Membership) addressConflict(e *memberEntry, r memberRecord) bool {
	if !r.State.live() || r.Addr == e.id.addr {
		return false
	}
	switch e.state {
	case memberStateAlive, memberStateSuspect:
		return true
	case memberStateDead:
		return time.Duration(m.clock-e.changed) < m.cfg.NameReclaimTime
	}
	return false
}

// reportConflict emits the memberConflict of r against existing.
func (m *Membership) reportConflict(existing *memberEntry, r memberRecord) {
	m.emit(memberConflict{
		Existing: m.member(existing),
		Other:    Member{Name: r.Name, Addr: r.Addr, Meta: cloneBytes(r.Meta), Incarnation: r.Incarnation, State: r.State},
	})
}
