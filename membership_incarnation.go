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
// Records at an incarnation above incarnationCeiling are therefore taken
// only in the member's own announcement (the announcement's origin is the
// member, and its signature is checked: runtime_sign.go); from anyone else
// (another node's announcement, an anti-entropy exchange, a join exchange)
// they are dropped and counted (membershipStats.IncarnationsRefused,
// hyparlist.msg.refused reason incarnation_ceiling). Another node can then
// push a member to the ceiling at most, and the member's refutation goes
// above it, where only the member can follow: the last 2^16 incarnations
// are the member's alone. A member that reached the ceiling by 4 billion
// refutations of its own keeps going in its own announcements; other
// nodes' suspicions of it at those incarnations are dropped, so its
// failure is then found by its links and liveness probes only.

// incarnationCeiling is the highest incarnation a record about a member
// may carry unless it is the member's own announcement.
const incarnationCeiling = math.MaxUint32 - 1<<16

// refuseAboveCeiling reports whether r, from src, is beyond the
// incarnation ceiling without being its member's own announcement; it
// counts it.
func (m *Membership) refuseAboveCeiling(r memberRecord, src mergeSource) bool {
	if r.Incarnation <= incarnationCeiling || (src.announced() && src.origin == r.Name) {
		return false
	}
	m.stats.IncarnationsRefused++
	return true
}
