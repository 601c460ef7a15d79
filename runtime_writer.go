// Runtime: a link's writer goroutine, running only while the link has
// frames, and the idle heartbeat timer.

package hyparlist

import (
	"net"
	"sync"
	"time"
)

// This file owns the lifecycle of a link's writer goroutine. A link has a
// goroutine only while it has something to do: dialling its stream, or
// writing frames. When its queues are empty the writer parks (the
// goroutine exits), and enqueue starts a new one for the next frame. So an
// idle node holds no writer goroutine; before, every link kept one
// blocked on its queues (8 of the 25 goroutines per node of an idle
// 64-node cluster, BENCHMARKS.md).
//
// The Keepalive an active-view link sends of its own when it has written
// nothing for heartbeatAfter (runtime_silence.go) comes from a timer
// (time.AfterFunc, no goroutine while it waits) that queues the Keepalive
// like any frame.
//
// Shutdown: a writer running or being started when the node shuts down
// sees shutdownCh and ends the link; no writer starts once Shutdown has
// begun waiting for them (writerGate). An idle link has no goroutine to
// stop: Shutdown closes its stream with every other (connSet).

// writerState is the state of a link's writer.
type writerState uint8

const (
	// writerRunning: a writer goroutine is dialling or writing (also the
	// state of a new link, whose first writer dials).
	writerRunning writerState = iota
	// writerIdle: the stream is open, the queues were empty and no
	// writer runs; the next frame starts one.
	writerIdle
	// writerDone: the link has ended; frames queued now are discarded by
	// abort.
	writerDone
)

// writerGate lets Shutdown refuse new writer goroutines before it waits
// for the running ones.
type writerGate struct {
	mu     sync.Mutex
	closed bool
}

// park reports whether the writer may exit: true, with the writer now
// idle, if both queues are empty; false if a frame arrived meanwhile or
// the link was aborted (abort closes aborted before it looks for an idle
// writer, so the writer sees one or abort sees the other).
func (q *linkQueues) park(aborted <-chan struct{}) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ctrl.len()+q.user.len() > 0 {
		return false
	}
	select {
	case <-aborted:
		return false
	default:
	}
	if q.writer == writerRunning {
		q.writer = writerIdle
	}
	return true
}

// stopIdle ends an idle writer: it reports true, with the writer done, if
// no writer runs; a running one ends the link itself.
func (q *linkQueues) stopIdle() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.writer != writerIdle {
		return false
	}
	q.writer = writerDone
	return true
}

// finish records that the link has ended: its writer is done, its
// heartbeat stopped, its queued frames discarded, and done closed.
func (l *outLink) finish() {
	l.linkQueues.mu.Lock()
	l.writer = writerDone
	l.linkQueues.mu.Unlock()
	l.mu.Lock()
	if l.beat != nil {
		l.beat.Stop()
	}
	l.mu.Unlock()
	l.discard()
	l.doneOnce.Do(func() { close(l.done) })
}

// stream returns the link's stream; set before any writer resumes.
func (l *outLink) stream() net.Conn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conn
}

// wrote records a write: the heartbeat waits heartbeatAfter again.
func (l *outLink) wrote() {
	l.mu.Lock()
	b := l.beat
	l.mu.Unlock()
	if b != nil {
		b.Reset(l.beatAfter)
	}
}

// startWriter starts a writer goroutine for l, which enqueue found idle;
// once Shutdown has begun, it ends the link instead.
func (m *Memberlist) startWriter(l *outLink) {
	m.writers.mu.Lock()
	if m.writers.closed {
		m.writers.mu.Unlock()
		l.finish()
		return
	}
	m.wg.Add(1)
	m.writers.mu.Unlock()
	go m.resumeWriter(l)
}

// closeWriters refuses new writer goroutines; Shutdown calls it before it
// waits for the node's goroutines.
func (m *Memberlist) closeWriters() {
	m.writers.mu.Lock()
	m.writers.closed = true
	m.writers.mu.Unlock()
}

// armHeartbeat starts l's heartbeat once its stream is open: every
// heartbeatAfter without a write, an active-view link (l.heartbeat) queues
// a Keepalive; any other link only waits again.
func (m *Memberlist) armHeartbeat(l *outLink) {
	if l.beatAfter <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.beat = time.AfterFunc(l.beatAfter, func() {
		select {
		case <-m.shutdownCh:
			return
		case <-l.done:
			return
		default:
		}
		if !l.heartbeat.Load() || !l.enqueue(outFrame{msg: keepaliveMsg{}}) {
			l.wrote()
		}
	})
}

// writeBufs are the buffers a writer gathers and seals frames in
// (writeLoop). A node pools them, so that a writer that parks and starts
// again does not grow new ones; the writer drops one grown beyond
// 4 × writeBatchBytes, and the pool frees what stays unused across
// garbage collections.
type writeBufs struct {
	buf, scratch []byte
}

// writeBufPool is a node's pool of writeBufs.
type writeBufPool struct{ pool sync.Pool }

// get returns buffers to write with.
func (p *writeBufPool) get() *writeBufs {
	if wb, ok := p.pool.Get().(*writeBufs); ok {
		return wb
	}
	return &writeBufs{}
}

// put returns wb to the pool.
func (p *writeBufPool) put(wb *writeBufs) {
	if cap(wb.buf) > 4*writeBatchBytes {
		wb.buf = nil
	}
	if cap(wb.scratch) > 4*writeBatchBytes {
		wb.scratch = nil
	}
	p.pool.Put(wb)
}
