package hyparlist

import (
	"fmt"
	"runtime"
	"testing"
	"time"
	"unsafe"
)

// seeBytes is see for a payload.
func seeBytes(r *recentPayloads, now time.Time, p string) bool {
	isNew, _ := r.see(now, r.key([]byte(p)))
	return isNew
}

// TestRecentPayloadsRecognises: a payload is new once, then recognised;
// equal content is one payload, different content or length is not.
func TestRecentPayloadsRecognises(t *testing.T) {
	now := time.Unix(1000, 0)
	r := newRecentPayloads(time.Minute, 8)
	if !seeBytes(r, now, "a") || seeBytes(r, now, "a") {
		t.Fatal("see does not recognise a payload")
	}
	if !seeBytes(r, now, "b") || !seeBytes(r, now, "a\x00") {
		t.Error("a different payload was taken for a known one")
	}
	if got := r.len(); got != 3 {
		t.Errorf("set holds %d entries, want 3", got)
	}
}

// TestRecentPayloadsNeedsTimeAndDrains: an entry is forgotten only after
// it went unseen for both the grace time and recentGraceDrains drains;
// waiting without drains (the pump waiting for backlog room) keeps it for
// ever, and every sighting restarts both counts.
func TestRecentPayloadsNeedsTimeAndDrains(t *testing.T) {
	now := time.Unix(1000, 0)
	r := newRecentPayloads(time.Second, 8)
	seeBytes(r, now, "a")

	// Much later, but no drain: kept.
	later := now.Add(time.Hour)
	if seeBytes(r, later, "a") {
		t.Fatal("forgotten without a drain")
	}
	// Drains, but within the grace time of the last sighting: kept.
	for range recentGraceDrains + 3 {
		r.drained(later.Add(500 * time.Millisecond))
	}
	if seeBytes(r, later.Add(900*time.Millisecond), "a") {
		t.Fatal("forgotten within the grace time")
	}
	// That sighting restarted the drain count: time alone is not enough.
	much := later.Add(time.Hour)
	r.drained(much)
	if got := r.len(); got != 1 {
		t.Fatalf("forgotten after %d drain(s) of %d", 1, recentGraceDrains)
	}
	for range recentGraceDrains - 1 {
		r.drained(much)
	}
	if got := r.len(); got != 0 {
		t.Fatalf("set holds %d entries after the grace time and %d drains", got, recentGraceDrains)
	}
	if !seeBytes(r, much, "a") {
		t.Error("a forgotten payload is not new")
	}
}

// TestRecentPayloadsBound: the set never holds more than its bound; at
// the bound the entry unseen for longest goes first (a sighting protects
// an old entry), and see reports the evictions.
func TestRecentPayloadsBound(t *testing.T) {
	now := time.Unix(1000, 0)
	const bound = 4
	r := newRecentPayloads(time.Hour, bound)
	for i := range bound {
		seeBytes(r, now, fmt.Sprint("p", i))
	}
	seeBytes(r, now, "p0") // p0 seen again: p1 is now the least recent
	evictedTotal := 0
	for i := range 3 {
		_, ev := r.see(now, r.key(fmt.Appendf(nil, "q%d", i)))
		evictedTotal += ev
		if got := r.len(); got != bound {
			t.Fatalf("set holds %d entries, bound %d", got, bound)
		}
	}
	if evictedTotal != 3 {
		t.Errorf("see reported %d evictions, want 3", evictedTotal)
	}
	// p1, p2, p3 went; p0 and the q's stay.
	for _, p := range []string{"p0", "q0", "q1", "q2"} {
		if seeBytes(r, now, p) {
			t.Errorf("%s was evicted", p)
		}
	}
	if !seeBytes(r, now, "p1") {
		t.Error("p1, the least recently seen, was kept")
	}
	if r.order.Len() != len(r.byKey) {
		t.Errorf("order holds %d entries, map %d", r.order.Len(), len(r.byKey))
	}
}

// TestRecentPayloadsSeededPerNode: two sets hash under different seeds,
// so a collision crafted against one node's hashes says nothing about
// another's.
func TestRecentPayloadsSeededPerNode(t *testing.T) {
	a, b := newRecentPayloads(time.Second, 1), newRecentPayloads(time.Second, 1)
	if a.key([]byte("payload")) == b.key([]byte("payload")) {
		t.Error("two sets share a seed")
	}
}

// TestRecentPayloadsLongest: longest reports the longest payload ever
// held, also after it was forgotten, so that the pump never takes an empty
// pull under a smaller limit for a drain.
func TestRecentPayloadsLongest(t *testing.T) {
	now := time.Unix(1000, 0)
	r := newRecentPayloads(time.Second, 1)
	if r.longest() != 0 {
		t.Fatalf("empty set: longest %d", r.longest())
	}
	seeBytes(r, now, "four")
	seeBytes(r, now, "xy") // evicts "four"
	if got := r.longest(); got != 4 {
		t.Errorf("longest = %d, want 4", got)
	}
}

