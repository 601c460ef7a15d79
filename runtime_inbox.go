// Runtime: the loop's inbox, a bounded queue that grows with what it holds.

package hyparlist

import "sync"

// This file owns the loop's inbox: the protocol messages the stream
// readers hand to the loop, at most Config.HandoffQueueDepth. A
// reader that finds it full waits (TCP back-pressure on that stream) until
// the loop takes one. Its storage grows with what it holds (fifo,
// runtime_fifo.go): a channel of HandoffQueueDepth messages held 96 KiB
// per node at the default of 1,024, idle or not.

// inboxQueue is the loop's bounded inbox. Waits are channel operations,
// so that a blocked reader is durably blocked for testing/synctest.
type inboxQueue struct {
	mu    sync.Mutex
	items fifo[inbound]
	limit int
	// ready holds a token while messages may be waiting; the loop selects
	// on it.
	ready chan struct{}
	// room is closed and replaced when a full inbox loses a message.
	room chan struct{}
}

// newInboxQueue returns an inbox of at most limit messages (at least 1).
func newInboxQueue(limit int) *inboxQueue {
	return &inboxQueue{limit: max(limit, 1), ready: make(chan struct{}, 1), room: make(chan struct{})}
}

// put adds in, waiting while the inbox is full; it reports false, without
// adding it, if done closes first.
func (q *inboxQueue) put(in inbound, done <-chan struct{}) bool {
	return q.putChecking(in, done, nil) // runtime_readerend.go
}

// take returns the oldest message without waiting; false when empty.
// While more wait, the ready token stays, so the loop comes back for
// them after its other inputs.
func (q *inboxQueue) take() (inbound, bool) {
	q.mu.Lock()
	full := q.items.len() >= q.limit
	in, ok := q.items.pop()
	if ok && full {
		close(q.room)
		q.room = make(chan struct{})
	}
	more := q.items.len() > 0
	q.mu.Unlock()
	if more {
		q.signal()
	}
	return in, ok
}

// len returns the number of messages waiting.
func (q *inboxQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.items.len()
}

// signal puts the ready token unless one is there.
func (q *inboxQueue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}
