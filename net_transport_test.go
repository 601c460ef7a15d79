package hyparlist

import (
	"bytes"
	"errors"
	"io"
	"log"
	"net"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	sockaddr "github.com/hashicorp/go-sockaddr"
)

// testWait bounds every wait on a real socket.
const testWait = 5 * time.Second

// counterRecorder records the counters a transport emits.
type counterRecorder struct {
	mu     sync.Mutex
	counts map[string]float32
	labels [][]MetricLabel
}

func (r *counterRecorder) incr(key []string, val float32, labels []MetricLabel) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = make(map[string]float32)
	}
	k := ""
	for i, part := range key {
		if i > 0 {
			k += "."
		}
		k += part
	}
	r.counts[k] += val
	r.labels = append(r.labels, labels)
}

func (r *counterRecorder) get(key string) float32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[key]
}

// testNetHooks are hooks that keep a test off the machine's interface list
// and the global metrics sink.
func testNetHooks(rec *counterRecorder, ifs sockaddr.IfAddrs) netHooks {
	return netHooks{
		incrCounter:      rec.incr,
		interfaces:       func() (sockaddr.IfAddrs, error) { return ifs, nil },
		defaultInterface: func() string { return "" },
	}
}

// newTestNetTransport starts a transport on addr port 0 and shuts it down
// when the test ends.
func newTestNetTransport(t *testing.T, addr string, rec *counterRecorder) *NetTransport {
	t.Helper()
	if rec == nil {
		rec = &counterRecorder{}
	}
	nt, err := newNetTransport(&NetTransportConfig{
		BindAddrs:    []string{addr},
		Logger:       log.New(io.Discard, "", 0),
		MetricLabels: []MetricLabel{{Name: "node", Value: "test"}},
	}, testNetHooks(rec, nil))
	if err != nil {
		t.Fatalf("NewNetTransport(%s): %v", addr, err)
	}
	t.Cleanup(func() { _ = nt.Shutdown() })
	return nt
}

// addrOf is the "ip:port" other nodes reach nt at.
func addrOf(t *testing.T, nt *NetTransport) string {
	t.Helper()
	ip, port, err := nt.FinalAdvertiseAddr("", 0)
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(port))
}

// acceptWithin takes the next stream from ch, failing the test after
// testWait.
func acceptWithin(t *testing.T, ch <-chan net.Conn) net.Conn {
	t.Helper()
	select {
	case c := <-ch:
		t.Cleanup(func() { _ = c.Close() })
		return c
	case <-time.After(testWait):
		t.Fatal("no stream accepted")
		return nil
	}
}

// exchange checks that bytes flow both ways between two ends of a stream.
func exchange(t *testing.T, a, b net.Conn) {
	t.Helper()
	for _, dir := range []struct {
		from, to net.Conn
		msg      string
	}{{a, b, "ping from dialer"}, {b, a, "pong from acceptor"}} {
		if _, err := dir.from.Write([]byte(dir.msg)); err != nil {
			t.Fatal(err)
		}
		_ = dir.to.SetReadDeadline(time.Now().Add(testWait))
		got := make([]byte, len(dir.msg))
		if _, err := io.ReadFull(dir.to, got); err != nil {
			t.Fatal(err)
		}
		if string(got) != dir.msg {
			t.Fatalf("got %q, want %q", got, dir.msg)
		}
	}
}

func TestNetTransportStream(t *testing.T) {
	a := newTestNetTransport(t, "127.0.0.1", nil)
	b := newTestNetTransport(t, "127.0.0.1", nil)

	out, err := a.DialAddressTimeout(Address{Addr: addrOf(t, b), Name: "b"}, testWait)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	in := acceptWithin(t, b.StreamCh())
	if in.RemoteAddr().String() != out.LocalAddr().String() {
		t.Fatalf("accepted stream from %v, dialed from %v", in.RemoteAddr(), out.LocalAddr())
	}
	exchange(t, out, in)
}

