package hyparlist

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testBroadcast is a plain Broadcast. It invalidates queued plain
// broadcasts with the same non-empty key (or every broadcast, with all set)
// and counts its Finished calls.
type testBroadcast struct {
	key      string
	all      bool
	msg      []byte
	finished atomic.Int32
	onFinish func()
}

func (b *testBroadcast) Invalidates(other Broadcast) bool {
	if b.all {
		return true
	}
	o, ok := other.(*testBroadcast)
	return ok && b.key != "" && o.key == b.key
}
func (b *testBroadcast) Message() []byte { return b.msg }
func (b *testBroadcast) Finished() {
	b.finished.Add(1)
	if b.onFinish != nil {
		b.onFinish()
	}
}

// namedTestBroadcast is a NamedBroadcast; invalidateAll makes its
// Invalidates claim everything, to show that the queue does not use it.
type namedTestBroadcast struct {
	testBroadcast
	name string
}

func (b *namedTestBroadcast) Name() string                 { return b.name }
func (b *namedTestBroadcast) Invalidates(_ Broadcast) bool { return true }

// uniqueTestBroadcast is a UniqueBroadcast whose Invalidates must not be
// called.
type uniqueTestBroadcast struct {
	testBroadcast
	asked atomic.Int32
}

func (b *uniqueTestBroadcast) UniqueBroadcast() {}
func (b *uniqueTestBroadcast) Invalidates(_ Broadcast) bool {
	b.asked.Add(1)
	return true
}

func newTB(key, msg string) *testBroadcast {
	return &testBroadcast{key: key, msg: []byte(msg)}
}

// orderedView returns the queued payloads in hand-out order.
func (q *TransmitLimitedQueue) orderedView() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []string
	if q.tree != nil {
		q.tree.Ascend(func(cur *limitedBroadcast) bool {
			out = append(out, string(cur.msg))
			return true
		})
	}
	return out
}

func fixedNodes(n int) func() int { return func() int { return n } }

