// Membership core: the incarnation ceiling — only a member's own
// announcement may carry its incarnation into the top of the range.

package hyparlist

import "math"

// This file closes the hole of the unrefutable incarnation (SECURITY.md):
// a member refutes a record about itself by announcing itself one
// incarnation higher (mergeSelf), which it cannot do above math.MaxUint32.
// So anyone with a link who sent a record of another member at 2^32 − 1
// (suspect, dead, or alive with other metadata) rewrote that member for
// good, or removed it once the suspicion expired.
//
// Therefore only the member's own announcement (the announcement's origin
// is the member, and its signature is checked: runtime_sign.go) may raise
// a member's incarnation above incarnationCeiling. A record from anyone
// else (another node's announcement, an anti-entropy exchange) above the
// ceiling is dropped and counted (membershipStats.IncarnationsRefused,
// hyparlist.msg.refused reason incarnation_ceiling) when it would raise
// the incarnation held, or when the name is not held at all; one at or
// below the held incarnation is merged as usual, since the member can
// refute it. Records about the node itself go to mergeSelf, which refutes
// up to the top of the range (a node restarted at incarnation 0 learns
// its old one that way), and a joiner takes its join exchange's records
// as they are. So another node can push a member to the ceiling at most,
// and the member's refutation goes above it, where only the member can
// raise it: the last 2^16 incarnations are the member's alone.
//
// The cost: a node that does not hold a member above the ceiling (it
// missed the member's announcements and did not join after them) learns
// of it only from the member's next announcement or a join exchange, not
// from anti-entropy; members get there only after a forged record, or 4
// billion refutations of their own.

// incarnationCeiling is the highest incarnation a record about a member
// may carry unless it is the member's own announcement.
const incarnationCeiling = math.MaxUint32 - 1<<16

// refuseAboveCeiling reports whether r, from src, is beyond the
// incarnation ceiling without being its member's own announcement; it
// counts it.
func (m *Membership) refuseAboveCeiling(r memberRecord, src mergeSource) bool {
	if r.Incarnation <= incarnationCeiling || r.Name == m.self.Name || (src.announced() && src.origin == r.Name) {
		return false
	}
	if e := m.table.get(r.Name); e != nil {
		if r.Incarnation <= e.inc {
			return false // raises nothing: the member can refute it
		}
	} else if src.join {
		return false // a joiner takes its contact's table as it is
	}
	m.stats.IncarnationsRefused++
	return true
}
