// Runtime: the growable FIFO storage of the runtime's bounded queues.

package hyparlist

// This file owns fifo: the storage of the runtime's bounded queues (a
// link's send queues, runtime_linkqueue.go; the loop's inbox,
// runtime_inbox.go), a ring that grows with what it holds and is released
// when it empties after a quiet spell, so that an idle queue holds almost
// no memory however large its bound (Config.PeerSendQueueDepth,
// Config.HandoffQueueDepth: the caller's).
//
// A busy queue keeps its ring: the loop's inbox empties at every loop
// iteration and a link's queue at every write, and released at each
// emptying their rings were grown again from fifoMinCap by doubling at the
// next burst (8 % of the CPU at N = 64, 1,000 broadcasts/s: BENCHMARKS.md,
// session 14). So a ring is released when the queue empties only if it
// held at most a quarter of the ring since it last emptied (fifoQuiet): a
// queue whose traffic falls gives its ring back at its next emptying, an
// idle link's queue (a keepalive a second) within about a second.

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
	// peak is the most items held since the queue last emptied.
	peak int
}

// fifoQuiet: a ring is released when the queue empties if it held at
// most 1/fifoQuiet of the ring since it last emptied.
const fifoQuiet = 4

// frameFIFO is a link send queue's storage.
type frameFIFO = fifo[outFrame]

// len returns the number of items held.
func (q *fifo[T]) len() int { return q.n }

// push appends f, growing the ring when it is full. The ring's length
// is a power of two (fifoMinCap, doubled), so positions wrap by a mask.
func (q *fifo[T]) push(f T) {
	if q.n == len(q.buf) {
		grown := make([]T, max(fifoMinCap, 2*len(q.buf)))
		k := copy(grown, q.buf[q.head:])
		copy(grown[k:], q.buf[:q.head])
		q.buf, q.head = grown, 0
	}
	q.buf[(q.head+q.n)&(len(q.buf)-1)] = f
	q.n++
	q.peak = max(q.peak, q.n)
}

// pop removes and returns the oldest item; false when empty. A ring
// grown beyond fifoMinCap is released when it empties after a quiet spell
// (fifoQuiet).
func (q *fifo[T]) pop() (T, bool) {
	var zero T
	if q.n == 0 {
		return zero, false
	}
	f := q.buf[q.head]
	q.buf[q.head] = zero
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.n--
	if q.n == 0 {
		if len(q.buf) > fifoMinCap && q.peak*fifoQuiet <= len(q.buf) {
			q.buf = nil
		}
		q.head, q.peak = 0, 0
	}
	return f, true
}