func asStrings(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

func TestRetransmitLimit(t *testing.T) {
	tests := []struct {
		mult, n, want int
	}{
		{mult: 4, n: 0, want: 1}, // ceil(log10(1)) = 0, but at least once
		{mult: 4, n: 1, want: 4}, // ceil(log10(2)) = 1
		{mult: 4, n: 9, want: 4}, // ceil(log10(10)) = 1
		{mult: 4, n: 10, want: 8},
		{mult: 3, n: 99, want: 6},
		{mult: 3, n: 100, want: 9},
		{mult: 2, n: 10000, want: 10},
		{mult: 0, n: 50, want: 1},
		{mult: 4, n: -5, want: 1},
	}
	for _, tc := range tests {
		if got := retransmitLimit(tc.mult, tc.n); got != tc.want {
			t.Errorf("retransmitLimit(%d, %d) = %d, want %d", tc.mult, tc.n, got, tc.want)
		}
	}
}

func TestQueueOrder(t *testing.T) {
	q := &TransmitLimitedQueue{RetransmitMult: 1, NumNodes: fixedNodes(10)}
	q.queueBroadcast(newTB("", "t1-old"), 1)
	q.queueBroadcast(newTB("", "t0-a"), 0)
	q.queueBroadcast(newTB("", "t0-long"), 0)
	q.queueBroadcast(newTB("", "t0-b"), 0)
	q.queueBroadcast(newTB("", "t2"), 2)
	q.queueBroadcast(newTB("", "t1-new"), 1)

	// Fewest transmits first; within a tier longest first; among equal
	// lengths newest first.
	want := []string{"t0-long", "t0-b", "t0-a", "t1-new", "t1-old", "t2"}
	if got := q.orderedView(); !slices.Equal(got, want) {
		t.Fatalf("order = %q, want %q", got, want)
	}
	if got := asStrings(q.GetBroadcasts(0, 1000)); !slices.Equal(got, want) {
		t.Fatalf("GetBroadcasts = %q, want %q", got, want)
	}
}

func TestQueueTransmitLimitAndFinished(t *testing.T) {
	// 2 × ceil(log10(11)) = 4 transmissions.
	q := &TransmitLimitedQueue{RetransmitMult: 2, NumNodes: fixedNodes(10)}
	b := newTB("", "hello")
	q.QueueBroadcast(b)
	for i := range 4 {
		got := q.GetBroadcasts(0, 100)
		if len(got) != 1 || string(got[0]) != "hello" {
			t.Fatalf("round %d: GetBroadcasts = %q", i, got)
		}
		wantFinished := int32(0)
		if i == 3 {
			wantFinished = 1
		}
		if f := b.finished.Load(); f != wantFinished {
			t.Fatalf("round %d: Finished called %d times, want %d", i, f, wantFinished)
		}
	}
	if n := q.NumQueued(); n != 0 {
		t.Fatalf("NumQueued = %d after the limit, want 0", n)
	}
	if got := q.GetBroadcasts(0, 100); got != nil {
		t.Fatalf("GetBroadcasts on empty queue = %q, want nil", got)
	}
}

func TestQueueNilNumNodesSendsOnce(t *testing.T) {
	q := &TransmitLimitedQueue{RetransmitMult: 4}
	b := newTB("", "x")
	q.QueueBroadcast(b)
	if got := q.GetBroadcasts(0, 10); len(got) != 1 {
		t.Fatalf("GetBroadcasts = %q, want one payload", got)
	}
	if q.NumQueued() != 0 || b.finished.Load() != 1 {
		t.Fatalf("queued %d, finished %d; want 0, 1", q.NumQueued(), b.finished.Load())
	}
}

func TestQueueInvalidation(t *testing.T) {
	q := &TransmitLimitedQueue{RetransmitMult: 1, NumNodes: fixedNodes(10)}
	a1 := newTB("a", "a1")
	other := newTB("b", "b1")
	plainNoKey := newTB("", "nokey")
	named := &namedTestBroadcast{testBroadcast: *newTB("a", "named-a"), name: "a"}
	unique := &uniqueTestBroadcast{testBroadcast: *newTB("a", "unique-a")}
	for _, b := range []Broadcast{a1, other, plainNoKey, named, unique} {
		q.QueueBroadcast(b)
	}
	if unique.asked.Load() != 0 {
		t.Fatalf("Invalidates of a UniqueBroadcast was called")
	}

	a2 := newTB("a", "a2")
	q.QueueBroadcast(a2)
	if a1.finished.Load() != 1 {
		t.Fatalf("invalidated broadcast: Finished called %d times, want 1", a1.finished.Load())
	}
	// Named and unique broadcasts are never invalidated by plain ones, even
	// when Invalidates would say so.
	for _, b := range []*testBroadcast{other, plainNoKey, &named.testBroadcast, &unique.testBroadcast} {
		if b.finished.Load() != 0 {
			t.Fatalf("%q was finished by an unrelated broadcast", b.msg)
		}
	}
	got := q.orderedView()
	slices.Sort(got)
	want := []string{"a2", "b1", "named-a", "nokey", "unique-a"}
	if !slices.Equal(got, want) {
		t.Fatalf("queued = %q, want %q", got, want)
	}
}

func TestQueueNamedReplacesSameName(t *testing.T) {
	q := &TransmitLimitedQueue{RetransmitMult: 1, NumNodes: fixedNodes(10)}
	first := &namedTestBroadcast{testBroadcast: *newTB("", "first"), name: "node-1"}
	otherName := &namedTestBroadcast{testBroadcast: *newTB("", "other"), name: "node-2"}
	plain := newTB("", "plain")
	q.QueueBroadcast(first)
	q.QueueBroadcast(otherName)
	q.QueueBroadcast(plain)

	second := &namedTestBroadcast{testBroadcast: *newTB("", "second"), name: "node-1"}
	q.QueueBroadcast(second)
	if first.finished.Load() != 1 {
		t.Fatalf("replaced named broadcast finished %d times, want 1", first.finished.Load())
	}
	if otherName.finished.Load() != 0 || plain.finished.Load() != 0 {
		t.Fatalf("named broadcast dropped broadcasts of other names")
	}
	got := q.orderedView()
	slices.Sort(got)
	if want := []string{"other", "plain", "second"}; !slices.Equal(got, want) {
		t.Fatalf("queued = %q, want %q", got, want)
	}

	// After the named broadcast leaves the queue, its name is free again.
	q.Reset()
	third := &namedTestBroadcast{testBroadcast: *newTB("", "third"), name: "node-1"}
	q.QueueBroadcast(third)
	if q.NumQueued() != 1 || second.finished.Load() != 1 {
		t.Fatalf("after Reset: queued %d, second finished %d", q.NumQueued(), second.finished.Load())
	}
}

func TestQueuePackingRespectsLimit(t *testing.T) {
	q := &TransmitLimitedQueue{RetransmitMult: 3, NumNodes: fixedNodes(10)}
	for _, m := range []string{"aaaaaaaaaa", "bbbbbbb", "ccccc", "ddd", "e"} {
		q.QueueBroadcast(newTB("", m))
	}
	// Overhead 2: 10+2 = 12 leaves 8; "bbbbbbb" (7+2) does not fit,
	// "ccccc" (5+2) does, leaving 1; nothing else fits.
	got := asStrings(q.GetBroadcasts(2, 20))
	if want := []string{"aaaaaaaaaa", "ccccc"}; !slices.Equal(got, want) {
		t.Fatalf("GetBroadcasts(2, 20) = %q, want %q", got, want)
	}
	// The untransmitted ones now come first.
	got = asStrings(q.GetBroadcasts(2, 20))
	if want := []string{"bbbbbbb", "ddd", "e"}; !slices.Equal(got, want) {
		t.Fatalf("second GetBroadcasts(2, 20) = %q, want %q", got, want)
	}
	// Nothing fits in a limit smaller than the overhead.
	if got := q.GetBroadcasts(5, 5); got != nil {
		t.Fatalf("GetBroadcasts(5, 5) = %q, want nil", got)
	}
	for limit := range 30 {
		for overhead := range 4 {
			total := 0
			for _, m := range q.GetBroadcasts(overhead, limit) {
				total += overhead + len(m)
			}
			if total > limit {
				t.Fatalf("GetBroadcasts(%d, %d) used %d bytes", overhead, limit, total)
			}
		}
	}
}

func TestQueuePrune(t *testing.T) {
	q := &TransmitLimitedQueue{RetransmitMult: 1, NumNodes: fixedNodes(10)}
	var all []*testBroadcast
	for i := range 6 {
		b := newTB("", fmt.Sprintf("m%d", i))
		all = append(all, b)
		q.QueueBroadcast(b)
	}
	q.Prune(4)
	if n := q.NumQueued(); n != 4 {
		t.Fatalf("NumQueued after Prune(4) = %d", n)
	}
	// The two oldest are dropped and finished.
	for i, b := range all {
		want := int32(0)
		if i < 2 {
			want = 1
		}
		if b.finished.Load() != want {
			t.Fatalf("m%d finished %d times, want %d", i, b.finished.Load(), want)
		}
	}
	q.Prune(-1)
	if q.NumQueued() != 0 {
		t.Fatalf("Prune(-1) left %d", q.NumQueued())
	}
	for i, b := range all {
		if b.finished.Load() != 1 {
			t.Fatalf("m%d finished %d times after pruning all", i, b.finished.Load())
		}
	}
}

func TestQueueZeroValueAndNil(t *testing.T) {
	var q TransmitLimitedQueue
	q.Prune(0)
	q.Reset()
	q.QueueBroadcast(nil)
	if q.NumQueued() != 0 || q.GetBroadcasts(0, 100) != nil {
		t.Fatalf("zero-value queue is not empty")
	}
	b := newTB("", "x")
	q.QueueBroadcast(b)
	q.Reset()
	if q.NumQueued() != 0 || b.finished.Load() != 1 {
		t.Fatalf("Reset: queued %d, finished %d", q.NumQueued(), b.finished.Load())
	}
}

// TestQueueFinishedMayUseQueue checks that Finished runs without the
// queue's lock: a Finished that re-queues must not deadlock.
func TestQueueFinishedMayUseQueue(t *testing.T) {
	q := &TransmitLimitedQueue{RetransmitMult: 1, NumNodes: fixedNodes(1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		b := newTB("k", "first")
		b.onFinish = func() {
			_ = q.NumQueued()
			q.QueueBroadcast(newTB("", "from-finished"))
		}
		q.QueueBroadcast(b)
		q.GetBroadcasts(0, 100) // reaches the limit of 1: Finished
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Finished calling back into the queue deadlocked")
	}
	if got := q.orderedView(); !slices.Equal(got, []string{"from-finished"}) {
		t.Fatalf("queued = %q", got)
	}
}

// TestQueueIDsSurviveEmptyQueueAfterInvalidation is upstream memberlist's
// PR #263 scenario. memberlist stamps the id before dropping invalidated
// broadcasts and restarts its ids when the queue runs empty: B (which
// invalidated the only queued broadcast) gets id 2, the ids restart, C gets
// 1 and D gets 2 again. D and B have equal keys, so D silently replaced B in
// the btree, without Finished.
func TestQueueIDsSurviveEmptyQueueAfterInvalidation(t *testing.T) {
	// 1 × ceil(log10(2)) = 1 transmission each.
	q := &TransmitLimitedQueue{RetransmitMult: 1, NumNodes: fixedNodes(1)}
	a := newTB("k", "same")
	b := newTB("k", "same")
	c := newTB("", "same")
	d := newTB("", "same")
	for _, x := range []*testBroadcast{a, b, c, d} {
		q.QueueBroadcast(x)
	}
	if n := q.NumQueued(); n != 3 {
		t.Fatalf("NumQueued = %d, want 3 (b, c, d)", n)
	}
	if got := q.GetBroadcasts(0, 100); len(got) != 3 {
		t.Fatalf("GetBroadcasts returned %d payloads, want 3", len(got))
	}
	for i, x := range []*testBroadcast{a, b, c, d} {
		if x.finished.Load() != 1 {
			t.Fatalf("broadcast %d finished %d times, want 1", i, x.finished.Load())
		}
	}
}

// TestQueueIDsSurviveEmptyQueueDuringGetBroadcasts is the re-insertion
// variant: GetBroadcasts takes the only queued broadcast A out of the tree
// before putting it back one tier down. With ids restarted at that moment,
// the next broadcast B gets A's id, and once B has been sent as often as A
// their keys are equal and B's reinsertion silently evicts A.
func TestQueueIDsSurviveEmptyQueueDuringGetBroadcasts(t *testing.T) {
	// 1 × ceil(log10(501)) = 3 transmissions each.
	q := &TransmitLimitedQueue{RetransmitMult: 1, NumNodes: fixedNodes(500)}
	a := newTB("", "AAAA")
	b := newTB("", "BBBB")
	q.QueueBroadcast(a)
	q.GetBroadcasts(0, 4) // A: 1 transmit
	q.QueueBroadcast(b)
	q.GetBroadcasts(0, 4) // B: 1 transmit, same tier and length as A
	if got := q.orderedView(); len(got) != 2 {
		t.Fatalf("queued = %q, want both AAAA and BBBB", got)
	}
	sent := map[string]int{}
	for range 10 {
		for _, m := range q.GetBroadcasts(0, 100) {
			sent[string(m)]++
		}
	}
	if sent["AAAA"] != 2 || sent["BBBB"] != 2 {
		t.Fatalf("remaining transmissions = %v, want 2 each", sent)
	}
	if a.finished.Load() != 1 || b.finished.Load() != 1 {
		t.Fatalf("finished a=%d b=%d, want 1 each", a.finished.Load(), b.finished.Load())
	}
}

// TestQueueConcurrentUse runs every method from several goroutines (run it
// with -race) and checks that each broadcast is finished exactly once.
func TestQueueConcurrentUse(t *testing.T) {
	q := &TransmitLimitedQueue{RetransmitMult: 2, NumNodes: fixedNodes(50)}
	const writers, perWriter = 4, 200
	all := make([][]*testBroadcast, writers)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				b := newTB(fmt.Sprintf("k%d", i%7), fmt.Sprintf("w%d-%d", w, i))
				all[w] = append(all[w], b)
				q.QueueBroadcast(b)
				if i%50 == 0 {
					q.Prune(100)
				}
			}
		}()
	}
	var readers sync.WaitGroup
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, m := range q.GetBroadcasts(3, 64) {
					if !bytes.HasPrefix(m, []byte("w")) {
						t.Errorf("unexpected payload %q", m)
					}
				}
				_ = q.NumQueued()
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	q.Reset()
	for w := range all {
		for _, b := range all[w] {
			if f := b.finished.Load(); f != 1 {
				t.Fatalf("%s finished %d times, want 1", b.msg, f)
			}
		}
	}
}

