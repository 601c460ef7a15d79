// NetTransport: the Transport of real networks (UDP packets, one TCP
// connection per stream).

package hyparlist

import (
	"context"
	"errors"
	"log"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	sockaddr "github.com/hashicorp/go-sockaddr"
)

const (
	// netPacketChCap bounds the packets received but not yet taken from
	// PacketCh. When it is full the UDP reader waits, and the kernel's
	// receive buffer (udpRecvBufSize) absorbs or drops what follows, as it
	// would for any slow reader.
	netPacketChCap = 256

	// netStreamChCap bounds the accepted connections not yet taken from
	// StreamCh. When it is full the accept loop waits and the kernel's
	// listen backlog holds new connections.
	netStreamChCap = 64

	// acceptBackoffBase and acceptBackoffMax bound the pause after a failed
	// accept or read (for example when the process is out of file
	// descriptors): it starts at the base, doubles on each further failure
	// and never exceeds the max, so a persistent error neither spins nor
	// delays recovery by more than a second.
	acceptBackoffBase = 5 * time.Millisecond
	acceptBackoffMax  = time.Second
)

// Metric keys. They keep memberlist's names so that existing dashboards
// keep working.
var (
	metricUDPReceivedBytes   = []string{"memberlist", "udp", "received"}
	metricUDPReceivedPackets = []string{"memberlist", "udp", "packets_received"}
)

// NetTransportConfig configures a NetTransport.
type NetTransportConfig struct {
	// BindAddrs are the IP addresses to listen on, for both TCP and UDP.
	// "0.0.0.0" or "::" listen on every interface; "" means "0.0.0.0".
	BindAddrs []string

	// BindPort is the port to listen on at every address. 0 asks for any
	// port that is free for TCP and UDP at every address; GetAutoBindPort
	// tells which one was chosen.
	BindPort int

	// Logger receives operator messages. nil logs to standard error.
	Logger *log.Logger

	// MetricLabels are added to every metric the transport emits.
	MetricLabels []MetricLabel
}

// NetTransport is the Transport of real networks: UDP datagrams for
// packets and a TCP connection per stream.
type NetTransport struct {
	logger       *log.Logger
	metricLabels []MetricLabel
	hooks        netHooks

	bindAddrs []netip.Addr
	ls        netListeners

	packetCh   chan *Packet
	streamCh   chan net.Conn
	shutdownCh chan struct{}
	// dialCtx is cancelled by Shutdown, which ends dials in progress.
	dialCtx    context.Context
	dialCancel context.CancelFunc
	stopOnce   sync.Once
	wg         sync.WaitGroup // the accept and read loops
}

var (
	_ NodeAwareTransport      = (*NetTransport)(nil)
	_ IngestionAwareTransport = (*NetTransport)(nil)
)

// netHooks are the transport's links to the machine and the metrics
// library, replaced in tests.
type netHooks struct {
	incrCounter      func(key []string, val float32, labels []MetricLabel)
	interfaces       func() (sockaddr.IfAddrs, error)
	defaultInterface func() string
}

// systemNetHooks are the hooks of a real transport.
func systemNetHooks() netHooks {
	return netHooks{
		incrCounter:      metricsIncrCounter,
		interfaces:       sockaddr.GetAllInterfaces,
		defaultInterface: systemDefaultInterface,
	}
}

// NewNetTransport opens a TCP listener and a UDP socket on every configured
// address and starts receiving. On error nothing is left open.
func NewNetTransport(config *NetTransportConfig) (*NetTransport, error) {
	return newNetTransport(config, systemNetHooks())
}