func TestNetTransportIPv6Stream(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	_ = ln.Close()
	a := newTestNetTransport(t, "::1", nil)
	b := newTestNetTransport(t, "::1", nil)
	ip, _, err := b.FinalAdvertiseAddr("", 0)
	if err != nil || !ip.Equal(net.IPv6loopback) {
		t.Fatalf("advertise %v, %v; want ::1", ip, err)
	}
	out, err := a.DialTimeout(addrOf(t, b), testWait)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	exchange(t, out, acceptWithin(t, b.StreamCh()))
}

func TestNetTransportPacket(t *testing.T) {
	rec := &counterRecorder{}
	a := newTestNetTransport(t, "127.0.0.1", nil)
	b := newTestNetTransport(t, "127.0.0.1", rec)
	msg := []byte("gossip packet")
	before := time.Now()

	// UDP may lose a packet even on loopback: resend until one arrives.
	ticker := time.NewTicker(50 * time.Millisecond)
	defer ticker.Stop()
	deadline := time.After(testWait)
	var p *Packet
	for p == nil {
		if _, err := a.WriteTo(msg, addrOf(t, b)); err != nil {
			t.Fatal(err)
		}
		select {
		case p = <-b.PacketCh():
		case <-ticker.C:
		case <-deadline:
			t.Fatal("no packet received")
		}
	}
	if !bytes.Equal(p.Buf, msg) || cap(p.Buf) != len(msg) {
		t.Fatalf("packet %q (cap %d), want %q at its exact size", p.Buf, cap(p.Buf), msg)
	}
	if from, ok := p.From.(*net.UDPAddr); !ok || from.Port != a.GetAutoBindPort() {
		t.Fatalf("packet from %v, want port %d", p.From, a.GetAutoBindPort())
	}
	if p.Timestamp.Before(before) {
		t.Fatalf("timestamp %v before the send at %v", p.Timestamp, before)
	}
	if got := rec.get("memberlist.udp.received"); got < float32(len(msg)) {
		t.Fatalf("bytes received counter %v, want at least %d", got, len(msg))
	}
	if got := rec.get("memberlist.udp.packets_received"); got < 1 {
		t.Fatalf("packets received counter %v, want at least 1", got)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, l := range rec.labels {
		if !slices.Equal(l, []MetricLabel{{Name: "node", Value: "test"}}) {
			t.Fatalf("metric labels %v, want the configured ones", l)
		}
	}
}

func TestNetTransportAutoBindPort(t *testing.T) {
	nt := newTestNetTransport(t, "127.0.0.1", nil)
	port := nt.GetAutoBindPort()
	if port == 0 {
		t.Fatal("no port chosen")
	}
	if got := nt.ls.tcp[0].Addr().(*net.TCPAddr).Port; got != port {
		t.Fatalf("TCP on %d, want %d", got, port)
	}
	if got := nt.ls.udp[0].LocalAddr().(*net.UDPAddr).Port; got != port {
		t.Fatalf("UDP on %d, want %d", got, port)
	}

	// A fixed port that is taken is reported, not retried elsewhere.
	_, err := NewNetTransport(&NetTransportConfig{BindAddrs: []string{"127.0.0.1"}, BindPort: port, Logger: log.New(io.Discard, "", 0)})
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("second transport on port %d: error %v, want EADDRINUSE", port, err)
	}
}

func TestNetTransportAutoBindPortSkipsPortsTakenForUDP(t *testing.T) {
	// Take the UDP side of many ports, so that the kernel is likely to
	// offer one of them for TCP; the transport must still end up on a port
	// where it holds both.
	var taken []*net.UDPConn
	for range 64 {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		taken = append(taken, c)
	}
	defer func() {
		for _, c := range taken {
			_ = c.Close()
		}
	}()
	nt := newTestNetTransport(t, "127.0.0.1", nil)
	port := nt.GetAutoBindPort()
	if got := nt.ls.udp[0].LocalAddr().(*net.UDPAddr).Port; got != port {
		t.Fatalf("UDP on %d, TCP on %d", got, port)
	}
}

