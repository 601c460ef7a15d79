package hyparlist

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// This file runs whole nodes over real TCP and UDP sockets on 127.0.0.1.
// Waits poll with a deadline; nothing sleeps to let things happen.

// e2eWait bounds each wait of the end-to-end tests.
const e2eWait = 15 * time.Second

// pollUntil polls cond every 5ms until it holds, failing after e2eWait.
func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(e2eWait)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", e2eWait, what)
		}
		<-tick.C
	}
}

// newTCPNode starts a node on 127.0.0.1 with a free port.
func newTCPNode(t *testing.T, name string) *testNode {
	t.Helper()
	rec := &recorder{name: name}
	conf := mockConfig(name, func(c *Config) {
		c.BindAddr = "127.0.0.1"
		c.BindPort = 0
		// Generous for a loaded machine running -race: a late keepalive
		// must not fail a link during the test.
		c.KeepaliveTimeout = 3 * time.Second
		c.TCPTimeout = 3 * time.Second
		c.ProbeTimeout = time.Second
	})
	conf.Delegate = rec
	conf.Events = rec
	ml, err := Create(conf)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	if conf.BindPort == 0 || ml.LocalNode().Port != uint16(conf.BindPort) {
		t.Fatalf("%s: BindPort %d not written back (node port %d)", name, conf.BindPort, ml.LocalNode().Port)
	}
	rec.self.Store(ml)
	return &testNode{ml: ml, rec: rec}
}

// TestEndToEndTCP runs 16 nodes over real sockets: join, full member
// lists, broadcasts through both APIs delivered exactly once, direct
// messages, metadata update, leave, and a shutdown that leaves no
// goroutine behind.
func TestEndToEndTCP(t *testing.T) {
	if testing.Short() {
		t.Skip("real sockets")
	}
	const n = 16
	baseline := runtime.NumGoroutine()
	nodes := make([]*testNode, n)
	for i := range nodes {
		nodes[i] = newTCPNode(t, fmt.Sprintf("tcp-%02d", i))
		nodes[i].rec.mu.Lock()
		nodes[i].rec.requeue = true
		nodes[i].rec.mu.Unlock()
	}
	defer func() {
		for _, nd := range nodes {
			_ = nd.ml.Shutdown()
		}
	}()

	// Join concurrently, half through the first node and half through the
	// second, with the name/address form.
	seeds := []string{nodes[0].ml.LocalNode().Address(), "tcp-01/" + nodes[1].ml.LocalNode().Address()}
	if got, err := nodes[1].ml.Join(seeds[:1]); got != 1 || err != nil {
		t.Fatalf("join tcp-01: %d, %v", got, err)
	}
	var wg sync.WaitGroup
	for i, nd := range nodes[2:] {
		wg.Go(func() {
			if got, err := nd.ml.Join(seeds[i%2 : i%2+1]); got != 1 || err != nil {
				t.Errorf("join %s: %d, %v", nd.rec.name, got, err)
			}
		})
	}
	wg.Wait()
	pollUntil(t, "every node to list all 16", func() bool { return allSee(nodes, n) })

	// A wrong name is caught by the handshake.
	if _, err := nodes[0].ml.Join([]string{"nobody/" + nodes[1].ml.LocalNode().Address()}); !errors.Is(err, errPeerMismatch) {
		t.Errorf("Join with a wrong name = %v, want errPeerMismatch", err)
	}

	// Broadcasts through both APIs.
	var payloads [][]byte
	for i, nd := range nodes {
		native, queued := fmt.Appendf(nil, "e2e native %d", i), fmt.Appendf(nil, "e2e queued %d", i)
		payloads = append(payloads, native, queued)
		if err := nd.ml.Broadcast(native); err != nil {
			t.Fatal(err)
		}
		nd.rec.queue(queued)
	}
	pollUntil(t, "every broadcast at every node", func() bool {
		for _, nd := range nodes {
			if len(nd.rec.messages()) < len(payloads)-2 {
				return false
			}
		}
		return true
	})

	// Direct messages.
	to := nodes[2].ml.LocalNode()
	if err := nodes[1].ml.SendReliable(to, []byte("e2e reliable")); err != nil {
		t.Fatal(err)
	}
	if err := nodes[1].ml.SendBestEffort(to, []byte("e2e best effort")); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "the direct messages", func() bool {
		return nodes[2].rec.count([]byte("e2e reliable")) == 1 && nodes[2].rec.count([]byte("e2e best effort")) == 1
	})
	if rtt, err := nodes[1].ml.Ping(to.Name, tcpAddr(to)); err != nil || rtt <= 0 {
		t.Errorf("Ping = %v, %v", rtt, err)
	}

	// Metadata update.
	nodes[3].rec.mu.Lock()
	nodes[3].rec.meta = []byte("e2e-meta")
	nodes[3].rec.mu.Unlock()
	if err := nodes[3].ml.UpdateNode(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "the new metadata everywhere", func() bool {
		for _, nd := range nodes {
			i := slices.IndexFunc(nd.ml.Members(), func(m *Node) bool { return m.Name == "tcp-03" })
			if i < 0 || string(nd.ml.Members()[i].Meta) != "e2e-meta" {
				return false
			}
		}
		return true
	})

	// Leave.
	if err := nodes[4].ml.Leave(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	rest := slices.Delete(slices.Clone(nodes), 4, 5)
	pollUntil(t, "the leave everywhere", func() bool {
		for _, nd := range rest {
			if nd.ml.NumMembers() != n-1 || !slices.Contains(nd.rec.leftNames(StateLeft), "tcp-04") {
				return false
			}
		}
		return true
	})

	// Exactly once, checked after everything above gave duplicates time to
	// show up.
	for i, nd := range nodes {
		for j, p := range payloads {
			want := 1
			if j/2 == i {
				want = 0
			}
			if got := nd.rec.count(p); got != want {
				t.Errorf("%s delivered %q %d times, want %d", nd.rec.name, p, got, want)
			}
		}
	}

	for _, nd := range nodes {
		if err := nd.ml.Shutdown(); err != nil {
			t.Errorf("shutdown %s: %v", nd.rec.name, err)
		}
	}
	pollUntil(t, "the nodes' goroutines to exit", func() bool { return runtime.NumGoroutine() <= baseline })
}

// tcpAddr is a node's address as a net.Addr.
func tcpAddr(n *Node) mockAddr { return mockAddr(n.Address()) }
