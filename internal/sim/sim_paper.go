package sim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hyparlist/hyparlist"
)

// This file names the HyParView features beyond the paper that an
// experiment can turn back to the paper's behaviour (`hyparlist sim
// -paper`): each sets a field of HyParViewConfig (the Paper switches for
// the rules that only exist to be measured).

// paperFeature is one feature beyond the paper that WithPaper can turn
// off, by name.
type paperFeature struct {
	name string
	off  func(*hyparlist.HyParViewConfig)
}

// PaperFeatureAll is the WithPaper name that stands for every feature.
const PaperFeatureAll = "all"

// paperFeatures lists the features in the order HyParViewFeatures
// reports them.
var paperFeatures = []paperFeature{
	{"keepalive", func(c *hyparlist.HyParViewConfig) { c.KeepaliveInterval = 0 }},
	{"asymmetric", func(c *hyparlist.HyParViewConfig) { c.PaperAsymmetricLinks = true }},
	{"aging", func(c *hyparlist.HyParViewConfig) { c.PaperPassiveView = true }},
	{"rejoin", func(c *hyparlist.HyParViewConfig) { c.RejoinInterval = 0 }},
	{"lost-retry", func(c *hyparlist.HyParViewConfig) { c.LostPeerRetryInterval = 0 }},
	{"fanout", func(c *hyparlist.HyParViewConfig) { c.RepairFanout = 1 }},
	{"probe", func(c *hyparlist.HyParViewConfig) { c.PaperNoProbe = true }},
	{"wanted", func(c *hyparlist.HyParViewConfig) { c.PaperNoWanted = true }},
	{"isolated", func(c *hyparlist.HyParViewConfig) { c.PaperIsolatedRepair = true }},
	{"join", func(c *hyparlist.HyParViewConfig) { c.PaperJoinEvicts = true }},
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
	names := make([]string, len(paperFeatures))
	for i, f := range paperFeatures {
		names[i] = f.name
	}
	return names
}

// WithPaper returns c with the named features (see HyParViewFeatures, or
// PaperFeatureAll for all of them) turned back to the paper's behaviour.
// An unknown name is an error wrapping ErrSimConfig; c is not modified.
func WithPaper(c hyparlist.HyParViewConfig, features ...string) (hyparlist.HyParViewConfig, error) {
	for _, name := range features {
		i := slices.IndexFunc(paperFeatures, func(f paperFeature) bool { return f.name == name })
		switch {
		case name == PaperFeatureAll:
			for _, f := range paperFeatures {
				f.off(&c)
			}
		case i >= 0:
			paperFeatures[i].off(&c)
		default:
			return hyparlist.HyParViewConfig{}, fmt.Errorf("%w: unknown HyParView feature %q (want %s or %s)", ErrSimConfig,
				name, strings.Join(HyParViewFeatures(), ", "), PaperFeatureAll)
		}
	}
	return c, nil
}
