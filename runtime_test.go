package hyparlist

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimeJoinMembers joins 12 nodes through one seed and checks that
// every node lists the whole cluster.
func TestRuntimeJoinMembers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 12
		c := newMockCluster(t, n, nil)
		defer c.shutdown()
		c.joinAll()
		eventually(t, time.Minute, "every node to see every member", func() bool { return allSee(c.nodes, n) })
		for _, nd := range c.nodes {
			if got := len(nd.ml.Neighbors()); got == 0 || got > nd.ml.config.ActiveViewSize {
				t.Errorf("%s has %d neighbours", nd.ml.LocalNode().Name, got)
			}
			for _, m := range nd.ml.Members() {
				if m.State != StateAlive {
					t.Errorf("%s sees %s as %v", nd.ml.LocalNode().Name, m.Name, m.State)
				}
			}
		}
	})
}

// TestRuntimeBroadcastExactlyOnce broadcasts through both APIs (native
// Broadcast and Delegate.GetBroadcasts) on a cluster whose applications
// re-queue what they receive, Serf style, and checks that every other node
// delivers each payload exactly once and the origin not at all.
func TestRuntimeBroadcastExactlyOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 12
		c := newMockCluster(t, n, nil)
		defer c.shutdown()
		for _, nd := range c.nodes {
			nd.rec.mu.Lock()
			nd.rec.requeue = true
			nd.rec.mu.Unlock()
		}
		c.joinAll()
		eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, n) })

		var payloads [][]byte
		for i, nd := range c.nodes {
			native := fmt.Appendf(nil, "native from %d", i)
			queued := fmt.Appendf(nil, "queued from %d", i)
			payloads = append(payloads, native, queued)
			if err := nd.ml.Broadcast(native); err != nil {
				t.Fatal(err)
			}
			nd.rec.queue(queued)
		}
		delivered := func() bool {
			for _, nd := range c.nodes {
				if len(nd.rec.messages()) < len(payloads)-2 {
					return false
				}
			}
			return true
		}
		eventually(t, time.Minute, "every broadcast everywhere", delivered)
		// Let re-queued payloads and retransmission windows pass: nothing
		// more may arrive.
		time.Sleep(10 * time.Second)
		for i, nd := range c.nodes {
			for j, p := range payloads {
				want := 1
				if j/2 == i {
					want = 0 // the origin does not deliver its own broadcast
				}
				if got := nd.rec.count(p); got != want {
					t.Errorf("node %d delivered %q %d times, want %d", i, p, got, want)
				}
			}
			if got, want := len(nd.rec.messages()), len(payloads)-2; got != want {
				t.Errorf("node %d delivered %d messages, want %d", i, got, want)
			}
		}
	})
}
