// Membership core: a confirmation check that falls due or fails while the
// node is itself behind is put off, not made or counted as a death.

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
// A check that falls due while the node is behind is not made at all: it
// is put off the same way, at most maxConfirmRetries times
// (putOffCheck), since the dial itself is what a node behind can least
// afford, and its target is likely as far behind (all nodes of one
// overloaded host). The retries after a failed dial then follow as
// before.
//
// A forged member therefore outlives its check's due time by at most
// 2 × maxConfirmRetries × ConfirmTimeout × the multiplier (rounded up to
// whole ConfirmTimeouts; in the LAN profile about 6 × 5 s × 8 = 4 min at
// the highest multiplier) plus the dials, when its address does not
// refuse and the node stays behind; a healthy node removes it as before.

// maxConfirmRetries bounds the checks put off for one member while the
// node is behind. Not from a paper: the health score recovers one step
// per keepalive interval, so three waits of at least two ConfirmTimeouts
// cover a stall of half a minute or more, and a forged member still goes
// within minutes on a node that never recovers.
const maxConfirmRetries = 3

// maxConfirmWait bounds entry.wait, in ConfirmTimeouts (a uint8).
const maxConfirmWait = 255

// retryCheck puts off e's check after a weak failure, when the node is
// behind and e has retries left, and reports whether it did (deferCheck).
func (m *Membership) retryCheck(e *memberEntry) bool {
	if e.retries&0x0f >= maxConfirmRetries || !m.deferCheck(e) {
		return false
	}
	e.retries++
	m.stats.ChecksRetried++
	return true
}

// putOffCheck puts off e's check that just fell due, without dialling,
// when the node is behind and e has put-offs left (maxConfirmRetries, a
// budget of their own), and reports whether it did (deferCheck). A node
// behind is the one place where a check costs most and says least: in
// the bench's join storm of 1,000 nodes on two cores (BENCHMARKS.md,
// session 8) the checks made most of the 391,628 failed dials (247,968
// of them timed out and were retried), and their dials fell on nodes as
// far behind, whose handshakes then timed out for links as well. The
// put-offs first shared the retries' budget, so that the one check made
// after them marked the member dead if it timed out: that removed more
// live members than the retries had (55,229 and 116,172 in two runs,
// against 16,881), so each now has its own.
func (m *Membership) putOffCheck(e *memberEntry) bool {
	if e.retries>>4 >= maxConfirmRetries || !m.deferCheck(e) {
		return false
	}
	e.retries += 1 << 4
	m.stats.ChecksPutOff++
	return true
}

// putOffLocal puts off e's check whose dial failed for want of the
// node's own resources (MemberUnreachable.Local), with the put-offs'
// budget, healthy or not, and reports whether it did. Such a check was
// never made: in the bench's join storm of 1,000 nodes in one process
// the checks' own dials ran the process out of file descriptors (its
// limit 20,000; 83,268 checks failed with EMFILE after the join in one
// traced run), and a failed check on a node that kept up marked a live
// member dead (BENCHMARKS.md, session 11). Once the put-offs are spent
// the failure counts as a weak one.
func (m *Membership) putOffLocal(e *memberEntry) bool {
	if e.retries>>4 >= maxConfirmRetries || !m.deferCheckBy(e, max(m.healthMult, 1)) {
		return false
	}
	e.retries += 1 << 4
	m.stats.ChecksPutOff++
	return true
}

// deferCheck makes e unconfirmed again, with a deadline at least
// ConfirmTimeout × the health multiplier from now, when the node is
// behind, and reports whether it did.
func (m *Membership) deferCheck(e *memberEntry) bool {
	return m.healthMult > 1 && m.deferCheckBy(e, m.healthMult)
}

// deferCheckBy makes e unconfirmed again, with a deadline at least
// ConfirmTimeout × mult from now, and reports whether it did (not when
// ConfirmTimeout is off).
func (m *Membership) deferCheckBy(e *memberEntry, mult int) bool {
	ct := int64(m.cfg.ConfirmTimeout)
	if ct <= 0 {
		return false
	}
	// The first whole number of ConfirmTimeouts since e was listed that
	// reaches now, then the multiplier more.
	elapsed := max(0, (m.clock-e.changed+ct-1)/ct)
	e.wait = uint8(min(maxConfirmWait, max(0, elapsed-1)+int64(mult)))
	e.flags |= entryUnconfirmed
	m.refreshDeadline(e)
	return true
}
