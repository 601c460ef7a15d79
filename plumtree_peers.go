// Plumtree core: the neighbour table (eager and lazy peers).

package hyparlist

import "math/bits"

// This file holds Plumtree's neighbour table: the paper's eagerPushPeers and
// lazyPushPeers as one slice sorted by name, each entry flagged eager or
// lazy and carrying its queue of lazy announcements. A slice keeps the
// output order deterministic; the active view is small (HyParView: 5), so
// a binary search beats a map.

// ptPeer is one neighbour.
type ptPeer struct {
	peer Peer
	// eager is the neighbour's state in the default tree
	// (plumtree_trees.go).
	eager bool
	// slot is the neighbour's bit in the lazy masks of the tracked trees,
	// fixed while it is a neighbour; -1 when every slot is taken.
	slot int8
	// queue holds announcements waiting for the next IHAVE flush to this
	// peer, at most IHaveMaxEntries (a full queue is sent at once).
	queue []ihaveEntry
	// announcedMissing is set when an IHAVE of this neighbour announces
	// a message we miss, and cleared when graftAnnounced has scanned the
	// missing table for it: a relink scans only after new announcements
	// (plumtree_relink.go).
	announcedMissing bool
}

// ptPeers is the neighbour table, sorted by Peer.Name.
type ptPeers struct {
	list []ptPeer
	// slots has bit s set while a neighbour holds slot s.
	slots uint64
}

// search returns the index of name in the table, or where it would be
// inserted, and whether it is present.
func (s *ptPeers) search(name string) (int, bool) {
	lo, hi := 0, len(s.list)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.list[m].peer.Name < name {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(s.list) && s.list[lo].peer.Name == name
}

// get returns the neighbour called name, or nil.
func (s *ptPeers) get(name string) *ptPeer {
	if i, ok := s.search(name); ok {
		return &s.list[i]
	}
	return nil
}

// insert adds p as a new neighbour at index i (from search) and returns
// it.
func (s *ptPeers) insert(i int, p Peer, eager bool) *ptPeer {
	slot := int8(-1)
	if free := ^s.slots; free != 0 {
		slot = int8(bits.TrailingZeros64(free))
		s.slots |= uint64(1) << uint(slot)
	}
	s.list = append(s.list, ptPeer{})
	copy(s.list[i+1:], s.list[i:])
	s.list[i] = ptPeer{peer: p, eager: eager, slot: slot}
	return &s.list[i]
}

// remove drops the neighbour called name, freeing its slot, and returns
// the slot (-1 for none) and whether it was there.
func (s *ptPeers) remove(name string) (int8, bool) {
	i, ok := s.search(name)
	if !ok {
		return -1, false
	}
	slot := s.list[i].slot
	if slot >= 0 {
		s.slots &^= uint64(1) << uint(slot)
	}
	copy(s.list[i:], s.list[i+1:])
	s.list[len(s.list)-1] = ptPeer{}
	s.list = s.list[:len(s.list)-1]
	return slot, true
}

// collect returns a copy of the peers whose eager flag equals eager, in
// name order.
func (s *ptPeers) collect(eager bool) []Peer {
	var out []Peer
	for i := range s.list {
		if s.list[i].eager == eager {
			out = append(out, s.list[i].peer)
		}
	}
	return out
}
