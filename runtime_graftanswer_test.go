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
		const n = 64
		sink := newInmemSink(time.Hour, time.Hour)
		c, dst, payloads := stalledRelayBurst(t, sink, n)
		defer c.shutdown()
		waitDeliveredOnce(t, dst.rec, payloads)
		if d := counterSum(sink, "hyparlist.link.user_deferred"); d > n {
			t.Errorf("relay deferred %v payloads to IHAVE, want at most %d (one per payload): GRAFT answers were announced again", d, n)
		}
		if keys := counterKeys(sink, "hyparlist.link.failed"); len(keys) != 0 {
			t.Errorf("links failed: %v", keys)
		}
	})
}
