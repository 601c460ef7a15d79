// HyParView core tests: RepairInterval, the top-up of a non-full active
// view on its own timer, apart from the shuffle.

package hyparlist

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// With RepairInterval set, the shuffle timer only shuffles, the repair
// timer tops the active view up, and a peer that rejected a low-priority
// request is backed off for RepairInterval, not ShuffleInterval.
func TestHyParViewRepairIntervalSeparatesTopUp(t *testing.T) {
	cfg := DefaultHyParViewConfig()
	cfg.ShuffleInterval = 30 * time.Second
	cfg.RepairInterval = 10 * time.Second
	// Two of five active slots are free.
	h := hvCore(t, cfg, "self", hvNames("a", "b", "c"), hvNames("p", "q"))

	armed := map[string]bool{}
	for _, s := range hvStep(t, h, 0, Start{}) {
		if name, ok := strings.CutPrefix(s, "timer "); ok {
			armed[name] = true
		}
	}
	if !armed["shuffle"] || !armed["repair"] {
		t.Fatalf("Start armed %v, want the shuffle and the repair timer", armed)
	}

	got := hvStep(t, h, time.Second, TimerFired{Timer: shuffleTimer{}})
	if slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "Neighbor") }) {
		t.Errorf("shuffle timer topped the active view up: %q", got)
	}
	if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "Shuffle origin=self") }) {
		t.Errorf("shuffle timer did not shuffle: %q", got)
	}

	got = hvStep(t, h, 2*time.Second, TimerFired{Timer: repairTimer{}})
	if slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "Shuffle") }) {
		t.Errorf("repair timer shuffled: %q", got)
	}
	if !slices.ContainsFunc(got, func(s string) bool { return strings.HasSuffix(s, "Neighbor low") }) {
		t.Fatalf("repair timer did not ask a passive peer: %q", got)
	}
	if !slices.Contains(got, "timer repair") {
		t.Errorf("repair timer not re-armed: %q", got)
	}

	// A rejection backs the peer off for RepairInterval.
	hvStep(t, h, 3*time.Second, hvRecv("p", neighborReplyMsg{Accepted: false}))
	e := h.passive.entries[h.passive.index("p")]
	if want := 3*time.Second + cfg.RepairInterval; e.retryAt != want {
		t.Errorf("rejecting peer retryAt = %v, want %v (RepairInterval after the rejection)", e.retryAt, want)
	}
}

// Without RepairInterval the shuffle timer still tops the view up and no
// repair timer is armed: the paper-default core is unchanged.
func TestHyParViewRepairIntervalZeroUsesShuffleTimer(t *testing.T) {
	cfg := DefaultHyParViewConfig()
	h := hvCore(t, cfg, "self", hvNames("a", "b", "c"), hvNames("p", "q"))
	for _, s := range hvStep(t, h, 0, Start{}) {
		if s == "timer repair" {
			t.Fatalf("Start armed a repair timer with RepairInterval 0")
		}
	}
	got := hvStep(t, h, time.Second, TimerFired{Timer: shuffleTimer{}})
	if !slices.ContainsFunc(got, func(s string) bool { return strings.HasSuffix(s, "Neighbor low") }) {
		t.Errorf("shuffle timer did not top the active view up: %q", got)
	}
}

func TestHyParViewRepairIntervalValidate(t *testing.T) {
	cfg := DefaultHyParViewConfig()
	cfg.RepairInterval = -time.Second
	if err := cfg.Validate(); err == nil {
		t.Fatal("negative RepairInterval accepted")
	}
}
