package hyparlist

import (
	"bufio"
	"bytes"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// Tests of the PingDelegate wiring: round trips measured on the
// active-view links (linkPingMsg/pingAckMsg), Memberlist.Ping, the bound on
// AckPayload and the fallback for version-1 peers (runtime_ping.go).

// pingRecorder is a PingDelegate that answers with payload and records
// every NotifyPingComplete.
type pingRecorder struct {
	mu      sync.Mutex
	payload []byte
	calls   []pingCall
}

// pingCall is one NotifyPingComplete.
type pingCall struct {
	node    *Node
	rtt     time.Duration
	payload []byte
}

func (p *pingRecorder) AckPayload() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.payload
}

func (p *pingRecorder) NotifyPingComplete(other *Node, rtt time.Duration, payload []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, pingCall{node: other, rtt: rtt, payload: slices.Clone(payload)})
}

// take returns the calls recorded so far and forgets them.
func (p *pingRecorder) take() []pingCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.calls
	p.calls = nil
	return out
}

// pingCluster creates n nodes with a pingRecorder each, answering with
// "coord-<name>", and joins them.
func pingCluster(t *testing.T, n int, tweak func(*Config)) (*testCluster, map[string]*pingRecorder) {
	t.Helper()
	recs := make(map[string]*pingRecorder)
	c := newMockCluster(t, n, func(conf *Config) {
		p := &pingRecorder{payload: []byte("coord-" + conf.Name)}
		recs[conf.Name] = p
		conf.Ping = p
		if tweak != nil {
			tweak(conf)
		}
	})
	t.Cleanup(c.shutdown)
	c.joinAll()
	eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, n) })
	return c, recs
}

// setDelays delays both directions between a and b by d.
func setDelays(t *testing.T, net *MockNetwork, a, b string, d time.Duration) {
	t.Helper()
	for _, dir := range [][2]string{{a, b}, {b, a}} {
		if err := net.setDelay(dir[0], dir[1], d); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRuntimePingDelegateLinks: with a 25ms delay each way, both ends of a
// link report a 50ms round trip about once per keepalive interval, with
// the other node (and its metadata) and its AckPayload.
func TestRuntimePingDelegateLinks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, recs := pingCluster(t, 2, nil)
		const delay = 25 * time.Millisecond
		setDelays(t, c.net, "node-00", "node-01", delay)
		iv := c.nodes[0].ml.config.keepaliveInterval()
		time.Sleep(3 * iv) // LinkPings sent before the delay drain
		for _, r := range recs {
			r.take()
		}
		const rounds = 10
		time.Sleep(rounds * iv)
		synctest.Wait()
		for _, pair := range [][2]string{{"node-00", "node-01"}, {"node-01", "node-00"}} {
			calls := recs[pair[0]].take()
			if len(calls) < rounds-1 || len(calls) > rounds+1 {
				t.Errorf("%s: %d round trips in %d keepalive intervals, want about one per interval", pair[0], len(calls), rounds)
			}
			for _, call := range calls {
				if call.node.Name != pair[1] || string(call.payload) != "coord-"+pair[1] {
					t.Errorf("%s: NotifyPingComplete(%s, payload %q), want %s with coord-%s", pair[0], call.node.Name, call.payload, pair[1], pair[1])
				}
				if call.rtt < 2*delay || call.rtt > 2*delay+5*time.Millisecond {
					t.Errorf("%s: rtt %v, want about %v", pair[0], call.rtt, 2*delay)
				}
				if call.node.Address() != c.nodes[peerIndexOf(c, pair[1])].ml.LocalNode().Address() {
					t.Errorf("%s: node address %s", pair[0], call.node.Address())
				}
			}
		}
	})
}

// peerIndexOf returns the index in c.nodes of the node called name.
func peerIndexOf(c *testCluster, name string) int {
	return slices.IndexFunc(c.nodes, func(n *testNode) bool { return n.rec.name == name })
}

// roundTrips waits n keepalive intervals and returns the round trips r
// recorded by then, failing the test if there are fewer than least.
func roundTrips(t *testing.T, c *testCluster, r *pingRecorder, n, least int) []pingCall {
	t.Helper()
	time.Sleep(time.Duration(n) * c.nodes[0].ml.config.keepaliveInterval())
	synctest.Wait()
	calls := r.take()
	if len(calls) < least {
		t.Fatalf("%d round trips in %d keepalive intervals, want at least %d", len(calls), n, least)
	}
	return calls
}

