// Runtime: a checked broadcast whose origin's key is being checked (under
// mutual TLS, or without TLS for a live member's new key) is held until the
// check ends, then delivered or refused.

package hyparlist

// Under TLS a name is bound to a key only by a key check
// (runtime_sign_tls.go), so the first checked broadcast of each origin
// arrives before its key is known. Until session 10 it was refused and
// left to Plumtree's repair (GRAFT from another neighbour's IHAVE); where
// no other neighbour had it (a two-node cluster), an application
// broadcast with Config.VerifyUserBroadcasts was lost.
//
// Now a GOSSIP whose signature verifies but whose origin has no key bound
// (or another key) is held while a key check of that origin is running:
// the loop keeps it, Plumtree does not see it yet. When the check ends
// (cmdKeyChecked), each held GOSSIP of that origin is judged again: signed
// by the key now bound, it is handed to Plumtree as if it had just arrived
// from the peer that sent it (hyparlist.origin.held reason delivered);
// otherwise it is refused as before (hyparlist.msg.refused reason
// origin_unverified or origin_key, and hyparlist.origin.held reason
// refused). A copy of a held message signed by the same key is not held
// twice; copies under other keys are held beside it (a forger's copy that
// came first must not stand in for the genuine one). A held message that
// Plumtree got meanwhile by another way, and everything held when the
// node leaves, is dropped (hyparlist.origin.held reason dropped).
//
// Bounds: at most maxHeldBroadcasts messages and maxHeldBytes bytes of
// payload are held node-wide, only for origins whose check is running (at
// most maxKeyChecks, each ending within one dial: TCPTimeout). A GOSSIP
// that would exceed either bound takes the place of the newest held
// GOSSIP of a larger share (another name holding more, or within its own
// name another key holding more; runtime_sign_share.go, session 14), which
// is refused (hyparlist.origin.held reason evicted); with no larger share
// it is refused itself as before the hold (hyparlist.msg.refused reason
// origin_unverified or origin_key), and counted in hyparlist.origin.held
// reason full. A GOSSIP whose origin has
// no check running (one ran within keyCheckInterval, or maxKeyChecks are
// running) is refused at once, as before.
//
// Without TLS (session 13) a broadcast is held only when it is signed by
// another key than the one bound to a live member's name (origin_key),
// which starts a key check at the member's address: a member restarted
// with a new key. Until then it was refused, and the restarted node's
// first announcements were lost wherever no other neighbour could repair
// them. A node restarted at once (before its contact had declared it dead)
// sends two: its join announcement, and its refutation of the suspicion
// that the end of its previous run's links raised. When the refutation
// reached the contact before the check had bound the new key, the contact
// had nothing that could refute the suspicion until the next anti-entropy
// exchange, and with short suspicion timeouts (serf's tests: SuspicionMult
// 1, ProbeInterval 50 ms) reported the member left, then joined again
// (TestRuntimeRestartSameAddress, 19 failures in 100 runs with
// GOMAXPROCS=1; TestRuntimeNewKeyAnnouncementHeld shows the loss
// deterministically). Held, the announcements are merged once the check
// binds the key, within one dial. The same bounds apply, and what a hold
// delivers is only what the check would have let through afterwards: a
// forger's broadcast in a live member's name is refused when the check
// gives the member's own key, as before, only up to one dial later.

// Bounds of the held broadcasts.
const (
	// maxHeldBroadcasts bounds the GOSSIPs held while their origins' key
	// checks run.
	maxHeldBroadcasts = 256
	// maxHeldBytes bounds the payload bytes of the held GOSSIPs.
	maxHeldBytes = 4 << 20
)

// Outcomes counted in hyparlist.origin.held.
const (
	heldDelivered = "delivered"
	heldRefused   = "refused"
	heldFull      = "full"
	heldDropped   = "dropped"
	heldEvicted   = "evicted"
)

// keyOriginHeld counts held broadcasts by outcome (label reason).
var keyOriginHeld = []string{"hyparlist", "origin", "held"}

// countHeld counts one held broadcast's outcome.
func (l *runLoop) countHeld(outcome string) {
	l.m.metrics.sink.IncrCounterWithLabels(keyOriginHeld, 1, l.m.metrics.with("reason", outcome))
}

// heldGossip is a GOSSIP waiting for its origin's key check.
type heldGossip struct {
	from Peer
	g    gossipMsg
	key  originKey
}

// heldBroadcasts holds the GOSSIPs of origins whose key check is running.
// Owned by the loop.
type heldBroadcasts struct {
	byName map[string][]heldGossip
	count  int
	bytes  int
}

// hold keeps g, from peer and signed by k, until the key check of its
// origin ends, and reports whether it did: false when no check of the
// origin is running or no room can be made for it (makeRoom; counted),
// and the caller refuses g. A copy of a message already held under the
// same key is kept once.
func (l *runLoop) hold(peer Peer, g gossipMsg, k originKey) bool {
	name := g.ID.Origin
	if _, running := l.origins.inflight[name]; !running {
		return false
	}
	h := &l.origins.held
	for _, e := range h.byName[name] {
		if e.g.ID == g.ID && e.key == k {
			return true
		}
	}
	if !l.makeRoom(name, k, len(g.Payload)) {
		l.countHeld(heldFull)
		return false
	}
	if h.byName == nil {
		h.byName = make(map[string][]heldGossip)
	}
	h.byName[name] = append(h.byName[name], heldGossip{from: peer, g: g, key: k})
	h.count++
	h.bytes += len(g.Payload)
	return true
}

// releaseHeld judges again the GOSSIPs held for name, whose key check has
// ended: those signed by the key now bound go to Plumtree, the others are
// refused. One the core holds and still will at its next Step
// (Plumtree.knownAt, as the signature check asks) is dropped; one whose
// SeenTTL has passed is judged, not dropped for a copy the core is about
// to forget.
func (l *runLoop) releaseHeld(name string) {
	h := &l.origins.held
	list := h.byName[name]
	if list == nil {
		return
	}
	delete(h.byName, name)
	for _, e := range list {
		h.count--
		h.bytes -= len(e.g.Payload)
		if l.left || l.pt.knownAt(e.g.ID, l.now) {
			l.countHeld(heldDropped)
			continue
		}
		if held, ok := l.origins.keys[name]; !ok || held.key != e.key {
			l.refuseHeld(e, heldRefused)
			continue
		}
		l.countHeld(heldDelivered)
		l.feed(corePlumtree, Receive{From: e.from, Msg: e.g})
	}
}

// refuseHeld refuses a held GOSSIP that leaves the hold with outcome
// (heldRefused or heldEvicted): origin_key when its origin has a key
// bound, else origin_unverified.
func (l *runLoop) refuseHeld(e heldGossip, outcome string) {
	reason := refusedOriginUnverified
	if _, ok := l.origins.keys[e.g.ID.Origin]; ok {
		reason = refusedOriginKey
	}
	l.m.refuseBroadcast(reason, e.from, e.g, nil)
	l.countHeld(outcome)
}
