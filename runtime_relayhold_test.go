// Tests of the relays' holds: a relay that cannot forward slows the
// origin's Broadcast instead of deferring payloads to IHAVE.

package hyparlist

import (
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimeRelayHoldsBackOrigin: chain src — relay — dst (src and dst
// cut off from each other), the relay's link to dst stalled for less than
// a hold's limit. src's burst waits in Broadcast (the relay stops reading
// src's stream while its backlog is full, src's queue fills), no link
// fails, and dst delivers every broadcast exactly once. Before the relays
// held back, the relay read on and deferred what its queue to dst
// refused, and src's Broadcast never waited. (Some holds still expire
// here and their payloads are deferred: dst holds its reader of the
// relay's stream too while its own backlog is full, see relayHoldMax.)
func TestRuntimeRelayHoldsBackOrigin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const stall = time.Second
		sink := newInmemSink(time.Hour, time.Hour)
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		relay := c.addWithSink("node-00", stallConfig, sink) // the only node counted
		dst := c.add("node-01", stallConfig)
		src := c.add("node-02", stallConfig)
		if hold := relay.ml.relayHoldMax(); hold <= stall {
			t.Fatalf("relayHoldMax %v, want above the stall (%v)", hold, stall)
		}
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
		errc, sent := blockedBurst(t, src.ml, payloads)
		if n := int(sent.Load()); n >= len(payloads) {
			t.Fatalf("%d broadcasts returned before the wait", n)
		}
		if n := counterSum(sink, "hyparlist.relay.held"); n == 0 {
			t.Errorf("the relay held nothing back")
		}
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
		if bytes, frames := relay.ml.backlog.level(); bytes != 0 || frames != 0 {
			t.Errorf("relay's backlog %d bytes, %d frames once drained, want 0", bytes, frames)
		}
	})
}