// TestRuntimePingDelegateNoDelegate: a node without a PingDelegate keeps
// sending plain Keepalives, yet answers LinkPings with its (empty)
// payload, so that its neighbour still measures.
func TestRuntimePingDelegateNoDelegate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, recs := pingCluster(t, 2, func(conf *Config) {
			if conf.Name == "node-01" {
				conf.Ping = nil
			}
		})
		for _, call := range roundTrips(t, c, recs["node-00"], 5, 3) {
			if call.node.Name != "node-01" || call.payload != nil {
				t.Errorf("NotifyPingComplete(%s, %q), want node-01 without payload", call.node.Name, call.payload)
			}
		}
	})
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRuntimePingDelegateOversizedPayload: an AckPayload over
// AckPayloadMaxSize is dropped from the answers (never truncated), with
// one warning per minute; the round trips are still reported and the
// link stays up.
func TestRuntimePingDelegateOversizedPayload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logs := &syncBuffer{}
		c, recs := pingCluster(t, 2, func(conf *Config) {
			if conf.Name == "node-01" {
				conf.LogOutput = logs
			}
		})
		recs["node-01"].mu.Lock()
		recs["node-01"].payload = bytes.Repeat([]byte{'x'}, ackPayloadMaxSize+1)
		recs["node-01"].mu.Unlock()
		iv := c.nodes[0].ml.config.keepaliveInterval()
		time.Sleep(2 * iv)
		recs["node-00"].take()
		for _, call := range roundTrips(t, c, recs["node-00"], 20, 15) {
			if call.payload != nil {
				t.Fatalf("got a %d-byte payload, want none", len(call.payload))
			}
		}
		// node-01 answers node-00's LinkPings and its Pings alike.
		if _, err := c.nodes[0].ml.Ping("node-01", mockAddr(c.nodes[1].ml.LocalNode().Address())); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(logs.String(), "AckPayload too large"); n != 1 {
			t.Errorf("%d warnings in 20 intervals, want 1 (one per minute):\n%s", n, logs.String())
		}
		for _, nd := range c.nodes {
			if len(nd.ml.Neighbors()) != 1 {
				t.Errorf("%s lost its link: neighbours %v", nd.rec.name, memberNames(nd.ml.Neighbors()))
			}
		}
		// Within the bound, the payload goes through again.
		recs["node-01"].mu.Lock()
		recs["node-01"].payload = bytes.Repeat([]byte{'y'}, ackPayloadMaxSize)
		recs["node-01"].mu.Unlock()
		time.Sleep(3 * iv)
		synctest.Wait()
		calls := recs["node-00"].take()
		if len(calls) == 0 || len(calls[len(calls)-1].payload) != ackPayloadMaxSize {
			t.Errorf("a payload of exactly AckPayloadMaxSize did not arrive")
		}
	})
}

// TestRuntimePingDelegatePing: Memberlist.Ping reports the round trip and
// the other node's AckPayload to the PingDelegate.
func TestRuntimePingDelegatePing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 2, nil)
		defer c.shutdown()
		p := &pingRecorder{}
		c.nodes[0].ml.live.Ping = p
		c.nodes[1].ml.live.Ping = &pingRecorder{payload: []byte("coord-b")}
		setDelays(t, c.net, "node-00", "node-01", 10*time.Millisecond)
		rtt, err := c.nodes[0].ml.Ping("node-01", mockAddr(c.nodes[1].ml.LocalNode().Address()))
		if err != nil || rtt != 20*time.Millisecond {
			t.Fatalf("Ping = %v, %v; want 20ms", rtt, err)
		}
		synctest.Wait()
		calls := p.take()
		if len(calls) != 1 || calls[0].node.Name != "node-01" || calls[0].rtt != rtt || string(calls[0].payload) != "coord-b" {
			t.Fatalf("NotifyPingComplete calls %+v, want one for node-01 with %v and coord-b", calls, rtt)
		}
	})
}

// TestRuntimePingDelegateShutdown: no NotifyPingComplete after Shutdown,
// although LinkPings were in flight.
func TestRuntimePingDelegateShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, recs := pingCluster(t, 2, nil)
		setDelays(t, c.net, "node-00", "node-01", 300*time.Millisecond)
		iv := c.nodes[0].ml.config.keepaliveInterval()
		time.Sleep(3 * iv)
		if len(recs["node-00"].take()) == 0 {
			t.Fatal("no round trip before shutdown")
		}
		if err := c.nodes[0].ml.Shutdown(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * iv)
		synctest.Wait()
		if calls := recs["node-00"].take(); len(calls) != 0 {
			t.Errorf("%d NotifyPingComplete calls after Shutdown", len(calls))
		}
	})
}

