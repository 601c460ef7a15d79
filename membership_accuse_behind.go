// Membership core: a node that is behind does not accuse a peer on weak
// evidence.

package hyparlist

// This file owns the accuser's side of Lifeguard's local health awareness
// (Dadgar, Phillips, Currey, 2018): a node whose own loop is behind
// (LocalHealth above 1) does not suspect a peer whose link failed on weak
// evidence (LinkFailed.Weak: a timeout, a missed keepalive, a full send
// queue, a reset). Such failures are what a node that is itself slow
// sees of a healthy peer: it reads its links late, writes them late, and
// dials into peers as far behind. memberlist's Lifeguard stretches the
// probe timeouts of a node in that state; hyparlist already stretches the
// link silence limit (runtime_awareness.go), but every other failure
// accused at once, and each accusation is an announcement to the whole
// cluster, then a refutation, or a death where the refutation came late.
// In the bench's join storm of 1,000 nodes on two cores (BENCHMARKS.md,
// session 8) 21,788 and 22,350 accusations in two runs, nearly all after
// weak failures of live peers, ended in 353,174 and 288,967 expired
// suspicions.
//
// The link is still dropped and HyParView repairs the active view, as
// before; only the accusation is withheld. A peer whose process is gone
// is still accused, since its streams end or its address refuses
// (LinkFailed.Weak clear), and a peer that vanished without a word
// (a host powered off, a partition) is accused by its neighbours that
// keep up; if every one of them is behind, the liveness probes
// (LivenessProbeInterval) and anti-entropy find it later.

// onLinkFailed accuses the peer of a failed link, unless the failure is
// weak and the node is behind, or the failure was the node's own
// (LinkFailed.Local: runtime_localfail.go).
func (m *Membership) onLinkFailed(ev LinkFailed) {
	if ev.Local || ev.Weak && m.healthMult > 1 {
		if e := m.table.get(ev.Peer.Name); e != nil && e != m.local() && e.state == memberStateAlive {
			m.stats.AccusationsWithheld++
		}
		return
	}
	m.accuse(ev.Peer)
}
