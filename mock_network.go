// MockNetwork: an in-memory network for tests, with fault injection.

package hyparlist

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// This file implements MockNetwork, an in-memory network for tests, with
// memberlist's MockNetwork API plus fault injection: partitions, isolated
// nodes, crashes, per-link loss and per-link delay.
//
// What a fault does, as seen by the nodes (the choices follow what a real
// network shows a program):
//
//   - Unreachable (Partition, Isolate): packets between the two sides are
//     lost without error; a dial waits for its timeout and fails with a
//     timeout error; streams already open between the two sides are reset
//     at once (reads and writes fail with ECONNRESET on both ends). Real
//     TCP would stall until a keepalive noticed; the reset stands for that
//     detection so that tests need not wait for it.
//   - Loss (SetDrop): each packet is lost with the given probability, and
//     so is each dial (its SYN and retries are lost: the dial times out).
//     Bytes on an open stream are never lost, as TCP retransmits them.
//   - Delay (SetDelay): packets arrive, and stream bytes become readable,
//     the given time after they were sent; a dial takes the round trip
//     (both directions' delays). Bytes on a stream keep their order.
//   - Crash: the node's transport stops at once; its streams are reset,
//     packets to it are lost and dials to it are refused (ECONNREFUSED).
//
// Errors are the net package's: a *net.OpError wrapping
// syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.EHOSTUNREACH (no node
// has that address) or os.ErrDeadlineExceeded, so code written for real
// sockets handles them unchanged.
//
// The network starts no goroutines of its own; delayed packets ride on
// time.AfterFunc timers, which Shutdown and Crash stop. Inside a
// testing/synctest bubble, create the network and its transports in the
// bubble: every wait is then on the bubble's virtual clock.

const (
	// mockNetworkName is the Network() of mock addresses.
	mockNetworkName = "mock"

	// mockPacketChCap bounds the packets waiting in a MockTransport's
	// PacketCh; when it is full further packets are lost, as a full
	// socket receive buffer would lose them.
	mockPacketChCap = 1024

	// mockStreamChCap bounds the streams waiting in a MockTransport's
	// StreamCh, like a listen backlog; when it is full dials are refused.
	mockStreamChCap = 64

	// mockDefaultSeed seeds the loss decisions of a MockNetwork built
	// without newMockNetwork.
	mockDefaultSeed = 1
)

// errInvalidFault is returned, wrapped with the offending value, by the
// MockNetwork methods that set a loss probability or a delay out of range.
var errInvalidFault = errors.New("hyparlist: invalid fault setting")

// MockAddress is the net.Addr of a MockTransport: an "ip:port" address
// and the name of the node it belongs to.
type MockAddress struct {
	addr string
	name string
}

// Network implements net.Addr: it is "mock".
func (a *MockAddress) Network() string { return mockNetworkName }

// String implements net.Addr: it is the "ip:port" address.
func (a *MockAddress) String() string { return a.addr }

// mockLink is a direction between two nodes, by name.
type mockLink struct{ from, to string }

// mockStream is an open stream, as the network tracks it to break it.
type mockStream struct {
	ends   [2]*MockTransport // dialer, acceptor
	conn   *mockConn         // the dialer's end; resetting it resets both
	closed int               // ends closed so far; guarded by MockNetwork.mu
}

// MockNetwork is an in-memory network that connects MockTransports to one
// another. Its zero value is ready to use (the package's own tests also
// inject faults through it: partitions, loss, delay, crashes). It is safe
// for concurrent use.
type MockNetwork struct {
	mu       sync.Mutex
	rng      *rand.Rand
	port     int
	byAddr   map[string]*MockTransport
	byName   map[string]*MockTransport
	cut      map[mockLink]bool // directions cut by Partition
	isolated map[string]bool
	drop     map[mockLink]float64
	delay    map[mockLink]time.Duration
	streams  map[*mockStream]struct{}
}

// newMockNetwork returns an empty network whose loss decisions (SetDrop)
// draw from rng, so that a seeded rng makes them repeatable. The network
// uses rng only while holding its lock.
func newMockNetwork(rng *rand.Rand) *MockNetwork {
	return &MockNetwork{rng: rng}
}

// initLocked makes the zero value usable.
func (n *MockNetwork) initLocked() {
	if n.byAddr != nil {
		return
	}
	if n.rng == nil {
		n.rng = rand.New(rand.NewPCG(mockDefaultSeed, mockDefaultSeed))
	}
	n.byAddr = make(map[string]*MockTransport)
	n.byName = make(map[string]*MockTransport)
	n.cut = make(map[mockLink]bool)
	n.isolated = make(map[string]bool)
	n.drop = make(map[mockLink]float64)
	n.delay = make(map[mockLink]time.Duration)
	n.streams = make(map[*mockStream]struct{})
}

// NewTransport returns a transport on the network for the node called
// name, with an address of its own ("127.0.0.1:1", "127.0.0.1:2", ...).
// Sending to a name reaches the transport created last with that name.
func (n *MockNetwork) NewTransport(name string) *MockTransport {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.initLocked()
	n.port++
	return n.addTransportLocked(name, net.JoinHostPort("127.0.0.1", strconv.Itoa(n.port)))
}

// addTransportLocked creates the transport of the node called name at
// addr, which then receives what is sent to either.
func (n *MockNetwork) addTransportLocked(name, addr string) *MockTransport {
	t := &MockTransport{
		net:        n,
		addr:       &MockAddress{addr: addr, name: name},
		packetCh:   make(chan *Packet, mockPacketChCap),
		streamCh:   make(chan net.Conn, mockStreamChCap),
		shutdownCh: make(chan struct{}),
		inflight:   make(map[*time.Timer]struct{}),
	}
	n.byAddr[addr] = t
	n.byName[name] = t
	return t
}

