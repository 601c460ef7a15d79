package hyparlist

import (
	"math"

	"github.com/google/btree"
)

// This file holds Plumtree's message cache: the payloads a node delivered,
// kept for CacheTTL to answer GRAFTs, ordered by expiry in a B-tree so that
// expiring and evicting cost O(log n) per entry and never scan.
//
// Entries live in a slab (a slice with a free list); a map finds an
// entry's slot by message ID, and the B-tree orders small pointer-free keys
// (expiry, insertion, slot). Pointer-free keys make B-tree inserts and
// removals several times cheaper than keys carrying the ID's string.

// ptCacheEntryOverhead is the fixed cost in bytes charged per cached
// message on top of its payload and origin name, so that CacheMaxBytes also
// bounds the number of entries (of empty payloads). It approximates the
// slab entry, the map slot and the B-tree key.
const ptCacheEntryOverhead = 96

// ptCacheBTreeDegree is the B-tree degree of the cache's expiry index. 16
// keeps a cache of 10^4–10^5 entries four levels deep.
const ptCacheBTreeDegree = 16

// ptCacheFreeList is the number of B-tree nodes each cache keeps for
// reuse. The library default (32) costs 256 bytes per idle core; a few
// suffice for the insert-at-one-end, remove-at-the-other pattern of an
// expiry index.
const ptCacheFreeList = 4

// ptCacheKey orders cached messages by expiry, then by insertion, and
// names the slab slot of the entry. seq is only a tie-breaker among
// entries expiring in the same nanosecond; it wraps after 2^32 insertions,
// long after any such tie.
type ptCacheKey struct {
	expire int64
	seq    uint32
	slot   uint32
}

func ptCacheKeyLess(a, b ptCacheKey) bool {
	if a.expire != b.expire {
		return a.expire < b.expire
	}
	return a.seq < b.seq
}

// ptCached is one cached message.
type ptCached struct {
	id      MessageID
	payload []byte // shared with the Receive that brought it, never copied
	// parent is the name of the neighbour the payload arrived from, empty
	// for a message broadcast by this node. The tree optimisation prunes
	// it.
	parent string
	key    ptCacheKey // its key in the expiry index
	size   uint32
	// round is the round this node forwards the message with: the
	// received round plus one, 0 at the origin.
	round uint16
	class Class
}

// ptCache is the payload cache.
type ptCache struct {
	index *btree.BTreeG[ptCacheKey]
	slots map[MessageID]uint32 // ID → index in slab
	slab  []ptCached
	free  []uint32 // unused slab indexes

	bytes    int
	maxBytes int
	ttl      int64
	seq      uint32
	// next is a lower bound of the earliest expiry in the cache
	// (math.MaxInt64 when empty), so that an expire call with nothing due
	// touches neither the tree nor the map.
	next int64
}

func newPtCache(ttl int64, maxBytes int) ptCache {
	return ptCache{
		index:    btree.NewWithFreeListG(ptCacheBTreeDegree, ptCacheKeyLess, btree.NewFreeListG[ptCacheKey](ptCacheFreeList)),
		slots:    make(map[MessageID]uint32),
		maxBytes: maxBytes,
		ttl:      ttl,
		next:     math.MaxInt64,
	}
}

// len returns the number of cached messages.
func (c *ptCache) len() int { return len(c.slots) }

// get returns the cached message id, or nil. The pointer is valid until
// the cache is next changed.
func (c *ptCache) get(id MessageID) *ptCached {
	if s, ok := c.slots[id]; ok {
		return &c.slab[s]
	}
	return nil
}

// has reports whether id is cached.
func (c *ptCache) has(id MessageID) bool {
	_, ok := c.slots[id]
	return ok
}

// add caches e (whose id must not be cached yet) until now+ttl, unless it
// is larger than the whole cache. The oldest entries are evicted to make
// room.
func (c *ptCache) add(e ptCached, now int64) {
	size := len(e.payload) + len(e.id.Origin) + ptCacheEntryOverhead
	if size > c.maxBytes {
		return
	}
	for c.bytes+size > c.maxBytes {
		k, _ := c.index.DeleteMin()
		c.drop(k)
	}
	var slot uint32
	if n := len(c.free); n > 0 {
		slot = c.free[n-1]
		c.free = c.free[:n-1]
	} else {
		slot = uint32(len(c.slab))
		c.slab = append(c.slab, ptCached{})
	}
	c.seq++
	e.key = ptCacheKey{expire: ptSatAdd(now, c.ttl), seq: c.seq, slot: slot}
	e.size = uint32(size)
	c.slab[slot] = e
	c.slots[e.id] = slot
	c.index.ReplaceOrInsert(e.key)
	c.bytes += size
	c.next = min(c.next, e.key.expire)
}

// remove drops the message id if it is cached.
func (c *ptCache) remove(id MessageID) {
	if s, ok := c.slots[id]; ok {
		k := c.slab[s].key
		c.index.Delete(k)
		c.drop(k)
	}
}

// expire drops every message whose time has come.
func (c *ptCache) expire(now int64) {
	for c.next <= now {
		k, ok := c.index.Min()
		if !ok {
			c.next = math.MaxInt64
			return
		}
		c.next = k.expire
		if k.expire > now {
			return
		}
		c.index.DeleteMin()
		c.drop(k)
	}
}

// drop forgets the entry of k, already removed from the index. next stays
// a lower bound: every remaining expiry is at least k's. An emptied cache
// releases its slab, so a burst does not pin memory.
func (c *ptCache) drop(k ptCacheKey) {
	e := &c.slab[k.slot]
	delete(c.slots, e.id)
	c.bytes -= int(e.size)
	*e = ptCached{}
	c.free = append(c.free, k.slot)
	if len(c.slots) == 0 {
		c.slab, c.free = nil, nil
	}
}

// recent appends to dst announcements of the n most recently cached
// messages, oldest first, and returns the extended slice.
func (c *ptCache) recent(dst []IHaveEntry, n int) []IHaveEntry {
	start := len(dst)
	c.index.Descend(func(k ptCacheKey) bool {
		if len(dst)-start >= n {
			return false
		}
		e := &c.slab[k.slot]
		dst = append(dst, IHaveEntry{ID: e.id, Round: e.round})
		return true
	})
	ann := dst[start:]
	for i, j := 0, len(ann)-1; i < j; i, j = i+1, j-1 {
		ann[i], ann[j] = ann[j], ann[i]
	}
	return dst
}
