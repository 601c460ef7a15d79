//go:build linux

package hyparlist

import (
	"fmt"
	"log"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// This file is the harness of the attack suite (security_attack_test.go): nodes on
// distinct loopback addresses (Linux routes all of 127/8 to lo), each
// dialling from its own address as separate hosts would, and an attacker
// that holds connections from an address of its own.

// attackWait bounds each wait of the attack suite.
const attackWait = 20 * time.Second

// sourcedTransport is a NetTransport whose dials leave from its own
// address, so that the node it serves is seen at that address.
type sourcedTransport struct {
	*NetTransport
	src net.IP
}

// DialAddressTimeout implements NodeAwareTransport.
func (t *sourcedTransport) DialAddressTimeout(a Address, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout, LocalAddr: &net.TCPAddr{IP: t.src}}
	return d.Dial("tcp", a.Addr)
}

// DialTimeout implements Transport.
func (t *sourcedTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(Address{Addr: addr}, timeout)
}

// attackNode is a node of the attack suite and the sink of its metrics.
type attackNode struct {
	*testNode
	sink *inmemSink
}

// newAttackNode starts a node listening and dialling on ip, with its
// metrics in a sink of its own; it is shut down when the test ends.
func newAttackNode(t *testing.T, name, ip string, tweak func(*Config)) *attackNode {
	t.Helper()
	nt, err := NewNetTransport(&NetTransportConfig{BindAddrs: []string{ip}, Logger: log.New(testLogOutput(), "", 0)})
	if err != nil {
		t.Fatalf("transport on %s: %v", ip, err)
	}
	rec := &recorder{name: name}
	conf := mockConfig(name, func(c *Config) {
		c.Transport = &sourcedTransport{NetTransport: nt, src: net.ParseIP(ip)}
		// Generous for a loaded machine running -race.
		c.KeepaliveTimeout = 3 * time.Second
		c.TCPTimeout = 3 * time.Second
		if tweak != nil {
			tweak(c)
		}
	})
	conf.Delegate = rec
	conf.Events = rec
	sink := newInmemSink(time.Hour, time.Hour)
	ml, err := create(conf, sink)
	if err != nil {
		_ = nt.Shutdown()
		t.Fatalf("create %s: %v", name, err)
	}
	rec.self.Store(ml)
	n := &attackNode{testNode: &testNode{ml: ml, rec: rec}, sink: sink}
	t.Cleanup(func() { _ = ml.Shutdown() })
	return n
}

// attackCluster starts n nodes on 127.0.0.10, 127.0.0.11, … joined through
// the first, and waits until every node lists all of them.
func attackCluster(t *testing.T, n int, tweak func(*Config)) []*attackNode {
	t.Helper()
	raiseFileLimit(t)
	nodes := make([]*attackNode, n)
	for i := range nodes {
		nodes[i] = newAttackNode(t, fmt.Sprintf("node-%d", i), fmt.Sprintf("127.0.0.%d", 10+i), tweak)
	}
	seed := nodes[0].ml.LocalNode().Address()
	for _, nd := range nodes[1:] {
		if got, err := nd.ml.Join([]string{seed}); got != 1 || err != nil {
			t.Fatalf("join %s: %d, %v", nd.rec.name, got, err)
		}
	}
	attackWaitFor(t, "full membership", func() bool { return allSee(testNodes(nodes), n) })
	return nodes
}

// testNodes returns the testNodes of nodes.
func testNodes(nodes []*attackNode) []*testNode {
	out := make([]*testNode, len(nodes))
	for i, n := range nodes {
		out[i] = n.testNode
	}
	return out
}

// attackWaitFor polls cond every 10ms until it holds, failing after attackWait.
func attackWaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(attackWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", attackWait, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wantBroadcasts has every node broadcast one payload tagged tag and waits
// until every node has received every other node's.
func wantBroadcasts(t *testing.T, nodes []*attackNode, tag string) {
	t.Helper()
	payloads := make([][]byte, len(nodes))
	for i, nd := range nodes {
		payloads[i] = fmt.Appendf(nil, "%s from %s", tag, nd.rec.name)
		if err := nd.ml.Broadcast(payloads[i]); err != nil {
			t.Fatalf("broadcast %s: %v", nd.rec.name, err)
		}
	}
	attackWaitFor(t, "every "+tag+" broadcast at every node", func() bool {
		for i, nd := range nodes {
			for j, p := range payloads {
				if i != j && nd.rec.count(p) == 0 {
					return false
				}
			}
		}
		return true
	})
}

// raiseFileLimit raises the soft limit on open files to the hard limit:
// an attack test holds a few hundred connections, twice (both ends).
func raiseFileLimit(t *testing.T) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("getrlimit: %v", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			t.Logf("setrlimit: %v", err)
		}
	}
	if lim.Cur < 4096 {
		t.Skipf("open-file limit %d, the attack needs 4096", lim.Cur)
	}
}

// attacker holds connections to one node from its own address, renewing
// each one the node closes, until stop.
type attacker struct {
	t      *testing.T
	target string
	src    net.IP
	stop   chan struct{}
	wg     sync.WaitGroup

	// dials counts the connections opened.
	dials atomic.Int64

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// newAttacker returns an attacker of target from src, stopped when the
// test ends.
func newAttacker(t *testing.T, target, src string) *attacker {
	a := &attacker{t: t, target: target, src: net.ParseIP(src), stop: make(chan struct{}), conns: make(map[net.Conn]struct{})}
	t.Cleanup(a.close)
	return a
}

// close stops the attack and closes its connections.
func (a *attacker) close() {
	select {
	case <-a.stop:
		return
	default:
	}
	close(a.stop)
	a.mu.Lock()
	for c := range a.conns {
		_ = c.Close()
	}
	a.mu.Unlock()
	a.wg.Wait()
}

// attackRenewDelay is how long an attacker waits before it replaces a
// connection the node closed: fast enough to hold its slots, slow enough
// not to exhaust loopback ports during a test.
const attackRenewDelay = 200 * time.Millisecond

// waitDials waits until the attacker has opened n connections.
func (a *attacker) waitDials(n int64) {
	a.t.Helper()
	attackWaitFor(a.t, fmt.Sprintf("the attacker's first %d connections", n), func() bool { return a.dials.Load() >= n })
}

// hold keeps n connections open, each started by open (which writes what
// the connection sends first; it may keep writing until the connection
// fails) and then held until the node closes it.
func (a *attacker) hold(n int, open func(net.Conn)) {
	for range n {
		a.wg.Go(func() {
			for {
				a.holdOne(open)
				select {
				case <-a.stop:
					return
				case <-time.After(attackRenewDelay):
				}
			}
		})
	}
}

// holdOne opens one connection and holds it until either end closes it.
func (a *attacker) holdOne(open func(net.Conn)) {
	d := net.Dialer{Timeout: time.Second, LocalAddr: &net.TCPAddr{IP: a.src}}
	conn, err := d.Dial("tcp", a.target)
	if err != nil {
		return
	}
	a.dials.Add(1)
	a.mu.Lock()
	select {
	case <-a.stop:
		a.mu.Unlock()
		_ = conn.Close()
		return
	default:
	}
	a.conns[conn] = struct{}{}
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		delete(a.conns, conn)
		a.mu.Unlock()
		_ = conn.Close()
	}()
	open(conn)
	buf := make([]byte, 512)
	for {
		if _, err := conn.Read(buf); err != nil {
			return
		}
	}
}
