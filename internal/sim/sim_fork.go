package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/hyparlist/hyparlist"
)

// This file lets a simulation fork: Fork returns an independent copy, so
// that several experiments can start from one stable overlay instead of
// rebuilding it from the seed each time (building is most of the cost at
// 10^5 nodes).
//
// The copy goes through the cores' exported API: each core's Clone copies
// its state, and a node's random streams are copied from their PCG state
// and handed to the clones. Queued events are copied by value; the
// messages and timers they carry are shared, since a core never changes a
// message or timer after emitting it (the contract of Clone), and a
// timer's identity is what a core checks when it fires.
//
// TestForkEqualsRebuild checks the result: a fork must behave exactly like
// a fresh simulation built from the same seed, and the original must be
// unaffected by what the fork does.

// Fork returns a copy of s that evolves independently: the same events on
// both give the same results. The progress function is shared. It fails
// only if a node's cores cannot be cloned (test fakes without a clone).
func (s *Simulation) Fork() (*Simulation, error) {
	if s.msRunning || len(s.msWork) > 0 {
		return nil, fmt.Errorf("fork: membership work in progress")
	}
	f := *s
	f.q = s.q.clone()
	f.net = s.net.clone()
	f.scene, f.metrics = s.scene.clone(), s.metrics.clone()
	f.nodes = make([]simNode, len(s.nodes))
	for i, n := range s.nodes {
		n.rng = n.rng.clone()
		var err error
		if n.hv, n.pt, err = cloneCores(n.hv, n.pt, n.rng.Rand); err != nil {
			return nil, fmt.Errorf("fork node %d: %w", i, err)
		}
		if n.ms != nil {
			n.msRng = n.msRng.clone()
			n.ms = n.ms.Clone(n.msRng.Rand)
		}
		f.nodes[i] = n
	}
	f.peers = slices.Clone(s.peers)
	f.upList = slices.Clone(s.upList)
	f.upPos = slices.Clone(s.upPos)
	f.msWork = nil
	f.bc = s.bc.clone(&f)
	f.mv = s.mv.clone()
	f.cpu = s.cpu.clone()
	return &f, nil
}

// simCloner is a core that can be cloned for Fork. The real cores are
// cloned through their own Clone methods; test fakes implement this.
type simCloner interface {
	simClone(rng *rand.Rand) any
}

// cloneCores returns copies of a node's HyParView and Plumtree cores, the
// copy of HyParView drawing from rng.
func cloneCores(hv simMembership, pt simCore, rng *rand.Rand) (simMembership, simCore, error) {
	var hc simMembership
	switch c := hv.(type) {
	case *hyparlist.HyParView:
		hc = c.Clone(rng)
	case simCloner:
		hc, _ = c.simClone(rng).(simMembership)
	}
	var pc simCore
	switch c := pt.(type) {
	case *hyparlist.Plumtree:
		pc = c.Clone()
	case simCloner:
		pc, _ = c.simClone(rng).(simCore)
	}
	if hc == nil || pc == nil {
		return nil, nil, fmt.Errorf("cores %T and %T cannot both be cloned", hv, pt)
	}
	return hc, pc, nil
}

// clone returns a copy of q. Events are values; their messages and timers
// are shared (see the file comment).
func (q *eventQueue) clone() eventQueue {
	return eventQueue{
		heap: slices.Clone(q.heap),
		pool: slices.Clone(q.pool),
		free: slices.Clone(q.free),
		seq:  q.seq,
	}
}

// clone returns a copy of t for the simulation s. Payloads are shared:
// nothing modifies them after Broadcast made them.
func (t *broadcastTracker) clone(s *Simulation) broadcastTracker {
	c := broadcastTracker{s: s, list: slices.Clone(t.list), watched: t.watched}
	for i := range c.list {
		b := &c.list[i]
		b.seen = slices.Clone(b.seen)
		b.floodSeen = slices.Clone(b.floodSeen)
	}
	return c
}

// clone returns a copy of v.
func (v *simMemberView) clone() simMemberView {
	c := *v
	c.falseDead = slices.Clone(v.falseDead)
	c.buf = nil
	return c
}