// noteBytes is note for a payload.
func noteBytes(r *recentPayloads, now time.Time, p string) int {
	return r.note(now, r.key([]byte(p)))
}

// TestRecentPayloadsDeliveryLog: deliveries only log their sightings; the
// set's entries are built when a pulled payload is looked up, and a
// delivered payload pulled afterwards is recognised, whether it is pulled
// at once or after other pulls.
func TestRecentPayloadsDeliveryLog(t *testing.T) {
	now := time.Unix(1000, 0)
	r := newRecentPayloads(time.Minute, 8)
	for _, p := range []string{"d1", "d2", "d3"} {
		if ev := noteBytes(r, now, p); ev != 0 {
			t.Fatalf("note evicted %d", ev)
		}
	}
	if r.order.Len() != 0 || r.log.len() != 3 || r.len() != 3 {
		t.Fatalf("after 3 deliveries: %d set entries, %d logged, len %d; want 0, 3, 3", r.order.Len(), r.log.len(), r.len())
	}
	if !seeBytes(r, now, "own") {
		t.Fatal("a payload never seen was recognised")
	}
	if r.order.Len() != 4 || r.log.len() != 0 {
		t.Fatalf("after a pull: %d set entries, %d logged; want 4, 0", r.order.Len(), r.log.len())
	}
	for _, p := range []string{"d1", "d2", "d3"} {
		if seeBytes(r, now, p) {
			t.Errorf("delivered payload %s pulled again was taken for a new one", p)
		}
	}
	noteBytes(r, now, "d4")
	if seeBytes(r, now, "d4") {
		t.Error("a payload delivered between pulls was taken for a new one")
	}
}

// TestRecentPayloadsDeliveryLogExpiry: a logged sighting expires under the
// set's rule (grace time and drains) whether or not it was merged, keeping
// the time it was logged at; the log is bounded like the set, its oldest
// sighting evicted and counted.
func TestRecentPayloadsDeliveryLogExpiry(t *testing.T) {
	now := time.Unix(1000, 0)
	r := newRecentPayloads(time.Second, 4)
	noteBytes(r, now, "old")
	noteBytes(r, now.Add(900*time.Millisecond), "young")
	for range recentGraceDrains {
		r.drained(now.Add(500 * time.Millisecond))
	}
	// Merged by a pull 1.5 s after "old" was logged: "old" went unseen for
	// the grace time and two drains and is gone; "young" is kept.
	later := now.Add(1500 * time.Millisecond)
	r.drained(later)
	if r.log.len() != 1 {
		t.Fatalf("log holds %d sightings after expiry, want 1", r.log.len())
	}
	if !seeBytes(r, later, "old") {
		t.Error("an expired sighting was still recognised")
	}
	if seeBytes(r, later, "young") {
		t.Error("a sighting within the grace time was forgotten")
	}

	// Bound: 4 sightings; a fifth evicts the oldest.
	b := newRecentPayloads(time.Minute, 4)
	for i := range 4 {
		if ev := noteBytes(b, now, fmt.Sprint("p", i)); ev != 0 {
			t.Fatalf("sighting %d evicted %d below the bound", i, ev)
		}
	}
	if ev := noteBytes(b, now, "p4"); ev != 1 {
		t.Fatalf("a sighting at the bound evicted %d, want 1", ev)
	}
	if !seeBytes(b, now, "p0") || seeBytes(b, now, "p4") {
		t.Error("the bound evicted another sighting than the oldest")
	}
}

// TestSightingLogBlocks: the delivery log keeps its order across blocks
// while it is consumed from the front, and growing it to n sightings
// allocates about n sightings' bytes, not the copies of a doubling slice
// (which allocated about twice that).
func TestSightingLogBlocks(t *testing.T) {
	var q sightingLog
	next, want := 0, 0
	for range 3 * sightingBlockLen {
		for range 3 {
			q.push(loggedSighting{drains: uint64(next)})
			next++
		}
		if got := q.front().drains; got != uint64(want) {
			t.Fatalf("front = %d, want %d", got, want)
		}
		q.pop()
		want++
	}
	for ; want < next; want++ {
		if got := q.front().drains; got != uint64(want) {
			t.Fatalf("front = %d, want %d", got, want)
		}
		q.pop()
	}
	if q.len() != 0 || len(q.blocks) != 0 {
		t.Fatalf("empty log: len %d, %d blocks", q.len(), len(q.blocks))
	}

	const n = 1 << 16
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range n {
		q.push(loggedSighting{drains: uint64(i)})
	}
	runtime.ReadMemStats(&after)
	per := float64(after.TotalAlloc-before.TotalAlloc) / n
	if size := float64(unsafe.Sizeof(loggedSighting{})); per > 1.5*size {
		t.Errorf("growing the log allocated %.1f bytes per sighting of %.0f", per, size)
	}
}
