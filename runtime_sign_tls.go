// Runtime: signed broadcasts under mutual TLS — an origin's key is bound
// only from the origin's own authenticated handshake, never on first use.

package hyparlist

// Without TLS, a name is bound to the first key seen signing for it (trust
// on first use, runtime_sign.go): a forger whose broadcast in a name
// reaches a node first, or who makes up a name, binds its own key there.
// Under TLS (Config.TLS) the node can do better, because a stream it
// dials is authenticated: the acceptor's certificate must hold the name it
// answers with, and a key check asks for exactly the member's name
// (clientHandshake). So under TLS:
//
//   - A name is bound only to the key its holder gave in the HelloAccept
//     of a key check: the node dialled the member's address over mutual
//     TLS, the answer came under the member's name with a certificate
//     holding that name. Such a key replaces whatever was bound (and
//     starts a new replay window, runtime_sign_replay.go).
//   - A checked broadcast (Memberlist.checksClass) whose origin has no key
//     bound yet starts a key check of the origin, and so does one signed
//     by another key than the bound one (which rebinds a member restarted
//     with a new key). While that check runs the broadcast is held, and
//     judged again when it ends (runtime_sign_hold.go); with no check
//     running, or the hold full, it is refused (hyparlist.msg.refused
//     reason origin_unverified, or origin_key for another key).
//     Nothing is bound by first use, so a made-up name binds nothing, and
//     a node with a valid certificate of its own cannot broadcast in
//     another node's name.
//   - The address dialled is the member's in the member table; for an
//     origin the table does not list (a node whose join announcement is
//     the first news of it), the address it gives in its own record in
//     that announcement. A forger can point that address anywhere, but
//     only a node holding a certificate for the name can answer there
//     under it.
//
// The cost: every node dials each origin once (at most maxKeyChecks at
// once, once per name per keyCheckInterval), and an origin's first
// checked broadcasts wait for that dial. A broadcast refused (no check
// running, or the hold full) is recovered by Plumtree, which did not mark
// it as seen, from the IHAVEs of the other neighbours (GRAFT) once the
// key is bound; where no other neighbour has it (a two-node cluster), a
// membership announcement is left to anti-entropy and an application
// broadcast is lost. A node learns no key from the streams other nodes
// dial to it (the Hello carries none), nor from its own other dials.

// refusedOriginUnverified is the reason of hyparlist.msg.refused for a
// broadcast refused under TLS because no authenticated handshake has
// given its origin's key yet.
const refusedOriginUnverified = "origin_unverified"

// acceptOriginTLS is acceptOrigin under TLS, for a checked, signed GOSSIP
// signed by k.
func (l *runLoop) acceptOriginTLS(peer Peer, g gossipMsg, k originKey) bool {
	name := g.ID.Origin
	held, ok := l.origins.keys[name]
	switch {
	case ok && held.key == k:
		return true
	}
	if addr, ok := l.keyCheckAddr(peer, g); ok {
		l.checkKeyAt(name, addr)
	}
	if l.hold(peer, g, k) {
		return false
	}
	if ok {
		l.m.refuseBroadcast(refusedOriginKey, peer, g, nil)
	} else {
		l.m.refuseBroadcast(refusedOriginUnverified, peer, g, nil)
	}
	return false
}

// keyCheckAddr returns the address at which to check the key of g's
// origin, received from peer: its own record in g's announcement, else its
// address in the member table, else, when peer is the origin itself, the
// address its link gave. The last covers a neighbour's first broadcast
// that arrives before any record of it (it broadcasts as soon as its Join
// returns, before the join exchange has listed it here): without it no
// check ran and the broadcast, which no other node could repair in a
// two-node cluster, was refused. The address binds nothing: the check
// dials it and accepts only an answer under the origin's name, with a
// certificate holding that name.
func (l *runLoop) keyCheckAddr(peer Peer, g gossipMsg) (string, bool) {
	if g.Class == ClassMembership {
		if recs, err := decodeAnnouncement(g.Payload); err == nil {
			for _, r := range recs {
				if r.Name == g.ID.Origin && r.Addr != "" {
					return r.Addr, true
				}
			}
		}
	}
	if addr, ok := l.ms.addrOf(g.ID.Origin); ok {
		return addr, true
	}
	if peer.Name == g.ID.Origin && peer.Addr != "" {
		return peer.Addr, true
	}
	return "", false
}
