// Runtime: the timer heap that serves the cores' SetTimer actions.

package hyparlist

import (
	"container/heap"
	"time"
)

// This file owns the runtime's timers. The cores ask for timers as data
// (SetTimer actions); the loop keeps every pending one in a heap ordered by
// deadline and arms a single time.Timer for the earliest. When it fires,
// each due timer goes back, unchanged, to the core that asked for it.

// timerEntry is one pending timer.
type timerEntry struct {
	at    time.Time
	seq   uint64 // insertion order, to fire equal deadlines in order
	owner coreID // who asked: a core, or coreRuntime
	timer Timer
}

// timerHeap is a min-heap of pending timers by (at, seq).
type timerHeap []timerEntry

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(timerEntry)) }
func (h *timerHeap) Pop() any {
	old := *h
	n := len(old) - 1
	e := old[n]
	old[n] = timerEntry{}
	*h = old[:n]
	return e
}

// timerQueue is the loop's timer set: the heap and the one time.Timer
// armed for its earliest deadline. It is owned by the loop goroutine.
//
// Its size is bounded by the cores: every core re-checks its state when a
// timer fires and re-arms each periodic timer once, so the pending timers
// are a few per core plus one per outstanding request (bounded by the
// cores' own limits).
type timerQueue struct {
	heap  timerHeap
	seq   uint64
	timer *time.Timer
	armed time.Time // deadline timer is armed for; zero when stopped
}

// newTimerQueue returns an empty queue with a stopped timer.
func newTimerQueue() *timerQueue {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &timerQueue{timer: t}
}

// C is the channel the loop selects on; it fires at the earliest deadline.
func (q *timerQueue) C() <-chan time.Time { return q.timer.C }

// add schedules timer for owner at now+after.
func (q *timerQueue) add(now time.Time, after time.Duration, owner coreID, timer Timer) {
	q.seq++
	heap.Push(&q.heap, timerEntry{at: now.Add(max(after, 0)), seq: q.seq, owner: owner, timer: timer})
	q.rearm(now)
}

// due pops and returns the timers whose deadline is at or before now, in
// deadline order, appending them to dst.
func (q *timerQueue) due(now time.Time, dst []timerEntry) []timerEntry {
	for len(q.heap) > 0 && !q.heap[0].at.After(now) {
		dst = append(dst, heap.Pop(&q.heap).(timerEntry))
	}
	return dst
}

// fired tells the queue that its timer's channel was read, so the timer
// must be armed again for whatever is pending.
func (q *timerQueue) fired(now time.Time) {
	q.armed = time.Time{}
	q.rearm(now)
}

// rearm points the time.Timer at the earliest deadline if it is not
// already armed for it.
func (q *timerQueue) rearm(now time.Time) {
	if len(q.heap) == 0 {
		return
	}
	next := q.heap[0].at
	if !q.armed.IsZero() && !next.Before(q.armed) {
		return
	}
	// Since Go 1.23 Reset on an unread timer discards the stale value.
	q.timer.Reset(max(next.Sub(now), 0))
	q.armed = next
}

// len returns the number of pending timers.
func (q *timerQueue) len() int { return len(q.heap) }

// stop stops the time.Timer.
func (q *timerQueue) stop() { q.timer.Stop() }