func TestNewNetTransportBadConfig(t *testing.T) {
	tests := []struct {
		name  string
		addrs []string
		port  int
		err   error
	}{
		{name: "no address", addrs: nil, err: errNoBindAddress},
		{name: "host name", addrs: []string{"localhost"}, err: errInvalidIP},
		{name: "garbage", addrs: []string{"127.0.0.1", "not-an-ip"}, err: errInvalidIP},
		{name: "negative port", addrs: []string{"127.0.0.1"}, port: -1, err: errInvalidPort},
		{name: "port too large", addrs: []string{"127.0.0.1"}, port: 65536, err: errInvalidPort},
		// 192.0.2.1 is TEST-NET-1 (RFC 5737): never on a local interface.
		{name: "address not on this machine", addrs: []string{"192.0.2.1"}, err: syscall.EADDRNOTAVAIL},
		{name: "second address not on this machine", addrs: []string{"127.0.0.1", "192.0.2.1"}, err: syscall.EADDRNOTAVAIL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nt, err := NewNetTransport(&NetTransportConfig{BindAddrs: tc.addrs, BindPort: tc.port, Logger: log.New(io.Discard, "", 0)})
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if nt != nil {
				_ = nt.Shutdown()
				t.Fatal("a transport was returned with the error")
			}
		})
	}
}

func TestNetTransportFinalAdvertiseAddr(t *testing.T) {
	nt := newTestNetTransport(t, "127.0.0.1", nil)
	port := nt.GetAutoBindPort()
	tests := []struct {
		name     string
		ip       string
		port     int
		wantIP   string
		wantPort int
		err      error
	}{
		{name: "bound address", wantIP: "127.0.0.1", wantPort: port},
		{name: "bound address ignores a port without an ip", port: 9999, wantIP: "127.0.0.1", wantPort: port},
		{name: "configured", ip: "10.9.8.7", port: 7946, wantIP: "10.9.8.7", wantPort: 7946},
		{name: "configured without port", ip: "10.9.8.7", wantIP: "10.9.8.7", wantPort: port},
		{name: "configured IPv6", ip: "fd00::7", port: 7946, wantIP: "fd00::7", wantPort: 7946},
		{name: "configured garbage", ip: "ten.nine", err: errInvalidIP},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ip, p, err := nt.FinalAdvertiseAddr(tc.ip, tc.port)
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if tc.err != nil {
				return
			}
			if !ip.Equal(net.ParseIP(tc.wantIP)) || p != tc.wantPort {
				t.Fatalf("got %v:%d, want %s:%d", ip, p, tc.wantIP, tc.wantPort)
			}
			if ip.To4() != nil && len(ip) != net.IPv4len {
				t.Fatalf("IPv4 address %v in %d-byte form", ip, len(ip))
			}
		})
	}
}

func TestNetTransportFinalAdvertiseAddrWildcard(t *testing.T) {
	ifs := sockaddr.IfAddrs{fakeIf(t, "eth0", "10.20.30.40/16", true)}
	nt, err := newNetTransport(&NetTransportConfig{BindAddrs: []string{"0.0.0.0"}, Logger: log.New(io.Discard, "", 0)},
		testNetHooks(&counterRecorder{}, ifs))
	if err != nil {
		t.Fatal(err)
	}
	defer nt.Shutdown()
	ip, port, err := nt.FinalAdvertiseAddr("", 0)
	if err != nil || !ip.Equal(net.IPv4(10, 20, 30, 40)) || port != nt.GetAutoBindPort() {
		t.Fatalf("got %v:%d, %v; want 10.20.30.40:%d", ip, port, err, nt.GetAutoBindPort())
	}

	nt.hooks.interfaces = func() (sockaddr.IfAddrs, error) { return nil, nil }
	if _, _, err := nt.FinalAdvertiseAddr("", 0); !errors.Is(err, errNoPrivateIP) {
		t.Fatalf("no private address: error %v, want %v", err, errNoPrivateIP)
	}
}

