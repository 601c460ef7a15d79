// HyParView core tests: the back-off of the periodic top-up while every
// request is rejected.

package hyparlist

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// hvRequested returns the peers sent a low-priority NEIGHBOR in actions.
func hvRequested(actions []string) []string {
	var to []string
	for _, s := range actions {
		if rest, ok := strings.CutPrefix(s, "send "); ok && strings.HasSuffix(rest, " Neighbor low") {
			to = append(to, strings.Fields(rest)[0])
		}
	}
	return to
}

// A node with a free slot whose periodic requests are all rejected asks
// again after 2, 4, then at most 8 repair periods instead of every period;
// losing a neighbour brings the full pace back.
func TestHyParViewRepairBacksOffWhileRejected(t *testing.T) {
	cfg := DefaultHyParViewConfig()
	cfg.ShuffleInterval = time.Hour
	cfg.RepairInterval = 5 * time.Second
	cfg.RepairFanout = 1
	cfg.MaxLostPeers = 0
	// One free slot; many passive peers, so that back-off of single
	// peers (RepairInterval each) never leaves the node without a
	// candidate.
	passive := []string{"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9"}
	h := hvCore(t, cfg, "self", hvNames("a", "b", "c", "d"), passive)
	hvStep(t, h, 0, Start{})

	// tick fires the repair timer at period k and rejects every request
	// it sends; it reports whether the tick sent any.
	tick := func(k int) bool {
		at := time.Duration(k) * cfg.RepairInterval
		to := hvRequested(hvStep(t, h, at, TimerFired{Timer: repairTimer{}}))
		for _, p := range to {
			hvStep(t, h, at+time.Second, hvRecv(p, neighborReplyMsg{Accepted: false}))
		}
		return len(to) > 0
	}
	var rounds []int
	for k := 1; k <= 30; k++ {
		if tick(k) {
			rounds = append(rounds, k)
		}
	}
	// Rounds at 1, then 2, 4 and 8 periods apart.
	if want := []int{1, 3, 7, 15, 23}; !slices.Equal(rounds, want) {
		t.Fatalf("periodic rounds at periods %v, want %v", rounds, want)
	}

	// A lost neighbour resets the pace (and is repaired at once).
	hvStep(t, h, 30*cfg.RepairInterval+time.Second, hvRecv("a", disconnectMsg{Alive: true}))
	if b := h.repairBackoff; b != (repairBackoff{}) {
		t.Fatalf("after a neighbour was lost, back-off %+v, want none", b)
	}
}

// An isolated node is never held back, and an accepted request resets the
// pace.
func TestHyParViewRepairBackoffResets(t *testing.T) {
	cfg := DefaultHyParViewConfig()
	cfg.ShuffleInterval = time.Hour
	cfg.RepairInterval = 5 * time.Second
	cfg.RepairFanout = 1
	cfg.MaxLostPeers = 0
	passive := []string{"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9"}
	h := hvCore(t, cfg, "self", hvNames("a", "b", "c"), passive)
	hvStep(t, h, 0, Start{})

	// Two free slots: two requests per round. Reject both.
	at := cfg.RepairInterval
	to := hvRequested(hvStep(t, h, at, TimerFired{Timer: repairTimer{}}))
	if len(to) != 2 {
		t.Fatalf("first round asked %v, want two peers", to)
	}
	for _, p := range to {
		hvStep(t, h, at+time.Second, hvRecv(p, neighborReplyMsg{Accepted: false}))
	}
	if got := hvRequested(hvStep(t, h, 2*at, TimerFired{Timer: repairTimer{}})); len(got) != 0 {
		t.Fatalf("round after a rejected one asked %v, want a skipped tick", got)
	}
	to = hvRequested(hvStep(t, h, 3*at, TimerFired{Timer: repairTimer{}}))
	if len(to) != 2 {
		t.Fatalf("third tick asked %v, want two peers", to)
	}
	// One accepts, one rejects: the acceptance resets the back-off (the
	// view changed), the rejection counts for the next round only.
	hvStep(t, h, 3*at+time.Second, hvRecv(to[0], neighborReplyMsg{Accepted: true}))
	hvStep(t, h, 3*at+time.Second, hvRecv(to[1], neighborReplyMsg{Accepted: false}))
	if h.repairBackoff.doublings != 0 {
		t.Fatalf("after an acceptance, doublings = %d, want 0", h.repairBackoff.doublings)
	}

	// Isolated: every tick repairs, whatever was rejected before.
	h.repairBackoff = repairBackoff{doublings: maxRepairBackoff, skip: 7, rejected: true}
	h.active = nil
	h.unconfirmed = nil
	h.pending = nil
	got := hvStep(t, h, 4*at, TimerFired{Timer: repairTimer{}})
	if !slices.ContainsFunc(got, func(s string) bool { return strings.HasSuffix(s, "Neighbor high") }) {
		t.Fatalf("isolated node's periodic tick sent no high-priority request: %q", got)
	}
}
