package hyparlist

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// Tests of the bound on accepted streams (runtime_inbound.go).

// inboundProbe opens raw streams to one node from a bare MockTransport.
type inboundProbe struct {
	t    *testing.T
	from *MockTransport
	to   string
	n    int
}

// open dials the node and waits until the node has acted on the stream.
func (p *inboundProbe) open() net.Conn {
	p.t.Helper()
	conn, err := p.from.DialAddressTimeout(Address{Addr: p.to}, time.Second)
	if err != nil {
		p.t.Fatalf("dial: %v", err)
	}
	p.t.Cleanup(func() { _ = conn.Close() })
	synctest.Wait()
	return conn
}

// handshake opens a stream and runs the client side of the handshake on
// it, as a node of a fresh name; it returns the node's answer.
func (p *inboundProbe) handshake() (net.Conn, Message, error) {
	p.t.Helper()
	conn := p.open()
	p.n++
	var plain frameCrypto
	lim := defaultWireLimits()
	hello := helloMsg{VersionMin: wireVersionMin, VersionMax: wireVersion, Name: fmt.Sprintf("probe-%d", p.n), Addr: "10.9.9.9:1"}
	if err := plain.writeFrame(conn, hello, lim, ""); err != nil {
		return conn, nil, err
	}
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	msg, err := plain.readFrame(conn, lim, "")
	_ = conn.SetReadDeadline(time.Time{})
	return conn, msg, err
}

// wantAccepted fails unless the handshake was accepted.
func (p *inboundProbe) wantAccepted() net.Conn {
	p.t.Helper()
	conn, msg, err := p.handshake()
	if _, ok := msg.(helloAcceptMsg); err != nil || !ok {
		p.t.Fatalf("handshake: %v, %v; want HelloAccept", msg, err)
	}
	return conn
}

// wantClosed fails unless the node closes conn within limit.
func wantClosed(t *testing.T, conn net.Conn, limit time.Duration) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(limit))
	if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("read: %v; want the node to close the stream (EOF) within %v", err, limit)
	}
}

// TestRuntimeInboundStreamLimit: with MaxInboundStreams 4, a fifth stream
// is closed as soon as it is accepted and counted; once a stream ends, a
// new one is accepted again.
func TestRuntimeInboundStreamLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		a := c.addWithSink("a", func(conf *Config) { conf.MaxInboundStreams = 4 }, sink)
		p := &inboundProbe{t: t, from: c.net.NewTransport("probe"), to: a.ml.LocalNode().Address()}
		var open []net.Conn
		for range 4 {
			open = append(open, p.wantAccepted())
		}
		wantClosed(t, p.open(), time.Millisecond)
		if got := counterSum(sink, "hyparlist.stream.refused;reason="+refusedLimit); got != 1 {
			t.Errorf("%v streams refused for the limit, want 1", got)
		}
		_ = open[0].Close()
		synctest.Wait() // its reader ends
		p.wantAccepted()
	})
}

// TestRuntimeInboundHandshakeLimit: at most maxHandshakingStreams streams
// may be in their handshake; one more is closed at once. A stream that
// sends nothing is closed after TCPTimeout (below maxHandshakeTime),
// which frees its slot.
func TestRuntimeInboundHandshakeLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		const timeout = 5 * time.Second
		a := c.addWithSink("a", func(conf *Config) {
			conf.TCPTimeout = timeout
			// One probe address fills the pool.
			conf.MaxHandshakesPerIP = maxHandshakingStreams
			conf.MaxInboundStreamsPerIP = conf.MaxInboundStreams
		}, sink)
		p := &inboundProbe{t: t, from: c.net.NewTransport("probe"), to: a.ml.LocalNode().Address()}
		start := time.Now()
		var idle []net.Conn
		for range maxHandshakingStreams {
			idle = append(idle, p.open())
		}
		// One more waits for a handshake slot for half of TCPTimeout;
		// none frees up (the idle streams hold theirs until TCPTimeout),
		// so it is closed then.
		wantClosed(t, p.open(), timeout/2+time.Millisecond)
		if got := counterSum(sink, "hyparlist.stream.refused;reason="+refusedHandshakeLimit); got != 1 {
			t.Errorf("%v streams refused for the handshake limit, want 1", got)
		}
		for _, conn := range idle {
			wantClosed(t, conn, timeout+time.Second)
		}
		if elapsed := time.Since(start); elapsed > timeout {
			t.Errorf("idle streams closed after %v, want TCPTimeout (%v)", elapsed, timeout)
		}
		synctest.Wait() // their readers end
		if got := counterSum(sink, "hyparlist.stream.refused;reason="+refusedHandshakeTimeout); got != maxHandshakingStreams {
			t.Errorf("%v handshakes timed out, want %d", got, maxHandshakingStreams)
		}
		p.wantAccepted()
	})
}

// TestConfigRuntimeBounds: Validate rejects a MaxInboundStreams or
// PeerSendQueueBytes below one, naming the field.
func TestConfigRuntimeBounds(t *testing.T) {
	for name, set := range map[string]func(*Config){
		"MaxInboundStreams":  func(c *Config) { c.MaxInboundStreams = 0 },
		"PeerSendQueueBytes": func(c *Config) { c.PeerSendQueueBytes = -1 },
	} {
		c := DefaultLANConfig()
		set(c)
		err := c.validate()
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), name) {
			t.Errorf("Validate with %s out of range = %v", name, err)
		}
	}
}

