// Plumtree core: the chunked FIFO under the seen set and the message cache.

package hyparlist

// This file holds the queue under Plumtree's seen set and message cache:
// values in insertion order, addressed by sequence number, stored in
// fixed-size chunks. Both tables add at one end and drop at the other (a
// message's expiry is its insertion time plus a TTL common to all), so a
// queue keeps them in expiry order without sorting, and chunks keep the
// memory close to what is held: a table never copies its values to grow,
// and an emptied one keeps no chunk.

// ptChunk is the number of values per chunk.
const ptChunk = 64

// ptSeqBits bounds sequence numbers to 24 bits, so that the seen set's
// index can store a sequence and an 8-bit hash tag in a uint32. Sequences
// wrap; a queue holds fewer than 2^24 values (ptSeenMax).
const (
	ptSeqBits = 24
	ptSeqMask = 1<<ptSeqBits - 1
)

// ptFIFO is a queue of T. The k-th value ever pushed has sequence k (mod
// 2^24) until it is popped.
type ptFIFO[T any] struct {
	chunks [][]T  // chunks[0][off] is the oldest value
	off    int    // index of the oldest value in chunks[0]
	n      int    // values held
	first  uint32 // sequence of the oldest value (of the next one if empty)
}

func (q *ptFIFO[T]) len() int { return q.n }

// push appends v and returns its sequence.
func (q *ptFIFO[T]) push(v T) uint32 {
	end := q.off + q.n
	if ci := end / ptChunk; ci == len(q.chunks) {
		q.chunks = append(q.chunks, make([]T, ptChunk))
	}
	q.chunks[end/ptChunk][end%ptChunk] = v
	q.n++
	return (q.first + uint32(q.n-1)) & ptSeqMask
}

// at returns the value of sequence seq, or nil if it is not held. The
// pointer is valid until the value is popped.
func (q *ptFIFO[T]) at(seq uint32) *T {
	d := (seq - q.first) & ptSeqMask
	if d >= uint32(q.n) {
		return nil
	}
	p := q.off + int(d)
	return &q.chunks[p/ptChunk][p%ptChunk]
}

// front returns the oldest value and its sequence; nil if empty.
func (q *ptFIFO[T]) front() (*T, uint32) {
	if q.n == 0 {
		return nil, 0
	}
	return &q.chunks[0][q.off], q.first
}

// back returns the value k places before the newest (k = 0: the newest),
// nil if there is none.
func (q *ptFIFO[T]) back(k int) *T {
	if k < 0 || k >= q.n {
		return nil
	}
	p := q.off + q.n - 1 - k
	return &q.chunks[p/ptChunk][p%ptChunk]
}

// pop drops the oldest value; the queue must not be empty. An emptied
// queue releases its chunks.
func (q *ptFIFO[T]) pop() {
	var zero T
	q.chunks[0][q.off] = zero
	q.off++
	q.n--
	q.first = (q.first + 1) & ptSeqMask
	switch {
	case q.n == 0:
		q.chunks, q.off = nil, 0
	case q.off == ptChunk:
		q.chunks[0] = nil
		q.chunks = q.chunks[1:]
		q.off = 0
	}
}
