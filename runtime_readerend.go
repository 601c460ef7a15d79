// Runtime: a stream reader that waits for room in the loop's inbox closes
// its stream as soon as the other node has closed it.

package hyparlist

import (
	"errors"
	"net"
	"os"
	"time"
)

// A reader hands each protocol frame to the loop's inbox and, while the
// inbox is full, waits (TCP back-pressure, runtime_inbox.go). Only after
// that does it read on and find that the stream ended. Meanwhile it holds
// the stream's socket although its dialler may long have closed its own
// end: a transient link's last frame, a confirmation check's or a probe's
// stream. In the bench's join storm of 1,000 nodes in one process, whose
// loops fall behind, accepted streams whose dialler had closed held 1.7 k
// of the process's 20,000 descriptors at the peak (BENCHMARKS.md, session
// 14). So a reader that must wait first looks whether the stream has
// ended, and again every readerEndCheckEvery while it waits: a read of at
// most readerEndPeekWait, whose bytes, if any, are kept for the next
// frame. When the stream has ended (EOF or a reset, nothing left unread)
// the reader closes it at once, then hands its frame over and ends as it
// would have after the wait: the same end of stream is reported, later
// (runtime_linkend.go). A stream that carries more frames is left as it
// was: at most one such read per wait finds them, and they wait in the
// reader's buffer.

// readerEndCheckEvery is how often a reader waiting for room in the inbox
// looks whether its stream has ended. Not from a paper: a second is short
// beside a storm's waits (tens of seconds) and costs a waiting reader one
// read of readerEndPeekWait a second.
const readerEndCheckEvery = time.Second

// readerEndPeekWait is the longest a reader's look at its stream waits for
// bytes: a read deadline in the past would fail before the read is tried.
const readerEndPeekWait = time.Millisecond

// peekEnded reports whether the stream conn, read through s, has ended
// with nothing unread, looking at it in a read of at most
// readerEndPeekWait when nothing is buffered; the read deadline is then
// set back to restore (zero for none). Bytes and an error the read
// returns are kept for the next frame.
func (s *streamReader) peekEnded(conn net.Conn, restore time.Time) bool {
	if s.buffered() > 0 {
		return false
	}
	if s.err != nil {
		return streamEnded(s.err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(readerEndPeekWait)); err != nil {
		return false
	}
	n, err := s.src.Read(s.idle[:])
	_ = conn.SetReadDeadline(restore)
	var ne net.Error
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		err = nil // nothing yet; a Transport's own timeout error too (found by review)
	}
	if n == 0 && err == nil {
		return false
	}
	if n > 0 {
		s.readAt = time.Now()
	}
	s.pre, s.err = s.idle[:n], err
	if s.br == nil {
		s.br = s.pool.get(s)
	}
	return n == 0 && streamEnded(err)
}

// putChecking is put that, before it waits for room and every
// readerEndCheckEvery while it waits, calls check (when not nil) until
// check reports true.
func (q *inboxQueue) putChecking(in inbound, done <-chan struct{}, check func() bool) bool {
	var tick <-chan time.Time
	for {
		q.mu.Lock()
		if q.items.len() < q.limit {
			q.items.push(in)
			q.mu.Unlock()
			q.signal()
			return true
		}
		room := q.room
		q.mu.Unlock()
		if check != nil && tick == nil {
			if check() {
				check = nil
			} else {
				t := time.NewTicker(readerEndCheckEvery)
				defer t.Stop()
				tick = t.C
			}
		}
		select {
		case <-room:
		case <-tick:
			if check != nil && check() {
				check, tick = nil, nil
			}
		case <-done:
			return false
		}
	}
}
