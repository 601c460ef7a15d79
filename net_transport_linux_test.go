//go:build linux

package hyparlist

import (
	"errors"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// fullListener returns the address of a listener on 127.0.0.1 whose
// accept queue is full, so that the kernel drops further SYNs and a dial
// to it hangs until its timeout. It skips the test when the kernel
// answers anyway.
func fullListener(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	// Backlog 0: the accept queue holds one connection, and nothing
	// ever accepts it.
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
	first, err := net.DialTimeout("tcp", addr, testWait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = first.Close() })
	probe, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err == nil {
		_ = probe.Close()
		t.Skip("the kernel accepted a connection beyond the listen backlog")
	}
	return addr
}

// TestNetTransportShutdownEndsDial: Shutdown ends a dial in progress (to a
// listener that never answers) at once, instead of leaving it to its
// timeout.
func TestNetTransportShutdownEndsDial(t *testing.T) {
	addr := fullListener(t)
	nt := newTestNetTransport(t, "127.0.0.1", nil)
	done := make(chan error, 1)
	go func() {
		c, err := nt.DialTimeout(addr, time.Minute)
		if c != nil {
			_ = c.Close()
		}
		done <- err
	}()
	if err := nt.Shutdown(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("dial to a full listener succeeded")
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("dial ended by its timeout, not by Shutdown: %v", err)
		}
	case <-time.After(testWait):
		t.Fatalf("dial still running %v after Shutdown", testWait)
	}
}
