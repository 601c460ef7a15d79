package main

import (
	"net"
	"testing"
)

// addrConn is a net.Conn with given addresses and nothing else.
type addrConn struct {
	net.Conn
	local, remote net.Addr
}

func (c addrConn) LocalAddr() net.Addr  { return c.local }
func (c addrConn) RemoteAddr() net.Addr { return c.remote }
func (c addrConn) Close() error         { return nil }

func tcpAddr(port int) net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port} }

// TestStreamKindsSharedLocalPort: two dials from one local port to two
// listeners (the kernel shares an ephemeral port across destinations) are
// told apart; closing one leaves the other's accepted end counted as open.
// Keyed by the local address alone (before session 17), the open one's
// accepted end counted as "in.other.closed".
func TestStreamKindsSharedLocalPort(t *testing.T) {
	s := newStreamKinds()
	w := &wireCounter{kinds: s}
	p := tcpAddr(40000)
	d1 := newCountingConn(addrConn{local: p, remote: tcpAddr(7001)}, w, true).(*countingConn)
	newCountingConn(addrConn{local: p, remote: tcpAddr(7002)}, w, true)
	newCountingConn(addrConn{local: tcpAddr(7001), remote: p}, w, false)
	newCountingConn(addrConn{local: tcpAddr(7002), remote: p}, w, false)
	_ = d1.Close()
	got := s.snapshot()
	if got["in.other"] != 1 || got["in.other.closed"] != 1 || got["out.other"] != 1 || got["in.unknown"] != 0 {
		t.Errorf("kinds %v, want in.other 1, in.other.closed 1, out.other 1", got)
	}
}
