// Runtime: the growable FIFO storage of the runtime's bounded queues.

package hyparlist

// This file owns fifo: the storage of the runtime's bounded queues (a
// link's send queues, runtime_linkqueue.go; the loop's inbox,
// runtime_inbox.go), a ring that grows with what it holds and is released
// when it empties, so that an idle queue holds almost no memory however
// large its bound (Config.PeerSendQueueDepth, Config.HandoffQueueDepth:
// the caller's).

// fifoMinCap is the ring's first capacity; it doubles when full, up to
// the queue's bound. It is small because an idle queue keeps it: a link
// has several queues, and an idle link holds at most a frame or two in
// each (8 outFrames per queue were 7 KiB of the heap of each node of an
// idle 64-node cluster: BENCHMARKS.md, session 10: heap per node).
const fifoMinCap = 2

// fifo is a first-in first-out queue. Not safe for concurrent use: its
// owner guards it.
type fifo[T any] struct {
	buf  []T
	head int
	n    int
}

// frameFIFO is a link send queue's storage.
type frameFIFO = fifo[outFrame]

// len returns the number of items held.
func (q *fifo[T]) len() int { return q.n }

// push appends f, growing the ring when it is full.
func (q *fifo[T]) push(f T) {
	if q.n == len(q.buf) {
		grown := make([]T, max(fifoMinCap, 2*len(q.buf)))
		for i := range q.n {
			grown[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = grown, 0
	}
	q.buf[(q.head+q.n)%len(q.buf)] = f
	q.n++
}

// pop removes and returns the oldest item; false when empty. A ring
// grown beyond fifoMinCap is released when it empties.
func (q *fifo[T]) pop() (T, bool) {
	var zero T
	if q.n == 0 {
		return zero, false
	}
	f := q.buf[q.head]
	q.buf[q.head] = zero
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	if q.n == 0 && len(q.buf) > fifoMinCap {
		q.buf, q.head = nil, 0
	}
	return f, true
}
