// Membership core: confirming new members learned second-hand, so that
// forged records of nodes that do not exist expire in seconds.

package hyparlist

import "time"

// This file owns the confirmation of new members (issue 14: without keys,
// anyone who completes a handshake can announce alive records of names
// that no node runs, "ghosts"; the liveness probes took minutes to clear
// them). A record that makes a name live (a new name, or one back from
// dead or left) is vouched for when it comes from the member itself: its
// own announcement (the broadcast's origin is the member), a message it
// sent to this node, a link with it (NeighborUp), or the node's own join
// exchange (the contact's table, which leaves out what is unconfirmed
// there; within joinExemptionTime). Any other such record (relayed in an
// announcement someone else originated, or brought by anti-entropy) is
// held unconfirmed, unless the member was vouched for before. If nothing
// from the member itself arrives within ConfirmTimeout, the node checks it
// directly, once: a ProbeMember with Confirm set (a suspicion does not
// postpone it). If the member cannot be reached (MemberUnreachable), the
// node marks it dead at once (unless the failure is weak and the node is
// behind: membership_confirm_retry.go), without announcing it: every node that holds
// the ghost checks it itself, so no node relies on another's word and
// nothing is broadcast per ghost; the tombstone then spreads by
// anti-entropy (dead overrides alive at one incarnation) and keeps a
// relayed copy from bringing the ghost back. A ghost brought back at a
// higher incarnation is checked again.
//
// A real member's join reaches every node in its own announcement, so in
// a healthy cluster only the few nodes that got its record by anti-entropy
// (an announcement they missed) or through a proxy announcement check it,
// and the check succeeds. A failed check of a member that is in fact alive
// (a transient failure between two nodes) makes a tombstone that
// anti-entropy spreads; the member hears of it as of any record about
// itself and refutes with a higher incarnation, as after a false
// suspicion.
//
// Not covered: a forger that sends each ghost's record in a broadcast
// whose origin it sets to the ghost's own name (the origin of a broadcast
// is not authenticated without keys) makes it look vouched for; such
// ghosts are left to the liveness probes (LivenessProbeInterval) and the
// suspicion timeout, as before. A check the driver drops (the runtime
// queues at most maxQueuedChecks, runtime_confirm.go) is not repeated.

// defaultConfirmTimeout is MembershipConfig.ConfirmTimeout's default. Not
// from a paper: a member's own announcement reaches 10^4 nodes in about
// 0.5–1 s (proxyAnnounceDelay), so 5 s leaves room for it and for a
// lazy-push graft before any check is made.
const defaultConfirmTimeout = 5 * time.Second

// MemberUnreachable is the event "the member of a ProbeMember with
// Confirm set could not be reached". The driver feeds it only for such
// probes.
type MemberUnreachable struct {
	Peer Peer
	// Refused is set when the failure is strong evidence that the member
	// is not there: the address refused the connection (nothing listens
	// there), another node answered, that node refused the handshake, or
	// the driver's own policy forbids contacting it. Any other failure (a
	// timeout, a reset) is weak evidence: while the node is behind
	// (LocalHealth above 1) it does not mark the member dead
	// (membership_confirm_retry.go).
	Refused bool
	// Local is set when the check could not be made: the dial failed for
	// want of the local node's own resources (file descriptors, or a
	// socket's buffers) before it reached the member. The check is put off as if
	// the node were behind (membership_confirm_retry.go), whatever its
	// health.
	Local bool
}

func (MemberUnreachable) isEvent() {}

// vouched reports whether a record about r.Name from src comes from the
// member itself, or from the node's own join exchange while its
// exemption lasts (joinRecord).
func (m *Membership) vouched(r memberRecord, src mergeSource) bool {
	return m.vouchedBy(r.Name, src)
}

// vouchedBy is vouched for a record about name.
func (m *Membership) vouchedBy(name string, src mergeSource) bool {
	return src.peer == name || (src.broadcast && src.origin == name) || m.joinRecord(src)
}

// markUnconfirmed runs when e became live (a new name, or back from dead
// or left) by a record from src: it notes that e was vouched for, or
// flags it unconfirmed when src does not vouch for it and it never was
// (a forged member brought back at a higher incarnation is checked
// again; a real member that was heard from once is not).
func (m *Membership) markUnconfirmed(e *memberEntry, src mergeSource) {
	switch {
	case m.vouchedBy(e.id.name, src):
		e.flags |= entryVouched
		e.flags &^= entryUnconfirmed | entryChecking
	case m.cfg.ConfirmTimeout > 0 && src.peer != "" && e.flags&entryVouched == 0:
		e.flags |= entryUnconfirmed
		e.retries, e.wait = 0, 0
	}
}

// confirm notes that the member called name was heard from itself: it is
// vouched for, and no longer unconfirmed or being checked.
func (m *Membership) confirm(name string) {
	e := m.table.get(name)
	if e == nil || e == m.local() || e.flags&entryVouched != 0 && e.flags&(entryUnconfirmed|entryChecking) == 0 {
		return
	}
	e.flags |= entryVouched
	if e.flags&(entryUnconfirmed|entryChecking) == 0 {
		return
	}
	e.flags &^= entryUnconfirmed | entryChecking
	m.refreshDeadline(e)
}

// checkUnconfirmed handles an unconfirmed member whose ConfirmTimeout
// passed with no word from it: the node asks its driver to contact it.
func (m *Membership) checkUnconfirmed(e *memberEntry) {
	e.flags &^= entryUnconfirmed
	e.flags |= entryChecking
	m.refreshDeadline(e)
	m.emit(ProbeMember{Peer: e.peer(), Confirm: true})
}

// onMemberUnreachable marks a member dead whose check failed, if it is
// still live (alive or suspect) and not heard from, without announcing
// it; a weak failure while the node is behind puts the check off instead
// (retryCheck).
func (m *Membership) onMemberUnreachable(ev MemberUnreachable) {
	p := ev.Peer
	e := m.table.get(p.Name)
	if e == nil || e == m.local() || e.flags&entryChecking == 0 || !e.state.live() || e.id.addr != p.Addr {
		return
	}
	e.flags &^= entryChecking
	if ev.Local && !ev.Refused && m.putOffLocal(e) {
		return
	}
	if !ev.Refused && m.retryCheck(e) {
		return
	}
	m.stats.UnconfirmedRemoved++
	m.applyChange(e, e.id, e.inc, memberStateDead, mergeSource{broadcast: true})
}

// confirmDeadline is when an unconfirmed live member is checked: its
// ConfirmTimeout after it was listed (applyRecord keeps that time while
// it stays live and unconfirmed, so that relayed records cannot postpone
// the check), put off by wait more ConfirmTimeouts after inconclusive
// checks (retryCheck), or its suspicion's expiry if earlier.
func (m *Membership) confirmDeadline(e *memberEntry) int64 {
	at := e.changed + int64(m.cfg.ConfirmTimeout)*(1+int64(e.wait))
	if e.state == memberStateSuspect && e.susp != nil {
		at = min(at, e.susp.deadline)
	}
	return at
}

// onConfirmDeadline handles the deadline of an unconfirmed live member:
// its suspicion expired, or its check is due (and put off while the node
// is behind).
func (m *Membership) onConfirmDeadline(e *memberEntry) {
	if e.state == memberStateSuspect && e.susp != nil && e.susp.deadline <= m.clock {
		m.expireSuspicion(e)
		return
	}
	if m.putOffCheck(e) { // membership_confirm_retry.go
		return
	}
	m.checkUnconfirmed(e)
}