// partition cuts every node named in groupA off from every node named in
// groupB, in both directions, until Heal. Open streams across the cut are
// reset. Names may belong to transports created later.
func (n *MockNetwork) partition(groupA, groupB []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.initLocked()
	for _, a := range groupA {
		for _, b := range groupB {
			if a != b {
				n.cut[mockLink{a, b}] = true
				n.cut[mockLink{b, a}] = true
			}
		}
	}
	n.breakUnreachableLocked()
}

// isolate cuts the node called name off from every other node, present
// and future, until Heal. Its open streams are reset.
func (n *MockNetwork) isolate(name string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.initLocked()
	n.isolated[name] = true
	n.breakUnreachableLocked()
}

// heal undoes every Partition and Isolate. Loss and delay settings stay;
// streams reset by the cut stay broken.
func (n *MockNetwork) heal() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.initLocked()
	clear(n.cut)
	clear(n.isolated)
}

// setDrop makes packets and dials from the node called from to the node
// called to fail with the given probability, drawn from the network's
// random source. 0 restores a lossless link. It returns an error wrapping
// errInvalidFault for a probability outside [0, 1].
func (n *MockNetwork) setDrop(from, to string, probability float64) error {
	if math.IsNaN(probability) || probability < 0 || probability > 1 {
		return fmt.Errorf("drop probability %v, want 0..1: %w", probability, errInvalidFault)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.initLocked()
	if probability == 0 {
		delete(n.drop, mockLink{from, to})
	} else {
		n.drop[mockLink{from, to}] = probability
	}
	return nil
}

// setDelay makes packets and stream bytes from the node called from to the
// node called to arrive d after they are sent; it applies to open streams
// from their next write. 0 removes the delay. It returns an error wrapping
// errInvalidFault for a negative d.
func (n *MockNetwork) setDelay(from, to string, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("delay %v, want >= 0: %w", d, errInvalidFault)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.initLocked()
	if d == 0 {
		delete(n.delay, mockLink{from, to})
	} else {
		n.delay[mockLink{from, to}] = d
	}
	return nil
}

// crash stops the transport of the node called name abruptly, as if its
// process died: its open streams, accepted or not, are reset; packets to
// it are lost and dials to it are refused. It does nothing when no
// transport has that name. A later NewTransport(name) starts the node
// again at a new address.
func (n *MockNetwork) crash(name string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.initLocked()
	t, ok := n.byName[name]
	if !ok {
		return
	}
	t.stopLocked()
	for s := range n.streams {
		if s.ends[0] == t || s.ends[1] == t {
			n.resetLocked(s)
		}
	}
}

// reachableLocked reports whether bytes can travel from the node called
// from to the node called to.
func (n *MockNetwork) reachableLocked(from, to string) bool {
	if from == to {
		return true
	}
	return !n.isolated[from] && !n.isolated[to] && !n.cut[mockLink{from, to}]
}

// lostLocked draws whether one packet or dial from → to is lost.
func (n *MockNetwork) lostLocked(from, to string) bool {
	p := n.drop[mockLink{from, to}]
	switch {
	case p <= 0:
		return false
	case p >= 1:
		return true
	}
	return n.rng.Float64() < p
}

// linkDelay returns the delay from the node called from to the node called
// to.
func (n *MockNetwork) linkDelay(from, to string) time.Duration {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.delay[mockLink{from, to}]
}

// breakUnreachableLocked resets every open stream whose ends can no longer
// reach each other.
func (n *MockNetwork) breakUnreachableLocked() {
	for s := range n.streams {
		a, b := s.ends[0].addr.name, s.ends[1].addr.name
		if !n.reachableLocked(a, b) || !n.reachableLocked(b, a) {
			n.resetLocked(s)
		}
	}
}

// resetLocked resets s and forgets it.
func (n *MockNetwork) resetLocked(s *mockStream) {
	s.conn.reset()
	delete(n.streams, s)
}

// openStream connects t to dest and queues the acceptor's end on dest's
// StreamCh. It returns the dialer's end, or an error wrapping
// ECONNREFUSED when dest is stopped or its backlog is full.
func (n *MockNetwork) openStream(t, dest *MockTransport) (net.Conn, error) {
	from, to := t.addr.name, dest.addr.name
	s := &mockStream{ends: [2]*MockTransport{t, dest}}
	onClose := func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if s.closed++; s.closed == 2 {
			delete(n.streams, s)
		}
	}
	dialEnd, acceptEnd := newMockConnPair(t.addr, dest.addr,
		func() time.Duration { return n.linkDelay(from, to) },
		func() time.Duration { return n.linkDelay(to, from) },
		onClose)
	s.conn = dialEnd

	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case t.stopped:
		return nil, dialError(t, dest, net.ErrClosed)
	case !n.reachableLocked(from, to) || !n.reachableLocked(to, from):
		// Cut while the dial was under way.
		return nil, dialError(t, dest, errDialTimeout)
	case dest.stopped:
		return nil, dialError(t, dest, syscall.ECONNREFUSED)
	}
	select {
	case dest.streamCh <- acceptEnd:
	default:
		return nil, dialError(t, dest, syscall.ECONNREFUSED)
	}
	n.streams[s] = struct{}{}
	return dialEnd, nil
}

// dialError is the error of a failed dial from t to dest.
func dialError(t, dest *MockTransport, err error) error {
	return &net.OpError{Op: "dial", Net: mockNetworkName, Source: t.addr, Addr: dest.addr, Err: err}
}

// errDialTimeout is what a dial that got no answer fails with.
var errDialTimeout = os.ErrDeadlineExceeded
