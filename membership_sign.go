// Membership core: which records must be the member's own word — a "left"
// record of a live member is accepted only in the member's own
// announcement.

package hyparlist

// This file holds the membership side of signed broadcasts
// (runtime_sign.go): the runtime delivers an announcement only when its
// origin's signature verifies with the key bound to the origin's name, so
// an announcement's origin (Deliver.ID.Origin) is the member that wrote it.
//
// "Left" is the one record that only the member itself may state: a
// member leaves of its own accord, and announces it (leave). Any node may
// still say a member is suspect or dead — that is what failure detection
// is — and a dead record is refuted by the member or confirmed by the
// suspicion's timeout. So a "left" record about a member the table holds
// as alive or suspect is merged only from the member's own announcement;
// from anyone else (another node's announcement, an anti-entropy
// exchange) it is dropped and counted (membershipStats.ForeignLeavesRefused).
// A "left" record of a name not held, or held dead, is merged as before: it
// fires no NotifyLeave, and a joining node must learn who left.
//
// The cost: a node that missed a member's leave announcement and hears of
// it only by anti-entropy does not take it; it keeps the member until a
// liveness probe or a link failure finds it gone, and then lists it as
// dead, not left.

// foreignLeave reports whether r is a "left" record about e, a live
// member, that src did not get from the member's own announcement; it
// counts it.
func (m *Membership) foreignLeave(e *memberEntry, r memberRecord, src mergeSource) bool {
	if r.State != memberStateLeft || r.Incarnation < e.inc || !e.state.live() || (src.announced() && src.origin == r.Name) {
		return false
	}
	m.stats.ForeignLeavesRefused++
	return true
}

// isLive reports whether the table holds name as alive or suspect.
func (m *Membership) isLive(name string) bool {
	e := m.table.get(name)
	return e != nil && e.state.live()
}

// liveAddr returns the address of name if the table holds it as alive or
// suspect.
func (m *Membership) liveAddr(name string) (string, bool) {
	e := m.table.get(name)
	if e == nil || !e.state.live() {
		return "", false
	}
	return e.id.addr, true
}

// addrOf returns the address the table holds for name, in any state.
func (m *Membership) addrOf(name string) (string, bool) {
	e := m.table.get(name)
	if e == nil || e.id.addr == "" {
		return "", false
	}
	return e.id.addr, true
}
