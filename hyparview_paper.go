// HyParView core: the switches that turn this implementation's additions back
// to the paper's rules, for measurement.

package hyparlist

import (
	"fmt"
	"slices"
	"strings"
)

// This file owns the switches that turn the rules of this implementation
// that are not in the HyParView paper back to the paper's behaviour, one
// at a time or all together. They exist so that the simulator can measure
// what each rule is worth (BENCHMARKS.md, "Beyond the paper"); a real
// cluster keeps the defaults.

// HyParViewPaperRules is a set of rules that are not in the HyParView
// paper, each switched back to the paper's behaviour (see
// HyParViewConfig.Paper). The zero value keeps every rule. The rules that
// a HyParViewConfig field already turns off (KeepaliveInterval,
// RejoinInterval, LostPeerRetryInterval, RepairFanout) have no bit here;
// HyParViewConfig.WithPaper sets both kinds by name.
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

// hyParViewFeature is one feature beyond the paper that WithPaper can turn
// off, by name.
type hyParViewFeature struct {
	name string
	off  func(*HyParViewConfig)
}

// PaperFeatureAll is the WithPaper name that stands for every feature.
const PaperFeatureAll = "all"

// hyParViewFeatures lists the features in the order HyParViewFeatures
// reports them.
var hyParViewFeatures = []hyParViewFeature{
	{"keepalive", func(c *HyParViewConfig) { c.KeepaliveInterval = 0 }},
	{"asymmetric", func(c *HyParViewConfig) { c.Paper |= PaperAsymmetricLinks }},
	{"aging", func(c *HyParViewConfig) { c.Paper |= PaperPassiveView }},
	{"rejoin", func(c *HyParViewConfig) { c.RejoinInterval = 0 }},
	{"lost-retry", func(c *HyParViewConfig) { c.LostPeerRetryInterval = 0 }},
	{"fanout", func(c *HyParViewConfig) { c.RepairFanout = 1 }},
	{"probe", func(c *HyParViewConfig) { c.Paper |= PaperNoProbe }},
	{"wanted", func(c *HyParViewConfig) { c.Paper |= PaperNoWanted }},
	{"isolated", func(c *HyParViewConfig) { c.Paper |= PaperIsolatedRepair }},
	{"join", func(c *HyParViewConfig) { c.Paper |= PaperJoinEvicts }},
}

// HyParViewFeatures returns the names of the features beyond the paper
// that WithPaper turns off: keepalive (KeepaliveInterval 0: no periodic
// Keepalive, so no failure detection on idle links, no probe and no
// asymmetric-link repair through keepalives), asymmetric
// (PaperAsymmetricLinks), aging (PaperPassiveView), rejoin
// (RejoinInterval 0), lost-retry (LostPeerRetryInterval 0), fanout
// (RepairFanout 1), probe (PaperNoProbe), wanted (PaperNoWanted),
// isolated (PaperIsolatedRepair) and join (PaperJoinEvicts).
func HyParViewFeatures() []string {
	names := make([]string, len(hyParViewFeatures))
	for i, f := range hyParViewFeatures {
		names[i] = f.name
	}
	return names
}

// WithPaper returns c with the named features (see HyParViewFeatures, or
// PaperFeatureAll for all of them) turned back to the paper's behaviour.
// An unknown name is an error wrapping ErrInvalidHyParViewConfig; c is not
// modified.
func (c HyParViewConfig) WithPaper(features ...string) (HyParViewConfig, error) {
	for _, name := range features {
		i := slices.IndexFunc(hyParViewFeatures, func(f hyParViewFeature) bool { return f.name == name })
		switch {
		case name == PaperFeatureAll:
			for _, f := range hyParViewFeatures {
				f.off(&c)
			}
		case i >= 0:
			hyParViewFeatures[i].off(&c)
		default:
			return HyParViewConfig{}, fmt.Errorf("%w: unknown feature %q (want %s or %s)", ErrInvalidHyParViewConfig,
				name, strings.Join(HyParViewFeatures(), ", "), PaperFeatureAll)
		}
	}
	return c, nil
}
