// Runtime: the pump's recognition set of payloads sent or delivered, so re-
// queued ones are not sent again.

package hyparlist

import (
	"container/list"
	"hash/maphash"
	"sync"
	"time"
)

// This file owns the pump's recognition set: the payloads this node sent
// from Delegate.GetBroadcasts or delivered to Delegate.NotifyMsg, kept for
// as long as the application's queue may hand them out again.
//
// A TransmitLimitedQueue hands each broadcast out up to
// RetransmitMult×ceil(log10(N+1)) times, and a Serf-style application
// re-queues every payload it receives. How long that takes depends on the
// queue, not on a fixed time: a backed-up queue hands a payload out again
// long after it first saw it. So an entry is refreshed every time the pump
// sees its payload again, and forgotten only once it has gone unseen for
// both recentGraceDrains drains (pull rounds that found the Delegate's
// queue empty under a limit every remembered payload fits in, so that
// nothing queued before them can come back from a TransmitLimitedQueue)
// and the set's grace time (Config.MessageCacheTTL,
// at least a second, for applications that re-queue later or queues that
// never run empty). While the pump waits for room in the links' backlog it
// does not pull, so no drain happens and nothing is forgotten however long
// the wait.
//
// Payloads are recognised by content: a 64-bit maphash under a random
// seed of this node, plus the length. A payload is wrongly taken for a
// held one only if it has the length and the hash of one of them: with the
// set at its bound (recentPayloadsMax = 2^16 entries) that is below 2^-48
// per payload looked up, once in about 900 years at 10,000 look-ups a
// second. The seed never leaves the node, so a remote sender cannot aim
// for a collision. A collision drops the new payload (it is not sent).
// SHA-256, used before, costs 11 to 15 times more (BENCHMARKS.md).
//
// Two equal payloads from two QueueBroadcast calls are one entry. A
// TransmitLimitedQueue hands every transmission of one broadcast out as
// the same slice, so the slice's address could tell them apart, but a
// Delegate that builds a fresh slice for each hand-out (a retransmission
// re-encoded, or the current state returned on every pull) would then
// have every hand-out broadcast anew, up to the round's budget: content
// alone never sends more than once per entry.

// recentPayloadsMax bounds the entries kept. At about 150 bytes per entry
// (map slot, list element, entry; measured: 9.7 MB for 65536) the set
// stays below 10 MiB. When it is full the entry unseen for longest is
// forgotten (counted in the hyparlist.broadcast.recent_evicted metric); if
// the queue hands that payload out again afterwards, it is broadcast again
// as a new message. Every delivered broadcast is a sighting for at least
// MessageCacheTTL (30s by default), so above about 2,000 deliveries a
// second the set (or, while no pull hands out payloads, its delivery log,
// runtime_recent_log.go) stays at its bound and evicts the sightings
// delivered longest ago, also when the application never re-queues; while the pump
// keeps up (below pumpRoundBytes a round, runtime_pump.go) a
// TransmitLimitedQueue hands a payload out again within a round or two of
// its delivery, long before it is evicted.
const recentPayloadsMax = 65536

// recentGraceDrains is how many drains (pull rounds that found the queue
// empty) an entry must go unseen before it may be forgotten. One drain
// after the last sighting suffices for a TransmitLimitedQueue: the queue
// was empty, so the payload cannot come back. The second covers a
// re-queue racing with the first drain.
const recentGraceDrains = 2

// payloadKey identifies a payload's content: its seeded 64-bit hash and
// its length.
type payloadKey struct {
	sum uint64
	n   int
}

// recentEntry is one remembered payload.
type recentEntry struct {
	key    payloadKey
	seenAt time.Time // last sighting
	drains uint64    // recentPayloads.drains at the last sighting
}

// recentPayloads is the bounded recognition set. It is safe for
// concurrent use: the pump and the message dispatcher share it.
type recentPayloads struct {
	seed  maphash.Seed
	grace time.Duration
	max   int

	// base is the origin of logged sightings' times.
	base time.Time

	mu     sync.Mutex
	drains uint64                       // drains so far
	maxLen int                          // longest payload ever held
	byKey  map[payloadKey]*list.Element // → *recentEntry in order
	order  *list.List                   // least recently seen first
	// log holds deliveries' sightings not merged into byKey and order
	// yet (runtime_recent_log.go).
	log sightingLog
}

// newRecentPayloads returns an empty set whose entries stay at least grace
// after their last sighting, holding at most bound entries.
func newRecentPayloads(grace time.Duration, bound int) *recentPayloads {
	return &recentPayloads{
		seed:  maphash.MakeSeed(),
		base:  time.Now(),
		grace: grace,
		max:   max(bound, 1),
		byKey: make(map[payloadKey]*list.Element),
		order: list.New(),
	}
}

// key returns payload's key.
func (r *recentPayloads) key(payload []byte) payloadKey {
	return payloadKey{sum: maphash.Bytes(r.seed, payload), n: len(payload)}
}

// see records a sighting of k at now (a pulled payload) and reports
// whether k was not held before, and how many entries were evicted to
// make room. The deliveries' sightings logged before (note) are merged
// first.
func (r *recentPayloads) see(now time.Time, k payloadKey) (isNew bool, evicted int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	evicted = r.mergeLogLocked()
	r.expireLocked(now)
	_, held := r.byKey[k]
	evicted += r.sightLocked(now, r.drains, k)
	return !held, evicted
}

// sightLocked records a sighting of k at time at and drain count drains,
// adding an entry if k is not held, and returns the entries evicted at
// the bound.
func (r *recentPayloads) sightLocked(at time.Time, drains uint64, k payloadKey) (evicted int) {
	if el, ok := r.byKey[k]; ok {
		e := el.Value.(*recentEntry)
		if at.After(e.seenAt) {
			e.seenAt = at
		}
		e.drains = max(e.drains, drains)
		r.order.MoveToBack(el)
		return 0
	}
	for r.order.Len() >= r.max {
		r.removeLocked(r.order.Front())
		evicted++
	}
	r.maxLen = max(r.maxLen, k.n)
	r.byKey[k] = r.order.PushBack(&recentEntry{key: k, seenAt: at, drains: drains})
	return evicted
}

// longest returns the length of the longest payload ever held: a pull
// whose limit is below it, plus the overhead, may come back empty while
// such a payload is still queued, and is no drain.
func (r *recentPayloads) longest() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.maxLen
}

// drained records a pull round that found the queue empty.
func (r *recentPayloads) drained(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drains++
	r.expireLocked(now)
	r.expireLogLocked(now)
}

// len returns the number of entries held, and of the deliveries'
// sightings not merged yet (a payload delivered twice counts twice there).
func (r *recentPayloads) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.order.Len() + r.log.len()
}

// expireLocked forgets the entries, least recently seen first, that went
// unseen for both the grace time and recentGraceDrains drains. Sightings
// move an entry to the back, so both its time and its drain count grow
// along the list and the walk stops at the first entry still kept.
func (r *recentPayloads) expireLocked(now time.Time) {
	for el := r.order.Front(); el != nil; el = r.order.Front() {
		e := el.Value.(*recentEntry)
		if now.Sub(e.seenAt) < r.grace || r.drains-e.drains < recentGraceDrains {
			return
		}
		r.removeLocked(el)
	}
}

// removeLocked forgets the entry at el.
func (r *recentPayloads) removeLocked(el *list.Element) {
	delete(r.byKey, el.Value.(*recentEntry).key)
	r.order.Remove(el)
}
