package hyparlist

import (
	"fmt"
	"net"
	"strconv"
	"syscall"
	"time"
)

// MockTransport is a node's Transport on a MockNetwork. Create it with
// MockNetwork.NewTransport.
type MockTransport struct {
	net        *MockNetwork
	addr       *MockAddress
	packetCh   chan *Packet
	streamCh   chan net.Conn
	shutdownCh chan struct{} // closed when the transport stops

	// Guarded by net.mu.
	stopped  bool
	inflight map[*time.Timer]struct{} // delayed packets on their way here
}

var (
	_ NodeAwareTransport      = (*MockTransport)(nil)
	_ IngestionAwareTransport = (*MockTransport)(nil)
)

// FinalAdvertiseAddr implements Transport: it is always the transport's own
// address; the arguments are ignored.
func (t *MockTransport) FinalAdvertiseAddr(string, int) (net.IP, int, error) {
	host, portStr, err := net.SplitHostPort(t.addr.addr)
	if err != nil {
		return nil, 0, fmt.Errorf("mock address %q: %w", t.addr.addr, err)
	}
	ip, err := parseAdvertiseIP(host)
	if err != nil {
		return nil, 0, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, 0, fmt.Errorf("mock address %q: %w", t.addr.addr, errInvalidPort)
	}
	return ip, int(port), nil
}

// WriteTo implements Transport.
func (t *MockTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	return t.WriteToAddress(b, Address{Addr: addr})
}

// WriteToAddress implements NodeAwareTransport. The destination is the
// transport named a.Name when the name is set, else the one at a.Addr; an
// unknown destination is an error (EHOSTUNREACH). The packet is copied, so
// b may be reused at once. A lost packet is not an error.
func (t *MockTransport) WriteToAddress(b []byte, a Address) (time.Time, error) {
	if len(b) > packetBufSize {
		return time.Time{}, fmt.Errorf("packet of %d bytes to %s: %w", len(b), a.Addr, errPacketTooLarge)
	}
	n := t.net
	n.mu.Lock()
	defer n.mu.Unlock()
	now := time.Now()
	if t.stopped {
		return time.Time{}, &net.OpError{Op: "write", Net: mockNetworkName, Source: t.addr, Err: net.ErrClosed}
	}
	dest, err := n.lookupLocked(t, a, "write")
	if err != nil {
		return time.Time{}, err
	}
	from, to := t.addr.name, dest.addr.name
	if dest.stopped || !n.reachableLocked(from, to) || n.lostLocked(from, to) {
		return now, nil
	}
	buf := append([]byte(nil), b...)
	d := n.delay[mockLink{from, to}]
	if d == 0 {
		dest.deliverLocked(&Packet{Buf: buf, From: t.addr, Timestamp: now})
		return now, nil
	}
	var timer *time.Timer
	timer = time.AfterFunc(d, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if _, pending := dest.inflight[timer]; !pending {
			return // dest stopped meanwhile
		}
		delete(dest.inflight, timer)
		if !n.reachableLocked(from, to) {
			return // the path broke while the packet was on it
		}
		dest.deliverLocked(&Packet{Buf: buf, From: t.addr, Timestamp: time.Now()})
	})
	// The timer cannot fire before this: its callback needs n.mu.
	dest.inflight[timer] = struct{}{}
	return now, nil
}

// deliverLocked queues p on PacketCh, or loses it when the queue is full.
func (t *MockTransport) deliverLocked(p *Packet) {
	select {
	case t.packetCh <- p:
	default:
	}
}

// PacketCh implements Transport.
func (t *MockTransport) PacketCh() <-chan *Packet {
	return t.packetCh
}

// IngestPacket reads conn to its end and delivers its bytes as one packet
// from addr received at now, closing conn afterwards when shouldClose is
// set. It is kept for memberlist compatibility (IngestionAwareTransport).
func (t *MockTransport) IngestPacket(conn net.Conn, addr net.Addr, now time.Time, shouldClose bool) error {
	return ingestPacket(t.packetCh, t.shutdownCh, conn, addr, now, shouldClose)
}

