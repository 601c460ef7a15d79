package hyparlist

import (
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimeKeepaliveLossRepairs makes one neighbour's traffic stop
// arriving (its bytes are delayed by an hour, so the stream stays open and
// only keepalives go missing) and checks that the node fails the silent
// link, HyParView repairs its active view, and the silent node, which is
// alive, stays a member.
//
// The other nodes' active views are larger than the cluster, so that they
// always have room for the repairing node's low-priority NEIGHBOR request
// (HyParView §4.3); with full views everywhere a repair may rightly wait.
func TestRuntimeKeepaliveLossRepairs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 10
		c := joinedCluster(t, n, func(conf *Config) {
			if conf.Name != "node-00" {
				conf.ActiveViewSize = n
			}
		})

		a := c.nodes[0]
		before := memberNames(a.ml.Neighbors())
		silent := before[0]
		if err := c.net.setDelay(silent, a.rec.name, time.Hour); err != nil {
			t.Fatal(err)
		}
		limit := a.ml.config.linkSilenceLimit()
		start := time.Now()
		eventually(t, time.Minute, "the silent neighbour to be dropped", func() bool {
			return !slices.Contains(memberNames(a.ml.Neighbors()), silent)
		})
		if took := time.Since(start); took > limit+a.ml.config.keepaliveInterval()+time.Second {
			t.Errorf("silent link failed after %v, limit %v", took, limit)
		}
		synctest.Wait() // let the event dispatcher run
		a.rec.mu.Lock()
		downs := slices.Clone(a.rec.downs)
		a.rec.mu.Unlock()
		if !slices.Contains(downs, silent) {
			t.Errorf("NotifyNeighborDown not called for %s (downs %v)", silent, downs)
		}
		eventually(t, time.Minute, "the active view to be repaired", func() bool {
			return len(a.ml.Neighbors()) >= len(before)
		})
		// The silent node refutes the suspicion through its other links.
		time.Sleep(30 * time.Second)
		for _, nd := range c.nodes {
			i := slices.IndexFunc(nd.ml.Members(), func(m *Node) bool { return m.Name == silent })
			if i < 0 || nd.ml.Members()[i].State != StateAlive {
				t.Errorf("%s does not list %s as alive", nd.rec.name, silent)
			}
		}
	})
}

// TestRuntimeCrashDetected crashes a node and checks that every other node
// eventually reports it dead.
func TestRuntimeCrashDetected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 8
		c := joinedCluster(t, n, nil)

		c.net.crash("node-05")
		rest := slices.Delete(slices.Clone(c.nodes), 5, 6)
		eventually(t, 2*time.Minute, "the crash to be detected everywhere", func() bool {
			for _, nd := range rest {
				if nd.ml.NumMembers() != n-1 || !slices.Contains(nd.rec.leftNames(StateDead), "node-05") {
					return false
				}
			}
			return true
		})
	})
}

// TestRuntimeSlowDelegate blocks one node's NotifyMsg and checks that only
// its own deliveries wait: broadcasts keep reaching everyone else, its
// links do not fail, and once the delegate resumes it gets every broadcast
// exactly once.
func TestRuntimeSlowDelegate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n, count = 8, 20
		sink := newInmemSink(time.Hour, time.Hour)
		c := newMockClusterWithSink(t, n, nil, sink)
		defer c.shutdown()
		c.joinAll()
		eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, n) })

		slow := c.nodes[4]
		gate := make(chan struct{})
		slow.rec.setHooks(nil, func([]byte) { <-gate })
		var payloads [][]byte
		for i := range count {
			p := fmt.Appendf(nil, "slow-test-%02d", i)
			payloads = append(payloads, p)
			if err := c.nodes[0].ml.Broadcast(p); err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		eventually(t, time.Minute, "every broadcast at every fast node", func() bool {
			for _, nd := range c.nodes[1:] {
				if nd != slow && len(nd.rec.messages()) != count {
					return false
				}
			}
			return true
		})
		// Well past the link silence limit: nobody may have dropped a link
		// because of the blocked delegate.
		time.Sleep(3 * slow.ml.config.linkSilenceLimit())
		if got := len(slow.rec.messages()); got != 0 {
			t.Fatalf("blocked delegate recorded %d messages", got)
		}
		if failed := counterKeys(sink, "hyparlist.link.failed"); len(failed) > 0 {
			t.Errorf("links failed while %s was slow: %v", slow.rec.name, failed)
		}
		for _, nd := range c.nodes {
			if got := nd.ml.NumMembers(); got != n {
				t.Errorf("%s sees %d members, want %d", nd.rec.name, got, n)
			}
		}
		close(gate)
		eventually(t, time.Minute, "the slow node to catch up", func() bool { return len(slow.rec.messages()) == count })
		got := slow.rec.messages()
		slices.SortFunc(got, func(a, b []byte) int { return slices.Compare(a, b) })
		if !slices.EqualFunc(got, payloads, func(a, b []byte) bool { return string(a) == string(b) }) {
			t.Errorf("slow node delivered %q, want %q", got, payloads)
		}
	})
}

