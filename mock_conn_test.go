package hyparlist

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// connPair returns the two ends of a mock stream with no delay.
func connPair() (*mockConn, *mockConn) {
	a := &MockAddress{addr: "127.0.0.1:1", name: "a"}
	b := &MockAddress{addr: "127.0.0.1:2", name: "b"}
	none := func() time.Duration { return 0 }
	return newMockConnPair(a, b, none, none, nil)
}

func TestMockConnWritesDoNotWaitForTheReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := connPair()
		// Both ends write before either reads: with net.Pipe this would
		// deadlock.
		if _, err := a.Write([]byte("from a")); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Write([]byte("from b")); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, 6)
		if _, err := io.ReadFull(b, got); err != nil || string(got) != "from a" {
			t.Fatalf("b read %q, %v", got, err)
		}
		if _, err := io.ReadFull(a, got); err != nil || string(got) != "from b" {
			t.Fatalf("a read %q, %v", got, err)
		}
		if n, err := a.Read(nil); n != 0 || err != nil {
			t.Fatalf("empty read: %d, %v", n, err)
		}
	})
}

func TestMockConnFullBufferBlocksWriter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := connPair()
		data := bytes.Repeat([]byte("0123456789abcdef"), mockConnBufSize/16+100)
		done := make(chan error)
		go func() {
			_, err := a.Write(data)
			done <- err
		}()
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("write of %d bytes into a %d-byte buffer returned %v without a reader", len(data), mockConnBufSize, err)
		default:
		}
		got := make([]byte, len(data))
		if _, err := io.ReadFull(b, got); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatal("bytes changed on the way")
		}
	})
}

func TestMockConnDeadlines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := connPair()

		start := time.Now()
		_ = b.SetReadDeadline(start.Add(time.Second))
		_, err := b.Read(make([]byte, 1))
		mustFail(t, "read past deadline", err, os.ErrDeadlineExceeded)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("%v is not a timeout", err)
		}
		if waited := time.Since(start); waited != time.Second {
			t.Fatalf("read timed out after %v, want 1s", waited)
		}

		// Moving the deadline wakes a waiting reader at once.
		_ = b.SetReadDeadline(time.Time{})
		errc := make(chan error)
		go func() {
			_, err := b.Read(make([]byte, 1))
			errc <- err
		}()
		synctest.Wait()
		start = time.Now()
		_ = b.SetDeadline(start.Add(-time.Second))
		mustFail(t, "read after the deadline moved into the past", <-errc, os.ErrDeadlineExceeded)
		if time.Since(start) != 0 {
			t.Fatal("the reader did not notice the new deadline at once")
		}
		_ = b.SetDeadline(time.Time{})

		// A writer facing a full buffer gives up at its deadline, having
		// queued what fit.
		start = time.Now()
		_ = a.SetWriteDeadline(start.Add(time.Second))
		n, err := a.Write(make([]byte, mockConnBufSize+1))
		mustFail(t, "write past deadline", err, os.ErrDeadlineExceeded)
		if n != mockConnBufSize || time.Since(start) != time.Second {
			t.Fatalf("wrote %d bytes in %v; want %d in 1s", n, time.Since(start), mockConnBufSize)
		}
	})
}

func TestMockConnClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := connPair()
		if _, err := a.Write([]byte("last words")); err != nil {
			t.Fatal(err)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		mustFail(t, "second Close", a.Close(), net.ErrClosed)
		_, err := a.Read(make([]byte, 1))
		mustFail(t, "read after Close", err, net.ErrClosed)
		_, err = a.Write([]byte("x"))
		mustFail(t, "write after Close", err, net.ErrClosed)

		// The peer reads what was sent, then the end of the stream.
		rest, err := io.ReadAll(b)
		if err != nil || string(rest) != "last words" {
			t.Fatalf("peer read %q, %v", rest, err)
		}
		_, err = b.Write([]byte("x"))
		mustFail(t, "write to a closed peer", err, syscall.EPIPE)
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestMockConnReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := connPair()
		if _, err := a.Write([]byte("discarded")); err != nil {
			t.Fatal(err)
		}
		errc := make(chan error)
		go func() {
			_, err := a.Read(make([]byte, 1))
			errc <- err
		}()
		synctest.Wait()
		b.reset()
		mustFail(t, "waiting read on reset", <-errc, syscall.ECONNRESET)
		_, err := b.Read(make([]byte, 1))
		mustFail(t, "read of discarded bytes after reset", err, syscall.ECONNRESET)
		if err := a.Close(); err != nil {
			t.Fatalf("Close after reset: %v", err)
		}
	})
}

func TestMockConnAddrs(t *testing.T) {
	a, b := connPair()
	if a.LocalAddr().String() != "127.0.0.1:1" || a.RemoteAddr().String() != "127.0.0.1:2" ||
		b.LocalAddr() != a.RemoteAddr() || a.LocalAddr().Network() != "mock" {
		t.Fatalf("a %v -> %v, b %v -> %v", a.LocalAddr(), a.RemoteAddr(), b.LocalAddr(), b.RemoteAddr())
	}
}
