// Membership core: ProbeMember, the bounded probes of members outside the
// active view.

package hyparlist

// This file owns probing: the ProbeMember actions that ask the driver to
// contact a member outside the active view, at a low, bounded rate.
//
//   - Dead members are re-contacted every DeadProbeInterval (one at a
//     time): when the contact succeeds, the new link's exchange lets both
//     sides refute, which is how the two sides of a healed partition find
//     each other again (memberlist #222).
//   - A random live member that is not a neighbour is checked every
//     LivenessProbeInterval: when it cannot be reached the driver reports
//     LinkFailed and the node accuses it. Not in the brief: failure
//     detection otherwise rests on HyParView links alone, and a node whose
//     neighbours all crash with it (likely when 30% of a cluster restarts)
//     would never be suspected. With every node probing one member per
//     interval, each member is checked about once per interval, at O(1)
//     cost per node.

// memberDeadProbeTimer is the periodic timer of dead-member probing.
type memberDeadProbeTimer struct{}

// memberLivenessProbeTimer is the periodic timer of liveness probing.
type memberLivenessProbeTimer struct{}

func (memberDeadProbeTimer) isTimer()     {}
func (memberLivenessProbeTimer) isTimer() {}

// probeTries bounds the random draws of one liveness probe: a draw may hit
// the local node, a neighbour, a tombstone or a free slot of the table.
const probeTries = 8

// onDeadProbeTimer emits one ProbeMember for a random dead member, then
// re-arms. Left members are not probed: they went away on purpose. Every
// tombstone has a reclaim deadline, so the dead members are found in the
// deadline heap: the first one from a random position on.
func (m *Membership) onDeadProbeTimer() {
	if n := len(m.deadlines.items); n > 0 {
		start := m.rng.IntN(n)
		for i := range n {
			if e := m.deadlines.entry(&m.table.arena, (start+i)%n); e.state == memberStateDead {
				m.emit(ProbeMember{Peer: e.peer(), Dead: true})
				break
			}
		}
	}
	m.emit(SetTimer{After: m.cfg.DeadProbeInterval, Timer: memberDeadProbeTimer{}})
}

// onLivenessProbeTimer emits one ProbeMember for a random live member that
// is neither the local node nor a neighbour, then re-arms.
func (m *Membership) onLivenessProbeTimer() {
	if m.table.nLive > 1 {
		for range probeTries {
			e := m.table.randomLive(m.rng, 1)
			if e == nil {
				continue
			}
			if _, isNeighbor := m.neighbor(e.id.name); e != m.local() && !isNeighbor {
				m.emit(ProbeMember{Peer: e.peer()})
				break
			}
		}
	}
	m.emit(SetTimer{After: m.cfg.LivenessProbeInterval, Timer: memberLivenessProbeTimer{}})
}
