// HyParView core: the switches that turn this implementation's additions back
// to the paper's rules, for measurement.

package hyparlist

// This file owns the switches that turn the rules of this implementation
// that are not in the HyParView paper back to the paper's behaviour, one
// at a time or all together. The core implements both behaviours of each
// rule; the switches exist so that the rules can be measured against the
// paper (BENCHMARKS.md, "Beyond the paper", whose simulator turns features
// off by name); a real cluster keeps the defaults.

// HyParViewPaperRules is a set of rules that are not in the HyParView
// paper, each switched back to the paper's behaviour (see
// HyParViewConfig.Paper). The zero value keeps every rule. The rules that
// a HyParViewConfig field already turns off (KeepaliveInterval 0,
// RejoinInterval 0, LostPeerRetryInterval 0, RepairFanout 1) have no bit
// here.
type HyParViewPaperRules uint16

const (
	// PaperPassiveView turns passive-view aging off: repairs and shuffle
	// samples pick passive peers uniformly at random and eviction drops a
	// random entry (still among the entries sent in the shuffle first,
	// HyParView §4.4), as in the paper.
	PaperPassiveView HyParViewPaperRules = 1 << iota
	// PaperAsymmetricLinks turns asymmetric-link repair off: a Keepalive,
	// or an accepting NeighborReply, from a peer outside the active view is
	// ignored instead of being answered DISCONNECT.
	PaperAsymmetricLinks
	// PaperNoProbe: a rejected NEIGHBOR request or a neighbour's link
	// failure does not make the node probe its active view (see
	// HyParView.probeActive).
	PaperNoProbe
	// PaperNoWanted: a requester turned away because the active view was
	// full is neither kept in the passive view nor asked first when a slot
	// frees (see HyParView.onNeighbor).
	PaperNoWanted
	// PaperIsolatedRepair: an isolated node sends one high-priority
	// NEIGHBOR request and low-priority ones for its other free slots
	// (HyParView §4.3: "high priority if p has no elements in its active
	// view"), instead of high-priority requests for every free slot.
	PaperIsolatedRepair
	// PaperJoinEvicts: a contact whose active view is full evicts a random
	// neighbour to add the joiner (HyParView §4.2, Algorithm 1) instead of
	// only starting the FORWARD_JOIN walks.
	PaperJoinEvicts

	// paperRulesAll is the union of the rules above.
	paperRulesAll = PaperJoinEvicts<<1 - 1
)

// has reports whether rule r is switched back to the paper's behaviour.
func (c *HyParViewConfig) has(r HyParViewPaperRules) bool { return c.Paper&r != 0 }
