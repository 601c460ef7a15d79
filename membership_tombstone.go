// Membership core: tombstones of dead and left members until ReclaimTime.

package hyparlist

// This file owns tombstones: dead and left members are kept for
// ReclaimTime, then forgotten. While they are kept, a late announcement of
// an older incarnation cannot bring them back, and dead ones are probed
// (membership_probe.go). A tombstone's reclaim time is its deadline in the
// entry heap (membership_deadlines.go): StateChange + ReclaimTime, so a
// tombstone learned by anti-entropy, back-dated by its age, is forgotten
// when its first holder forgets it.

// reclaim forgets a tombstone whose time has come. A name that was
// forgotten may come back at any address and incarnation.
func (m *Membership) reclaim(e *memberEntry) {
	if e == m.local() || e.state.live() {
		return
	}
	m.table.remove(e)
}