// newNetTransport is NewNetTransport with explicit hooks.
func newNetTransport(config *NetTransportConfig, hooks netHooks) (*NetTransport, error) {
	addrs, err := parseBindAddrs(config.BindAddrs)
	if err != nil {
		return nil, err
	}
	ls, err := listenAll(addrs, config.BindPort)
	if err != nil {
		return nil, err
	}
	logger := config.Logger
	if logger == nil {
		logger = log.New(os.Stderr, "", log.LstdFlags)
	}
	t := &NetTransport{
		logger:       logger,
		metricLabels: config.MetricLabels,
		hooks:        hooks,
		bindAddrs:    addrs,
		ls:           ls,
		packetCh:     make(chan *Packet, netPacketChCap),
		streamCh:     make(chan net.Conn, netStreamChCap),
		shutdownCh:   make(chan struct{}),
	}
	t.dialCtx, t.dialCancel = context.WithCancel(context.Background())
	for i := range ls.tcp {
		t.wg.Add(2)
		go t.acceptLoop(ls.tcp[i])
		go t.readLoop(ls.udp[i])
	}
	return t, nil
}

// GetAutoBindPort returns the port the transport listens on: the
// configured BindPort, or the one chosen when BindPort was 0.
func (t *NetTransport) GetAutoBindPort() int {
	return t.ls.port
}

// FinalAdvertiseAddr implements Transport. A configured ip is used as
// given, with port (or the bound port when port is 0). Otherwise the port is
// the bound one and the address is the first bind address, or, when that is
// a wildcard, a private address of this machine (see selectAdvertiseIP).
func (t *NetTransport) FinalAdvertiseAddr(ip string, port int) (net.IP, int, error) {
	if ip != "" {
		advIP, err := parseAdvertiseIP(ip)
		if err != nil {
			return nil, 0, err
		}
		if port == 0 {
			port = t.ls.port
		}
		return advIP, port, nil
	}
	bind := t.bindAddrs[0]
	if !bind.IsUnspecified() {
		return net.IP(bind.AsSlice()), t.ls.port, nil
	}
	ifAddrs, err := t.hooks.interfaces()
	if err != nil {
		return nil, 0, err
	}
	advIP, err := selectAdvertiseIP(ifAddrs, t.hooks.defaultInterface(), bind.Is6())
	if err != nil {
		return nil, 0, err
	}
	return advIP, t.ls.port, nil
}

// WriteTo implements Transport.
func (t *NetTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	return t.WriteToAddress(b, Address{Addr: addr})
}

// WriteToAddress implements NodeAwareTransport; the name is not used. The
// packet leaves from a socket of the destination's address family when
// there is one.
func (t *NetTransport) WriteToAddress(b []byte, a Address) (time.Time, error) {
	dst, err := net.ResolveUDPAddr("udp", a.Addr)
	if err != nil {
		return time.Time{}, err
	}
	_, err = t.udpFor(dst.IP).WriteTo(b, dst)
	// Taken after the write returns: a little late, but it includes any
	// time the write spent waiting for the socket.
	return time.Now(), err
}

// udpFor picks the UDP socket to send to ip from: the first one bound to
// ip's family or to a wildcard, else the first one.
func (t *NetTransport) udpFor(ip net.IP) *net.UDPConn {
	want4 := ip.To4() != nil
	for i, a := range t.bindAddrs {
		if a.IsUnspecified() || a.Is4() == want4 {
			return t.ls.udp[i]
		}
	}
	return t.ls.udp[0]
}

// PacketCh implements Transport.
func (t *NetTransport) PacketCh() <-chan *Packet {
	return t.packetCh
}

// IngestPacket reads conn to its end and delivers its bytes as one packet
// from addr received at now, closing conn afterwards when shouldClose is
// set. It is kept for memberlist compatibility (IngestionAwareTransport).
func (t *NetTransport) IngestPacket(conn net.Conn, addr net.Addr, now time.Time, shouldClose bool) error {
	return ingestPacket(t.packetCh, t.shutdownCh, conn, addr, now, shouldClose)
}

// DialTimeout implements Transport.
func (t *NetTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(Address{Addr: addr}, timeout)
}

// DialAddressTimeout implements NodeAwareTransport; the name is not used.
// Shutdown ends a dial in progress with an error.
func (t *NetTransport) DialAddressTimeout(a Address, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	return d.DialContext(t.dialCtx, "tcp", a.Addr)
}

