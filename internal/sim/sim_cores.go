package sim

import (
	"math/rand/v2"
	"time"

	"github.com/hyparlist/hyparlist"
)

// NewSimulation returns a simulation of cfg.Nodes nodes, each with a real
// HyParView and Plumtree core, none started yet (see JoinAll). cfg is
// validated and copied.
func NewSimulation(cfg SimConfig) (*Simulation, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	hvCfg, ptCfg := cfg.HyParView, cfg.Plumtree
	return newSimulation(cfg, func(self hyparlist.Peer, rng *rand.Rand) (simMembership, simCore, error) {
		hv, err := hyparlist.NewHyParView(self, hvCfg, rng)
		if err != nil {
			return nil, nil, err
		}
		pt, err := hyparlist.NewPlumtree(self, ptCfg, rng)
		if err != nil {
			return nil, nil, err
		}
		return hv, pt, nil
	})
}

// ShufflePeriod returns the simulation's shuffle period, HyParView's
// ShuffleInterval.
func (s *Simulation) ShufflePeriod() time.Duration { return s.cfg.HyParView.ShuffleInterval }

// RunShuffleRounds runs the simulation for k shuffle periods.
func (s *Simulation) RunShuffleRounds(k int) {
	s.RunFor(time.Duration(k) * s.ShufflePeriod())
}
