package hyparlist

// This file holds Plumtree's seen-ID set (the paper's "receivedMsgs"): the
// IDs of delivered messages, used to recognise duplicates, each with the
// round the node forwarded it with (for the tree optimisation). It
// outlives the payload cache (SeenTTL ≥ CacheTTL) and is bounded by
// SeenMaxEntries.

// ptSeenEntry is one remembered ID in insertion order.
type ptSeenEntry struct {
	id     MessageID
	expire int64 // core clock, see Plumtree.clock
}

// ptSeenSet is a set of message IDs that forgets each ID ttl after it was
// added, or earlier when more than max IDs are held (oldest first).
//
// IDs are kept in a FIFO ring in insertion order. The TTL is the same for
// every ID, so with a non-decreasing clock the ring is also in expiry order
// and expiring is O(1) per ID. If the clock ever goes backwards, some IDs
// expire later than they should; the count bound still holds.
type ptSeenSet struct {
	ids  map[MessageID]uint16 // ID → forward round
	ring []ptSeenEntry        // circular; len(ring) is the capacity, grown on demand
	head int                  // index of the oldest entry
	n    int                  // number of entries in ring
	ttl  int64
	max  int
}

func newPtSeenSet(ttl int64, max int) ptSeenSet {
	return ptSeenSet{ids: make(map[MessageID]uint16), ttl: ttl, max: max}
}

// has reports whether id is remembered.
func (s *ptSeenSet) has(id MessageID) bool {
	_, ok := s.ids[id]
	return ok
}

// round returns the round id was forwarded with, if it is remembered.
func (s *ptSeenSet) round(id MessageID) (uint16, bool) {
	r, ok := s.ids[id]
	return r, ok
}

// len returns the number of remembered IDs.
func (s *ptSeenSet) len() int { return s.n }

// add remembers id, forwarded with round, until now+ttl; id must not be
// remembered yet. When the set is full the oldest ID is forgotten first and
// returned, with true.
func (s *ptSeenSet) add(id MessageID, round uint16, now int64) (forgotten MessageID, ok bool) {
	if s.n == s.max {
		forgotten, ok = s.popOldest(), true
	}
	if s.n == len(s.ring) {
		s.grow()
	}
	s.ring[(s.head+s.n)%len(s.ring)] = ptSeenEntry{id: id, expire: ptSatAdd(now, s.ttl)}
	s.n++
	s.ids[id] = round
	return forgotten, ok
}

// expire forgets every ID at the head of the ring whose time has come.
// A set that empties releases its ring and map, and a ring less than a
// quarter full is halved, so that an idle node does not keep the memory of
// a burst.
func (s *ptSeenSet) expire(now int64) {
	popped := false
	for s.n > 0 && s.ring[s.head].expire <= now {
		s.popOldest()
		popped = true
	}
	switch {
	case !popped || len(s.ring) <= ptSeenMinRing:
	case s.n == 0:
		*s = newPtSeenSet(s.ttl, s.max)
	case s.n < len(s.ring)/4:
		s.resize(len(s.ring) / 2)
	}
}

// popOldest forgets the oldest ID and returns it.
func (s *ptSeenSet) popOldest() MessageID {
	e := &s.ring[s.head]
	id := e.id
	delete(s.ids, id)
	*e = ptSeenEntry{}
	s.head = (s.head + 1) % len(s.ring)
	s.n--
	return id
}

// ptSeenMinRing is the smallest ring the seen set allocates, and the size
// below which it never shrinks.
const ptSeenMinRing = 16

// grow doubles the ring (up to max).
func (s *ptSeenSet) grow() {
	s.resize(min(max(2*len(s.ring), ptSeenMinRing), s.max))
}

// resize moves the entries to a ring of the given size (at least s.n),
// keeping their order.
func (s *ptSeenSet) resize(size int) {
	ring := make([]ptSeenEntry, size)
	for i := range s.n {
		ring[i] = s.ring[(s.head+i)%len(s.ring)]
	}
	s.ring = ring
	s.head = 0
}

// ptSatAdd returns a+b for b ≥ 0, saturating at the largest int64.
func ptSatAdd(a, b int64) int64 {
	if s := a + b; s >= a {
		return s
	}
	return int64(^uint64(0) >> 1)
}
