package hyparlist

// This file holds Plumtree's message cache: the payloads a node delivered,
// kept for CacheTTL to answer GRAFTs, and at most CacheMaxBytes of them
// (the oldest go first).
//
// Every cached message is also in the seen set (SeenTTL ≥ CacheTTL, and a
// seen ID forgotten early takes its cache entry along), so a cache entry
// keeps only what the seen entry lacks: the payload, the neighbour it came
// from and the class. The seen entry, reached through the entry's
// sequence, gives the ID, the round, the expiry (seen expiry minus SeenTTL
// plus CacheTTL, since both were added together) and, with the payload,
// the size. Entries sit in a queue in insertion order (ptFIFO), which is
// also expiry order; a removed entry is marked dead and skipped.

// ptCacheEntryOverhead is the fixed cost in bytes charged per cached
// message on top of its payload and origin name, so that CacheMaxBytes also
// bounds the number of entries (of empty payloads). It approximates the
// cache and seen entries and the index slot.
const ptCacheEntryOverhead = 96

// ptCached is one cached message.
type ptCached struct {
	payload []byte // shared with the Receive that brought it, never copied
	// parent is the name of the neighbour the payload arrived from, empty
	// for a message broadcast by this node. The tree optimisation prunes
	// it.
	parent string
	// seen is the sequence of the message's seen entry.
	seen  uint32
	class Class
	live  bool // false once removed
}

// ptCacheSize is what a message costs the cache's byte bound.
func ptCacheSize(payload []byte, id MessageID) int {
	return len(payload) + len(id.Origin) + ptCacheEntryOverhead
}

// ptCache is the payload cache. Its methods that touch entries take the
// core's seen set, which holds their IDs and expiry.
type ptCache struct {
	q        ptFIFO[ptCached]
	n        int // live entries
	bytes    int
	maxBytes int
	ttl      int64
}

func newPtCache(ttl int64, maxBytes int) ptCache {
	return ptCache{maxBytes: maxBytes, ttl: ttl}
}

// len returns the number of cached messages.
func (c *ptCache) len() int { return c.n }

// get returns the live entry of sequence seq, or nil. The pointer is valid
// until the cache is next changed.
func (c *ptCache) get(seq uint32) *ptCached {
	if e := c.q.at(seq); e != nil && e.live {
		return e
	}
	return nil
}

// add caches payload for the message of seen entry se (sequence seenSeq),
// unless it is larger than the whole cache. The oldest entries are evicted
// to make room.
func (c *ptCache) add(payload []byte, parent string, class Class, se *ptSeenEntry, seenSeq uint32, seen *ptSeenSet) {
	size := ptCacheSize(payload, se.id)
	if size > c.maxBytes {
		return
	}
	for c.bytes+size > c.maxBytes {
		c.dropFront(seen)
	}
	se.cache = c.q.push(ptCached{payload: payload, parent: parent, seen: seenSeq, class: class, live: true})
	se.cached = true
	c.bytes += size
	c.n++
}

// remove drops the entry of sequence seq if it is live.
func (c *ptCache) remove(seq uint32, seen *ptSeenSet) {
	e := c.q.at(seq)
	if e == nil || !e.live {
		return
	}
	c.kill(e, seen)
	c.popDead()
}

// kill marks e removed and releases what it accounts for.
func (c *ptCache) kill(e *ptCached, seen *ptSeenSet) {
	if se := seen.q.at(e.seen); se != nil {
		se.cached = false
		c.bytes -= ptCacheSize(e.payload, se.id)
	}
	*e = ptCached{}
	c.n--
}

// dropFront drops the oldest live entry (and the dead ones before it).
func (c *ptCache) dropFront(seen *ptSeenSet) {
	c.popDead()
	if e, _ := c.q.front(); e != nil {
		c.kill(e, seen)
		c.q.pop()
	}
}

// popDead pops the removed entries at the front.
func (c *ptCache) popDead() {
	for e, _ := c.q.front(); e != nil && !e.live; e, _ = c.q.front() {
		c.q.pop()
	}
}

// expire drops every message whose time has come.
func (c *ptCache) expire(now int64, seen *ptSeenSet) {
	for {
		c.popDead()
		e, _ := c.q.front()
		if e == nil {
			return
		}
		if se := seen.q.at(e.seen); se != nil && se.expire-seen.ttl+c.ttl > now {
			return
		}
		c.kill(e, seen)
		c.q.pop()
	}
}

// recent appends to dst announcements of the n most recently cached
// messages, oldest first, and returns the extended slice.
func (c *ptCache) recent(dst []IHaveEntry, n int, seen *ptSeenSet) []IHaveEntry {
	start := len(dst)
	for k := 0; len(dst)-start < n; k++ {
		e := c.q.back(k)
		if e == nil {
			break
		}
		if se := seen.q.at(e.seen); e.live && se != nil {
			dst = append(dst, IHaveEntry{ID: se.id, Round: se.round})
		}
	}
	ann := dst[start:]
	for i, j := 0, len(ann)-1; i < j; i, j = i+1, j-1 {
		ann[i], ann[j] = ann[j], ann[i]
	}
	return dst
}
