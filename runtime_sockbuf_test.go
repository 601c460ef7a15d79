//go:build linux

// Tests: every stream's kernel buffers are bounded by
// Config.StreamBufferBytes (runtime_sockbuf.go).

package hyparlist

import (
	"net"
	"strings"
	"syscall"
	"testing"
)

// socketBuffers returns the kernel's receive and send buffer sizes of c.
func socketBuffers(t *testing.T, c *net.TCPConn) (rcv, snd int) {
	t.Helper()
	sc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var gerr error
	if err := sc.Control(func(fd uintptr) {
		rcv, gerr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
		if gerr == nil {
			snd, gerr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if gerr != nil {
		t.Fatal(gerr)
	}
	return rcv, snd
}

// TestStreamBuffersBounded: two nodes on real sockets with
// StreamBufferBytes 48 KiB join; every stream each node dialled or
// accepted has kernel send and receive buffers of 48 KiB (Linux reports
// twice the value set). Without the bound the kernel's own sizes stay
// (128 KiB to receive and 16 KiB to send at first on Linux's defaults,
// then autotuned up to tcp_rmem's and tcp_wmem's maximum).
func TestStreamBuffersBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("real sockets")
	}
	const n = 48 << 10
	set := func(c *Config) { c.StreamBufferBytes = n }
	a, _ := newKeyedTCPNode(t, "a", testKey(7, 32), set)
	b, _ := newKeyedTCPNode(t, "b", testKey(7, 32), set)
	if _, err := b.ml.Join([]string{a.ml.LocalNode().Address()}); err != nil {
		t.Fatalf("join: %v", err)
	}
	pollUntil(t, "a link each way", func() bool { return len(a.ml.Neighbors()) == 1 && len(b.ml.Neighbors()) == 1 })
	checked := 0
	for _, nd := range []*testNode{a, b} {
		nd.ml.conns.mu.Lock()
		var conns []*net.TCPConn
		for c := range nd.ml.conns.conns {
			if tc, ok := c.(*net.TCPConn); ok {
				conns = append(conns, tc)
			}
		}
		nd.ml.conns.mu.Unlock()
		for _, c := range conns {
			rcv, snd := socketBuffers(t, c)
			if rcv != 2*n || snd != 2*n {
				t.Errorf("%s: stream %v–%v has buffers of %d and %d bytes, want %d each", nd.rec.name, c.LocalAddr(), c.RemoteAddr(), rcv, snd, 2*n)
			}
			checked++
		}
	}
	if checked < 2 {
		t.Fatalf("%d streams checked, want at least one per node", checked)
	}
}

// TestConfigStreamBufferBytesBounds: Validate accepts 0 (the kernel's
// sizes) and the bounds, and rejects a value outside them, naming the
// field.
func TestConfigStreamBufferBytesBounds(t *testing.T) {
	for _, n := range []int{0, minStreamBufferBytes, maxStreamBufferBytes} {
		c := DefaultLANConfig()
		c.StreamBufferBytes = n
		if err := c.validate(); err != nil {
			t.Errorf("StreamBufferBytes %d: %v", n, err)
		}
	}
	for _, n := range []int{-1, minStreamBufferBytes - 1, maxStreamBufferBytes + 1} {
		c := DefaultLANConfig()
		c.StreamBufferBytes = n
		if err := c.validate(); err == nil || !strings.Contains(err.Error(), "StreamBufferBytes") {
			t.Errorf("StreamBufferBytes %d: %v, want an error naming the field", n, err)
		}
	}
}
