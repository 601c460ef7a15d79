// Runtime: signed broadcasts — the node's signing key, the check of every
// received broadcast's signature, and the binding of each origin name to
// the first key seen signing for it.

package hyparlist

import (
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"time"
)

// This file makes a broadcast's origin the origin's own word (issue 14:
// a node with a link could send a broadcast in another node's name and
// have it delivered everywhere, or announce "left" for another node).
//
//   - The node signs each of its broadcasts with its Ed25519 key
//     (Config.SigningKey, or one drawn at Create): Plumtree calls the
//     signer when it assigns the message's ID (plumtree_sign.go) and
//     carries the signature, with the public key, to every node
//     (wire_sign.go).
//   - The loop checks the signature of every GOSSIP before Plumtree gets
//     it, except a copy of a message Plumtree already holds, which
//     Plumtree only drops (runtime_sign_check.go; about 50 µs per
//     check, BENCHMARKS.md). A signature that does not verify is refused
//     (hyparlist.msg.refused reason signature); so is an unsigned GOSSIP
//     unless Config.AcceptUnsignedBroadcasts (reason unsigned).
//   - The loop binds each origin name to the first key seen signing for
//     it, trust on first use (originKeys): a broadcast signed by another
//     key is refused while the member is alive or suspect in the member
//     table (reason origin_key), so nobody can speak in a known node's
//     name. When the member is dead, has left or is not listed, the new
//     key replaces the old one.
//   - A refusal for another key starts a key check (at most one per name
//     per keyCheckInterval, maxKeyChecks at once): the node dials the
//     member's listed address and reads the key the node there gives in
//     its HelloAccept (wire version 6) under the member's name; that key
//     becomes the bound one. This is how a node restarted with a new key
//     (Config.SigningKey unset) is heard again: its broadcasts that arrive
//     while the check runs are held, and delivered once the check binds
//     the key (runtime_sign_hold.go); those refused (the hold full, or no
//     check running) are not marked seen, and Plumtree's IHAVE and GRAFT
//     recover them where another neighbour has them.
//     A forger elsewhere cannot answer at the member's address; under
//     TLS the answer also comes with the member's certificate.
//
// A refused GOSSIP is dropped before Plumtree sees it: it is neither
// delivered nor relayed, nor marked as seen (a real copy can still come).
// The membership core then holds a "left" record as the member's own word
// only in the member's own announcement (membership_sign.go).
//
// Trust on first use cannot tell a new node from a made-up name, nor the
// real holder of a name from a forger who got its broadcast to a node
// first; SECURITY.md says what remains.

// Reasons of hyparlist.msg.refused for broadcasts.
const (
	refusedSignature  = "signature"
	refusedUnsigned   = "unsigned"
	refusedOriginKey  = "origin_key"
	refusedOriginFull = "origin_keys_full"
	// refusedForeignLeft counts member records, not messages: a "left"
	// record about a live member outside its own announcement.
	refusedForeignLeft = "foreign_left"
	// refusedIncarnation counts member records too: one above the
	// incarnation ceiling outside its member's own announcement
	// (membership_incarnation.go).
	refusedIncarnation = "incarnation_ceiling"
)

// originEvictPause is how long the loop refuses new origin names without
// looking for bindings to evict, after a look found none: while the member
// table is full of live members, a flood of new names costs one scan per
// pause, not one per message.
const originEvictPause = time.Second

// Bounds of the key checks.
const (
	// keyCheckInterval is how long after a key check of a name the node
	// starts no other for it: a forger's stream of broadcasts costs one
	// dial per name per interval.
	keyCheckInterval = 10 * time.Second
	// maxKeyChecks bounds the key checks dialling at once.
	maxKeyChecks = 16
	// maxKeyCheckNames bounds the names whose last key check is
	// remembered; when full, a new name's check waits until an older
	// entry is keyCheckInterval old.
	maxKeyCheckNames = 1024
)

// newSigningKey returns the key of Config.SigningKey, or a new one.
func newSigningKey(key ed25519.PrivateKey) (ed25519.PrivateKey, error) {
	if key != nil {
		return key, nil
	}
	_, k, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	return k, nil
}

