package hyparlist

import (
	"crypto/sha256"
	"errors"
	"sync"
	"time"
)

// This file owns the memberlist-style broadcast path: every
// GossipInterval a pump goroutine pulls Delegate.GetBroadcasts and hands
// each new payload to Plumtree exactly once. While the links' broadcast
// backlog is full (runtime_backlog.go) the pump does not pull: the
// broadcasts wait in the application's TransmitLimitedQueue, as they
// would in memberlist between gossip rounds.
//
// memberlist retransmits a queued broadcast on several gossip rounds
// (TransmitLimitedQueue returns it RetransmitMult×log(N+1) times), and
// Serf-style applications re-queue a broadcast they received so that it
// spreads further. Plumtree already delivers each broadcast to every
// connected node, so both would only produce duplicates. The pump therefore
// remembers a hash of every payload it sent and of every user broadcast
// delivered to this node (recentPayloads), and skips a payload it has seen
// within Config.MessageCacheTTL (as long as Plumtree can still answer a
// GRAFT for it, and longer than TransmitLimitedQueue keeps retransmitting
// a broadcast at the default settings). Not in memberlist: two equal
// payloads queued within that window are one broadcast; send one of them
// through Broadcast to get two.

// recentPayloadsMax bounds the hashes kept; the oldest go first. At 32
// bytes plus a map slot each, 65536 entries cost a few MiB, enough for
// several hundred broadcasts per second over MessageCacheTTL.
const recentPayloadsMax = 65536

// broadcastOverhead is the overhead passed to Delegate.GetBroadcasts: the
// bytes a payload costs on the wire beyond its length in a Gossip frame
// (frame header, msgpack array and bin headers, message ID and round),
// with a name of typical length. It only guides the application's packing.
const broadcastOverhead = FrameHeaderSize + 32

// payloadHash identifies a payload's content.
type payloadHash [sha256.Size]byte

// recentPayloads is a bounded set of payload hashes, each forgotten ttl
// after it was last added. It is safe for concurrent use: the pump and
// the message dispatcher share it.
type recentPayloads struct {
	ttl time.Duration
	max int

	mu    sync.Mutex
	seen  map[payloadHash]time.Time // hash → expiry
	order []payloadHash             // insertion order, for eviction
	head  int                       // order[head:] are live candidates
}

// newRecentPayloads returns an empty set.
func newRecentPayloads(ttl time.Duration, max int) *recentPayloads {
	return &recentPayloads{ttl: ttl, max: max, seen: make(map[payloadHash]time.Time)}
}

// add records payload as seen at now.
func (r *recentPayloads) add(now time.Time, payload []byte) {
	h := sha256.Sum256(payload)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.insertLocked(now, h)
}

// addIfNew records payload as seen at now and reports whether it was not
// already in the set.
func (r *recentPayloads) addIfNew(now time.Time, payload []byte) bool {
	h := sha256.Sum256(payload)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expireLocked(now)
	if _, ok := r.seen[h]; ok {
		return false
	}
	r.insertLocked(now, h)
	return true
}

// len returns the number of hashes held.
func (r *recentPayloads) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

func (r *recentPayloads) insertLocked(now time.Time, h payloadHash) {
	r.expireLocked(now)
	if _, ok := r.seen[h]; !ok {
		for len(r.seen) >= r.max {
			r.evictOldestLocked()
		}
		r.order = append(r.order, h)
	}
	r.seen[h] = now.Add(r.ttl)
}

// expireLocked forgets the hashes at the front of the insertion order
// whose time is up. A hash re-added later keeps a later expiry and is
// skipped (it stays in order until it reaches the front again).
func (r *recentPayloads) expireLocked(now time.Time) {
	for r.head < len(r.order) {
		h := r.order[r.head]
		exp, ok := r.seen[h]
		if ok && exp.After(now) {
			break
		}
		if ok {
			delete(r.seen, h)
		}
		r.head++
	}
	r.compactLocked()
}

// evictOldestLocked forgets the oldest hash still held.
func (r *recentPayloads) evictOldestLocked() {
	for r.head < len(r.order) {
		h := r.order[r.head]
		r.head++
		if _, ok := r.seen[h]; ok {
			delete(r.seen, h)
			break
		}
	}
	r.compactLocked()
}

// compactLocked drops the consumed prefix of order once it is at least
// half of the slice, so order stays within twice the set's bound.
func (r *recentPayloads) compactLocked() {
	if r.head > 0 && r.head*2 >= len(r.order) {
		n := copy(r.order, r.order[r.head:])
		clear(r.order[n:])
		r.order = r.order[:n]
		r.head = 0
	}
}

// runPump pulls Delegate.GetBroadcasts every interval and hands each new
// payload to the loop, until shutdown. It runs only when there is a
// Delegate and the interval is positive; w tracks it for Shutdown.
func (m *Memberlist) runPump(interval time.Duration, w *appWorker) {
	defer w.exit()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-m.shutdownCh:
			return
		case <-t.C:
		}
		// While a pull's worth does not fit in the links' backlog, the
		// broadcasts stay in the application's queue (runtime_backlog.go).
		if m.backlog.waitRoom(m.config.UDPBufferSize, m.shutdownCh) != nil {
			return
		}
		if !w.enter(m.shutdownCh) {
			return
		}
		payloads := m.config.Delegate.GetBroadcasts(broadcastOverhead, m.config.UDPBufferSize)
		w.leave()
		for _, p := range payloads {
			if len(p) == 0 || !m.recent.addIfNew(time.Now(), p) {
				continue
			}
			err := m.broadcast(ClassUser, p)
			switch {
			case errors.Is(err, ErrShutdown):
				return
			case err != nil:
				m.logger.Warn("dropping broadcast from GetBroadcasts", "error", err, "bytes", len(p))
			}
		}
	}
}

// clonePayload returns a copy of p that the caller may not change.
func clonePayload(p []byte) []byte { return append([]byte(nil), p...) }