func TestNetTransportFinalAdvertiseAddrIPv6Wildcard(t *testing.T) {
	ifs := sockaddr.IfAddrs{
		fakeIf(t, "eth0", "10.20.30.40/16", true),
		fakeIf(t, "eth0", "fd12:3456::7/64", true),
	}
	nt, err := newNetTransport(&NetTransportConfig{BindAddrs: []string{"::"}, Logger: log.New(io.Discard, "", 0)},
		testNetHooks(&counterRecorder{}, ifs))
	if err != nil {
		t.Skipf("cannot listen on [::]: %v", err)
	}
	defer nt.Shutdown()
	ip, _, err := nt.FinalAdvertiseAddr("", 0)
	if err != nil || !ip.Equal(net.ParseIP("fd12:3456::7")) {
		t.Fatalf("got %v, %v; want fd12:3456::7", ip, err)
	}
}

func TestNetTransportShutdownStopsGoroutines(t *testing.T) {
	nt, err := NewNetTransport(&NetTransportConfig{BindAddrs: []string{"127.0.0.1", "127.0.0.1"}, Logger: log.New(io.Discard, "", 0)})
	if err == nil {
		_ = nt.Shutdown()
		t.Fatal("two listeners on the same address and port: no error")
	}
	nt = newTestNetTransport(t, "127.0.0.1", nil)
	// One accept loop and one read loop.
	waitFor(t, "the transport's goroutines to start", func() bool { return netTransportGoroutines() == 2 })

	// A stream accepted but never taken from StreamCh is closed by
	// Shutdown: its dialer sees the end of the stream.
	out, err := nt.DialTimeout(addrOf(t, nt), testWait)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	waitFor(t, "stream queued", func() bool { return len(nt.streamCh) == 1 })

	if err := nt.Shutdown(); err != nil {
		t.Fatal(err)
	}
	if err := nt.Shutdown(); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
	waitFor(t, "goroutines to stop", func() bool { return netTransportGoroutines() == 0 })

	_ = out.SetReadDeadline(time.Now().Add(testWait))
	if n, err := out.Read(make([]byte, 1)); err == nil {
		t.Fatalf("read %d bytes from a stream the shut-down transport never handed out", n)
	}
	if _, err := nt.WriteTo([]byte("x"), addrOf(t, nt)); err == nil {
		t.Fatal("WriteTo after Shutdown: no error")
	}
	if err := nt.IngestStream(out); !errors.Is(err, errTransportShutdown) {
		t.Fatalf("IngestStream after Shutdown: error %v, want %v", err, errTransportShutdown)
	}
}

// netTransportGoroutines counts the goroutines running a NetTransport
// loop, in this test binary.
func netTransportGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("(*NetTransport).acceptLoop")) || bytes.Contains(g, []byte("(*NetTransport).readLoop")) {
			n++
		}
	}
	return n
}

// waitFor polls cond until it holds, failing the test after testWait.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testWait)
	ticker := time.NewTicker(time.Millisecond)
	defer ticker.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("timed out waiting for %s; goroutines:\n%s", what, buf[:runtime.Stack(buf, true)])
		}
		<-ticker.C
	}
}

