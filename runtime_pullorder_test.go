package hyparlist

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimePullDeliveredInQueueOrder: broadcasts of one size queued back
// to back in a TransmitLimitedQueue, and taken in one GetBroadcasts pull
// (which returns the newest first), reach the other node's NotifyMsg in
// the order they were queued, as they usually do on memberlist (serf's
// TestSerf_eventsUser fires two user events so); and of two taken in one
// pull with different lengths, the shorter arrives first, as on memberlist.
func TestRuntimePullDeliveredInQueueOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := joinedCluster(t, 2, nil)
		from, to := c.nodes[0], c.nodes[1]
		q := &TransmitLimitedQueue{NumNodes: from.ml.NumMembers, RetransmitMult: 4}
		from.rec.update(func(r *recorder) { r.tlq = q })
		sent := [][]byte{[]byte("event-1"), []byte("event-2"), []byte("event-3"), []byte("ev-4"), []byte("longer-5")}
		for _, p := range sent {
			q.QueueBroadcast(&testBroadcast{msg: p})
		}
		eventually(t, time.Minute, "every broadcast delivered", func() bool { return len(to.rec.messages()) >= len(sent) })
		time.Sleep(time.Second)
		first := 0
		from.rec.update(func(r *recorder) {
			for _, pl := range r.pulls {
				if pl.payloads > 0 {
					first = pl.payloads
					break
				}
			}
		})
		if first != len(sent) {
			t.Fatalf("the first pull took %d broadcasts, want all %d", first, len(sent))
		}
		want := [][]byte{[]byte("ev-4"), []byte("event-1"), []byte("event-2"), []byte("event-3"), []byte("longer-5")}
		if got := to.rec.messages(); !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("delivered %q, want %q", got, want)
		}
	})
}