// TestRuntimeInboundHelloSize: a stream whose first frame announces more
// than maxHelloFrameSize bytes is closed at once, without waiting for the
// body.
func TestRuntimeInboundHelloSize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		a := c.add("a", nil)
		p := &inboundProbe{t: t, from: c.net.NewTransport("probe"), to: a.ml.LocalNode().Address()}
		lim := defaultWireLimits()
		lim.MaxAddrLen = 4 * maxHelloFrameSize
		frame, err := encodeMessage(nil, helloMsg{VersionMin: wireVersionMin, VersionMax: wireVersion, Name: "big", Addr: strings.Repeat("a", 2*maxHelloFrameSize)}, lim)
		if err != nil {
			t.Fatal(err)
		}
		conn := p.open()
		if _, err := conn.Write(frame[:frameHeaderSize+16]); err != nil {
			t.Fatal(err)
		}
		wantClosed(t, conn, time.Millisecond)
	})
}

// TestRuntimeTruncatedStream: a stream that ends inside a frame (its
// writer stopped mid-write, as when a neighbour fails the link under
// overload) is counted as truncated, not as a frame that failed to
// decode; a frame that is malformed is still a decode failure.
func TestRuntimeTruncatedStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := newMockClusterWithSink(t, 0, nil, sink)
		defer c.shutdown()
		a := c.addWithSink("a", nil, sink)
		p := &inboundProbe{t: t, from: c.net.NewTransport("probe"), to: a.ml.LocalNode().Address()}
		frame, err := encodeMessage(nil, gossipMsg{ID: MessageID{Origin: "x", Seq: 1}, Class: ClassUser, Payload: make([]byte, 1024)}, defaultWireLimits())
		if err != nil {
			t.Fatal(err)
		}

		conn := p.wantAccepted()
		if _, err := conn.Write(frame[:len(frame)/2]); err != nil {
			t.Fatal(err)
		}
		_ = conn.Close()
		synctest.Wait()
		if n := counterSum(sink, "hyparlist.stream.truncated"); n != 1 {
			t.Errorf("hyparlist.stream.truncated = %v, want 1", n)
		}
		if n := counterSum(sink, "hyparlist.msg.decode_failed"); n != 0 {
			t.Errorf("hyparlist.msg.decode_failed = %v after a truncated stream, want 0", n)
		}

		// A complete frame of an unknown type is a decode failure.
		conn = p.wantAccepted()
		bad := append([]byte(nil), frame...)
		bad[1] = 0xee // the type byte
		if _, err := conn.Write(bad); err != nil {
			t.Fatal(err)
		}
		wantClosed(t, conn, time.Second)
		if n := counterSum(sink, "hyparlist.msg.decode_failed"); n != 1 {
			t.Errorf("hyparlist.msg.decode_failed = %v after a malformed frame, want 1", n)
		}
	})
}

// TestRuntimeInboundHandshakeWaits: a stream beyond the handshake limit
// is not refused at once: it waits, and is admitted and answered as soon
// as another stream's handshake ends (here: its dialler gives up).
func TestRuntimeInboundHandshakeWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		const timeout = 10 * time.Second
		// Every mock stream comes from one source: let it hold the whole
		// handshake pool, so that only the pool's limit applies.
		a := c.addWithSink("a", func(conf *Config) {
			conf.TCPTimeout = timeout
			conf.MaxHandshakesPerIP = maxHandshakingStreams
		}, sink)
		p := &inboundProbe{t: t, from: c.net.NewTransport("probe"), to: a.ml.LocalNode().Address()}
		var idle []net.Conn
		for range maxHandshakingStreams {
			idle = append(idle, p.open())
		}
		conn, err := p.from.DialAddressTimeout(Address{Addr: p.to}, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		answered := make(chan error, 1)
		go func() {
			var plain frameCrypto
			lim := defaultWireLimits()
			hello := helloMsg{VersionMin: wireVersionMin, VersionMax: wireVersion, Name: "late", Addr: "10.9.9.9:1"}
			if err := plain.writeFrame(conn, hello, lim, ""); err != nil {
				answered <- err
				return
			}
			_ = conn.SetReadDeadline(time.Now().Add(timeout))
			msg, err := plain.readFrame(conn, lim, "")
			if _, ok := msg.(helloAcceptMsg); err == nil && !ok {
				err = fmt.Errorf("answer %v, want HelloAccept", msg)
			}
			answered <- err
		}()
		time.Sleep(time.Second)
		select {
		case err := <-answered:
			t.Fatalf("handshake beyond the limit ended before a slot freed: %v (counters %v)", err, counterKeys(sink, "hyparlist.stream"))
		default:
		}
		_ = idle[0].Close()
		if err := <-answered; err != nil {
			t.Errorf("waiting handshake: %v", err)
		}
		if got := counterSum(sink, "hyparlist.stream.refused;reason="+refusedHandshakeLimit); got != 0 {
			t.Errorf("%v streams refused for the handshake limit, want 0", got)
		}
		for _, conn := range idle[1:] {
			_ = conn.Close()
		}
	})
}
