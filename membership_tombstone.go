package hyparlist

// This file owns tombstones: dead and left members are kept for
// ReclaimTime, then forgotten; meanwhile dead (not left) members are
// re-contacted now and then, which is how the two sides of a healed
// partition find each other again (memberlist #222).

// memberReclaimTimer fires when the tombstone of Name at Incarnation may be
// forgotten.
type memberReclaimTimer struct {
	Name        string
	Incarnation uint32
}

// memberDeadProbeTimer is the periodic timer of dead-member probing.
type memberDeadProbeTimer struct{}

func (memberReclaimTimer) isTimer()   {}
func (memberDeadProbeTimer) isTimer() {}

// armReclaim asks for the timer that forgets e's tombstone.
func (m *Membership) armReclaim(e *memberEntry) {
	if e == m.local {
		return
	}
	at := e.m.StateChange.Add(m.cfg.ReclaimTime)
	m.emit(SetTimer{After: max(0, at.Sub(m.now)), Timer: memberReclaimTimer{Name: e.m.Name, Incarnation: e.m.Incarnation}})
}

// onReclaimTimer forgets a tombstone whose time has come. A name that was
// forgotten may come back at any address and incarnation.
func (m *Membership) onReclaimTimer(t memberReclaimTimer) {
	e := m.table.get(t.Name)
	if e == nil || e == m.local || e.m.State.live() || e.m.Incarnation != t.Incarnation {
		return
	}
	if m.now.Before(e.m.StateChange.Add(m.cfg.ReclaimTime)) {
		return // every change of a tombstone armed its own timer
	}
	m.table.remove(e)
}

// onDeadProbeTimer emits one ProbeMember for a random dead member, then
// re-arms. Left members are not probed: they went away on purpose.
func (m *Membership) onDeadProbeTimer() {
	if n := len(m.table.gone); n > 0 {
		start := m.rng.IntN(n)
		for i := range n {
			e := m.table.gone[(start+i)%n]
			if e.m.State == MemberStateDead {
				m.emit(ProbeMember{Peer: e.m.Peer()})
				break
			}
		}
	}
	m.emit(SetTimer{After: m.cfg.DeadProbeInterval, Timer: memberDeadProbeTimer{}})
}
