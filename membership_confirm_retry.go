// Membership core: a confirmation check that fails while the node is
// itself behind is put off, not counted as a death.

package hyparlist

// This file owns the retries of confirmation checks (issue 14's checks,
// membership_confirm.go). A check is a dial with a timeout; when the
// checking node is itself behind (its loop late, LocalHealth above 1: a
// CPU-starved process, a long pause, a host where every process is
// overloaded), a dial that times out or breaks says more about this node
// than about the member: with 1,000 nodes in one process on 2 cores, such
// checks marked live members dead by the million (BENCHMARKS.md, N =
// 1,000). So, while the node is behind, a check that failed without
// strong evidence (MemberUnreachable.Refused unset: a timeout, a reset, a
// stream closed unanswered) does not mark the member dead: the member is
// unconfirmed again, and checked once more ConfirmTimeout × the health
// multiplier later, at most maxConfirmRetries times. A refusal (nothing
// listens at the address, another node answers there, the node's own
// policy forbids the contact) is strong evidence and marks the member dead
// at once, as before; so does any failure while the node is healthy, and
// the failure after the last retry.
//
// A forged member therefore outlives a check failure by at most
// maxConfirmRetries × ConfirmTimeout × the multiplier (in the LAN profile
// 3 × 5 s × 8 = 2 min at the highest multiplier) beyond its first check,
// when its address does not refuse and the node stays behind; a healthy
// node removes it as before.

// maxConfirmRetries bounds the checks put off for one member while the
// node is behind. Not from a paper: the health score recovers one step
// per keepalive interval, so three waits of at least two ConfirmTimeouts
// cover a stall of half a minute or more, and a forged member still goes
// within minutes on a node that never recovers.
const maxConfirmRetries = 3

// maxConfirmWait bounds entry.wait, in ConfirmTimeouts (a uint8).
const maxConfirmWait = 255

// retryCheck puts off e's check after a weak failure, when the node is
// behind and e has retries left, and reports whether it did: e is
// unconfirmed again, with a deadline at least ConfirmTimeout × the health
// multiplier from now.
func (m *Membership) retryCheck(e *memberEntry) bool {
	ct := int64(m.cfg.ConfirmTimeout)
	if m.healthMult <= 1 || e.retries >= maxConfirmRetries || ct <= 0 {
		return false
	}
	e.retries++
	// The first whole number of ConfirmTimeouts since e was listed that
	// reaches now, then the multiplier more.
	elapsed := max(0, (m.clock-e.changed+ct-1)/ct)
	e.wait = uint8(min(maxConfirmWait, max(0, elapsed-1)+int64(m.healthMult)))
	e.flags |= entryUnconfirmed
	m.stats.ChecksRetried++
	m.refreshDeadline(e)
	return true
}
