// Runtime: where a received broadcast's signature is checked — in the
// loop, after Plumtree's news check and the replay window's — and the
// counts of checks made and saved.

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
// already holds, and still will when it steps (Plumtree.knownAt: until
// session 16 Plumtree.known, which on an idle node, its clock behind, let
// a copy that came after SeenTTL through unverified, then taken as new,
// TestRuntimeForgedCopyAfterSeenTTL), goes to Plumtree unverified, because
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
//
// Session 15 (issue 10): after a 1,000-node join storm a node still
// verified 42,000 signatures a second in an idle window, 36-52 % of the
// process's CPU, while 26 broadcasts a second were made; 23,664 GOSSIPs in
// 10 s were verified and then refused as replays (BENCHMARKS.md, "Session
// 15: what fails"): copies of messages the node took and Plumtree has
// forgotten since (SeenTTL), grafted again after an IHAVE. Two changes:
//
//   - Before the check the loop asks the replay window and floor of the
//     GOSSIP's origin (runtime_sign_replay.go), changing nothing: when the
//     GOSSIP is signed by the key bound to its origin and its number was
//     admitted under it (or is too old), it is refused as the admitter
//     would refuse it after the check, unverified, and Plumtree drops it
//     from its missing table as it does for the admitter's refusals. With
//     a bad signature it was refused too (reason signature, now replay or
//     seq_too_old): a forger gains nothing, since a refusal changes no
//     state.
//   - Not built (tried in session 15, branch check15, 0eaf6ae): Plumtree
//     ignoring the IHAVE entries of messages the window holds as admitted
//     (a core hook asked in receiveIHave, window bits only). With it on,
//     TestRuntimeBurstFloor lost broadcasts as seq_too_old in 2 of 3 runs
//     (0 of 4 without it); not explained, so the hook was taken out.
//     BENCHMARKS.md's check15 figures were measured with it on.

var (
	keySigChecked = []string{"hyparlist", "sig", "checked"}
	keySigSkipped = []string{"hyparlist", "sig", "duplicates_unchecked"}
	keySigReplays = []string{"hyparlist", "sig", "replays_unchecked"}
	keySigGrafted = []string{"hyparlist", "sig", "checked_grafted"}
)

// sigCounts counts the loop's signature decisions.
type sigCounts struct {
	// checked is the GOSSIPs whose signature the loop verified.
	checked uint64
	// skipped is the GOSSIPs passed to Plumtree unverified because it
	// already held their ID.
	skipped uint64
	// replays is the GOSSIPs refused by the replay window unverified.
	replays uint64
	// grafted is the checked GOSSIPs whose ID Plumtree had grafted (most
	// are GRAFT answers).
	grafted uint64
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
	if l.pt.knownAt(g.ID, l.now) {
		l.sigs.skipped++
		return sigUnchecked
	}
	if l.refuseReplay(g) {
		l.sigs.replays++
		l.pt.refused(g.ID)
		return sigRefused
	}
	if l.pt.grafted(g.ID) {
		l.sigs.grafted++
	}
	l.sigs.checked++
	if _, err := verifyBroadcast(g); err != nil {
		l.m.refuseBroadcast(refusedSignature, peer, g, err)
		return sigRefused
	}
	return sigVerified
}

// refuseReplay refuses g, a GOSSIP of a checked class that Plumtree does
// not remember, when it is signed by the key bound to its origin and the
// window of that key would refuse it after the check (judgeBroadcast), and
// reports whether it did.
func (l *runLoop) refuseReplay(g gossipMsg) bool {
	if len(g.Sig) < len(originKey{}) {
		return false
	}
	if b, ok := l.origins.keys[g.ID.Origin]; !ok || originKey(g.Sig[:len(originKey{})]) != b.key {
		return false // not the bound key: acceptOrigin decides
	}
	r, _, _ := l.judgeBroadcast(g.ID, g.Sig)
	return l.refuseJudged(g.ID, r)
}

// sigStats emits the growth of the loop's signature counts from prev to
// cur and returns cur, the next call's prev.
func (r *runtimeMetrics) sigStats(prev, cur sigCounts) sigCounts {
	r.growth(keySigChecked, r.labels, prev.checked, cur.checked)
	r.growth(keySigSkipped, r.labels, prev.skipped, cur.skipped)
	r.growth(keySigReplays, r.labels, prev.replays, cur.replays)
	r.growth(keySigGrafted, r.labels, prev.grafted, cur.grafted)
	return cur
}