// muteSetup creates node-a, configured by tweak and counting its metrics
// in the returned sink, and a transport called mute that accepts streams
// and never reads them: a link from node-a to the returned peer never
// gets past its handshake, so its writer takes no frame. Both stop when
// the test ends.
func muteSetup(t *testing.T, tweak func(*Config)) (a *testNode, peer Peer, sink *inmemSink) {
	t.Helper()
	sink = newInmemSink(time.Hour, time.Hour)
	c := newMockCluster(t, 0, nil)
	t.Cleanup(c.shutdown)
	a = c.addWithSink("node-a", tweak, sink)
	mute := c.net.NewTransport("mute")
	t.Cleanup(func() { _ = mute.Shutdown() })
	return a, Peer{Name: "mute", Addr: mute.addr.addr}, sink
}

// TestRuntimeFullSendQueueDisconnects fills the send queue of a link whose
// peer never answers (its handshake hangs) and checks that the loop does
// not wait: the link is dropped and reported as failed, with metric
// reason queue_full.
func TestRuntimeFullSendQueueDisconnects(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, peer, sink := muteSetup(t, func(conf *Config) { conf.PeerSendQueueDepth = 8 })

		type result struct {
			queued  int
			hasLink bool
		}
		reply := make(chan result, 1)
		if err := a.ml.submit(loopFunc(func(l *runLoop) {
			n := 0
			for range 20 {
				l.send(peer, keepaliveMsg{})
				if k := l.links[peer.Name]; k != nil {
					n, _ = k.depth()
				}
			}
			_, has := l.links[peer.Name]
			reply <- result{queued: n, hasLink: has}
		})); err != nil {
			t.Fatal(err)
		}
		// The writers never take a frame (their handshakes hang): sends 9
		// and 18 find a full queue and fail the link; the sends after each
		// failure open a fresh link, which holds the last 2 frames.
		r := <-reply
		if !r.hasLink || r.queued != 2 {
			t.Errorf("link present %v with %d frames queued, want a link with 2", r.hasLink, r.queued)
		}
		if failures := counterSum(sink, "hyparlist.link.failed;reason=queue_full"); failures != 2 {
			t.Errorf("%v queue_full failures, want 2", failures)
		}
	})
}

// TestRuntimeSendQueueByteBound: a link's queue is bounded by bytes as
// well as frames: anti-entropy states of 256 KiB to a peer that reads
// nothing fail the link once PeerSendQueueBytes (1 MiB) is reached, long
// before PeerSendQueueDepth frames.
func TestRuntimeSendQueueByteBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, peer, sink := muteSetup(t, func(conf *Config) { conf.PeerSendQueueBytes = 1 << 20 })
		state := make([]byte, 256<<10)
		failedAt := make(chan int, 1)
		if err := a.ml.submit(loopFunc(func(l *runLoop) {
			first := l.link(peer)
			for i := range 8 {
				l.send(peer, memberUserStateMsg{State: state})
				if l.links[peer.Name] != first {
					failedAt <- i
					return
				}
			}
			failedAt <- -1
		})); err != nil {
			t.Fatal(err)
		}
		// Four states fill the 1 MiB bound (each costs a little more
		// than 256 KiB): the fourth is refused.
		if i := <-failedAt; i != 3 {
			t.Errorf("link failed at send %d, want 3", i)
		}
		if got := counterSum(sink, "hyparlist.link.failed;reason=queue_full"); got != 1 {
			t.Errorf("%v queue_full failures, want 1", got)
		}
	})
}
