package hyparlist

import (
	"math/rand/v2"
	"testing"
	"testing/synctest"
)

// TestFIFOGrowsAndReleases: a fifo keeps order across growth and
// wrap-around; a busy one keeps its grown ring when it empties, and gives
// it back when it empties after holding at most a quarter of it.
func TestFIFOGrowsAndReleases(t *testing.T) {
	var q fifo[int]
	for round := range 3 {
		for i := range 5 + 20*round {
			q.push(round*1000 + i)
		}
		for i := range 5 + 20*round {
			v, ok := q.pop()
			if !ok || v != round*1000+i {
				t.Fatalf("round %d: pop %d = %d, %v", round, i, v, ok)
			}
		}
		if _, ok := q.pop(); ok || q.len() != 0 {
			t.Fatalf("round %d: not empty", round)
		}
		if len(q.buf) < 5+20*round {
			t.Errorf("round %d: a busy fifo released its ring (%d) when it emptied", round, len(q.buf))
		}
		// A quiet spell: one item at a time, fifoQuietRounds times.
		for i := range fifoQuietRounds {
			if i == fifoQuietRounds-1 && len(q.buf) < 5+20*round {
				t.Errorf("round %d: ring released after %d quiet emptyings, want %d", round, i, fifoQuietRounds)
			}
			q.push(-1)
			if v, ok := q.pop(); !ok || v != -1 {
				t.Fatalf("round %d: quiet pop = %d, %v", round, v, ok)
			}
		}
		if len(q.buf) > fifoMinCap {
			t.Errorf("round %d: an empty fifo keeps a ring of %d after a quiet spell", round, len(q.buf))
		}
	}
}

// TestFIFOBusyKeepsRing: a queue that fills and empties again and again,
// as the loop's inbox does once per iteration, grows its ring once.
func TestFIFOBusyKeepsRing(t *testing.T) {
	var q fifo[inbound]
	allocs := testing.AllocsPerRun(100, func() {
		for range 20 {
			q.push(inbound{})
		}
		for range 20 {
			q.pop()
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per burst of 20, want 0 once grown", allocs)
	}
}

// TestFIFOMixedBurstsKeepRing: bursts of mixed sizes (1 to 8 in a
// random order, as the inbox sees from one loop iteration to the next) do
// not release and regrow the ring between them.
func TestFIFOMixedBurstsKeepRing(t *testing.T) {
	var q fifo[inbound]
	rng := rand.New(rand.NewPCG(1, 2))
	// AllocsPerRun reports whole allocations per run: count per 1,000
	// bursts.
	allocs := testing.AllocsPerRun(10, func() {
		for range 1000 {
			size := 1 + rng.IntN(8)
			for range size {
				q.push(inbound{})
			}
			for range size {
				q.pop()
			}
		}
	})
	if allocs > 10 {
		t.Errorf("%.0f allocations per 1,000 bursts of 1 to 8, want none once grown", allocs)
	}
}

// TestFIFOBurstRingNotKept: a ring grown by a burst beyond fifoKeepMax
// is released when the queue empties, so a queue that then stays busy but
// small does not keep it for good (found by review).
func TestFIFOBurstRingNotKept(t *testing.T) {
	var q fifo[[256]byte]
	for range 1 << 14 {
		q.push([256]byte{})
	}
	for q.len() > 0 {
		q.pop()
	}
	q.push([256]byte{})
	for range 100_000 { // busy, never empty again
		q.push([256]byte{})
		q.pop()
	}
	if len(q.buf) > fifoKeepMax {
		t.Errorf("holding %d items in a ring of %d after the burst", q.len(), len(q.buf))
	}
}

// TestInboxQueueBound: a reader waits while the inbox holds its limit,
// until the loop takes a message; it gives up when done closes; the
// ready token stays while messages wait.
func TestInboxQueueBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newInboxQueue(2)
		for i := range 2 {
			if !q.put(inbound{from: Peer{Name: string(rune('a' + i))}}, nil) {
				t.Fatal("put refused")
			}
		}
		put := make(chan bool)
		go func() { put <- q.put(inbound{from: Peer{Name: "c"}}, nil) }()
		synctest.Wait()
		select {
		case <-put:
			t.Fatal("put did not wait on a full inbox")
		default:
		}
		var got []string
		for range 3 {
			<-q.ready
			in, ok := q.take()
			if !ok {
				t.Fatal("ready without a message")
			}
			got = append(got, in.from.Name)
			if len(got) == 1 && !<-put {
				t.Fatal("put failed after room was made")
			}
		}
		if want := "a b c"; got[0]+" "+got[1]+" "+got[2] != want {
			t.Errorf("took %v, want %s", got, want)
		}
		select {
		case <-q.ready:
			t.Error("a ready token with an empty inbox")
		default:
		}
		done := make(chan struct{})
		q.put(inbound{}, nil)
		q.put(inbound{}, nil)
		go func() { put <- q.put(inbound{}, done) }()
		synctest.Wait()
		close(done)
		if <-put {
			t.Error("put reported success after done closed")
		}
	})
}

// TestFIFOGrowsFromMinCapToDeepQueue: a fifo that starts at fifoMinCap
// holds and returns, in order, as many frames as the default send queue
// bound, interleaved with pops so that the ring wraps while it grows, and
// gives back its grown ring when it empties after a quiet spell.
func TestFIFOGrowsFromMinCapToDeepQueue(t *testing.T) {
	var q fifo[outFrame]
	depth := DefaultLANConfig().PeerSendQueueDepth
	next, want := 0, 0
	for next < depth {
		for range 3 {
			q.push(outFrame{cost: next})
			next++
		}
		f, ok := q.pop()
		if !ok || f.cost != want {
			t.Fatalf("pop = %d, %v; want %d", f.cost, ok, want)
		}
		want++
	}
	for ; want < next; want++ {
		if f, ok := q.pop(); !ok || f.cost != want {
			t.Fatalf("pop = %d, %v; want %d", f.cost, ok, want)
		}
	}
	q.push(outFrame{}) // a quiet spell: the ring goes back
	q.pop()
	if q.len() != 0 || len(q.buf) > fifoMinCap {
		t.Fatalf("empty fifo: len %d, ring %d", q.len(), len(q.buf))
	}
}
