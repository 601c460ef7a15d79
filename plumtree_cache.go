package hyparlist

import (
	"math"

	"github.com/google/btree"
)

// This file holds Plumtree's message cache: the payloads a node delivered,
// kept for CacheTTL to answer GRAFTs, ordered by expiry in a B-tree so that
// expiring and evicting cost O(log n) per entry and never scan.

// ptCacheEntryOverhead is the fixed cost in bytes charged per cached
// message on top of its payload and origin name, so that CacheMaxBytes also
// bounds the number of entries (of empty payloads). It approximates the map
// slot, the B-tree item and the entry itself.
const ptCacheEntryOverhead = 96

// ptCacheBTreeDegree is the B-tree degree of the cache's expiry index. 16
// keeps a cache of 10^4–10^5 entries four levels deep.
const ptCacheBTreeDegree = 16

// ptCacheKey orders cached messages by expiry, then by insertion.
type ptCacheKey struct {
	expire int64
	seq    uint64
	id     MessageID
}

func ptCacheKeyLess(a, b ptCacheKey) bool {
	if a.expire != b.expire {
		return a.expire < b.expire
	}
	return a.seq < b.seq
}

// ptCached is one cached message.
type ptCached struct {
	payload []byte // shared with the Receive that brought it, never copied
	// parent is the name of the neighbour the payload arrived from, empty
	// for a message broadcast by this node. The tree optimisation prunes
	// it.
	parent string
	expire int64
	seq    uint64
	size   int
	// round is the round this node forwards the message with: the
	// received round plus one, 0 at the origin.
	round uint16
	class Class
}

// ptCache is the payload cache.
type ptCache struct {
	index    *btree.BTreeG[ptCacheKey]
	entries  map[MessageID]ptCached
	bytes    int
	maxBytes int
	ttl      int64
	seq      uint64
	// next is the earliest expiry in the cache (math.MaxInt64 when empty),
	// so that an expire call with nothing due does not touch the tree.
	next int64
}

func newPtCache(ttl int64, maxBytes int) ptCache {
	return ptCache{
		index:    btree.NewG(ptCacheBTreeDegree, ptCacheKeyLess),
		entries:  make(map[MessageID]ptCached),
		maxBytes: maxBytes,
		ttl:      ttl,
		next:     math.MaxInt64,
	}
}

// len returns the number of cached messages.
func (c *ptCache) len() int { return len(c.entries) }

// get returns the cached message id.
func (c *ptCache) get(id MessageID) (ptCached, bool) {
	e, ok := c.entries[id]
	return e, ok
}

// has reports whether id is cached.
func (c *ptCache) has(id MessageID) bool {
	_, ok := c.entries[id]
	return ok
}

// add caches a message until now+ttl unless it is already cached or is
// larger than the whole cache. Older entries are evicted to make room.
func (c *ptCache) add(id MessageID, e ptCached, now int64) {
	if _, ok := c.entries[id]; ok {
		return
	}
	e.size = len(e.payload) + len(id.Origin) + ptCacheEntryOverhead
	if e.size > c.maxBytes {
		return
	}
	for c.bytes+e.size > c.maxBytes {
		c.removeOldest()
	}
	c.seq++
	e.seq = c.seq
	e.expire = ptSatAdd(now, c.ttl)
	c.entries[id] = e
	c.index.ReplaceOrInsert(ptCacheKey{expire: e.expire, seq: e.seq, id: id})
	c.bytes += e.size
	c.next = min(c.next, e.expire)
}

// expire drops every message whose time has come.
func (c *ptCache) expire(now int64) {
	for c.next <= now && len(c.entries) > 0 {
		c.removeOldest()
	}
}

// removeOldest drops the message closest to expiry.
func (c *ptCache) removeOldest() {
	k, ok := c.index.DeleteMin()
	if !ok {
		c.next = math.MaxInt64
		return
	}
	c.bytes -= c.entries[k.id].size
	delete(c.entries, k.id)
	if m, ok := c.index.Min(); ok {
		c.next = m.expire
	} else {
		c.next = math.MaxInt64
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
		dst = append(dst, IHaveEntry{ID: k.id, Round: c.entries[k.id].round})
		return true
	})
	ann := dst[start:]
	for i, j := 0, len(ann)-1; i < j; i, j = i+1, j-1 {
		ann[i], ann[j] = ann[j], ann[i]
	}
	return dst
}
