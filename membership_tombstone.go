package hyparlist

// This file owns tombstones: dead and left members are kept for
// ReclaimTime, then forgotten. While they are kept, a late announcement of
// an older incarnation cannot bring them back, and dead ones are probed
// (membership_probe.go).

// memberReclaimTimer fires when the tombstone of Name at Incarnation may be
// forgotten.
type memberReclaimTimer struct {
	Name        string
	Incarnation uint32
}

func (memberReclaimTimer) isTimer() {}

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
