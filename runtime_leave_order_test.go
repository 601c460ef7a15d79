package hyparlist

import (
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimeLeaveAfterItsBroadcasts: a broadcast made before Leave reaches
// every other node's NotifyMsg before the leaver's NotifyLeave does, as on
// memberlist, where both come from one goroutine. Serf depends on it: its
// leave intent is a broadcast sent just before Leave, and a NotifyLeave
// that comes first makes the node "failed" instead of "left"
// (TestSerf_eventsLeave). Both the sender's link queues and the
// receiver's two callback goroutines could reorder them.
func TestRuntimeLeaveAfterItsBroadcasts(t *testing.T) {
	for round := range 5 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := joinedCluster(t, 3, nil)
				leaver := c.nodes[2]
				intent := fmt.Sprintf("intent-%d", round)
				if err := leaver.ml.Broadcast([]byte(intent)); err != nil {
					t.Fatalf("Broadcast: %v", err)
				}
				if err := leaver.ml.Leave(5 * time.Second); err != nil {
					t.Fatalf("Leave: %v", err)
				}
				rest := c.nodes[:2]
				eventually(t, time.Minute, "the leave everywhere", func() bool {
					for _, nd := range rest {
						if !slices.Contains(nd.rec.leftNames(StateLeft), "node-02") {
							return false
						}
					}
					return true
				})
				for _, nd := range rest {
					nd.rec.mu.Lock()
					order := slices.Clone(nd.rec.order)
					nd.rec.mu.Unlock()
					m, l := slices.Index(order, "msg:"+intent), slices.Index(order, "leave:node-02")
					if m < 0 || l < m {
						t.Errorf("%s: callbacks %v: want msg:%s before leave:node-02", nd.rec.name, order, intent)
					}
				}
			})
		})
	}
}
