// HyParView core: Clone, an independent copy of a core's state.

package hyparlist

import (
	"math/rand/v2"
	"slices"
)

// This file copies a HyParView core (Clone), so that a driver can run two
// copies of one node from the same state: a simulator forking a run, or a
// test exploring two continuations.

// Clone returns an independent copy of h that draws its random choices
// from rng, which must not be nil: the core's generator is injected, so
// the copy's is too (give it a generator in the same state as h's to make
// the copy choose as h would). Actions emitted but not yet drained are
// copied. Timers and messages are values that a core never changes after
// emitting them, so a TimerFired or Receive that h would accept has the
// same effect on the copy. Nothing is shared that either copy modifies
// afterwards.
func (h *HyParView) Clone(rng *rand.Rand) *HyParView {
	c := *h
	c.rng = rng
	c.cfg.Seeds = slices.Clone(h.cfg.Seeds)
	c.active = slices.Clone(h.active)
	c.passive.entries = append(make([]passiveEntry, 0, cap(h.passive.entries)), h.passive.entries...)
	c.pending = slices.Clone(h.pending)
	c.unconfirmed = slices.Clone(h.unconfirmed)
	c.acceptedUnheard = slices.Clone(h.acceptedUnheard)
	c.lost = slices.Clone(h.lost)
	c.out = slices.Clone(h.out)
	c.scratch = nil
	return &c
}