// DialTimeout implements Transport.
func (t *MockTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(Address{Addr: addr}, timeout)
}

// DialAddressTimeout implements NodeAwareTransport; the destination is
// chosen as for WriteToAddress. A dial across a cut or lost by SetDrop
// waits for timeout and fails with a timeout error (at once when timeout is
// not positive); a dial to a stopped transport is refused. With SetDelay the
// dial takes the round trip.
func (t *MockTransport) DialAddressTimeout(a Address, timeout time.Duration) (net.Conn, error) {
	n := t.net
	n.mu.Lock()
	if t.stopped {
		n.mu.Unlock()
		return nil, &net.OpError{Op: "dial", Net: mockNetworkName, Source: t.addr, Err: net.ErrClosed}
	}
	dest, err := n.lookupLocked(t, a, "dial")
	if err != nil {
		n.mu.Unlock()
		return nil, err
	}
	from, to := t.addr.name, dest.addr.name
	answered := n.reachableLocked(from, to) && n.reachableLocked(to, from) && !n.lostLocked(from, to)
	rtt := n.delay[mockLink{from, to}] + n.delay[mockLink{to, from}]
	n.mu.Unlock()

	if !answered || (timeout > 0 && rtt > timeout) {
		if timeout > 0 && !t.wait(timeout) {
			return nil, dialError(t, dest, net.ErrClosed)
		}
		return nil, dialError(t, dest, errDialTimeout)
	}
	if rtt > 0 && !t.wait(rtt) {
		return nil, dialError(t, dest, net.ErrClosed)
	}
	return n.openStream(t, dest)
}

// wait blocks for d; it reports false when the transport stopped first.
func (t *MockTransport) wait(d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-t.shutdownCh:
		return false
	}
}

// StreamCh implements Transport.
func (t *MockTransport) StreamCh() <-chan net.Conn {
	return t.streamCh
}

// IngestStream delivers conn on StreamCh as if it had been accepted. It is
// kept for memberlist compatibility (IngestionAwareTransport).
func (t *MockTransport) IngestStream(conn net.Conn) error {
	return deliverStream(t.streamCh, t.shutdownCh, conn)
}

// Shutdown implements Transport. The transport stops receiving: packets
// to it are lost, dials to it are refused, packets still on their way to it
// are dropped, and the streams not yet taken from StreamCh are reset.
// Streams already handed out stay open; their owners close them. Calling it
// again does nothing.
func (t *MockTransport) Shutdown() error {
	t.net.mu.Lock()
	t.stopLocked()
	t.net.mu.Unlock()
	for {
		select {
		case c := <-t.streamCh:
			if mc, ok := c.(*mockConn); ok {
				mc.reset()
			}
			_ = c.Close()
		default:
			return nil
		}
	}
}

// stopLocked marks t stopped and cancels the packets on their way to it.
func (t *MockTransport) stopLocked() {
	if t.stopped {
		return
	}
	t.stopped = true
	close(t.shutdownCh)
	for timer := range t.inflight {
		timer.Stop()
	}
	clear(t.inflight)
}

// lookupLocked finds the destination of a: by name when a.Name is set, else
// by address.
func (n *MockNetwork) lookupLocked(t *MockTransport, a Address, op string) (*MockTransport, error) {
	var dest *MockTransport
	if a.Name != "" {
		dest = n.byName[a.Name]
	} else {
		dest = n.byAddr[a.Addr]
	}
	if dest == nil {
		return nil, &net.OpError{Op: op, Net: mockNetworkName, Source: t.addr,
			Addr: &MockAddress{addr: a.Addr, name: a.Name}, Err: syscall.EHOSTUNREACH}
	}
	return dest, nil
}
