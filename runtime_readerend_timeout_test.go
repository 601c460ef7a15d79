// Tests of the reader's look at an ended stream (runtime_readerend.go)
// over a Transport whose deadline error is its own.

package hyparlist

import (
	"io"
	"net"
	"testing"
	"time"
)

// transportTimeoutErr is a transport's own deadline error (as yamux's
// ErrTimeout): a net.Error whose Timeout is true and which does not wrap
// os.ErrDeadlineExceeded.
type transportTimeoutErr struct{}

func (transportTimeoutErr) Error() string   { return "i/o deadline reached" }
func (transportTimeoutErr) Timeout() bool   { return true }
func (transportTimeoutErr) Temporary() bool { return true }

// ownTimeoutConn reports its deadlines with transportTimeoutErr.
type ownTimeoutConn struct{ net.Conn }

func (c ownTimeoutConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		err = transportTimeoutErr{}
	}
	return n, err
}

// TestReaderPeekTransportTimeout: a look that finds nothing on a stream
// whose transport reports the deadline with an error of its own leaves
// the stream readable (found by review: the error was kept and ended the
// stream at its next frame).
func TestReaderPeekTransportTimeout(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	conn := ownTimeoutConn{a}
	var pool readBufPool
	sr := newStreamReader(&pool, conn)
	if sr.peekEnded(conn, time.Time{}) {
		t.Fatal("a quiet stream looked ended")
	}
	go func() { _, _ = b.Write([]byte("frame")) }()
	got := make([]byte, 5)
	if _, err := io.ReadFull(sr.next(), got); err != nil {
		t.Fatalf("the next frame after a look that found nothing: %v", err)
	}
}