// TestRuntimePingVersion1Peer: a peer that speaks only wire version 1 gets
// a plain ackMsg to its Ping, and plain Keepalives (never linkPingMsg or
// pingAckMsg) on its active-view link, although the node has a PingDelegate.
func TestRuntimePingVersion1Peer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := pingCluster(t, 1, acceptUnsigned)
		node := c.nodes[0].ml
		lim := defaultWireLimits()
		old := c.net.NewTransport("old")
		defer old.Shutdown()
		oldIP, oldPort, _ := old.FinalAdvertiseAddr("", 0)
		self := Peer{Name: "old", Addr: net.JoinHostPort(oldIP.String(), strconv.Itoa(oldPort))}

		// dial opens a version-1 stream to the node.
		dial := func() net.Conn {
			conn, err := old.DialAddressTimeout(Address{Addr: node.LocalNode().Address()}, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if err := writeMessageFrame(conn, helloMsg{VersionMin: 1, VersionMax: 1, Name: self.Name, Addr: self.Addr}, lim); err != nil {
				t.Fatal(err)
			}
			if msg, err := readMessageFrame(conn, lim); err != nil || msg != (helloAcceptMsg{Version: 1, Name: "node-00", Addr: node.LocalNode().Address()}) {
				t.Fatalf("handshake answer %+v, %v; want version 1", msg, err)
			}
			return conn
		}

		ping := dial()
		if err := writeMessageFrame(ping, pingMsg{SeqNo: 9}, lim); err != nil {
			t.Fatal(err)
		}
		if msg, err := readMessageFrame(ping, lim); err != nil || msg != (ackMsg{SeqNo: 9}) {
			t.Fatalf("answer to a version-1 Ping: %+v, %v; want Ack{9}", msg, err)
		}
		ping.Close()

		// Join; accept the node's link back and record what it sends.
		link := dial()
		defer link.Close()
		if err := writeMessageFrame(link, joinMsg{}, lim); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		seen := map[MessageType]int{}
		go serveOldPeerLink(old, self, 1, lim, func(_ byte, msg Message) {
			mu.Lock()
			seen[msg.Type()]++
			mu.Unlock()
		})
		iv := node.config.keepaliveInterval()
		for range 20 {
			time.Sleep(iv / 2)
			if err := writeMessageFrame(link, keepaliveMsg{}, lim); err != nil {
				t.Fatal(err)
			}
		}
		if got := memberNames(node.Neighbors()); !slices.Equal(got, []string{"old"}) {
			t.Fatalf("neighbours %v, want the version-1 peer", got)
		}
		mu.Lock()
		defer mu.Unlock()
		if seen[typeKeepalive] < 5 || seen[typeLinkPing] != 0 || seen[typePingAck] != 0 {
			t.Errorf("frames on a version-1 link: %v; want Keepalives only", seen)
		}
	})
}

// TestRuntimePingDelegateEncrypted: with a SecretKey on every node, the
// linkPingMsg/pingAckMsg round trips and a Ping answer are sealed like every
// other frame and still reach the PingDelegate with their payloads.
func TestRuntimePingDelegateEncrypted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		key := bytes.Repeat([]byte{7}, 32)
		c, recs := pingCluster(t, 2, func(conf *Config) { conf.SecretKey = key })
		for _, calls := range [][]pingCall{roundTrips(t, c, recs["node-00"], 5, 3), roundTrips(t, c, recs["node-01"], 5, 3)} {
			for _, call := range calls {
				if string(call.payload) != "coord-"+call.node.Name {
					t.Errorf("NotifyPingComplete(%s, payload %q) over an encrypted link", call.node.Name, call.payload)
				}
			}
		}
		if _, err := c.nodes[0].ml.Ping("node-01", mockAddr(c.nodes[1].ml.LocalNode().Address())); err != nil {
			t.Fatalf("Ping over an encrypted stream: %v", err)
		}
		synctest.Wait()
		if calls := recs["node-00"].take(); len(calls) == 0 || string(calls[len(calls)-1].payload) != "coord-node-01" {
			t.Errorf("Ping over an encrypted stream: NotifyPingComplete calls %+v", calls)
		}
	})
}

