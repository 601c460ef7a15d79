// Membership core: a tombstone that anti-entropy brings of a member held
// live is a suspicion, not a death.

package hyparlist

// This file owns the rule that an anti-entropy record saying that a live
// member is dead makes it suspect here, at the record's incarnation,
// instead of dead, as memberlist's mergeState does ("if the remote node
// believes a node is dead, we prefer to suspect that node instead of
// declaring it dead instantly"). The member is listed until its suspicion
// expires here (the longest timeout, since no accuser is named: nobody
// announced this suspicion), which leaves it the time to hear of the
// tombstone and refute it; a dead announcement (a first accuser's, after
// its own suspicion expired) still marks it dead at once, and so does the
// expiry of the local suspicion, after which the tombstone spreads on.
//
// Why: a tombstone of a live member is one node's mistake (a suspicion
// that expired before its refutation arrived, a confirmation check that
// failed), and with dead winning over alive at one incarnation every
// exchange copied it on at once, each copy a NotifyLeave of a live member.
// In the bench's join storm of 1,000 nodes on two cores (BENCHMARKS.md,
// session 8) such copies were the largest cause of the false deaths:
// 336,114 and 788,254 in two runs (counted then as
// hyparlist.member.dead_from_exchanges, which is always 0 since),
// against 353,174 and 288,967 suspicions that expired.
//
// A left record (a graceful leave) is applied as it comes: the member
// said so itself. A ghost (membership_confirm.go) that a node held alive
// and unconfirmed is now suspect there and goes at its own check or at the
// suspicion's expiry, whichever comes first; the suspect record at that
// incarnation still keeps a relayed alive copy of the ghost from bringing
// it back.

// suspectInstead returns r, a dead record from an exchange about a member
// held live, as the suspect record at the same incarnation, and counts
// it.
func (m *Membership) suspectInstead(r memberRecord) memberRecord {
	m.stats.ExchangedDeathsSuspected++
	r.State = memberStateSuspect
	r.AgeSeconds = 0
	return r
}
