// Plumtree core: the seen-ID set that recognises duplicates.

package hyparlist

import "hash/maphash"

// This file holds Plumtree's seen-ID set (the paper's "receivedMsgs"): the
// IDs of delivered messages, used to recognise duplicates, each with the
// round the node forwarded it with (for the tree optimisation) and the
// message's place in the cache (plumtree_cache.go) while it is cached. It
// outlives the payload cache (SeenTTL ≥ CacheTTL, and the same for the
// membership class's TTLs) and is bounded by SeenMaxEntries.
//
// Layout. The set is held by every node for every message of the last
// SeenTTL, so its size per entry matters (a simulator holds one per node):
// entries sit in a queue per TTL group (ptGroupOf) in insertion order
// (ptFIFO; with one TTL per group, also expiry order, so expiring is O(1)
// per ID), and an open-addressing hash index (linear probing) of 4-byte
// slots finds them by ID: each slot holds a reference to an entry (group
// and sequence) and 7 bits of its ID's hash, so that a probe reads the
// entry itself only when the tags match. The index
// hashes IDs with hash/maphash under a per-set random seed, so that nobody
// can choose IDs that collide; the seed only places entries in the index
// and never reaches an output.

// TTL groups: messages of ClassMembership keep their own TTLs
// (PlumtreeConfig.MembershipCacheTTL, MembershipSeenTTL); all other classes
// share CacheTTL and SeenTTL.
const (
	ptGroupDefault = 0
	ptGroupMembers = 1
	ptGroups       = 2
)

// ptGroupOf returns the TTL group of a class.
func ptGroupOf(c Class) int {
	if c == ClassMembership {
		return ptGroupMembers
	}
	return ptGroupDefault
}

// ptRef names an entry of a grouped table: its group above ptSeqBits, its
// sequence below.
type ptRef uint32

func ptRefOf(group int, seq uint32) ptRef { return ptRef(uint32(group)<<ptSeqBits | seq) }

func (r ptRef) group() int  { return int(r >> ptSeqBits) }
func (r ptRef) seq() uint32 { return uint32(r) & ptSeqMask }

// ptSeenEntry is one remembered ID.
type ptSeenEntry struct {
	id     MessageID
	expire int64 // core clock, see Plumtree.now
	// cache is the message's cache entry, valid while cached is set and
	// that entry points back here (ptCached.seen).
	cache  ptRef
	round  uint16
	cached bool
}

// ptSeenSet is a set of message IDs that forgets each ID its group's TTL
// after it was added, or earlier when more than max IDs are held (oldest
// first). If the clock ever goes backwards, some IDs expire later than
// they should; the count bound still holds.
type ptSeenSet struct {
	q     [ptGroups]ptFIFO[ptSeenEntry]
	ttl   [ptGroups]int64
	slots []uint32 // ptEmptySlot, or ptSlot(tag, ref) of an entry
	seed  maphash.Seed
	n     int // entries held, all groups
	max   int
}

// Seen set bounds and index layout.
const (
	// ptSeenMinSlots is the smallest index the set allocates, and the
	// size below which it never shrinks.
	ptSeenMinSlots = 16
	// ptSeenMax caps SeenMaxEntries: sequences have 24 bits.
	ptSeenMax = ptSeqMask
	// ptTagShift places the tag above a ptRef (24+1 bits).
	ptTagShift = ptSeqBits + 1
	// ptEmptySlot marks a free index slot; no tag is 0x7f (ptTag).
	ptEmptySlot = ^uint32(0)
)

// ptTag returns the 7-bit tag of a hash: its top bits, 0x7f excepted.
func ptTag(h uint64) uint32 { return min(uint32(h>>57), 0x7e) }

// ptSlot packs a tag and a reference.
func ptSlot(tag uint32, ref ptRef) uint32 { return tag<<ptTagShift | uint32(ref) }

func newPtSeenSet(ttl [ptGroups]int64, max int) ptSeenSet {
	return ptSeenSet{seed: maphash.MakeSeed(), ttl: ttl, max: min(max, ptSeenMax)}
}

// len returns the number of remembered IDs.
func (s *ptSeenSet) len() int { return s.n }

