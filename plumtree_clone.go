// Plumtree core: Clone, an independent copy of a core's state.

package hyparlist

import (
	"maps"
	"slices"
)

// This file copies a Plumtree core (Clone) for drivers outside the package
// (the simulator's forks).

// Clone returns an independent copy of p. Actions emitted but not yet
// drained are copied. Timers, messages and cached payloads are values that
// a core never changes after emitting or receiving them, so the copy shares
// them: a TimerFired or Receive that p would accept has the same effect on
// the copy. Nothing is shared that either copy modifies afterwards, except
// the driver's hooks (signer, admitter, forgetter: plumtree_sign.go), which
// both copies call; the simulator sets none.
// (Plumtree keeps no random generator: NewPlumtree's only draws its first
// sequence number.)
func (p *Plumtree) Clone() *Plumtree {
	c := *p
	c.peers.list = slices.Clone(p.peers.list)
	for i := range c.peers.list {
		c.peers.list[i].queue = slices.Clone(c.peers.list[i].queue)
	}
	c.trees.index = maps.Clone(p.trees.index)
	c.trees.list = slices.Clone(p.trees.list)
	c.seen.slots = slices.Clone(p.seen.slots)
	for g := range c.seen.q {
		c.seen.q[g] = p.seen.q[g].clone()
	}
	for g := range c.cache.q {
		c.cache.q[g] = p.cache.q[g].clone()
	}
	c.missing.m = make(map[MessageID]ptMissing, len(p.missing.m))
	c.missing.byRoot = make(map[string]map[uint64]struct{}, len(p.missing.byRoot))
	for id, e := range p.missing.m {
		e.announcers = slices.Clone(e.announcers)
		c.missing.m[id] = e
		c.missing.index(id)
	}
	c.out = slices.Clone(p.out)
	c.drained = 0
	c.groups, c.cands = nil, nil
	return &c
}

// clone returns a copy of q that shares no chunk with it.
func (q ptFIFO[T]) clone() ptFIFO[T] {
	c := q
	c.chunks = make([][]T, len(q.chunks))
	for i, ch := range q.chunks {
		c.chunks[i] = slices.Clone(ch)
	}
	return c
}
