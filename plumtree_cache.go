// Plumtree core: the message cache that answers GRAFTs, bounded by age and
// bytes, and plumtreeStats, its sizes.

package hyparlist

import "math"

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
// the size. Entries sit in a queue per TTL group (ptGroupOf) in insertion
// order (ptFIFO), which is also expiry order; a removed entry is marked
// dead and skipped.

// ptCacheEntryOverhead is the fixed cost in bytes charged per cached
// message on top of its payload and origin name, so that CacheMaxBytes also
// bounds the number of entries (of empty payloads). It approximates the
// cache and seen entries and the index slot.
const ptCacheEntryOverhead = 96

// ptCached is one cached message.
type ptCached struct {
	payload []byte // shared with the Receive that brought it, never copied
	// sig is the origin's signature (gossipMsg.Sig), shared like payload.
	sig []byte
	// parent is the name of the neighbour the payload arrived from, empty
	// for a message broadcast by this node. The tree optimisation prunes
	// it.
	parent string
	// seen is the message's seen entry.
	seen  ptRef
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
	q        [ptGroups]ptFIFO[ptCached]
	ttl      [ptGroups]int64
	n        int // live entries
	bytes    int
	maxBytes int
}

func newPtCache(ttl [ptGroups]int64, maxBytes int) ptCache {
	return ptCache{maxBytes: maxBytes, ttl: ttl}
}

// len returns the number of cached messages.
func (c *ptCache) len() int { return c.n }

// at returns the entry ref names, or nil.
func (c *ptCache) at(ref ptRef) *ptCached { return c.q[ref.group()].at(ref.seq()) }

// get returns the live entry ref names, or nil. The pointer is valid until
// the cache is next changed.
func (c *ptCache) get(ref ptRef) *ptCached {
	if e := c.at(ref); e != nil && e.live {
		return e
	}
	return nil
}

// add caches payload for the message of seen entry se (reference seenRef,
// in the group of class), unless it is larger than the whole cache. The
// oldest entries are evicted to make room.
func (c *ptCache) add(payload, sig []byte, parent string, class Class, se *ptSeenEntry, seenRef ptRef, seen *ptSeenSet) {
	size := ptCacheSize(payload, se.id) + len(sig)
	if size > c.maxBytes {
		return
	}
	for c.bytes+size > c.maxBytes {
		c.dropOldest(seen)
	}
	g := seenRef.group()
	se.cache = ptRefOf(g, c.q[g].push(ptCached{payload: payload, sig: sig, parent: parent, seen: seenRef, class: class, live: true}))
	se.cached = true
	c.bytes += size
	c.n++
}

// remove drops the entry ref names if it is live.
func (c *ptCache) remove(ref ptRef, seen *ptSeenSet) {
	e := c.at(ref)
	if e == nil || !e.live {
		return
	}
	c.kill(e, seen)
	c.popDead(ref.group())
}

// kill marks e removed and releases what it accounts for.
func (c *ptCache) kill(e *ptCached, seen *ptSeenSet) {
	if se := seen.at(e.seen); se != nil {
		se.cached = false
		c.bytes -= ptCacheSize(e.payload, se.id) + len(e.sig)
	}
	*e = ptCached{}
	c.n--
}

// front returns the oldest live entry of group g, after popping the dead
// ones before it; nil if there is none.
func (c *ptCache) front(g int) *ptCached {
	c.popDead(g)
	e, _ := c.q[g].front()
	return e
}

// popDead pops the removed entries at the front of group g.
func (c *ptCache) popDead(g int) {
	for e, _ := c.q[g].front(); e != nil && !e.live; e, _ = c.q[g].front() {
		c.q[g].pop()
	}
}

// dropFront drops the oldest live entry of group g.
func (c *ptCache) dropFront(g int, seen *ptSeenSet) {
	if e := c.front(g); e != nil {
		c.kill(e, seen)
		c.q[g].pop()
	}
}

// dropOldest drops the entry added first, of any group.
func (c *ptCache) dropOldest(seen *ptSeenSet) {
	best, at := -1, int64(0)
	for g := range c.q {
		e := c.front(g)
		if e == nil {
			continue
		}
		t := int64(math.MinInt64)
		if se := seen.at(e.seen); se != nil {
			t = seen.added(se, g)
		}
		if best < 0 || t < at {
			best, at = g, t
		}
	}
	if best >= 0 {
		c.dropFront(best, seen)
	}
}