func (s *ptSeenSet) hash(id MessageID) uint64 { return maphash.Comparable(s.seed, id) }

// at returns the entry ref names, or nil.
func (s *ptSeenSet) at(ref ptRef) *ptSeenEntry { return s.q[ref.group()].at(ref.seq()) }

// find returns the entry of id and its reference, or nil.
func (s *ptSeenSet) find(id MessageID) (*ptSeenEntry, ptRef) {
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
		if v>>ptTagShift != tag {
			continue
		}
		ref := ptRef(v & (1<<ptTagShift - 1))
		if e := s.at(ref); e.id == id {
			return e, ref
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
func (s *ptSeenSet) full() bool { return s.n >= s.max }

// add remembers id of TTL group g, forwarded with round, until now plus
// the group's TTL; id must not be remembered yet and the set must not be
// full. It returns the new entry and its reference.
func (s *ptSeenSet) add(id MessageID, g int, round uint16, now int64) (*ptSeenEntry, ptRef) {
	if (s.n+1)*4 > len(s.slots)*3 {
		s.resize(max(2*len(s.slots), ptSeenMinSlots))
	}
	ref := ptRefOf(g, s.q[g].push(ptSeenEntry{id: id, expire: ptSatAdd(now, s.ttl[g]), round: round}))
	s.n++
	s.insertSlot(s.hash(id), ref)
	return s.at(ref), ref
}

// added returns when e, of group g, was added.
func (s *ptSeenSet) added(e *ptSeenEntry, g int) int64 { return e.expire - s.ttl[g] }

// front returns the oldest entry of group g and its reference; nil if the
// group is empty.
func (s *ptSeenSet) front(g int) (*ptSeenEntry, ptRef) {
	e, seq := s.q[g].front()
	return e, ptRefOf(g, seq)
}

// oldest returns the group whose oldest entry was added first, or -1 if
// the set is empty.
func (s *ptSeenSet) oldest() int {
	best, at := -1, int64(0)
	for g := range s.q {
		if e, _ := s.front(g); e != nil && (best < 0 || s.added(e, g) < at) {
			best, at = g, s.added(e, g)
		}
	}
	return best
}

// shrink releases the index of an emptied set and halves one less than an
// eighth full, so that an idle node does not keep the memory of a burst.
// Called after entries were forgotten.
func (s *ptSeenSet) shrink() {
	switch {
	case s.n == 0:
		s.slots = nil
	case len(s.slots) > ptSeenMinSlots && s.n*8 < len(s.slots):
		s.resize(len(s.slots) / 2)
	}
}

// pop forgets the oldest ID of group g (Plumtree.forget drops its cache
// entry first).
func (s *ptSeenSet) pop(g int) {
	e, ref := s.front(g)
	s.deleteSlot(s.hash(e.id), ref)
	s.q[g].pop()
	s.n--
}

// insertSlot records ref, whose ID hashes to h, in the index.
func (s *ptSeenSet) insertSlot(h uint64, ref ptRef) {
	mask := uint64(len(s.slots) - 1)
	i := h & mask
	for s.slots[i] != ptEmptySlot {
		i = (i + 1) & mask
	}
	s.slots[i] = ptSlot(ptTag(h), ref)
}

// deleteSlot removes ref, whose ID hashes to h, from the index, shifting
// back the entries after it (linear probing without tombstones).
func (s *ptSeenSet) deleteSlot(h uint64, ref ptRef) {
	mask, want := uint64(len(s.slots)-1), ptSlot(ptTag(h), ref)
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
			home := s.hash(s.at(ptRef(v&(1<<ptTagShift-1))).id) & mask
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
	for g := range s.q {
		q := &s.q[g]
		for k := range q.len() {
			ref := ptRefOf(g, (q.first+uint32(k))&ptSeqMask)
			s.insertSlot(s.hash(s.at(ref).id), ref)
		}
	}
}

// ptSatAdd returns a+b for b ≥ 0, saturating at the largest int64.
func ptSatAdd(a, b int64) int64 {
	if s := a + b; s >= a {
		return s
	}
	return int64(^uint64(0) >> 1)
}
