// TransmitLimitedQueue: memberlist's broadcast queue (a btree ordered by
// transmits, then age), for the Delegate.GetBroadcasts path.

package hyparlist

import (
	"math"
	"sync"

	"github.com/google/btree"
)

// Broadcast is a message an application wants delivered to the whole
// cluster, queued in a TransmitLimitedQueue.
type Broadcast interface {
	// Invalidates reports whether this broadcast, being queued, makes the
	// queued broadcast b obsolete; b is then dropped from the queue.
	Invalidates(b Broadcast) bool
	// Message returns the payload. The queue reads it once, when the
	// broadcast is queued.
	Message() []byte
	// Finished is called once the queue drops the broadcast for good:
	// it reached its transmit limit, was invalidated or replaced, or was
	// removed by Prune or Reset.
	Finished()
}

// NamedBroadcast is a Broadcast with a name. Queuing a named broadcast
// replaces the queued broadcast of the same name, if any, found by a map
// lookup instead of asking every queued broadcast's Invalidates.
//
// Keep Invalidates consistent with the name: it should return true exactly
// for another NamedBroadcast of the same name. The queue does not call
// Invalidates on named broadcasts today.
type NamedBroadcast interface {
	Broadcast
	// Name identifies the broadcast; at most one broadcast per name is
	// queued.
	Name() string
}

// UniqueBroadcast is a Broadcast that never invalidates another one, so
// queuing it skips the invalidation scan. Its Invalidates should always
// return false; the queue does not call it.
type UniqueBroadcast interface {
	Broadcast
	// UniqueBroadcast only marks the type.
	UniqueBroadcast()
}

// TransmitLimitedQueue holds broadcasts and hands each one out a limited
// number of times: RetransmitMult × ceil(log10(N+1)) for a cluster of N
// nodes, as memberlist does. It hands out the least-transmitted broadcasts
// first, and within those the largest that fit, then the newest.
//
// Set NumNodes and RetransmitMult before use; the zero value is otherwise
// ready. A TransmitLimitedQueue is safe for concurrent use. It calls
// NumNodes, Message, Name and Finished without holding its lock, so they
// may call back into the queue (Finished is called before the method that
// dropped the broadcast returns); Invalidates is called with the lock held
// and must not.
//
// In hyparlist, Delegate.GetBroadcasts is typically implemented with this
// queue. Plumtree then delivers each payload to every node once, and the
// runtime recognises the retransmissions the queue hands out and does not
// send them again: the retransmit limit only bounds how long a broadcast
// stays queued.
//
// Not in memberlist: every broadcast gets an id that is unique for the
// lifetime of the queue. memberlist restarts its ids whenever the queue
// becomes empty, which can give a new broadcast the id of a queued one and
// make it silently replace that one (memberlist PRs #263 and #322).
type TransmitLimitedQueue struct {
	// NumNodes returns the current number of nodes in the cluster, used to
	// scale the transmit limit. A nil NumNodes counts as 0 nodes.
	NumNodes func() int

	// RetransmitMult multiplies ceil(log10(N+1)) to give the number of
	// times each broadcast is handed out. A broadcast is always handed out
	// at least once.
	RetransmitMult int

	mu      sync.Mutex
	tree    *btree.BTreeG[*limitedBroadcast] // queued broadcasts, in hand-out order
	byName  map[string]*limitedBroadcast     // the queued NamedBroadcasts
	lastID  uint64                           // id of the last broadcast queued; never reset
	pending []Broadcast                      // dropped while mu is held; Finished after
}

// limitedBroadcast is a queued broadcast. (transmits, msgLen, id) is its
// key in the tree and must not change while it is in the tree.
type limitedBroadcast struct {
	transmits int    // times handed out so far
	msgLen    int    // len(msg)
	id        uint64 // unique for the queue's lifetime; higher is newer
	msg       []byte // the payload, read once at queue time
	b         Broadcast
	name      string // Name() of a NamedBroadcast
	unique    bool   // b is a UniqueBroadcast and not a NamedBroadcast
	special   bool   // b is a NamedBroadcast or a UniqueBroadcast
}

