// MockNetwork: its streams, pairs of net.Conn joined by bounded in-memory
// queues.

package hyparlist

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// This file implements the streams of MockNetwork: a pair of net.Conn
// joined by two bounded, in-memory byte queues, one per direction. Unlike
// net.Pipe, a write returns as soon as its bytes fit in the queue, so two
// nodes that write to each other before reading do not deadlock. Deadlines,
// graceful close (the peer reads the remaining bytes, then io.EOF), reset
// (both ends fail at once with ECONNRESET) and one-way delay are supported.
//
// Every wait is a select on channels and timers, never a sync.Cond, so a
// goroutine blocked on a mock stream is "durably blocked" in the sense of
// testing/synctest and virtual time can advance past it.

// mockConnBufSize bounds the bytes in flight in one direction of a mock
// stream, like a TCP socket's send and receive buffers together. A writer
// that finds it full waits for the reader, or for its write deadline.
const mockConnBufSize = 64 << 10

// mockSegment is bytes written at once, readable from time at.
type mockSegment struct {
	data []byte
	at   time.Time
}

// mockPipe is one direction of a mock stream: the writer's end queues
// segments, the reader's end takes them once they are due.
type mockPipe struct {
	mu            sync.Mutex
	segs          []mockSegment
	size          int       // bytes queued in segs
	finAt         time.Time // when eof is set: when the reader sees it
	eof           bool      // the writer closed gracefully
	err           error     // set by reset: both ends fail with it
	readerClosed  bool      // the reading end was closed
	writerClosed  bool      // the writing end was closed
	readDeadline  time.Time
	writeDeadline time.Time
	changed       chan struct{} // closed and replaced on every change
}

func newMockPipe() *mockPipe {
	return &mockPipe{changed: make(chan struct{})}
}

// notifyLocked wakes every goroutine waiting for a change of p.
func (p *mockPipe) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// reset fails both ends of p at once and discards what is queued.
func (p *mockPipe) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = syscall.ECONNRESET
	}
	p.segs, p.size = nil, 0
	p.notifyLocked()
}

// mockConn is one end of a mock stream. It reads from in and writes to out;
// the other end has them the other way round.
type mockConn struct {
	in, out       *mockPipe
	local, remote *MockAddress
	// delay returns the one-way delay from this end to the other, looked
	// up on every write so that MockNetwork.setDelay applies at once.
	delay func() time.Duration
	// onClose runs once, after Close.
	onClose   func()
	closeOnce sync.Once
}

// newMockConnPair returns the two ends of a new stream between a and b.
// delayAB and delayBA give the one-way delays; onClose is called once per
// end, after that end is closed.
func newMockConnPair(a, b *MockAddress, delayAB, delayBA func() time.Duration, onClose func()) (*mockConn, *mockConn) {
	ab, ba := newMockPipe(), newMockPipe()
	ca := &mockConn{in: ba, out: ab, local: a, remote: b, delay: delayAB, onClose: onClose}
	cb := &mockConn{in: ab, out: ba, local: b, remote: a, delay: delayBA, onClose: onClose}
	return ca, cb
}

// reset fails both ends of the stream c belongs to with ECONNRESET.
func (c *mockConn) reset() {
	c.in.reset()
	c.out.reset()
}

// Read implements net.Conn.
func (c *mockConn) Read(b []byte) (int, error) {
	p := c.in
	for {
		p.mu.Lock()
		now := time.Now()
		switch {
		case p.readerClosed:
			p.mu.Unlock()
			return 0, c.opError("read", net.ErrClosed)
		case p.err != nil:
			err := p.err
			p.mu.Unlock()
			return 0, c.opError("read", err)
		case len(b) == 0:
			p.mu.Unlock()
			return 0, nil
		case !p.readDeadline.IsZero() && !now.Before(p.readDeadline):
			p.mu.Unlock()
			return 0, c.opError("read", os.ErrDeadlineExceeded)
		}
		if n := p.takeLocked(b, now); n > 0 {
			p.notifyLocked()
			p.mu.Unlock()
			return n, nil
		}
		if p.size == 0 && p.eof && !now.Before(p.finAt) {
			p.mu.Unlock()
			return 0, io.EOF
		}
		// Wake for new data, a close, a reset, a deadline change, the
		// deadline itself, or the first queued segment falling due.
		wake := p.readDeadline
		switch {
		case p.size > 0:
			wake = earliest(wake, p.segs[0].at)
		case p.eof:
			wake = earliest(wake, p.finAt)
		}
		ch := p.changed
		p.mu.Unlock()
		waitChange(ch, wake)
	}
}

