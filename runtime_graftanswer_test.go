// Runtime: a GRAFT is answered in full, paced by the link's user queue,
// not with what the queue takes and the rest announced again.

package hyparlist

import (
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimeGraftAnsweredInFull: chain src — relay — dst (src and dst
// cut off from each other), stallConfig's small queues. src broadcasts
// 64 payloads while the relay's link to dst is delayed; the relay defers
// what its user queue to dst refuses to IHAVE, and dst grafts them in
// GRAFTs of many IDs, more than the relay's user queue holds. The relay
// must answer each GRAFT in full, holding the answers that do not fit
// until the queue drains: no payload is announced to dst a second time
// (hyparlist.link.user_deferred at most once per payload), dst delivers
// each exactly once, and no link of the relay fails.
//
// Before runtime_graftanswer.go the relay queued what the user queue
// took and announced the rest again (useless: dst had asked for them),
// and dst grafted them again one GraftTimeout2 later: 72 deferrals of
// the 64 payloads and 8 GRAFTs from dst in this test, a round trip per
// queueful (issue 10, session 16).
func TestRuntimeGraftAnsweredInFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const stall, n = time.Second, 64
		sink := newInmemSink(time.Hour, time.Hour)
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		relay := c.addWithSink("node-00", stallConfig, sink)
		dst := c.add("node-01", stallConfig)
		src := c.add("node-02", stallConfig)
		c.net.partition([]string{dst.rec.name}, []string{src.rec.name})
		c.joinAll()
		eventually(t, time.Minute, "the chain", func() bool {
			return allSee(c.nodes, 3) && len(relay.ml.Neighbors()) == 2
		})
		if err := c.net.setDelay(relay.rec.name, dst.rec.name, stall); err != nil {
			t.Fatal(err)
		}
		payloads := stallPayloads("relayed", n, stallPayloadBytes)
		errc := burst(src.ml, payloads)
		if err := c.net.setDelay(relay.rec.name, dst.rec.name, 0); err != nil {
			t.Fatal(err)
		}
		if err := result(t, errc); err != nil {
			t.Fatal(err)
		}
		waitDeliveredOnce(t, dst.rec, payloads)
		if d := counterSum(sink, "hyparlist.link.user_deferred"); d > n {
			t.Errorf("relay deferred %v payloads to IHAVE, want at most %d (one per payload): GRAFT answers were announced again", d, n)
		}
		if keys := counterKeys(sink, "hyparlist.link.failed"); len(keys) != 0 {
			t.Errorf("links failed: %v", keys)
		}
	})
}
