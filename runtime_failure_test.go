package hyparlist

import (
	"fmt"
	"github.com/armon/go-metrics"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimeKeepaliveLossRepairs makes one neighbour's traffic stop
// arriving (its bytes are delayed by an hour, so the stream stays open and
// only keepalives go missing) and checks that the node fails the silent
// link, HyParView repairs its active view, and the silent node, which is
// alive, stays a member.
func TestRuntimeKeepaliveLossRepairs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 10
		c := newMockCluster(t, n, nil)
		defer c.shutdown()
		c.joinAll()
		eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, n) })

		a := c.nodes[0]
		before := memberNames(a.ml.Neighbors())
		silent := before[0]
		if err := c.net.SetDelay(silent, a.rec.name, time.Hour); err != nil {
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
		// Every other node may have a full active view, so the repair may
		// have to wait for the silent node, which has a free slot too: once
		// its traffic flows again, the view refills.
		if err := c.net.SetDelay(silent, a.rec.name, 0); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Minute, "the active view to be repaired", func() bool {
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
		c := newMockCluster(t, n, nil)
		defer c.shutdown()
		c.joinAll()
		eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, n) })

		c.net.Crash("node-05")
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
// links stay up, and once the delegate resumes it gets every broadcast
// exactly once.
func TestRuntimeSlowDelegate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n, count = 8, 20
		c := newMockCluster(t, n, nil)
		defer c.shutdown()
		c.joinAll()
		eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, n) })

		slow := c.nodes[4]
		gate := make(chan struct{})
		slow.rec.setHooks(nil, func([]byte) { <-gate })
		downsBefore := map[string]int{}
		for _, nd := range c.nodes {
			nd.rec.mu.Lock()
			downsBefore[nd.rec.name] = len(nd.rec.downs)
			nd.rec.mu.Unlock()
		}
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
		for _, nd := range c.nodes {
			nd.rec.mu.Lock()
			if got := len(nd.rec.downs); got != downsBefore[nd.rec.name] {
				t.Errorf("%s lost %d neighbours while %s was slow", nd.rec.name, got-downsBefore[nd.rec.name], slow.rec.name)
			}
			nd.rec.mu.Unlock()
		}
		if got := slow.ml.NumMembers(); got != n {
			t.Errorf("slow node sees %d members, want %d", got, n)
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

// TestRuntimeFullSendQueueDisconnects stalls a link (its bytes stop
// arriving, so the stream's buffer and then the link's queue fill up) and
// checks that the node disconnects that neighbour instead of waiting. Two
// nodes, so that the link is certainly an eager Plumtree link: nothing can
// reach the stalled node another way and make it prune.
func TestRuntimeFullSendQueueDisconnects(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := metrics.NewInmemSink(time.Hour, time.Hour)
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		small := func(conf *Config) { conf.PeerSendQueueDepth = 8 }
		a := c.addWithSink("node-a", small, sink)
		b := c.add("node-b", small)
		c.joinAll()
		eventually(t, time.Minute, "the two nodes to meet", func() bool { return allSee(c.nodes, 2) })

		if err := c.net.SetDelay("node-a", "node-b", time.Hour); err != nil {
			t.Fatal(err)
		}
		// 24 × 16 KiB: more than the stream's 64 KiB buffer plus 8 queued
		// frames, sent well within the link silence limit.
		payload := make([]byte, 16<<10)
		start := time.Now()
		for i := range 24 {
			payload[0] = byte(i)
			if err := a.ml.Broadcast(payload); err != nil {
				t.Fatal(err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		eventually(t, time.Minute, "the stalled neighbour to be dropped", func() bool {
			return len(a.ml.Neighbors()) == 0
		})
		if took := time.Since(start); took >= a.ml.config.linkSilenceLimit() {
			t.Errorf("dropped after %v, not before the silence limit", took)
		}
		found := false
		for _, d := range sink.Data() {
			d.RLock()
			for k := range d.Counters {
				found = found || strings.HasPrefix(k, "hyparlist.link.failed;reason=queue_full")
			}
			d.RUnlock()
		}
		if !found {
			t.Error("no hyparlist.link.failed with reason queue_full")
		}
		if got := len(b.rec.messages()); got != 0 {
			t.Errorf("the stalled node received %d broadcasts", got)
		}
	})
}