// lessBroadcast orders the tree in hand-out order: fewer transmits first,
// then longer messages, then newer ones. Ids are unique, so no two queued
// broadcasts compare equal.
func lessBroadcast(a, b *limitedBroadcast) bool {
	if a.transmits != b.transmits {
		return a.transmits < b.transmits
	}
	if a.msgLen != b.msgLen {
		return a.msgLen > b.msgLen
	}
	return a.id > b.id
}

// treeDegree is the branching degree of the queue's btree.
const treeDegree = 32

// lazyInit makes the zero value usable. q.mu must be held.
func (q *TransmitLimitedQueue) lazyInit() {
	if q.tree == nil {
		q.tree = btree.NewG(treeDegree, lessBroadcast)
	}
	if q.byName == nil {
		q.byName = make(map[string]*limitedBroadcast)
	}
}

// QueueBroadcast queues b. b first drops every queued broadcast it
// invalidates: for a NamedBroadcast, the queued one of the same name; for a
// UniqueBroadcast, none; for any other broadcast (and a NamedBroadcast with
// an empty name), every queued broadcast that is neither a NamedBroadcast
// nor a UniqueBroadcast and for which b.Invalidates returns true. Dropped
// broadcasts are Finished. A nil b is ignored.
func (q *TransmitLimitedQueue) QueueBroadcast(b Broadcast) {
	q.queueBroadcast(b, 0)
}

// queueBroadcast is QueueBroadcast with a chosen initial transmit count,
// for tests.
func (q *TransmitLimitedQueue) queueBroadcast(b Broadcast, transmits int) {
	if b == nil {
		return
	}
	msg := b.Message()
	lb := &limitedBroadcast{transmits: transmits, msgLen: len(msg), msg: msg, b: b}
	if nb, ok := b.(NamedBroadcast); ok {
		lb.name, lb.special = nb.Name(), true
	} else if _, ok := b.(UniqueBroadcast); ok {
		lb.unique, lb.special = true, true
	}

	q.mu.Lock()
	defer q.unlockAndFinish()
	q.lazyInit()

	switch {
	case lb.name != "":
		if old, ok := q.byName[lb.name]; ok {
			q.dropLocked(old)
		}
	case !lb.unique:
		var stale []*limitedBroadcast
		q.tree.Ascend(func(cur *limitedBroadcast) bool {
			if !cur.special && b.Invalidates(cur.b) {
				stale = append(stale, cur)
			}
			return true
		})
		for _, cur := range stale {
			q.dropLocked(cur)
		}
	}

	// A 64-bit counter that is never reset, not even when the queue runs
	// empty: at 10^9 broadcasts a second it would wrap after 500 years.
	q.lastID++
	lb.id = q.lastID
	q.insertLocked(lb)
}

// GetBroadcasts returns queued payloads to send, each costing overhead
// bytes on top of its length, with a total of at most limit bytes. It picks
// the least-transmitted broadcasts first and, among those, the largest that
// still fit, then the newest. Every payload returned counts as one
// transmission; a broadcast that reaches the transmit limit is dropped and
// Finished. It returns nil when nothing fits.
//
// The returned slices are the payloads as queued: do not modify them.
func (q *TransmitLimitedQueue) GetBroadcasts(overhead, limit int) [][]byte {
	// NumNodes is application code that may take its own locks: call it
	// before taking ours.
	transmitLimit := retransmitLimit(q.RetransmitMult, q.numNodes())
	overhead = max(overhead, 0)

	q.mu.Lock()
	defer q.unlockAndFinish()
	if q.tree == nil || q.tree.Len() == 0 {
		return nil
	}

	var (
		out      [][]byte
		used     int
		reinsert []*limitedBroadcast
	)
	first, _ := q.tree.Min()
	last, _ := q.tree.Max()
	for tier := first.transmits; tier <= last.transmits; {
		free := limit - used - overhead
		if free <= 0 {
			break
		}
		pick := q.largestFittingLocked(tier, free)
		if pick == nil {
			tier++
			continue
		}
		q.deleteLocked(pick)
		out = append(out, pick.msg)
		used += overhead + pick.msgLen
		pick.transmits++
		if pick.transmits >= transmitLimit {
			q.pending = append(q.pending, pick.b)
		} else {
			// Reinsert after the walk, or a later tier would see it again.
			reinsert = append(reinsert, pick)
		}
	}
	for _, lb := range reinsert {
		q.insertLocked(lb)
	}
	return out
}

