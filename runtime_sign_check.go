// Runtime: where a received broadcast's signature is checked — in the
// loop, after Plumtree's news check — and the counts of checks made and
// saved.

package hyparlist

// This file decides when a received GOSSIP's Ed25519 signature is
// verified (issue 10). Until session 9 every stream reader verified every
// GOSSIP it read, before the loop saw it: every copy of a message, the
// duplicates Plumtree drops as known included. In a join storm of 1,000
// nodes in one process that was 1.06 million verifications in 96 s, 44 %
// of them of messages the node had already verified, and the verification
// took 63 % of the process's CPU (BENCHMARKS.md, "Session 9: N = 1,000").
//
// Now the loop verifies, after the news check: a GOSSIP whose ID Plumtree
// already holds (Plumtree.known) goes to Plumtree unverified, because
// Plumtree takes only its ID (it prunes the sender and drops the copy: no
// delivery, no relay, no cache). Every other GOSSIP of a checked class is
// verified before Plumtree sees it, as before, so a message that is
// delivered, relayed or marked seen has a valid signature of its origin.
// The loop handles frames one at a time, so a copy that arrives while the
// first is still waiting in the inbox is skipped too, which no cache on
// the readers could do.
//
// The cost: the checks no longer run on the readers in parallel, they take
// the loop's time (about 50 µs each), and a peer that sends GOSSIPs with
// bad signatures takes that time from the loop rather than from its own
// reader. The loop already spends that much or more on other frames a
// peer can send (a MEMBER_RECORDS frame of many records), and only
// messages not yet seen are checked.

var (
	keySigChecked = []string{"hyparlist", "sig", "checked"}
	keySigSkipped = []string{"hyparlist", "sig", "duplicates_unchecked"}
)

// sigCounts counts the loop's signature decisions.
type sigCounts struct {
	// checked is the GOSSIPs whose signature the loop verified.
	checked uint64
	// skipped is the GOSSIPs passed to Plumtree unverified because it
	// already held their ID.
	skipped uint64
}

// sigVerdict is the outcome of checkSignature.
type sigVerdict uint8

const (
	// sigRefused: drop the message (counted and logged).
	sigRefused sigVerdict = iota
	// sigUnchecked: give it to Plumtree; its key proves nothing and
	// binds nothing (a class the node does not check, an unsigned
	// message allowed by AcceptUnsignedBroadcasts, or a copy of a
	// message Plumtree already holds).
	sigUnchecked
	// sigVerified: the signature verifies with the key g carries.
	sigVerified
)

// checkSignature decides what the loop does with g, from peer, as far as
// its signature goes (sigVerdict). It counts and logs a refusal.
func (l *runLoop) checkSignature(peer Peer, g gossipMsg) sigVerdict {
	if !l.m.checksClass(g.Class) {
		return sigUnchecked
	}
	if g.Sig == nil {
		if l.m.config.AcceptUnsignedBroadcasts {
			return sigUnchecked
		}
		l.m.refuseBroadcast(refusedUnsigned, peer, g, nil)
		return sigRefused
	}
	if l.pt.known(g.ID) {
		l.sigs.skipped++
		return sigUnchecked
	}
	l.sigs.checked++
	if _, err := verifyBroadcast(g); err != nil {
		l.m.refuseBroadcast(refusedSignature, peer, g, err)
		return sigRefused
	}
	return sigVerified
}

// sigStats emits the growth of the loop's signature counts from prev to
// cur and returns cur, the next call's prev.
func (r *runtimeMetrics) sigStats(prev, cur sigCounts) sigCounts {
	r.growth(keySigChecked, r.labels, prev.checked, cur.checked)
	r.growth(keySigSkipped, r.labels, prev.skipped, cur.skipped)
	return cur
}
