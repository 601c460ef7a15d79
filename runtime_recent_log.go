// Runtime: the log of delivered payloads' keys, merged into the pump's
// recognition set only when a pull hands out payloads.

package hyparlist

import "time"

// This file owns the recognition set's delivery log. Every user broadcast
// delivered to NotifyMsg is a sighting the set must know of (an
// application may re-queue it, Serf style), but the set is only consulted
// when Delegate.GetBroadcasts hands out a payload. An application that
// uses only the native Broadcast, or a queue that has nothing to hand
// out, never needs the sightings. So a delivery only appends its key (the
// seeded hash and length, computed by the message dispatcher) to a log of
// plain values, and the log is merged into the set, in order, by the
// first sighting of a pulled payload that follows (recentPayloads.see):
// the set's map and list, about 150 bytes and two allocations per entry
// that the garbage collector scans, are built only for a node whose queue
// hands out payloads. Before, every delivery was an entry of the set for
// at least MessageCacheTTL: at 1,000 deliveries a second, 30,000 entries
// (4.5 MB) per node whether the queue was used or not.
//
// A logged sighting expires under the set's rule (unseen for both the
// grace time and recentGraceDrains drains), and the log is bounded by the
// set's bound (recentPayloadsMax entries of 32 bytes, 2 MiB, in blocks of
// 4 KiB, and a slice of at most 513 block pointers): at the
// bound the oldest sighting is dropped and counted as evicted, as the set
// evicts its least recently seen entry. A merged sighting keeps the time
// and drain count it was logged with, so recognition is what it would have
// been had it entered the set at once.

// loggedSighting is one delivery's sighting: no pointers, so a long log
// costs the garbage collector nothing to scan.
type loggedSighting struct {
	key    payloadKey
	at     time.Duration // since recentPayloads.base
	drains uint64
}

// sightingLog is a FIFO of sightings, oldest first, in fixed blocks of
// sightingBlockLen: a push never copies what the log holds. Held as one
// growing slice before, the log was copied at every doubling and shifted
// down as it was consumed, 3 % of the CPU at N = 64, 1,000 broadcasts/s,
// where it holds MessageCacheTTL of deliveries (BENCHMARKS.md, session 14).
type sightingLog struct {
	blocks []*sightingBlock
	head   int // position of the oldest sighting in blocks[0]
	n      int
}

// sightingBlockLen is the sightings per block: 4 KiB.
const sightingBlockLen = 128

// sightingBlock is one block of a sightingLog.
type sightingBlock [sightingBlockLen]loggedSighting

func (q *sightingLog) len() int { return q.n }

// push appends s.
func (q *sightingLog) push(s loggedSighting) {
	pos := q.head + q.n
	if pos/sightingBlockLen == len(q.blocks) {
		q.blocks = append(q.blocks, new(sightingBlock))
	}
	q.blocks[pos/sightingBlockLen][pos%sightingBlockLen] = s
	q.n++
}

// front returns the oldest sighting; the log must not be empty.
func (q *sightingLog) front() loggedSighting { return q.blocks[0][q.head] }

// pop drops the oldest sighting; the log must not be empty. A block is
// released once its last sighting is popped.
func (q *sightingLog) pop() {
	q.head++
	q.n--
	if q.n == 0 {
		q.reset()
		return
	}
	if q.head == sightingBlockLen {
		k := copy(q.blocks, q.blocks[1:])
		q.blocks[k] = nil
		q.blocks, q.head = q.blocks[:k], 0
	}
}

// reset empties the log and releases its blocks.
func (q *sightingLog) reset() {
	clear(q.blocks)
	q.blocks, q.head, q.n = q.blocks[:0], 0, 0
}

// note logs a delivery's sighting of k at now and returns the number of
// sightings dropped at the bound (counted as evicted).
func (r *recentPayloads) note(now time.Time, k payloadKey) (evicted int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expireLogLocked(now)
	for r.log.len() >= r.max {
		r.log.pop()
		evicted++
	}
	r.maxLen = max(r.maxLen, k.n)
	r.log.push(loggedSighting{key: k, at: now.Sub(r.base), drains: r.drains})
	return evicted
}

// mergeLogLocked moves the logged sightings into the set, oldest first,
// each with its own time and drain count, and returns the entries evicted
// at the set's bound.
func (r *recentPayloads) mergeLogLocked() (evicted int) {
	for r.log.len() > 0 {
		s := r.log.front()
		r.log.pop()
		evicted += r.sightLocked(r.base.Add(s.at), s.drains, s.key)
	}
	return evicted
}

// expireLogLocked drops the logged sightings, oldest first, that went
// unseen for both the grace time and recentGraceDrains drains.
func (r *recentPayloads) expireLogLocked(now time.Time) {
	at := now.Sub(r.base)
	for r.log.len() > 0 {
		s := r.log.front()
		if at-s.at < r.grace || r.drains-s.drains < recentGraceDrains {
			return
		}
		r.log.pop()
	}
}
