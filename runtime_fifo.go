// Runtime: the growable FIFO storage of the runtime's bounded queues.

package hyparlist

// This file owns fifo: the storage of the runtime's bounded queues (a
// link's send queues, runtime_linkqueue.go; the loop's inbox,
// runtime_inbox.go), a ring that grows with what it holds and is released
// when it empties after a quiet spell, so that an idle queue holds almost
// no memory however large its bound (Config.PeerSendQueueDepth,
// Config.HandoffQueueDepth: the caller's).
//
// A busy queue keeps a small ring: the loop's inbox empties at every
// loop iteration and a link's queue at every write, and released at each
// emptying their rings were grown again from fifoMinCap by doubling at the
// next burst (8 % of the CPU at N = 64, 1,000 broadcasts/s: BENCHMARKS.md,
// session 14). So a ring of up to fifoKeepMax items is released only
// after fifoQuietRounds emptyings in a row at which it had held at most a
// quarter of it (fifoQuiet): a queue whose traffic falls gives its ring
// back after a few emptyings, an idle link's queue (a keepalive a second)
// within about fifoQuietRounds seconds. A larger ring (a burst) is
// released at the first emptying, as a queue that stays busy but small
// would otherwise keep it for good.

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
	// quiet counts the emptyings in a row at which peak was at most
	// 1/fifoQuiet of the ring.
	quiet int
}

// fifoQuiet: an emptying is quiet when the queue held at most
// 1/fifoQuiet of the ring since it last emptied.
const fifoQuiet = 4

// fifoQuietRounds is how many quiet emptyings in a row release a ring of
// at most fifoKeepMax items.
const fifoQuietRounds = 8

// fifoKeepMax is the largest ring a busy queue keeps when it empties;
// larger ones are released at once (at most fifoKeepMax items, a few KiB
// to about 30 KiB, stay held per queue in use).
const fifoKeepMax = 256

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

// pop removes and returns the oldest item; false when empty.
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
		q.emptied()
	}
	return f, true
}

// last returns the newest item, to be changed in place; nil when empty.
func (q *fifo[T]) last() *T {
	if q.n == 0 {
		return nil
	}
	return &q.buf[(q.head+q.n-1)&(len(q.buf)-1)]
}

// emptied decides, as the queue empties, whether its ring is released:
// at once when larger than fifoKeepMax, after fifoQuietRounds quiet
// emptyings in a row otherwise.
func (q *fifo[T]) emptied() {
	switch {
	case len(q.buf) <= fifoMinCap:
		q.quiet = 0
	case len(q.buf) > fifoKeepMax:
		q.buf, q.quiet = nil, 0
	case q.peak*fifoQuiet > len(q.buf):
		q.quiet = 0
	default:
		q.quiet++
		if q.quiet >= fifoQuietRounds {
			q.buf, q.quiet = nil, 0
		}
	}
	q.head, q.peak = 0, 0
}