// orderLog records NotifyLeave and NotifyPingComplete calls in the order
// they happen.
type orderLog struct {
	mu    sync.Mutex
	calls []string
}

func (o *orderLog) add(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, s)
}

func (o *orderLog) NotifyJoin(*Node)    {}
func (o *orderLog) NotifyUpdate(*Node)  {}
func (o *orderLog) NotifyLeave(n *Node) { o.add("leave " + n.Name) }
func (o *orderLog) AckPayload() []byte  { return nil }
func (o *orderLog) NotifyPingComplete(n *Node, _ time.Duration, _ []byte) {
	o.add("ping " + n.Name)
}

// TestRuntimePingDelegateNothingAfterLeave: once a neighbour's NotifyLeave
// has been called, no NotifyPingComplete about it follows, although its
// link lingers after Leave while the announcement spreads (serf removes a
// departed node's coordinate on the leave and a later ping re-caches it).
func TestRuntimePingDelegateNothingAfterLeave(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		log := &orderLog{}
		conf := mockConfig("node-00", nil)
		conf.Transport = c.net.NewTransport("node-00")
		conf.Events, conf.Ping = log, log
		a, err := Create(conf)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Shutdown()
		b := c.add("node-01", nil)
		if _, err := b.ml.Join([]string{a.LocalNode().Address()}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * a.config.keepaliveInterval())
		if err := b.ml.Leave(time.Second); err != nil {
			t.Fatalf("Leave: %v", err)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		log.mu.Lock()
		calls := slices.Clone(log.calls)
		log.mu.Unlock()
		left := slices.Index(calls, "leave node-01")
		if left < 0 {
			t.Fatalf("no NotifyLeave: %v", calls)
		}
		if after := calls[left+1:]; len(after) > 0 {
			t.Errorf("callbacks after node-01's NotifyLeave: %v", after)
		}
	})
}

// joinAsOldPeer makes a transport "old" on c's network that dials node,
// completes the handshake offering wire versions 1..version, checks that
// node accepts version, and sends JOIN. It returns the transport, the peer
// it plays and its link to node; both are closed when the test ends.
func joinAsOldPeer(t *testing.T, c *testCluster, node *Memberlist, version uint8, lim wireLimits) (*MockTransport, Peer, net.Conn) {
	t.Helper()
	old := c.net.NewTransport("old")
	t.Cleanup(func() { _ = old.Shutdown() })
	oldIP, oldPort, _ := old.FinalAdvertiseAddr("", 0)
	self := Peer{Name: "old", Addr: net.JoinHostPort(oldIP.String(), strconv.Itoa(oldPort))}
	link, err := old.DialAddressTimeout(Address{Addr: node.LocalNode().Address()}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = link.Close() })
	if err := writeMessageFrame(link, helloMsg{VersionMin: 1, VersionMax: version, Name: self.Name, Addr: self.Addr}, lim); err != nil {
		t.Fatal(err)
	}
	if msg, err := readMessageFrame(link, lim); err != nil || msg != (helloAcceptMsg{Version: version, Name: node.LocalNode().Name, Addr: node.LocalNode().Address()}) {
		t.Fatalf("handshake answer %+v, %v; want version %d", msg, err, version)
	}
	if err := writeMessageFrame(link, joinMsg{}, lim); err != nil {
		t.Fatal(err)
	}
	return old, self, link
}

// serveOldPeerLink plays a peer that speaks wire versions up to version
// on transport old: it accepts the node's link back to it, answers the
// handshake as self, and hands every frame read to onFrame with the
// frame's version byte, until the stream ends.
func serveOldPeerLink(old *MockTransport, self Peer, version uint8, lim wireLimits, onFrame func(frameVersion byte, msg Message)) {
	back := <-old.StreamCh()
	defer back.Close()
	r := bufio.NewReader(back)
	if _, err := readMessageFrame(r, lim); err != nil { // Hello
		return
	}
	if err := writeMessageFrame(back, helloAcceptMsg{Version: version, Name: self.Name, Addr: self.Addr}, lim); err != nil {
		return
	}
	for {
		hdr, err := r.Peek(1)
		if err != nil {
			return
		}
		msg, err := readMessageFrame(r, lim)
		if err != nil {
			return
		}
		onFrame(hdr[0], msg)
	}
}
