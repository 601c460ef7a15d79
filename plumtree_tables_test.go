package hyparlist

import (
	"math/rand/v2"
	"testing"
	"time"
)

// Unit tests of the Plumtree tables on their own: the queue, the seen set
// and the message cache, driven through the core's remember and expiry.

func ptID(seq uint64) MessageID { return MessageID{Origin: "o", Seq: seq} }

func TestPtFIFO(t *testing.T) {
	var q ptFIFO[int]
	for i := range 3 * ptChunk {
		if seq := q.push(i); seq != uint32(i) {
			t.Fatalf("push %d got sequence %d", i, seq)
		}
	}
	for i := range ptChunk + 5 {
		if v, seq := q.front(); *v != i || seq != uint32(i) {
			t.Fatalf("front = %d at %d, want %d", *v, seq, i)
		}
		q.pop()
	}
	if q.at(3) != nil || *q.at(ptChunk + 5) != ptChunk+5 || *q.back(0) != 3*ptChunk-1 || q.back(q.len()) != nil {
		t.Fatal("at/back after popping")
	}
	if len(q.chunks) != 2 {
		t.Fatalf("%d chunks hold %d values", len(q.chunks), q.len())
	}
	for q.len() > 0 {
		q.pop()
	}
	if q.chunks != nil || q.push(7) != uint32(3*ptChunk) {
		t.Fatal("an emptied queue keeps chunks or loses its sequence")
	}
	// Sequences wrap at 24 bits.
	q = ptFIFO[int]{first: ptSeqMask}
	if a, b := q.push(1), q.push(2); a != ptSeqMask || b != 0 || *q.at(0) != 2 {
		t.Fatalf("wrap: sequences %d, %d", a, b)
	}
}

