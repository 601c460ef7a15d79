package sim

import "github.com/hyparlist/hyparlist"

// This file holds the simulator's event queue: a binary min-heap of event
// values ordered by (virtual time, insertion sequence). Ties in time are
// broken by the order in which the events were scheduled, so a run is a
// pure function of its seed, and two messages sent on the same link with
// the same latency arrive in the order they were sent.

// simEventKind says what a queued event does when it fires.
type simEventKind uint8

const (
	// evMessage delivers msg from node peer to node node, to the core of
	// the kind (aux) that sent it.
	evMessage simEventKind = iota + 1
	// evTimer hands timer back to core aux of node node.
	evTimer
	// evLinkFailed tells node node that its link to node peer failed.
	evLinkFailed
	// evFlood delivers a flood-baseline copy of broadcast tag-1 from node
	// peer to node node; aux is the number of hops it has travelled.
	evFlood
	// evJoin starts node node and makes it join through node peer (peer
	// is -1 for the first node, which only starts).
	evJoin
)

// Cores of a node, as carried in evTimer's and evMessage's aux field.
const (
	simCoreHyParView uint16 = 0
	simCorePlumtree  uint16 = 1
)

// simEvent is one queued event. It is kept at 64 bytes (one cache line) and
// stored by value in the heap, so scheduling allocates nothing once the
// heap's backing array has grown.
type simEvent struct {
	at    int64             // virtual time in nanoseconds since the simulation epoch
	seq   uint64            // insertion order, the tie-breaker
	msg   hyparlist.Message // evMessage
	timer hyparlist.Timer   // evTimer
	node  int32             // the node the event happens at
	peer  int32             // the other end, see simEventKind
	tag   int32             // broadcast tag (index+1) the event descends from, 0 if none
	aux   uint16            // core (evTimer, evMessage) or hops (evFlood)
	kind  simEventKind
}

// eventQueue is a priority queue of events ordered by (at, seq). Events
// live in a pool and are recycled through a free list; the heap itself is
// a 4-ary min-heap of small (at, seq, slot) keys, so that sifting moves 24
// bytes instead of a whole event and a node's children share cache lines.
type eventQueue struct {
	heap []queueKey
	pool []simEvent
	free []int32
	seq  uint64
}

// queueKey is one heap entry: the ordering key and the event's pool slot.
type queueKey struct {
	at   int64
	seq  uint64
	slot int32
}

// before reports whether a fires before b.
func (a *queueKey) before(b *queueKey) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// push schedules ev; its seq is assigned here.
func (q *eventQueue) push(ev simEvent) {
	q.seq++
	ev.seq = q.seq
	var slot int32
	if n := len(q.free); n > 0 {
		slot = q.free[n-1]
		q.free = q.free[:n-1]
		q.pool[slot] = ev
	} else {
		slot = int32(len(q.pool))
		q.pool = append(q.pool, ev)
	}
	key := queueKey{at: ev.at, seq: ev.seq, slot: slot}
	// Sift up.
	h := append(q.heap, key)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 4
		if !key.before(&h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = key
	q.heap = h
}

// len returns the number of queued events.
func (q *eventQueue) len() int { return len(q.heap) }

// peekTime returns the time of the earliest event; the queue must not be
// empty.
func (q *eventQueue) peekTime() int64 { return q.heap[0].at }

// pop removes and returns the earliest event; the queue must not be empty.
func (q *eventQueue) pop() simEvent {
	h := q.heap
	slot := h[0].slot
	ev := q.pool[slot]
	q.pool[slot] = simEvent{} // drop references for the GC
	q.free = append(q.free, slot)

	last := h[len(h)-1]
	h = h[:len(h)-1]
	q.heap = h
	n := len(h)
	if n == 0 {
		return ev
	}
	// Sift the last key down from the root.
	i := 0
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for j := c + 1; j < c+4 && j < n; j++ {
			if h[j].before(&h[m]) {
				m = j
			}
		}
		if !h[m].before(&last) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = last
	return ev
}
