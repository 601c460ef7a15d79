package hyparlist

import (
	"testing"
)

// Unit tests of the Plumtree tables on their own: the seen set and the
// message cache.

func ptID(seq uint64) MessageID { return MessageID{Origin: "o", Seq: seq} }

func TestPtSeenSet(t *testing.T) {
	s := newPtSeenSet(100, 40)
	for i := range uint64(30) {
		if _, ok := s.add(ptID(i), uint16(i), int64(i)); ok {
			t.Fatalf("add %d forgot an ID below the bound", i)
		}
	}
	if r, ok := s.round(ptID(7)); !ok || r != 7 {
		t.Fatalf("round(7) = %d, %v", r, ok)
	}
	// TTL: IDs added at 0..9 expire at 100..109.
	s.expire(104)
	if s.has(ptID(4)) || !s.has(ptID(5)) || s.len() != 25 {
		t.Fatalf("after expire(104): has(4)=%v has(5)=%v len=%d", s.has(ptID(4)), s.has(ptID(5)), s.len())
	}
	// Count bound: the oldest is forgotten and returned.
	for i := uint64(30); i < 45; i++ {
		s.add(ptID(i), 0, 200)
	}
	old, ok := s.add(ptID(45), 0, 200)
	if !ok || old != ptID(5) || s.len() != 40 {
		t.Fatalf("add at the bound forgot %v, %v; len %d", old, ok, s.len())
	}
	// Time going backwards: nothing expires early.
	s.expire(0)
	if s.len() != 40 {
		t.Fatalf("expire in the past dropped IDs: len %d", s.len())
	}
	s.expire(300)
	if s.len() != 0 || s.ring != nil || len(s.ids) != 0 {
		t.Fatalf("empty set keeps ring %d, map %d", len(s.ring), len(s.ids))
	}

	// A ring less than a quarter full is halved, keeping the order.
	s = newPtSeenSet(100, 1000)
	for i := range uint64(64) {
		s.add(ptID(i), 0, int64(i))
	}
	s.expire(153) // IDs 0..53 go, 54..63 stay
	if s.len() != 10 || len(s.ring) != 32 {
		t.Fatalf("after expiry: len %d ring %d, want 10 in 32", s.len(), len(s.ring))
	}
	for i := range uint64(10) {
		if e := s.ring[(s.head+int(i))%len(s.ring)]; e.id != ptID(54+i) {
			t.Fatalf("ring[%d] = %v after shrinking", i, e.id)
		}
	}
	s.add(ptID(100), 0, 200)
	if !s.has(ptID(100)) || !s.has(ptID(63)) {
		t.Fatal("set unusable after shrinking")
	}
}

func TestPtCache(t *testing.T) {
	size := func(payload int) int { return payload + len("o") + ptCacheEntryOverhead }
	c := newPtCache(100, 3*size(10))
	for i := range uint64(3) {
		c.add(ptCached{id: ptID(i), payload: make([]byte, 10), round: uint16(i)}, int64(i))
	}
	if c.len() != 3 || c.bytes != 3*size(10) {
		t.Fatalf("len %d bytes %d", c.len(), c.bytes)
	}
	if e := c.get(ptID(1)); e == nil || e.round != 1 || e.id != ptID(1) {
		t.Fatalf("get(1) = %+v", e)
	}
	// Over the byte bound: the oldest goes.
	c.add(ptCached{id: ptID(3), payload: make([]byte, 10)}, 3)
	if c.has(ptID(0)) || c.len() != 3 {
		t.Fatalf("eviction: has(0)=%v len=%d", c.has(ptID(0)), c.len())
	}
	// A larger payload evicts as many as needed; the freed slots are reused.
	c.add(ptCached{id: ptID(4), payload: make([]byte, 10+size(10))}, 4)
	if c.len() != 2 || c.has(ptID(1)) || c.has(ptID(2)) || len(c.slab) != 3 {
		t.Fatalf("big entry: len %d slab %d", c.len(), len(c.slab))
	}
	// Larger than the whole cache: not cached.
	c.add(ptCached{id: ptID(5), payload: make([]byte, 3*size(10))}, 5)
	if c.has(ptID(5)) {
		t.Fatal("oversized entry cached")
	}
	if got := c.recent(nil, 5); len(got) != 2 || got[0].ID != ptID(3) || got[1].ID != ptID(4) {
		t.Fatalf("recent = %v", got)
	}
	if got := c.recent(nil, 1); len(got) != 1 || got[0].ID != ptID(4) {
		t.Fatalf("recent(1) = %v", got)
	}
	c.remove(ptID(3))
	c.remove(ptID(99))
	if c.has(ptID(3)) || c.len() != 1 {
		t.Fatalf("remove: len %d", c.len())
	}
	// Expiry is exact, and an empty cache releases its slab.
	c.expire(103)
	if !c.has(ptID(4)) {
		t.Fatal("expired early")
	}
	c.expire(104)
	if c.len() != 0 || c.bytes != 0 || c.slab != nil || c.index.Len() != 0 {
		t.Fatalf("after expiry: len %d bytes %d slab %d", c.len(), c.bytes, len(c.slab))
	}
	c.add(ptCached{id: ptID(6)}, 200)
	if !c.has(ptID(6)) {
		t.Fatal("cache unusable after release")
	}
}