// takeLocked copies the due bytes at the head of the queue into b.
func (p *mockPipe) takeLocked(b []byte, now time.Time) int {
	n := 0
	for n < len(b) && len(p.segs) > 0 && !now.Before(p.segs[0].at) {
		seg := &p.segs[0]
		k := copy(b[n:], seg.data)
		n += k
		seg.data = seg.data[k:]
		if len(seg.data) == 0 {
			p.segs[0] = mockSegment{}
			p.segs = p.segs[1:]
		}
	}
	p.size -= n
	return n
}

// Write implements net.Conn. It returns once all of b is queued, or with
// the number of bytes queued before an error.
func (c *mockConn) Write(b []byte) (int, error) {
	p := c.out
	delay := c.delay()
	written := 0
	for {
		p.mu.Lock()
		now := time.Now()
		switch {
		case p.writerClosed:
			p.mu.Unlock()
			return written, c.opError("write", net.ErrClosed)
		case p.err != nil:
			err := p.err
			p.mu.Unlock()
			return written, c.opError("write", err)
		case p.readerClosed:
			p.mu.Unlock()
			return written, c.opError("write", syscall.EPIPE)
		case written == len(b):
			p.mu.Unlock()
			return written, nil
		case !p.writeDeadline.IsZero() && !now.Before(p.writeDeadline):
			p.mu.Unlock()
			return written, c.opError("write", os.ErrDeadlineExceeded)
		}
		if room := mockConnBufSize - p.size; room > 0 {
			chunk := b[written:min(len(b), written+room)]
			// The reader takes segments in order, each once due, so
			// bytes never overtake earlier ones even when the delay
			// shrinks meanwhile.
			p.segs = append(p.segs, mockSegment{data: append([]byte(nil), chunk...), at: now.Add(delay)})
			p.size += len(chunk)
			written += len(chunk)
			p.notifyLocked()
			p.mu.Unlock()
			if written == len(b) {
				// Everything is queued: as with TCP, a close or reset by
				// the peer after this point does not undo the write.
				return written, nil
			}
			continue
		}
		ch, wake := p.changed, p.writeDeadline
		p.mu.Unlock()
		waitChange(ch, wake)
	}
}

// Close implements net.Conn. The peer reads what was written before Close,
// then io.EOF; its writes fail with EPIPE. Close of a reset stream only
// releases it.
func (c *mockConn) Close() error {
	first := false
	c.closeOnce.Do(func() {
		first = true
		c.in.mu.Lock()
		c.in.readerClosed = true
		c.in.notifyLocked()
		c.in.mu.Unlock()

		delay := c.delay()
		p := c.out
		p.mu.Lock()
		p.writerClosed = true
		p.eof = true
		p.finAt = time.Now().Add(delay) // seen only after the queued bytes
		p.notifyLocked()
		p.mu.Unlock()
	})
	if !first {
		return c.opError("close", net.ErrClosed)
	}
	if c.onClose != nil {
		c.onClose()
	}
	return nil
}

// LocalAddr implements net.Conn.
func (c *mockConn) LocalAddr() net.Addr { return c.local }

// RemoteAddr implements net.Conn.
func (c *mockConn) RemoteAddr() net.Addr { return c.remote }

// SetDeadline implements net.Conn.
func (c *mockConn) SetDeadline(t time.Time) error {
	_ = c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

// SetReadDeadline implements net.Conn. A Read already waiting sees the new
// deadline at once.
func (c *mockConn) SetReadDeadline(t time.Time) error {
	c.in.mu.Lock()
	defer c.in.mu.Unlock()
	c.in.readDeadline = t
	c.in.notifyLocked()
	return nil
}

// SetWriteDeadline implements net.Conn. A Write already waiting sees the
// new deadline at once.
func (c *mockConn) SetWriteDeadline(t time.Time) error {
	c.out.mu.Lock()
	defer c.out.mu.Unlock()
	c.out.writeDeadline = t
	c.out.notifyLocked()
	return nil
}

// opError wraps err the way the net package does, so that callers can use
// errors.Is (net.ErrClosed, os.ErrDeadlineExceeded, syscall.ECONNRESET)
// and net.Error's Timeout as with a real connection.
func (c *mockConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: mockNetworkName, Source: c.local, Addr: c.remote, Err: err}
}

// waitChange blocks until ch is closed or, when wake is not zero, until
// wake.
func waitChange(ch <-chan struct{}, wake time.Time) {
	if wake.IsZero() {
		<-ch
		return
	}
	d := time.Until(wake)
	if d <= 0 {
		return
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ch:
	case <-timer.C:
	}
}

// earliest returns the earlier of two times, a zero time meaning "never".
func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}
