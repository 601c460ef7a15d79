package hyparlist

import "hash/maphash"

// This file holds Plumtree's seen-ID set (the paper's "receivedMsgs"): the
// IDs of delivered messages, used to recognise duplicates, each with the
// round the node forwarded it with (for the tree optimisation) and the
// message's place in the cache (plumtree_cache.go) while it is cached. It
// outlives the payload cache (SeenTTL ≥ CacheTTL) and is bounded by
// SeenMaxEntries.
//
// Layout. The set is held by every node for every message of the last
// SeenTTL, so its size per entry matters (a simulator holds one per node):
// entries sit in a queue in insertion order (ptFIFO; with one TTL for all,
// also expiry order, so expiring is O(1) per ID), and an open-addressing
// hash index (linear probing) of 4-byte slots finds them by ID: each slot
// holds the sequence number of an entry and 8 bits of its ID's hash, so
// that a probe reads the entry itself only when the tags match. The index
// hashes IDs with hash/maphash under a per-set random seed, so that nobody
// can choose IDs that collide; the seed only places entries in the index
// and never reaches an output.

// ptSeenEntry is one remembered ID.
type ptSeenEntry struct {
	id     MessageID
	expire int64 // core clock, see Plumtree.now
	// cache is the sequence of the message's cache entry, valid while
	// cached is set and that entry points back here (ptCached.seen).
	cache  uint32
	round  uint16
	cached bool
}

// ptSeenSet is a set of message IDs that forgets each ID ttl after it was
// added, or earlier when more than max IDs are held (oldest first). If the
// clock ever goes backwards, some IDs expire later than they should; the
// count bound still holds.
type ptSeenSet struct {
	q     ptFIFO[ptSeenEntry]
	slots []uint32 // ptEmptySlot, or ptSlot(tag, sequence) of an entry of q
	seed  maphash.Seed
	ttl   int64
	max   int
}

// Seen set bounds and index layout.
const (
	// ptSeenMinSlots is the smallest index the set allocates, and the
	// size below which it never shrinks.
	ptSeenMinSlots = 16
	// ptSeenMax caps SeenMaxEntries: sequences have 24 bits.
	ptSeenMax = ptSeqMask
	// ptEmptySlot marks a free index slot; no tag is 0xff (ptTag).
	ptEmptySlot = ^uint32(0)
)

// ptTag returns the 8-bit tag of a hash: its top byte, 0xff excepted.
func ptTag(h uint64) uint32 { return min(uint32(h>>56), 0xfe) }

// ptSlot packs a tag and a sequence.
func ptSlot(tag, seq uint32) uint32 { return tag<<ptSeqBits | seq }

func newPtSeenSet(ttl int64, max int) ptSeenSet {
	return ptSeenSet{seed: maphash.MakeSeed(), ttl: ttl, max: min(max, ptSeenMax)}
}

// len returns the number of remembered IDs.
func (s *ptSeenSet) len() int { return s.q.len() }

func (s *ptSeenSet) hash(id MessageID) uint64 { return maphash.Comparable(s.seed, id) }

// find returns the entry of id and its sequence, or nil.
func (s *ptSeenSet) find(id MessageID) (*ptSeenEntry, uint32) {
	if len(s.slots) == 0 {
		return nil, 0
	}
	h := s.hash(id)
	tag, mask := ptTag(h), uint64(len(s.slots)-1)
	for i := h & mask; ; i = (i + 1) & mask {
		v := s.slots[i]
		if v == ptEmptySlot {
			return nil, 0
		}
		if v>>ptSeqBits != tag {
			continue
		}
		if e := s.q.at(v & ptSeqMask); e.id == id {
			return e, v & ptSeqMask
		}
	}
}

// has reports whether id is remembered.
func (s *ptSeenSet) has(id MessageID) bool {
	e, _ := s.find(id)
	return e != nil
}

// round returns the round id was forwarded with, if it is remembered.
func (s *ptSeenSet) round(id MessageID) (uint16, bool) {
	if e, _ := s.find(id); e != nil {
		return e.round, true
	}
	return 0, false
}

// full reports whether the set holds max IDs: the oldest must be
// forgotten (Plumtree.forgetOldest) before another is added.
func (s *ptSeenSet) full() bool { return s.q.len() >= s.max }

// add remembers id, forwarded with round, until now+ttl; id must not be
// remembered yet and the set must not be full. It returns the new entry
// and its sequence.
func (s *ptSeenSet) add(id MessageID, round uint16, now int64) (*ptSeenEntry, uint32) {
	if (s.q.len()+1)*4 > len(s.slots)*3 {
		s.resize(max(2*len(s.slots), ptSeenMinSlots))
	}
	seq := s.q.push(ptSeenEntry{id: id, expire: ptSatAdd(now, s.ttl), round: round})
	s.insertSlot(s.hash(id), seq)
	return s.q.at(seq), seq
}

// oldest returns the oldest entry and its sequence; nil if empty.
func (s *ptSeenSet) oldest() (*ptSeenEntry, uint32) { return s.q.front() }

// shrink releases the index of an emptied set and halves one less than an
// eighth full, so that an idle node does not keep the memory of a burst.
// Called after entries were forgotten.
func (s *ptSeenSet) shrink() {
	switch {
	case s.q.len() == 0:
		s.slots = nil
	case len(s.slots) > ptSeenMinSlots && s.q.len()*8 < len(s.slots):
		s.resize(len(s.slots) / 2)
	}
}

// popOldest forgets the oldest ID (Plumtree.forgetOldest drops its cache
// entry first).
func (s *ptSeenSet) popOldest() {
	e, seq := s.q.front()
	s.deleteSlot(s.hash(e.id), seq)
	s.q.pop()
}

// insertSlot records seq, whose ID hashes to h, in the index.
func (s *ptSeenSet) insertSlot(h uint64, seq uint32) {
	mask := uint64(len(s.slots) - 1)
	i := h & mask
	for s.slots[i] != ptEmptySlot {
		i = (i + 1) & mask
	}
	s.slots[i] = ptSlot(ptTag(h), seq)
}

// deleteSlot removes seq, whose ID hashes to h, from the index, shifting
// back the entries after it (linear probing without tombstones).
func (s *ptSeenSet) deleteSlot(h uint64, seq uint32) {
	mask, want := uint64(len(s.slots)-1), ptSlot(ptTag(h), seq)
	i := h & mask
	for s.slots[i] != want {
		i = (i + 1) & mask
	}
	for j := i; ; {
		s.slots[i] = ptEmptySlot
		for {
			j = (j + 1) & mask
			v := s.slots[j]
			if v == ptEmptySlot {
				return
			}
			// The entry at j may move to i unless its home slot lies
			// cyclically in (i, j].
			home := s.hash(s.q.at(v&ptSeqMask).id) & mask
			if (j-home)&mask >= (j-i)&mask {
				s.slots[i] = v
				i = j
				break
			}
		}
	}
}

// resize rebuilds the index with size slots (a power of two above the
// number of entries).
func (s *ptSeenSet) resize(size int) {
	s.slots = make([]uint32, size)
	for i := range s.slots {
		s.slots[i] = ptEmptySlot
	}
	first := s.q.first
	for k := range s.q.len() {
		seq := (first + uint32(k)) & ptSeqMask
		s.insertSlot(s.hash(s.q.at(seq).id), seq)
	}
}

// ptSatAdd returns a+b for b ≥ 0, saturating at the largest int64.
func ptSatAdd(a, b int64) int64 {
	if s := a + b; s >= a {
		return s
	}
	return int64(^uint64(0) >> 1)
}
