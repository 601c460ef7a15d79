// HyParView core tests: the back-off of the periodic top-up on the repair
// timer while its requests are rejected.

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

// hvBackoffCore returns a core with one free active slot, a repair timer
// of 5 s, a shuffle period of 40 s (so at most 8 repair periods per
// round) and enough passive peers that the back-off of single peers never
// leaves it without a candidate.
func hvBackoffCore(t *testing.T) (*HyParView, HyParViewConfig) {
	t.Helper()
	cfg := DefaultHyParViewConfig()
	cfg.ShuffleInterval = 40 * time.Second
	cfg.RepairInterval = 5 * time.Second
	cfg.RepairFanout = 1
	cfg.MaxLostPeers = 0
	passive := []string{"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9"}
	h := hvCore(t, cfg, "self", hvNames("a", "b", "c", "d"), passive)
	hvStep(t, h, 0, Start{})
	return h, cfg
}

// hvRepairTick fires the repair timer at period k and answers every
// request it sends (accepted or not); it returns the peers asked.
func hvRepairTick(t *testing.T, h *HyParView, cfg HyParViewConfig, k int, accept bool) []string {
	t.Helper()
	at := time.Duration(k) * cfg.RepairInterval
	to := hvRequested(hvStep(t, h, at, TimerFired{Timer: repairTimer{}}))
	for _, p := range to {
		hvStep(t, h, at+time.Second, hvRecv(p, neighborReplyMsg{Accepted: accept}))
	}
	return to
}

// A node with one free slot whose periodic requests are all rejected asks
// again after 2, 4, then at most 8 repair periods (the shuffle period)
// instead of every period; losing a neighbour brings the full pace back.
func TestHyParViewRepairBacksOffWhileRejected(t *testing.T) {
	h, cfg := hvBackoffCore(t)
	var rounds []int
	for k := 1; k <= 30; k++ {
		if len(hvRepairTick(t, h, cfg, k, false)) > 0 {
			rounds = append(rounds, k)
		}
	}
	if want := []int{1, 3, 7, 15, 23}; !slices.Equal(rounds, want) {
		t.Fatalf("periodic rounds at periods %v, want %v", rounds, want)
	}

	// A lost neighbour resets the pace (and is repaired at once).
	hvStep(t, h, 30*cfg.RepairInterval+time.Second, hvRecv("a", disconnectMsg{Alive: true}))
	if b := h.repairBackoff; b != (repairBackoff{}) {
		t.Fatalf("after a neighbour was lost, back-off %+v, want none", b)
	}
}

// An accepted request resets the pace, and an isolated node is never
// held back.
func TestHyParViewRepairBackoffResets(t *testing.T) {
	h, cfg := hvBackoffCore(t)
	if len(hvRepairTick(t, h, cfg, 1, false)) == 0 {
		t.Fatal("first periodic tick asked nobody")
	}
	if to := hvRepairTick(t, h, cfg, 2, false); len(to) != 0 {
		t.Fatalf("tick after a rejected round asked %v, want a skipped tick", to)
	}
	if len(hvRepairTick(t, h, cfg, 3, true)) == 0 {
		t.Fatal("third periodic tick asked nobody")
	}
	if b := h.repairBackoff; b != (repairBackoff{}) {
		t.Fatalf("after an acceptance, back-off %+v, want none", b)
	}

	// Isolated: whatever was rejected before, every tick asks (with
	// high priority).
	h.repairBackoff = repairBackoff{periods: 8, skip: 7, rejected: true}
	h.active = nil
	h.unconfirmed, h.pending = nil, nil
	got := hvStep(t, h, 4*cfg.RepairInterval, TimerFired{Timer: repairTimer{}})
	if !slices.ContainsFunc(got, func(s string) bool { return strings.HasSuffix(s, "Neighbor high") }) {
		t.Fatalf("isolated node's periodic tick sent no high-priority request: %q", got)
	}
}

// Without a repair timer (RepairInterval 0, as in the simulator) the
// shuffle timer tops up on every tick, rejected or not.
func TestHyParViewRepairBackoffNotOnShuffleTimer(t *testing.T) {
	cfg := DefaultHyParViewConfig()
	cfg.RepairFanout = 1
	cfg.MaxLostPeers = 0
	passive := []string{"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9"}
	h := hvCore(t, cfg, "self", hvNames("a", "b", "c", "d"), passive)
	hvStep(t, h, 0, Start{})
	for k := 1; k <= 4; k++ {
		at := time.Duration(k) * cfg.ShuffleInterval
		to := hvRequested(hvStep(t, h, at, TimerFired{Timer: shuffleTimer{}}))
		if len(to) == 0 {
			t.Fatalf("shuffle tick %d topped up nobody", k)
		}
		for _, p := range to {
			hvStep(t, h, at+time.Second, hvRecv(p, neighborReplyMsg{Accepted: false}))
		}
	}
}