// TestQueueEmptyNamedBroadcast checks memberlist's rule for a
// NamedBroadcast whose name is empty: it is not looked up by name, so it
// asks Invalidates of the plain broadcasts, and as a NamedBroadcast it is
// never invalidated by them.
func TestQueueEmptyNamedBroadcast(t *testing.T) {
	q := &TransmitLimitedQueue{RetransmitMult: 1, NumNodes: fixedNodes(10)}
	plain := newTB("", "plain")
	named := &namedTestBroadcast{testBroadcast: *newTB("", "named"), name: "n"}
	q.QueueBroadcast(plain)
	q.QueueBroadcast(named)
	anon := &namedTestBroadcast{testBroadcast: *newTB("", "anon")} // Invalidates: always true
	q.QueueBroadcast(anon)
	if plain.finished.Load() != 1 || named.finished.Load() != 0 {
		t.Fatalf("finished plain=%d named=%d, want 1, 0", plain.finished.Load(), named.finished.Load())
	}
	q.QueueBroadcast(&testBroadcast{all: true, msg: []byte("other")})
	if anon.finished.Load() != 0 || named.finished.Load() != 0 {
		t.Fatal("a plain broadcast invalidated a NamedBroadcast")
	}
	got := q.orderedView()
	slices.Sort(got)
	if want := []string{"anon", "named", "other"}; !slices.Equal(got, want) {
		t.Fatalf("queued = %q, want %q", got, want)
	}
}
