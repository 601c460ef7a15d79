package hyparlist

// This file holds Plumtree's seen-ID set (the paper's "receivedMsgs"): the
// IDs of delivered messages, used to recognise duplicates. It outlives the
// payload cache (SeenTTL ≥ CacheTTL) and is bounded by SeenMaxEntries.

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
	ids  map[MessageID]struct{}
	ring []ptSeenEntry // circular; len(ring) is the capacity, grown on demand
	head int           // index of the oldest entry
	n    int           // number of entries in ring
	ttl  int64
	max  int
}

func newPtSeenSet(ttl int64, max int) ptSeenSet {
	return ptSeenSet{ids: make(map[MessageID]struct{}), ttl: ttl, max: max}
}

// has reports whether id is remembered.
func (s *ptSeenSet) has(id MessageID) bool {
	_, ok := s.ids[id]
	return ok
}

// len returns the number of remembered IDs.
func (s *ptSeenSet) len() int { return s.n }

// add remembers id, which must not be remembered yet, until now+ttl. When
// the set is full the oldest ID is forgotten first.
func (s *ptSeenSet) add(id MessageID, now int64) {
	if s.n == s.max {
		s.popOldest()
	}
	if s.n == len(s.ring) {
		s.grow()
	}
	s.ring[(s.head+s.n)%len(s.ring)] = ptSeenEntry{id: id, expire: ptSatAdd(now, s.ttl)}
	s.n++
	s.ids[id] = struct{}{}
}

// expire forgets every ID at the head of the ring whose time has come.
func (s *ptSeenSet) expire(now int64) {
	for s.n > 0 && s.ring[s.head].expire <= now {
		s.popOldest()
	}
}

func (s *ptSeenSet) popOldest() {
	e := &s.ring[s.head]
	delete(s.ids, e.id)
	*e = ptSeenEntry{}
	s.head = (s.head + 1) % len(s.ring)
	s.n--
}

// grow doubles the ring (up to max), keeping the order of entries.
func (s *ptSeenSet) grow() {
	size := max(2*len(s.ring), 16)
	size = min(size, s.max)
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