// checksClass reports whether the node checks the signatures of
// broadcasts of class c: every class but ClassUser, and ClassUser under
// Config.TLS (names are bound to certificates there, so a name's
// broadcasts are checked as its announcements are) or with
// Config.VerifyUserBroadcasts. Without TLS the check of ClassUser stays
// opt-in: it costs about 50 µs per broadcast per node, and names are
// trusted on first use anyway.
func (m *Memberlist) checksClass(c Class) bool {
	return c != ClassUser || m.config.VerifyUserBroadcasts || m.config.TLS != nil
}

// refuseBroadcast counts and logs (rate limited) a refused GOSSIP.
func (m *Memberlist) refuseBroadcast(reason string, from Peer, g gossipMsg, err error) {
	m.metrics.sink.IncrCounterWithLabels(keyMsgRefused, 1, m.metrics.with("reason", reason))
	args := []any{"from", from.Name, "origin", g.ID.Origin}
	if err != nil {
		args = append(args, "error", err)
	}
	// Limited per reason, not per from.Name: without TLS that is the name
	// a stream's sender declares, and a sender could declare a new one per
	// stream (found by review: 2,000 names, 2,000 lines).
	m.logRefusal(slog.LevelWarn, reason, "", "dropping broadcast: "+reason, args...)
}

// refuseOwnName counts (reason origin_key) and logs a GOSSIP in the node's
// own name signed by another key. A node restarted with a new key gets its
// previous run's last broadcasts back from every neighbour that relays them
// (in serf's TestSerf_eventsLeave_avoidInfiniteLeaveRebroadcast, in every
// run), so the line is at level Info and says whose name it is: as
// "dropping broadcast: origin_key" it was taken for the other nodes
// refusing the restarted node's broadcasts (session 14, MIGRATING.md).
func (l *runLoop) refuseOwnName(from Peer, g gossipMsg) {
	m := l.m
	m.metrics.sink.IncrCounterWithLabels(keyMsgRefused, 1, m.metrics.with("reason", refusedOriginKey))
	m.logRefusal(slog.LevelInfo, "origin_key_own", "", "dropping broadcast in the local node's own name signed by another key (a previous run's, or forged)",
		"from", from.Name, "origin", g.ID.Origin)
}

// checkSignedVersion returns an error when the node refuses a peer of wire
// version v: one that cannot sign broadcasts, unless
// Config.AcceptUnsignedBroadcasts.
func (m *Memberlist) checkSignedVersion(v uint8) error {
	if v >= wireVersionSigned || m.config.AcceptUnsignedBroadcasts {
		return nil
	}
	return fmt.Errorf("%w: peer speaks wire version %d, which does not sign broadcasts; want %d (set AcceptUnsignedBroadcasts for a rolling upgrade)",
		errUnsupportedVersion, v, wireVersionSigned)
}

// refuseUnsigned reports whether the acceptor must refuse a Hello it
// would answer with answer, for its version (checkSignedVersion).
func (m *Memberlist) refuseUnsigned(answer Message) bool {
	a, ok := answer.(helloAcceptMsg)
	return ok && m.checkSignedVersion(a.Version) != nil
}

// publicKey returns key's public half as an originKey.
func publicKey(key ed25519.PrivateKey) originKey {
	var k originKey
	copy(k[:], key.Public().(ed25519.PublicKey))
	return k
}

// withBroadcastKey returns answer, with the node's broadcast key when it
// accepts wire version 6 or later.
func (m *Memberlist) withBroadcastKey(answer Message) Message {
	if a, ok := answer.(helloAcceptMsg); ok && a.Version >= wireVersionSigned {
		a.Key = publicKey(m.signKey)
		return a
	}
	return answer
}

// originKeys binds origin names to the key that signs their broadcasts.
// Owned by the loop. It holds at most max names (Config.MaxMembers):
// when full, the names that are not live members are dropped.
type originKeys struct {
	keys map[string]originBinding
	self string
	max  int
	// pausedUntil: no eviction is tried before it (originEvictPause).
	pausedUntil time.Time
	// checked holds when each name's last key check started, running the
	// number of checks dialling.
	checked map[string]time.Time
	running int
	// inflight holds the names whose key check is running (at most
	// maxKeyChecks), held the broadcasts waiting for them
	// (runtime_sign_hold.go).
	inflight map[string]struct{}
	held     heldBroadcasts
	// floors holds each name's replay floors, one per key
	// (runtime_sign_floor.go), for at most max names;
	// floorsPausedUntil: no eviction of floors is tried before it.
	floors            map[string]nameFloors
	floorsPausedUntil time.Time
	// floorEpoch: when the loop was made; the floors' stamps are offsets
	// from it (floorStamp).
	floorEpoch time.Time
}