// largestFittingLocked returns the first broadcast, in hand-out order, that
// has been transmitted tier times and whose payload is at most free bytes
// long, or nil. q.mu must be held.
func (q *TransmitLimitedQueue) largestFittingLocked(tier, free int) *limitedBroadcast {
	// Within a tier the tree runs from the longest payload to the shortest:
	// the broadcasts that fit start at (tier, free, newest possible id) and
	// end where the next tier starts.
	from := &limitedBroadcast{transmits: tier, msgLen: free, id: math.MaxUint64}
	to := &limitedBroadcast{transmits: tier + 1, msgLen: math.MaxInt, id: math.MaxUint64}
	var pick *limitedBroadcast
	q.tree.AscendRange(from, to, func(cur *limitedBroadcast) bool {
		pick = cur
		return false
	})
	return pick
}

// NumQueued returns the number of queued broadcasts.
func (q *TransmitLimitedQueue) NumQueued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.tree == nil {
		return 0
	}
	return q.tree.Len()
}

// Reset drops every queued broadcast, calling Finished on each.
func (q *TransmitLimitedQueue) Reset() {
	q.mu.Lock()
	defer q.unlockAndFinish()
	if q.tree != nil {
		q.tree.Ascend(func(cur *limitedBroadcast) bool {
			q.pending = append(q.pending, cur.b)
			return true
		})
	}
	// Ids keep counting: see lastID.
	q.tree, q.byName = nil, nil
}

// Prune drops queued broadcasts until at most maxRetain remain, calling
// Finished on each. It drops from the end of the hand-out order: most
// transmitted first, then the shortest, then the oldest. A negative
// maxRetain counts as 0.
func (q *TransmitLimitedQueue) Prune(maxRetain int) {
	q.mu.Lock()
	defer q.unlockAndFinish()
	if q.tree == nil {
		return
	}
	for q.tree.Len() > max(maxRetain, 0) {
		last, _ := q.tree.Max()
		q.dropLocked(last)
	}
}

// insertLocked adds lb to the queue. q.mu must be held.
func (q *TransmitLimitedQueue) insertLocked(lb *limitedBroadcast) {
	if old, replaced := q.tree.ReplaceOrInsert(lb); replaced {
		// Unreachable while ids are unique; if it ever happens, the
		// displaced broadcast must still be accounted for.
		if old.name != "" && q.byName[old.name] == old {
			delete(q.byName, old.name)
		}
		q.pending = append(q.pending, old.b)
	}
	if lb.name != "" {
		q.byName[lb.name] = lb
	}
}

// deleteLocked removes lb from the queue. q.mu must be held.
func (q *TransmitLimitedQueue) deleteLocked(lb *limitedBroadcast) {
	q.tree.Delete(lb)
	if lb.name != "" && q.byName[lb.name] == lb {
		delete(q.byName, lb.name)
	}
}

// dropLocked removes lb from the queue for good and schedules its Finished.
// q.mu must be held.
func (q *TransmitLimitedQueue) dropLocked(lb *limitedBroadcast) {
	q.deleteLocked(lb)
	q.pending = append(q.pending, lb.b)
}

// unlockAndFinish releases q.mu, then calls Finished on the broadcasts
// dropped while it was held, so that Finished may use the queue. Every
// method that drops broadcasts ends with it: pending is empty whenever q.mu
// is free.
func (q *TransmitLimitedQueue) unlockAndFinish() {
	done := q.pending
	q.pending = nil
	q.mu.Unlock()
	for _, b := range done {
		b.Finished()
	}
}

// numNodes calls NumNodes, counting a nil NumNodes as 0 nodes.
func (q *TransmitLimitedQueue) numNodes() int {
	if q.NumNodes == nil {
		return 0
	}
	return q.NumNodes()
}

// retransmitLimit is how many times a broadcast is handed out in a cluster
// of n nodes: mult × ceil(log10(n+1)), as in memberlist, and at least 1.
func retransmitLimit(mult, n int) int {
	scale := int(math.Ceil(math.Log10(float64(max(n, 0) + 1))))
	return max(mult*scale, 1)
}