// newPtTables returns a core whose tables use the given bounds, its clock
// at 0.
func newPtTables(t *testing.T, cacheTTL, seenTTL time.Duration, maxBytes, maxSeen int) *Plumtree {
	t.Helper()
	cfg := DefaultPlumtreeConfig()
	cfg.CacheTTL, cfg.SeenTTL, cfg.CacheMaxBytes, cfg.SeenMaxEntries = cacheTTL, seenTTL, maxBytes, maxSeen
	p, err := NewPlumtree(Peer{Name: "self"}, cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// at moves p's clock to now and expires its tables.
func ptAt(t *testing.T, p *Plumtree, now int64) {
	t.Helper()
	p.now = now
	p.expireTables()
	if err := p.checkInvariants(); err != nil {
		t.Fatal(err)
	}
}

func TestPtSeenSet(t *testing.T) {
	p := newPtTables(t, 50, 100, 1<<20, 40)
	for i := range uint64(30) {
		ptAt(t, p, int64(i))
		p.remember(ptID(i), ClassUser, uint16(i), nil, nil, "")
	}
	if r, ok := p.seen.round(ptID(7)); !ok || r != 7 {
		t.Fatalf("round(7) = %d, %v", r, ok)
	}
	// TTL: IDs added at 0..9 expire at 100..109.
	ptAt(t, p, 104)
	if p.seen.has(ptID(4)) || !p.seen.has(ptID(5)) || p.seen.len() != 25 {
		t.Fatalf("after expire(104): has(4)=%v has(5)=%v len=%d", p.seen.has(ptID(4)), p.seen.has(ptID(5)), p.seen.len())
	}
	// Count bound: the oldest is forgotten first.
	for i := uint64(30); i < 46; i++ {
		p.remember(ptID(i), 0, 0, nil, nil, "")
	}
	if p.seen.has(ptID(5)) || !p.seen.has(ptID(6)) || p.seen.len() != 40 {
		t.Fatalf("at the bound: has(5)=%v len %d", p.seen.has(ptID(5)), p.seen.len())
	}
	// Time going backwards: nothing expires early.
	ptAt(t, p, 0)
	if p.seen.len() != 40 {
		t.Fatalf("expire in the past dropped IDs: len %d", p.seen.len())
	}
	ptAt(t, p, 300)
	if p.seen.len() != 0 || p.seen.slots != nil || p.seen.q[ptGroupDefault].chunks != nil {
		t.Fatalf("empty set keeps index %d, chunks %d", len(p.seen.slots), len(p.seen.q[ptGroupDefault].chunks))
	}

	// An index less than an eighth full is halved, and every ID is still
	// found (deletions shift entries back without losing any).
	p = newPtTables(t, 50, 1000, 1<<20, 1000)
	for i := range uint64(400) {
		ptAt(t, p, int64(i))
		p.remember(MessageID{Origin: string(rune('a' + i%7)), Seq: i}, 0, 0, nil, nil, "")
	}
	big := len(p.seen.slots)
	ptAt(t, p, 1380) // IDs 0..380 go, 381..399 stay
	if p.seen.len() != 19 || len(p.seen.slots) >= big {
		t.Fatalf("after expiry: len %d, index %d (was %d)", p.seen.len(), len(p.seen.slots), big)
	}
	for i := uint64(381); i < 400; i++ {
		if !p.seen.has(MessageID{Origin: string(rune('a' + i%7)), Seq: i}) {
			t.Fatalf("ID %d lost", i)
		}
	}
}

func TestPtCache(t *testing.T) {
	size := func(payload int) int { return payload + len("o") + ptCacheEntryOverhead }
	p := newPtTables(t, 100, 200, 3*size(10), 1000)
	for i := range uint64(3) {
		ptAt(t, p, int64(i))
		p.remember(ptID(i), ClassMembership, uint16(i), make([]byte, 10), nil, "a")
	}
	if p.cache.len() != 3 || p.cache.bytes != 3*size(10) {
		t.Fatalf("len %d bytes %d", p.cache.len(), p.cache.bytes)
	}
	if c, se := p.cached(ptID(1)); c == nil || se.round != 1 || se.id != ptID(1) || c.parent != "a" || c.class != ClassMembership {
		t.Fatalf("cached(1) = %+v, %+v", c, se)
	}
	cached := func(seq uint64) bool { c, _ := p.cached(ptID(seq)); return c != nil }
	// Over the byte bound: the oldest goes.
	ptAt(t, p, 3)
	p.remember(ptID(3), 0, 0, make([]byte, 10), nil, "")
	if cached(0) || p.cache.len() != 3 {
		t.Fatalf("eviction: cached(0)=%v len=%d", cached(0), p.cache.len())
	}
	// A larger payload evicts as many as needed.
	ptAt(t, p, 4)
	p.remember(ptID(4), 0, 0, make([]byte, 10+size(10)), nil, "")
	if p.cache.len() != 2 || cached(1) || cached(2) {
		t.Fatalf("big entry: len %d", p.cache.len())
	}
	// Larger than the whole cache: not cached, but seen.
	ptAt(t, p, 5)
	p.remember(ptID(5), 0, 0, make([]byte, 3*size(10)), nil, "")
	if cached(5) || !p.seen.has(ptID(5)) {
		t.Fatal("oversized entry cached, or not seen")
	}
	if got := p.cache.recent(nil, 5, &p.seen); len(got) != 2 || got[0].ID != ptID(3) || got[1].ID != ptID(4) {
		t.Fatalf("recent = %v", got)
	}
	if got := p.cache.recent(nil, 1, &p.seen); len(got) != 1 || got[0].ID != ptID(4) {
		t.Fatalf("recent(1) = %v", got)
	}
	// Expiry is exact: CacheTTL after the message was remembered.
	ptAt(t, p, 103)
	if cached(3) || !cached(4) {
		t.Fatal("expired early, or late")
	}
	ptAt(t, p, 104)
	if cached(4) || p.cache.len() != 0 || p.cache.bytes != 0 || p.cache.q[ptGroupMembers].chunks != nil || !p.seen.has(ptID(4)) {
		t.Fatalf("after expiry: len %d bytes %d", p.cache.len(), p.cache.bytes)
	}
	ptAt(t, p, 200)
	p.remember(ptID(6), 0, 0, nil, nil, "")
	if !cached(6) {
		t.Fatal("cache unusable after release")
	}
}

// TestPtTTLGroups: messages of ClassMembership expire after the
// membership TTLs, others after CacheTTL and SeenTTL, each group in its
// own order; the byte bound evicts the oldest message of any group, and
// the recent messages interleave both groups by age.
func TestPtTTLGroups(t *testing.T) {
	size := ptCacheSize(make([]byte, 10), ptID(0))
	p := newPtTables(t, 100, 200, 4*size, 1000)
	p.cfg.MembershipCacheTTL, p.cfg.MembershipSeenTTL = 10, 20
	p.seen.ttl[ptGroupMembers], p.cache.ttl[ptGroupMembers] = 20, 10
	classes := []Class{ClassUser, ClassMembership, ClassUser, ClassMembership}
	for i, c := range classes {
		ptAt(t, p, int64(i))
		p.remember(ptID(uint64(i)), c, 0, make([]byte, 10), nil, "")
	}
	var ids []uint64
	for _, e := range p.cache.recent(nil, 10, &p.seen) {
		ids = append(ids, e.ID.Seq)
	}
	if len(ids) != 4 || ids[0] != 0 || ids[1] != 1 || ids[2] != 2 || ids[3] != 3 {
		t.Fatalf("recent = %v, want 0 1 2 3", ids)
	}
	// The byte bound evicts the oldest of any group: 0 (user).
	ptAt(t, p, 4)
	p.remember(ptID(4), ClassMembership, 0, make([]byte, 10), nil, "")
	cached := func(seq uint64) bool { c, _ := p.cached(ptID(seq)); return c != nil }
	if cached(0) || !cached(1) {
		t.Fatalf("eviction: cached(0)=%v cached(1)=%v", cached(0), cached(1))
	}
	// Membership messages leave the cache after 10 and the seen set after
	// 20; user messages stay.
	ptAt(t, p, 13)
	if cached(1) || cached(3) || !cached(4) || !cached(2) {
		t.Fatalf("at 13: cached 1 %v, 3 %v, 4 %v, 2 %v", cached(1), cached(3), cached(4), cached(2))
	}
	ptAt(t, p, 23)
	if p.seen.has(ptID(1)) || p.seen.has(ptID(3)) || !p.seen.has(ptID(4)) || !p.seen.has(ptID(0)) {
		t.Fatal("membership seen TTL not applied per group")
	}
	ptAt(t, p, 102)
	if cached(2) || !p.seen.has(ptID(2)) || p.seen.has(ptID(4)) {
		t.Fatal("user cache TTL not applied")
	}
}