// originBinding is the key bound to an origin name and the window of its
// admitted sequence numbers (runtime_sign_replay.go).
type originBinding struct {
	key originKey
	win seqWindow
}

// initSigning makes the Plumtree core sign the local broadcasts and binds
// the local name to the node's key (drawn here if the node has none yet).
func (l *runLoop) initSigning() error {
	if l.m.signKey == nil {
		k, err := newSigningKey(nil)
		if err != nil {
			return err
		}
		l.m.signKey = k
	}
	key := l.m.signKey
	l.pt.setSigner(func(id MessageID, class Class, payload []byte) []byte {
		return signBroadcast(key, id, class, payload)
	})
	l.pt.setAdmitter(l.admitBroadcast)
	l.pt.setForgetter(l.forgetBroadcast)
	l.pt.setNextSequence(startSequence(time.Now()))
	l.origins = originKeys{
		keys:     map[string]originBinding{l.m.self.Name: {key: publicKey(key)}},
		self:     l.m.self.Name,
		max:      max(l.m.config.MaxMembers, 1),
		checked:  make(map[string]time.Time),
		inflight: make(map[string]struct{}),
		// time.Now has a monotonic reading: floorStamp measures from it.
		floorEpoch: time.Now(),
	}
	return nil
}

// acceptOrigin reports whether the loop may hand g, from peer, to
// Plumtree: its key is the one bound to its origin, or becomes it.
func (l *runLoop) acceptOrigin(peer Peer, g gossipMsg) bool {
	switch l.checkSignature(peer, g) {
	case sigRefused:
		return false
	case sigUnchecked:
		// AcceptUnsignedBroadcasts, VerifyUserBroadcasts off, or a copy
		// Plumtree only drops: its key binds nothing.
		return true
	}
	var k originKey
	copy(k[:], g.Sig[:len(k)])
	if l.m.tls != nil {
		return l.acceptOriginTLS(peer, g, k)
	}
	o := &l.origins
	name := g.ID.Origin
	held, ok := o.keys[name]
	switch {
	case ok && held.key == k:
		return true
	case ok && name == o.self:
		l.refuseOwnName(peer, g)
		return false
	case ok && l.ms.isLive(name):
		// Another key for a live member: check the key at its address,
		// and hold g until the check ends (runtime_sign_hold.go).
		l.checkKey(name)
		if l.hold(peer, g, k) {
			return false
		}
		l.m.refuseBroadcast(refusedOriginKey, peer, g, nil)
		return false
	case !ok && len(o.keys) >= o.max && !o.evict(l.ms, l.now):
		l.m.refuseBroadcast(refusedOriginFull, peer, g, nil)
		return false
	}
	o.keys[name] = originBinding{key: k}
	return true
}

// evict drops the bindings of names that are not live members of ms and
// reports whether one was dropped; it does not look again within
// originEvictPause of a look that found none.
func (o *originKeys) evict(ms *Membership, now time.Time) bool {
	if now.Before(o.pausedUntil) {
		return false
	}
	n := len(o.keys)
	for name := range o.keys {
		if name != o.self && !ms.isLive(name) {
			delete(o.keys, name)
		}
	}
	if len(o.keys) < n {
		return true
	}
	o.pausedUntil = now.Add(originEvictPause)
	return false
}

// checkKey starts a key check of name, a live member, unless one ran
// within keyCheckInterval or maxKeyChecks are running.
func (l *runLoop) checkKey(name string) {
	if addr, ok := l.ms.liveAddr(name); ok {
		l.checkKeyAt(name, addr)
	}
}

