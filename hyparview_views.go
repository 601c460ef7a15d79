// HyParView core: the passive view, a bounded list of backup peers.

package hyparlist

import (
	"math/rand/v2"
	"time"
)

// This file owns the passive view: a bounded list of backup peers, each
// with the time it was last known alive.
//
// Not in the paper: passive-view aging. The paper keeps bare identifiers
// and picks and evicts them uniformly at random. Here every entry carries
// the time it was last known alive (direct contact, or learned in a
// shuffle); repairs and shuffle samples prefer fresh entries (the fresher
// of two random picks), and eviction drops the stalest entry first. Dead
// peers therefore leave passive views faster, while choices stay random
// enough to keep the overlay a random graph. PaperPassiveView turns aging
// off: every entry then counts as equally fresh, so picks and evictions
// are uniformly random, as in the paper.

// passiveEntry is one backup peer of the passive view.
type passiveEntry struct {
	peer Peer
	// seen is when the peer was last known alive, as an offset from the
	// core's epoch.
	seen time.Duration
	// retryAt is the earliest time a low-priority NEIGHBOR may be sent to
	// the peer again; it backs off peers that rejected or ignored one, or
	// disconnected this node.
	retryAt time.Duration
	// highAt is the earliest time a high-priority NEIGHBOR may be sent to
	// the peer by a reactive repair; it backs off peers that disconnected
	// this node (see HyParView.repair).
	highAt time.Duration
	// mark tags the entry as part of the shuffle exchange (sample sent or
	// reply sent) with that number, so that integrating the other side's
	// entries evicts it first.
	mark uint64
	// wanted is set when the peer asked this node for a link and was
	// turned away because the active view was full: the next repair asks
	// it first (see HyParView.onNeighbor). Cleared once it is asked.
	wanted bool
}

// passiveView is the passive view. Its order is deterministic (it depends
// only on the events and the injected random source).
type passiveView struct {
	entries []passiveEntry
	max     int
	// aging makes choices prefer fresh entries (see seenAt).
	aging bool
	// marks numbers the shuffle exchanges (see passiveEntry.mark).
	marks uint64
}

// newMark returns a fresh exchange number.
func (v *passiveView) newMark() uint64 {
	v.marks++
	return v.marks
}

func newPassiveView(max int, aging bool) passiveView {
	return passiveView{entries: make([]passiveEntry, 0, max), max: max, aging: aging}
}

// seenAt is entry i's last-known-alive time as choices see it: its seen
// time with aging, else the same for every entry.
func (v *passiveView) seenAt(i int) time.Duration {
	if !v.aging {
		return 0
	}
	return v.entries[i].seen
}

// index returns the position of the peer called name, or -1.
func (v *passiveView) index(name string) int {
	for i := range v.entries {
		if v.entries[i].peer.Name == name {
			return i
		}
	}
	return -1
}

// removeAt deletes entry i; the last entry takes its place.
func (v *passiveView) removeAt(i int) {
	last := len(v.entries) - 1
	v.entries[i] = v.entries[last]
	v.entries[last] = passiveEntry{}
	v.entries = v.entries[:last]
}

// remove deletes the peer called name and reports whether it was there.
func (v *passiveView) remove(name string) bool {
	i := v.index(name)
	if i < 0 {
		return false
	}
	v.removeAt(i)
	return true
}

// insert adds p, which the caller has checked is absent, evicting an entry
// if the view is full. Entries marked prefer (when non-zero) are evicted
// first (HyParView §4.4: a node integrating a shuffle "will first attempt
// to remove identifiers sent" to the other side); among the candidates the
// stalest goes.
func (v *passiveView) insert(p Peer, seen time.Duration, prefer uint64, rng *rand.Rand) {
	if len(v.entries) >= v.max {
		v.removeAt(v.evictee(prefer, rng))
	}
	v.entries = append(v.entries, passiveEntry{peer: p, seen: seen})
}

// evictee chooses the entry to evict from a non-empty view: the stalest
// entry marked prefer if there is one, else the stalest entry; ties are
// broken at random.
func (v *passiveView) evictee(prefer uint64, rng *rand.Rand) int {
	best, ties := -1, 0
	if prefer != 0 {
		for i := range v.entries {
			if v.entries[i].mark == prefer {
				best, ties = v.staler(i, best, ties, rng)
			}
		}
		if best >= 0 {
			return best
		}
	}
	for i := range v.entries {
		best, ties = v.staler(i, best, ties, rng)
	}
	return best
}

// staler folds entry i into a running "stalest so far" choice, counting
// ties so that each tied entry is equally likely to win.
func (v *passiveView) staler(i, best, ties int, rng *rand.Rand) (int, int) {
	switch {
	case best < 0 || v.seenAt(i) < v.seenAt(best):
		return i, 1
	case v.seenAt(i) == v.seenAt(best):
		ties++
		if rng.IntN(ties) == 0 {
			return i, ties
		}
	}
	return best, ties
}

// sample appends to dst up to k distinct peers, excluding the one called
// exclude, each the fresher of two random picks among those left, and tags
// the chosen entries with mark. scratch is reused working space; the grown
// slice is returned for reuse.
func (v *passiveView) sample(dst []Peer, k int, exclude string, mark uint64, rng *rand.Rand, scratch []int) ([]Peer, []int) {
	idx := scratch[:0]
	for i := range v.entries {
		if v.entries[i].peer.Name != exclude {
			idx = append(idx, i)
		}
	}
	for i := 0; i < k && i < len(idx); i++ {
		a := i + rng.IntN(len(idx)-i)
		b := i + rng.IntN(len(idx)-i)
		if v.seenAt(idx[b]) > v.seenAt(idx[a]) {
			a = b
		}
		idx[i], idx[a] = idx[a], idx[i]
		v.entries[idx[i]].mark = mark
		dst = append(dst, v.entries[idx[i]].peer)
	}
	return dst, idx
}

// candidate picks a passive peer to ask for a link, or returns -1: the
// first wanted entry (its flag is cleared), else the fresher of two random
// picks among the entries that are not in skip and
// whose back-off for a request of that priority has expired at now (any
// entry if ignoreBackoff).
func (v *passiveView) candidate(now time.Duration, high, ignoreBackoff bool, skip []neighborRequest, rng *rand.Rand, scratch []int) (int, []int) {
	idx := scratch[:0]
	for i := range v.entries {
		e := &v.entries[i]
		ready := e.retryAt <= now
		if high {
			ready = e.highAt <= now
		}
		if (ready || ignoreBackoff) && pendingIndex(skip, e.peer.Name) < 0 {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return -1, idx
	}
	for _, i := range idx {
		if v.entries[i].wanted {
			v.entries[i].wanted = false
			return i, idx
		}
	}
	a, b := idx[rng.IntN(len(idx))], idx[rng.IntN(len(idx))]
	if v.seenAt(b) > v.seenAt(a) {
		a = b
	}
	return a, idx
}

// peers returns a copy of the view's peers.
func (v *passiveView) peers() []Peer {
	out := make([]Peer, len(v.entries))
	for i := range v.entries {
		out[i] = v.entries[i].peer
	}
	return out
}

// peerIndex returns the position of the peer called name in ps, or -1.
func peerIndex(ps []Peer, name string) int {
	for i := range ps {
		if ps[i].Name == name {
			return i
		}
	}
	return -1
}
