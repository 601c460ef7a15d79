package hyparlist

// This file holds the simulator's event queue: a binary min-heap of event
// values ordered by (virtual time, insertion sequence). Ties in time are
// broken by the order in which the events were scheduled, so a run is a
// pure function of its seed, and two messages sent on the same link with
// the same latency arrive in the order they were sent.

// simEventKind says what a queued event does when it fires.
type simEventKind uint8

const (
	// evMessage delivers msg from node peer to node node.
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

// Cores of a node, as carried in evTimer's aux field.
const (
	coreHyParView uint16 = 0
	corePlumtree  uint16 = 1
)

// simEvent is one queued event. It is kept at 64 bytes (one cache line) and
// stored by value in the heap, so scheduling allocates nothing once the
// heap's backing array has grown.
type simEvent struct {
	at    int64   // virtual time in nanoseconds since the simulation epoch
	seq   uint64  // insertion order, the tie-breaker
	msg   Message // evMessage
	timer Timer   // evTimer
	node  int32   // the node the event happens at
	peer  int32   // the other end, see simEventKind
	tag   int32   // broadcast tag (index+1) the event descends from, 0 if none
	aux   uint16  // core (evTimer) or hops (evFlood)
	kind  simEventKind
}

// eventQueue is a min-heap of events ordered by (at, seq).
type eventQueue struct {
	items []simEvent
	seq   uint64
}

// less reports whether event i fires before event j.
func (q *eventQueue) less(i, j int) bool {
	a, b := &q.items[i], &q.items[j]
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

// push schedules ev; its seq is assigned here.
func (q *eventQueue) push(ev simEvent) {
	q.seq++
	ev.seq = q.seq
	q.items = append(q.items, ev)
	// Sift up.
	i := len(q.items) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q.items[i], q.items[p] = q.items[p], q.items[i]
		i = p
	}
}

// len returns the number of queued events.
func (q *eventQueue) len() int { return len(q.items) }

// peekTime returns the time of the earliest event; the queue must not be
// empty.
func (q *eventQueue) peekTime() int64 { return q.items[0].at }

// pop removes and returns the earliest event; the queue must not be empty.
func (q *eventQueue) pop() simEvent {
	top := q.items[0]
	last := len(q.items) - 1
	q.items[0] = q.items[last]
	q.items[last] = simEvent{} // drop references for the GC
	q.items = q.items[:last]
	// Sift down.
	i, n := 0, last
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && q.less(r, l) {
			m = r
		}
		if !q.less(m, i) {
			break
		}
		q.items[i], q.items[m] = q.items[m], q.items[i]
		i = m
	}
	return top
}
