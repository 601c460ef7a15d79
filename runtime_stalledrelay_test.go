// Runtime: a burst through a relay whose queue downstream is full must
// still reach the node downstream.

package hyparlist

import (
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimeStalledRelayDeliversAll: chain src — relay — dst (src and
// dst cut off from each other). src broadcasts 64 payloads of
// stallPayloadBytes, more than the queues and buffers between them hold;
// the relay's link to dst is given a delay of a second that is removed as
// soon as the burst starts, so the burst meets full queues rather than a
// stall. The relay defers what its queue to dst refuses to IHAVE; dst
// grafts. Every payload must be delivered exactly once, and no link may
// fail.
//
// Found in session 12 (the review of branch bp12, then checked on main
// 048e63d): in some runs dst still lacks payloads a minute later (3 of 40
// runs on main, 1 of 40 after session 12's merge, `go test -count=40 -run
// TestRuntimeStalledRelayDeliversAll .` with the Skip removed). A payload
// Broadcast accepted is then lost: issue 10's "nothing accepted is lost"
// does not hold. What two failing runs showed (counters per node): the
// missing payloads are a contiguous run of the burst ([33..40] and
// [48..63] of 0..63); the relay received 84 and 86 GOSSIP frames in all
// (the burst is 64, membership announcements the rest) and deferred 217
// and 307 announcements to IHAVE; dst received 10 and 11 IHAVE frames and sent
// only 10 and 12 GRAFT frames in the whole minute (a missing ID is
// grafted again until MessageCacheTTL, so dst most likely never learned
// those IDs); no link between relay and dst failed (dst's one failed link
// and its accusations are its dials to src, across the partition). The
// cause is not traced. Skipped until fixed.
func TestRuntimeStalledRelayDeliversAll(t *testing.T) {
	t.Skip("known intermittent loss, issue 10 (session 12): fails in a few of 40 runs; not yet traced")
	synctest.Test(t, func(t *testing.T) {
		const stall = time.Second
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
		// More than the queues, stream buffers and the relay's backlog
		// between src and dst hold.
		payloads := stallPayloads("relayed", 64, stallPayloadBytes)
		errc := burst(src.ml, payloads)
		if err := c.net.setDelay(relay.rec.name, dst.rec.name, 0); err != nil {
			t.Fatal(err)
		}
		if err := result(t, errc); err != nil {
			t.Fatal(err)
		}
		waitDeliveredOnce(t, dst.rec, payloads)
		if keys := counterKeys(sink, "hyparlist.link.failed"); len(keys) != 0 {
			t.Errorf("links failed: %v", keys)
		}
	})
}
