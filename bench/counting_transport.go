package main

import (
	"bytes"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/hyparlist/hyparlist"
)

// This file wraps each node's transport to count what it puts on the wire.
// Only writes are counted (UDP datagrams handed to WriteTo/WriteToAddress,
// and Write on every stream, dialled or accepted), so every byte that
// crosses loopback is counted exactly once, by its sender. Payload copies
// are counted from the same written bytes: each occurrence of the bench
// message marker (the first 8 bytes of every bench payload, see app.go) is
// one copy of one payload on the wire.

// wireCounter accumulates the bytes and payload copies written by all the
// nodes of one run. It is safe for concurrent use.
type wireCounter struct {
	udpBytes    atomic.Int64
	streamBytes atomic.Int64
	copies      atomic.Int64
	streams     atomic.Int64
	// kinds, when not nil (-fd-kinds), tracks the open streams by kind
	// (fds.go).
	kinds *streamKinds
}

// newWireCounter returns a wireCounter; with kinds set it also tracks
// the open streams by kind.
func newWireCounter(kinds bool) *wireCounter {
	w := &wireCounter{}
	if kinds {
		w.kinds = newStreamKinds()
	}
	return w
}

// dialing counts a dial in progress with -fd-kinds; call the function it
// returns when the dial returns.
func (w *wireCounter) dialing() func() {
	if w.kinds == nil {
		return func() {}
	}
	return w.kinds.dialStarted()
}

// wireSnapshot is a wireCounter's value at one instant.
type wireSnapshot struct {
	bytes, copies int64
}

func (w *wireCounter) snapshot() wireSnapshot {
	return wireSnapshot{
		bytes:  w.udpBytes.Load() + w.streamBytes.Load(),
		copies: w.copies.Load(),
	}
}

// packet counts one datagram.
func (w *wireCounter) packet(b []byte) {
	w.udpBytes.Add(int64(len(b)))
	if n := bytes.Count(b, benchMagic[:]); n > 0 {
		w.copies.Add(int64(n))
	}
}

// countingConn counts the bytes written to a stream and the payload markers
// among them, including a marker split across two writes.
type countingConn struct {
	net.Conn
	w     *wireCounter
	mu    sync.Mutex
	carry []byte // the last len(benchMagic)-1 bytes written
}

// newCountingConn wraps a stream that was dialled (dialled set) or
// accepted.
func newCountingConn(c net.Conn, w *wireCounter, dialled bool) net.Conn {
	if c == nil {
		return nil
	}
	w.streams.Add(1)
	cc := &countingConn{Conn: c, w: w, carry: make([]byte, 0, len(benchMagic)-1)}
	if w.kinds != nil {
		w.kinds.added(cc, dialled)
	}
	return cc
}

// Close closes the stream and stops counting it as open.
func (c *countingConn) Close() error {
	if c.w.kinds != nil {
		c.w.kinds.closed(c)
	}
	return c.Conn.Close()
}

// Write counts b and passes it on.
func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if n > 0 {
		c.count(b[:n])
	}
	return n, err
}

func (c *countingConn) count(b []byte) {
	c.w.streamBytes.Add(int64(len(b)))
	found := int64(bytes.Count(b, benchMagic[:]))
	keep := len(benchMagic) - 1
	c.mu.Lock()
	if len(c.carry) > 0 {
		// Any marker inside carry+head straddles the boundary: carry is
		// shorter than the marker.
		head := b[:min(len(b), keep)]
		joint := append(append(make([]byte, 0, 2*keep), c.carry...), head...)
		found += int64(bytes.Count(joint, benchMagic[:]))
	}
	if len(b) >= keep {
		c.carry = append(c.carry[:0], b[len(b)-keep:]...)
	} else {
		c.carry = append(c.carry, b...)
		if len(c.carry) > keep {
			c.carry = c.carry[len(c.carry)-keep:]
		}
	}
	c.mu.Unlock()
	if found > 0 {
		c.w.copies.Add(found)
	}
}

