// Membership core: Clone, an independent copy of a core's state, and
// LiveDigest.

package hyparlist

import (
	"math/rand/v2"
	"slices"
)

// This file copies a Membership core (Clone) and summarises its live set
// for drivers that compare many cores (LiveDigest).

// Clone returns an independent copy of m that draws its random choices
// from rng, which must not be nil: the core's generator is injected, so
// the copy's is too (give it a generator in the same state as m's to make
// the copy choose as m would). Actions emitted but not yet drained are
// copied. Timers and messages are values that a core never changes after
// emitting them, so a TimerFired or Receive that m would accept has the
// same effect on the copy. Member identities (name, address, metadata) are
// immutable and shared; nothing is shared that either copy modifies
// afterwards.
func (m *Membership) Clone(rng *rand.Rand) *Membership {
	c := *m
	c.rng = rng
	c.table = m.table.clone()
	c.deadlines.items = slices.Clone(m.deadlines.items)
	c.neighbors = slices.Clone(m.neighbors)
	c.neighborCredit = slices.Clone(m.neighborCredit)
	c.pending = slices.Clone(m.pending)
	c.nudges = slices.Clone(m.nudges)
	c.actions = slices.Clone(m.actions)
	c.drained = 0
	return &c
}

// clone returns a copy of t that shares only the immutable identities.
func (t *memberTable) clone() memberTable {
	c := *t
	c.touched = touchLog{} // a clone logs no changes (membership_touched.go)
	for i := range c.buckets {
		c.buckets[i].keys = slices.Clone(t.buckets[i].keys)
	}
	c.arena.free = slices.Clone(t.arena.free)
	c.arena.chunks = make([][]memberEntry, len(t.arena.chunks))
	for i, ch := range t.arena.chunks {
		ch = slices.Clone(ch)
		for j := range ch {
			if s := ch[j].susp; s != nil {
				cs := *s
				cs.accusers = slices.Clone(s.accusers)
				ch[j].susp = &cs
			}
		}
		c.arena.chunks[i] = ch
	}
	return c
}

// LiveDigest returns an order-independent 64-bit hash of the names of the
// live (alive or suspect) members the core lists, the local node included
// until it leaves. It is kept up to date on every change, so it costs
// nothing to read: two cores with the same NumMembers and LiveDigest list
// the same live names, but for a hash collision. Only the names count, not
// incarnations, metadata or tombstones. Meant for drivers that check many
// cores for agreement, such as a simulator's convergence check.
func (m *Membership) LiveDigest() uint64 { return m.table.liveNames }
