package hyparlist

import (
	"fmt"
	"runtime"
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimeGoroutinesAfterJoinStorm counts the goroutines per node of a
// cluster that all joined one seed at once (issue 10): the moment every
// node lists every other, and 10 s later, once the joins' transient links
// are closed. On the mock network a node runs 2 goroutines of its own (a
// NetTransport adds its accept and packet loops) and one reader per
// inbound stream. Right after the joins most streams of the storm are
// still open (11.6–13.5 per node over eight runs: the count depends on
// the scheduling of the bubble's goroutines), so the bound there is a
// guard against a goroutine per link or per message coming back (24–27
// per node before issue 10's idle-cost work); 10 s later a node holds its
// own 2 and its neighbours' streams. No test in this package runs in
// parallel, so the process's goroutines are the cluster's and the test's.
func TestRuntimeGoroutinesAfterJoinStorm(t *testing.T) {
	const n = 32
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		base := runtime.NumGoroutine()
		for i := range n {
			c.add(fmt.Sprintf("node-%02d", i), nil)
		}
		seed := c.nodes[0].ml.LocalNode().Address()
		for _, nd := range c.nodes[1:] {
			go func() { _, _ = nd.ml.Join([]string{seed}) }()
		}
		eventually(t, time.Minute, "every node to list every other", func() bool {
			for _, nd := range c.nodes {
				if nd.ml.NumMembers() != n {
					return false
				}
			}
			return true
		})
		synctest.Wait()
		after := float64(runtime.NumGoroutine()-base) / n
		time.Sleep(10 * time.Second)
		synctest.Wait()
		quiet := float64(runtime.NumGoroutine()-base) / n
		t.Logf("goroutines per node: %.1f when every node lists every other, %.1f 10 s later", after, quiet)
		if after > 16 {
			t.Errorf("%.1f goroutines per node right after the joins, want at most 16", after)
		}
		if quiet > 9 {
			t.Errorf("%.1f goroutines per node 10 s after the joins, want at most 9 (2 + a reader per neighbour's link)", quiet)
		}
	})
}