// streamForwarder re-delivers the streams a transport accepted, wrapped.
// It stops when done is closed.
func streamForwarder(in <-chan net.Conn, out chan<- net.Conn, w *wireCounter, done <-chan struct{}) {
	for {
		select {
		case c, ok := <-in:
			if !ok {
				return
			}
			select {
			case out <- newCountingConn(c, w, false):
			case <-done:
				_ = c.Close()
				return
			}
		case <-done:
			return
		}
	}
}

// hlTransport is a counting hyparlist.NodeAwareTransport.
type hlTransport struct {
	inner   *hyparlist.NetTransport
	w       *wireCounter
	streams chan net.Conn
	done    chan struct{}
	once    sync.Once
}

var _ hyparlist.NodeAwareTransport = (*hlTransport)(nil)

func newHLTransport(inner *hyparlist.NetTransport, w *wireCounter) *hlTransport {
	t := &hlTransport{inner: inner, w: w, streams: make(chan net.Conn), done: make(chan struct{})}
	go streamForwarder(inner.StreamCh(), t.streams, w, t.done)
	return t
}

func (t *hlTransport) FinalAdvertiseAddr(ip string, port int) (net.IP, int, error) {
	return t.inner.FinalAdvertiseAddr(ip, port)
}
func (t *hlTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	t.w.packet(b)
	return t.inner.WriteTo(b, addr)
}
func (t *hlTransport) WriteToAddress(b []byte, a hyparlist.Address) (time.Time, error) {
	t.w.packet(b)
	return t.inner.WriteToAddress(b, a)
}
func (t *hlTransport) PacketCh() <-chan *hyparlist.Packet { return t.inner.PacketCh() }
func (t *hlTransport) DialTimeout(addr string, d time.Duration) (net.Conn, error) {
	defer t.w.dialing()()
	c, err := t.inner.DialTimeout(addr, d)
	return newCountingConn(c, t.w, true), err
}
func (t *hlTransport) DialAddressTimeout(a hyparlist.Address, d time.Duration) (net.Conn, error) {
	defer t.w.dialing()()
	c, err := t.inner.DialAddressTimeout(a, d)
	return newCountingConn(c, t.w, true), err
}
func (t *hlTransport) StreamCh() <-chan net.Conn { return t.streams }
func (t *hlTransport) Shutdown() error {
	t.once.Do(func() { close(t.done) })
	return t.inner.Shutdown()
}

// mlTransport is a counting memberlist.NodeAwareTransport.
type mlTransport struct {
	inner   *memberlist.NetTransport
	w       *wireCounter
	streams chan net.Conn
	done    chan struct{}
	once    sync.Once
}

var _ memberlist.NodeAwareTransport = (*mlTransport)(nil)

func newMLTransport(inner *memberlist.NetTransport, w *wireCounter) *mlTransport {
	t := &mlTransport{inner: inner, w: w, streams: make(chan net.Conn), done: make(chan struct{})}
	go streamForwarder(inner.StreamCh(), t.streams, w, t.done)
	return t
}

func (t *mlTransport) FinalAdvertiseAddr(ip string, port int) (net.IP, int, error) {
	return t.inner.FinalAdvertiseAddr(ip, port)
}
func (t *mlTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	t.w.packet(b)
	return t.inner.WriteTo(b, addr)
}
func (t *mlTransport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	t.w.packet(b)
	return t.inner.WriteToAddress(b, a)
}
func (t *mlTransport) PacketCh() <-chan *memberlist.Packet { return t.inner.PacketCh() }
func (t *mlTransport) DialTimeout(addr string, d time.Duration) (net.Conn, error) {
	defer t.w.dialing()()
	c, err := t.inner.DialTimeout(addr, d)
	return newCountingConn(c, t.w, true), err
}
func (t *mlTransport) DialAddressTimeout(a memberlist.Address, d time.Duration) (net.Conn, error) {
	defer t.w.dialing()()
	c, err := t.inner.DialAddressTimeout(a, d)
	return newCountingConn(c, t.w, true), err
}
func (t *mlTransport) StreamCh() <-chan net.Conn { return t.streams }
func (t *mlTransport) Shutdown() error {
	t.once.Do(func() { close(t.done) })
	return t.inner.Shutdown()
}