func TestNetTransportIngest(t *testing.T) {
	nt := newTestNetTransport(t, "127.0.0.1", nil)
	from := &net.UDPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 7946}
	now := time.Unix(1700000000, 0)

	if err := nt.IngestPacket(streamWith(t, []byte("via stream")), from, now, true); err != nil {
		t.Fatal(err)
	}
	p := <-nt.PacketCh()
	if string(p.Buf) != "via stream" || p.From != from || !p.Timestamp.Equal(now) {
		t.Fatalf("got %+v", p)
	}
	if err := nt.IngestPacket(streamWith(t, nil), from, now, true); !errors.Is(err, errEmptyPacket) {
		t.Fatalf("empty: error %v, want %v", err, errEmptyPacket)
	}
	big := make([]byte, packetBufSize+1)
	if err := nt.IngestPacket(streamWith(t, big), from, now, true); !errors.Is(err, errPacketTooLarge) {
		t.Fatalf("too large: error %v, want %v", err, errPacketTooLarge)
	}

	c := streamWith(t, nil)
	if err := nt.IngestStream(c); err != nil {
		t.Fatal(err)
	}
	if got := <-nt.StreamCh(); got != c {
		t.Fatalf("StreamCh gave %v, want the ingested stream", got)
	}
}

func TestNextBackoff(t *testing.T) {
	want := []time.Duration{5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000}
	var d time.Duration
	for i, w := range want {
		d = nextBackoff(d)
		if d != w*time.Millisecond {
			t.Fatalf("failure %d: pause %v, want %v", i+1, d, w*time.Millisecond)
		}
	}
	if d := nextBackoff(0); d != acceptBackoffBase {
		t.Fatalf("after a success: pause %v, want %v", d, acceptBackoffBase)
	}
}

// flakyListener fails its first accepts, then hands out one connection,
// then blocks until closed.
type flakyListener struct {
	failures int
	conn     net.Conn
	closed   chan struct{}
	once     sync.Once
}

func (l *flakyListener) Accept() (net.Conn, error) {
	if l.failures > 0 {
		l.failures--
		return nil, errors.New("too many open files")
	}
	if c := l.conn; c != nil {
		l.conn = nil
		return c, nil
	}
	<-l.closed
	return nil, net.ErrClosed
}

func (l *flakyListener) Close() error   { l.once.Do(func() { close(l.closed) }); return nil }
func (l *flakyListener) Addr() net.Addr { return &net.TCPAddr{} }

func TestAcceptLoopBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n MockNetwork
		conn := streamWithOpenIn(t, &n)
		ln := &flakyListener{failures: 3, conn: conn, closed: make(chan struct{})}
		nt := newLoopTestTransport()
		start := time.Now()
		nt.wg.Add(1)
		go nt.acceptLoop(ln)

		got := <-nt.StreamCh()
		if got != conn {
			t.Fatalf("accepted %v, want the listener's connection", got)
		}
		// Three failures: pauses of 5, 10 and 20 ms.
		if waited := time.Since(start); waited != 35*time.Millisecond {
			t.Fatalf("first connection after %v, want 35ms of back-off", waited)
		}

		close(nt.shutdownCh)
		_ = ln.Close()
		nt.wg.Wait()
	})
}

func TestAcceptLoopStopsDuringBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ln := &flakyListener{failures: 100, closed: make(chan struct{})}
		nt := newLoopTestTransport()
		start := time.Now()
		nt.wg.Add(1)
		go nt.acceptLoop(ln)
		synctest.Wait() // the loop failed once and is pausing for 5ms
		close(nt.shutdownCh)
		nt.wg.Wait()
		if waited := time.Since(start); waited != 0 {
			t.Fatalf("loop took %v to stop, want it to cut its pause short", waited)
		}
	})
}

// newLoopTestTransport returns a transport with just what acceptLoop needs.
func newLoopTestTransport() *NetTransport {
	return &NetTransport{
		logger:     log.New(io.Discard, "", 0),
		streamCh:   make(chan net.Conn, 1),
		shutdownCh: make(chan struct{}),
	}
}

// streamWithOpenIn returns one end of an open mock stream on n.
func streamWithOpenIn(t *testing.T, n *MockNetwork) net.Conn {
	t.Helper()
	a, b := n.NewTransport("a"), n.NewTransport("b")
	out, err := a.DialTimeout(b.addr.addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = out.Close() })
	return <-b.StreamCh()
}