// checkKeyAt starts a key check of name at addr, unless one ran within
// keyCheckInterval or maxKeyChecks are running.
func (l *runLoop) checkKeyAt(name, addr string) {
	o := &l.origins
	if name == o.self || l.left {
		return
	}
	if _, running := o.inflight[name]; running {
		// One check per name at a time: the first to end would judge the
		// held broadcasts (releaseHeld) while the other may still bind.
		return
	}
	if o.running >= maxKeyChecks {
		l.countKeyCheck(checkBusy)
		return
	}
	if at, ok := o.checked[name]; ok && l.now.Sub(at) < keyCheckInterval {
		l.countKeyCheck(checkRecent)
		return
	}
	if len(o.checked) >= maxKeyCheckNames {
		for n, at := range o.checked {
			if l.now.Sub(at) >= keyCheckInterval {
				delete(o.checked, n)
			}
		}
		if len(o.checked) >= maxKeyCheckNames {
			l.countKeyCheck(checkNamesFull)
			return
		}
	}
	l.countKeyCheck(checkStarted)
	o.checked[name] = l.now
	o.inflight[name] = struct{}{}
	o.running++
	l.m.wg.Add(1)
	go l.m.runKeyCheck(name, addr)
}

// runKeyCheck dials name at addr and reports the key it gives.
func (m *Memberlist) runKeyCheck(name, addr string) {
	defer m.wg.Done()
	conn, _, _, key, err := m.dialStreamKey(Address{Addr: addr, Name: name}, false)
	if conn != nil {
		_ = conn.Close()
	}
	_ = m.submit(cmdKeyChecked{name: name, key: key, err: err})
}

// cmdKeyChecked carries the outcome of a key check.
type cmdKeyChecked struct {
	name string
	key  originKey
	err  error
}

// apply binds the key the member gave at its address, if it gave one.
func (c cmdKeyChecked) apply(l *runLoop) {
	o := &l.origins
	o.running--
	delete(o.inflight, c.name)
	// The broadcasts held for the check are judged once the key is
	// bound, or not (runtime_sign_hold.go).
	defer l.releaseHeld(c.name)
	if c.err != nil || c.key == (originKey{}) || c.name == o.self {
		l.countKeyCheck(checkFailed)
		l.m.logRefusal(slog.LevelDebug, "key_check_failed", "", "key check failed", "member", c.name, "error", c.err)
		return
	}
	if held, ok := o.keys[c.name]; ok && held.key == c.key {
		return // the member kept its key: the other key's broadcasts were forged
	}
	_, had := o.keys[c.name]
	if !had && len(o.keys) >= o.max && !o.evict(l.ms, l.now) {
		return
	}
	o.keys[c.name] = originBinding{key: c.key}
	if !had {
		// The name's first binding: under TLS the only way a name is
		// bound (runtime_sign_tls.go); without it, a binding dropped
		// while the check ran.
		l.m.metrics.sink.IncrCounterWithLabels(keyOriginVerified, 1, l.m.metrics.labels)
		return
	}
	l.m.metrics.sink.IncrCounterWithLabels(keyOriginRebound, 1, l.m.metrics.labels)
	// Rate limited like a refusal: a forger who answers at the address
	// of a name it made up can rebind it once per keyCheckInterval.
	l.m.logRefusal(slog.LevelInfo, "key_rebound", "", "member signs with a new key (restarted?); bound the key it gave at its address", "member", c.name)
}

// Outcomes counted in hyparlist.origin.check (label reason): a key check
// started, failed (no answer, or none under the member's name), or not
// started because maxKeyChecks were running (busy), one of the name ran
// within keyCheckInterval (recent), or maxKeyCheckNames names were
// remembered (names_full). A broadcast whose check did not start is
// refused (hyparlist.msg.refused), unless a running check holds it.
const (
	checkStarted   = "started"
	checkFailed    = "failed"
	checkBusy      = "busy"
	checkRecent    = "recent"
	checkNamesFull = "names_full"
)

// keyOriginCheck counts the key checks by outcome.
var keyOriginCheck = []string{"hyparlist", "origin", "check"}

// countKeyCheck counts one key check outcome.
func (l *runLoop) countKeyCheck(outcome string) {
	l.m.metrics.sink.IncrCounterWithLabels(keyOriginCheck, 1, l.m.metrics.with("reason", outcome))
}

// keyOriginRebound counts the names bound to a new key by a key check.
var keyOriginRebound = []string{"hyparlist", "origin", "rebound"}

// keyOriginVerified counts the names bound to a key for the first time by
// a key check (under TLS, the only way a name is bound).
var keyOriginVerified = []string{"hyparlist", "origin", "verified"}