// expire drops every message whose time has come.
func (c *ptCache) expire(now int64, seen *ptSeenSet) {
	for g := range c.q {
		for e := c.front(g); e != nil; e = c.front(g) {
			if se := seen.at(e.seen); se != nil && seen.added(se, g)+c.ttl[g] > now {
				break
			}
			c.dropFront(g, seen)
		}
	}
}

// recent appends to dst announcements of the n most recently cached
// messages, oldest first, and returns the extended slice.
func (c *ptCache) recent(dst []ihaveEntry, n int, seen *ptSeenSet) []ihaveEntry {
	start := len(dst)
	var k [ptGroups]int // entries of each group already looked at, newest first
	for len(dst)-start < n {
		best, at := -1, int64(0)
		var bestSeen *ptSeenEntry
		for g := range c.q {
			for {
				e := c.q[g].back(k[g])
				if e == nil {
					break
				}
				se := seen.at(e.seen)
				if !e.live || se == nil {
					k[g]++
					continue
				}
				if t := seen.added(se, g); best < 0 || t > at {
					best, at, bestSeen = g, t, se
				}
				break
			}
		}
		if best < 0 {
			break
		}
		k[best]++
		dst = append(dst, ihaveEntry{ID: bestSeen.id, Round: bestSeen.round})
	}
	ann := dst[start:]
	for i, j := 0, len(ann)-1; i < j; i, j = i+1, j-1 {
		ann[i], ann[j] = ann[j], ann[i]
	}
	return dst
}

// plumtreeStats is a snapshot of a Plumtree core's bounded tables, for
// metrics and tests.
type plumtreeStats struct {
	// CachedMessages and CachedBytes describe the message cache that answers
	// GRAFTs (bounded by PlumtreeConfig.CacheTTL and CacheMaxBytes).
	CachedMessages int
	CachedBytes    int
	// GraftsMissing counts the GRAFTs sent for missing messages (an
	// IHAVE whose payload did not come within the graft timeout),
	// GraftsRegraft the empty GRAFTs sent around a neighbour that went
	// down (regraftBroken), GraftsAnswer those that answer a neighbour's
	// GRAFT or refuse its PRUNE, and GraftsRepair those of the tree
	// optimisation and of keepParent, GraftsRelink those that ask a
	// neighbour just made eager for the missing messages it announced
	// (graftAnnounced), GraftsGap those sent at once for missing messages
	// behind a newer payload of their tree (plumtree_gap.go; GraftsMissing
	// does not count them). Counted since the core started.
	GraftsMissing, GraftsRegraft, GraftsAnswer, GraftsRepair, GraftsRelink, GraftsGap uint64
	// MissingDropped counts the IDs announced by IHAVE that were not
	// recorded as missing because MissingMax were (an IHAVE flood, or a
	// long partition's backlog). Counted since the core started.
	MissingDropped uint64
	// MissingExpired counts the missing messages given up CacheTTL after
	// their first announcement, never received: a broadcast lost for
	// this node unless a copy still comes. GraftUncached counts the IDs
	// of neighbours' GRAFTs the cache no longer held (not answered).
	// Counted since the core started.
	MissingExpired, GraftUncached uint64
}

// ptGraftCounts counts the GRAFTs sent, by cause (plumtreeStats).
type ptGraftCounts struct {
	missing, regraft, answer, repair, relink, gap uint64
	// uncached counts the IDs asked by GRAFT that the cache no longer
	// held (plumtreeStats.GraftUncached).
	uncached uint64
}

// counters returns the sizes of the core's message cache and its counts of
// GRAFTs sent.
func (p *Plumtree) counters() plumtreeStats {
	return plumtreeStats{
		CachedMessages: p.cache.len(), CachedBytes: p.cache.bytes,
		GraftsMissing: p.grafts.missing, GraftsRegraft: p.grafts.regraft,
		GraftsAnswer: p.grafts.answer, GraftsRepair: p.grafts.repair,
		GraftsRelink: p.grafts.relink, GraftsGap: p.grafts.gap,
		MissingDropped: p.missing.dropped,
		MissingExpired: p.missing.expired, GraftUncached: p.grafts.uncached,
	}
}
