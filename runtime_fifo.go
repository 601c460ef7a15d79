package hyparlist

// This file owns frameFIFO: the storage of one link send queue
// (runtime_linkqueue.go), a ring that grows with what it holds and is
// released when it empties, so that an idle link holds no queue memory.
// Its bound is the caller's (Config.PeerSendQueueDepth).

// fifoMinCap is the ring's first capacity; it doubles when full.
const fifoMinCap = 8

// frameFIFO is a first-in first-out queue of frames. Not safe for
// concurrent use: linkQueues guards it.
type frameFIFO struct {
	buf  []outFrame
	head int
	n    int
}

// len returns the number of frames held.
func (q *frameFIFO) len() int { return q.n }

// push appends f, growing the ring when it is full.
func (q *frameFIFO) push(f outFrame) {
	if q.n == len(q.buf) {
		grown := make([]outFrame, max(fifoMinCap, 2*len(q.buf)))
		for i := range q.n {
			grown[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = grown, 0
	}
	q.buf[(q.head+q.n)%len(q.buf)] = f
	q.n++
}

// pop removes and returns the oldest frame; false when empty. A ring
// grown beyond fifoMinCap is released when it empties.
func (q *frameFIFO) pop() (outFrame, bool) {
	if q.n == 0 {
		return outFrame{}, false
	}
	f := q.buf[q.head]
	q.buf[q.head] = outFrame{}
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	if q.n == 0 && len(q.buf) > fifoMinCap {
		q.buf, q.head = nil, 0
	}
	return f, true
}