// StreamCh implements Transport.
func (t *NetTransport) StreamCh() <-chan net.Conn {
	return t.streamCh
}

// IngestStream delivers conn on StreamCh as if it had been accepted. It is
// kept for memberlist compatibility (IngestionAwareTransport).
func (t *NetTransport) IngestStream(conn net.Conn) error {
	return deliverStream(t.streamCh, t.shutdownCh, conn)
}

// Shutdown implements Transport: it closes every listener, ends the dials
// in progress, waits for the transport's goroutines to end, and closes the
// accepted connections that were never taken from StreamCh. Connections
// already handed out are the receiver's to close. Calling it again does
// nothing.
func (t *NetTransport) Shutdown() error {
	t.stopOnce.Do(func() {
		close(t.shutdownCh)
		t.dialCancel()
		t.ls.close()
		t.wg.Wait()
		for {
			select {
			case c := <-t.streamCh:
				_ = c.Close()
			default:
				return
			}
		}
	})
	return nil
}

// stopping reports whether Shutdown has begun.
func (t *NetTransport) stopping() bool {
	select {
	case <-t.shutdownCh:
		return true
	default:
		return false
	}
}

// acceptLoop hands the connections ln accepts to StreamCh until Shutdown.
func (t *NetTransport) acceptLoop(ln net.Listener) {
	defer t.wg.Done()
	var backoff time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if !t.recoverFrom(err, "accepting TCP", ln.Addr(), &backoff) {
				return
			}
			continue
		}
		backoff = 0
		select {
		case t.streamCh <- conn:
		case <-t.shutdownCh:
			_ = conn.Close()
			return
		}
	}
}

// readLoop hands the packets conn receives to PacketCh until Shutdown. It
// reads into one buffer of the largest packet size and copies each packet
// out at its exact length, so queued packets hold only their own bytes.
func (t *NetTransport) readLoop(conn net.PacketConn) {
	defer t.wg.Done()
	r := packetReader{conn: conn}
	var backoff time.Duration
	for {
		pkt, from, err := r.read()
		n := len(pkt)
		now := time.Now()
		if err != nil {
			if !t.recoverFrom(err, "reading UDP", conn.LocalAddr(), &backoff) {
				return
			}
			continue
		}
		backoff = 0
		if n == 0 {
			t.logger.Printf("[WARN] hyparlist: empty UDP packet from %v", from)
			continue
		}
		t.hooks.incrCounter(metricUDPReceivedPackets, 1, t.metricLabels)
		t.hooks.incrCounter(metricUDPReceivedBytes, float32(n), t.metricLabels)
		p := &Packet{Buf: pkt, From: from, Timestamp: now}
		if deliverPacket(t.packetCh, t.shutdownCh, p) != nil {
			return
		}
	}
}

// recoverFrom decides what a receive loop does after err from its socket
// at addr. It reports false when the loop should end: on Shutdown, or when
// the socket was closed under it. Otherwise it logs err, pauses for the
// next back-off (*backoff, reset by the loop on success) and reports true.
func (t *NetTransport) recoverFrom(err error, doing string, addr net.Addr, backoff *time.Duration) bool {
	if t.stopping() {
		return false
	}
	if errors.Is(err, net.ErrClosed) {
		t.logger.Printf("[ERR] hyparlist: %s on %s: socket closed: %v", doing, addr, err)
		return false
	}
	*backoff = nextBackoff(*backoff)
	t.logger.Printf("[ERR] hyparlist: %s on %s: %v; retrying in %s", doing, addr, err, *backoff)
	return t.pause(*backoff)
}

// pause waits for d, or until Shutdown; it reports whether the transport
// is still running.
func (t *NetTransport) pause(d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-t.shutdownCh:
		return false
	}
}

// nextBackoff returns the pause after one more consecutive failure, given
// the previous pause (0 after a success).
func nextBackoff(prev time.Duration) time.Duration {
	if prev <= 0 {
		return acceptBackoffBase
	}
	return min(2*prev, acceptBackoffMax)
}
