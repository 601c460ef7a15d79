// HyParView core tests: a low-priority acceptance that the requester
// declines starts no repair while the periodic top-up is held back; a
// DISCONNECT from a neighbour that was heard from, or one while not held
// back, still does.

package hyparlist

import (
	"slices"
	"testing"
	"time"
)

// hvPeerNames returns the names of peers.
func hvPeerNames(peers []Peer) []string {
	names := make([]string, len(peers))
	for i, p := range peers {
		names[i] = p.Name
	}
	return names
}

// hvDeclineCore returns a started core with one free active slot (four
// neighbours of five) and ten passive peers, its periodic top-up held
// back by two rejected rounds.
func hvDeclineCore(t *testing.T) (*HyParView, HyParViewConfig) {
	t.Helper()
	h, cfg := hvBackoffCore(t)
	for k := 1; k <= 3; k++ {
		hvRepairTick(t, h, cfg, k, false)
	}
	if h.repairBackoff.periods < 2 {
		t.Fatalf("back-off %+v after rejected rounds, want periods >= 2", h.repairBackoff)
	}
	return h, cfg
}

// A node accepts a low-priority NEIGHBOR into its free slot, and the
// requester, full meanwhile, declines with DISCONNECT{Alive: true} before
// sending anything else: the requester goes to the passive view, no
// NEIGHBOR request goes out (before, a reactive repair chained through
// the passive view), and the periodic top-up keeps its back-off.
func TestHyParViewDeclinedAcceptanceStartsNoRepair(t *testing.T) {
	h, cfg := hvDeclineCore(t)
	backoff := h.repairBackoff
	at := 4*cfg.RepairInterval + time.Second
	hvStep(t, h, at, hvRecv("r", neighborMsg{HighPriority: false}))
	if !h.isActive("r") {
		t.Fatalf("low-priority request into a free slot refused; active %v", hvPeerNames(h.ActiveView()))
	}
	out := hvStep(t, h, at+time.Millisecond, hvRecv("r", disconnectMsg{Alive: true}))
	if h.isActive("r") || !h.isPassive("r") {
		t.Fatalf("after the decline: active %v, passive %v; want r passive only", hvPeerNames(h.ActiveView()), hvPeerNames(h.PassiveView()))
	}
	if to := hvRequested(out); len(to) > 0 {
		t.Fatalf("a declined acceptance sent NEIGHBOR requests to %v, want none", to)
	}
	if h.repairBackoff != backoff {
		t.Fatalf("back-off %+v after a decline, want %+v kept", h.repairBackoff, backoff)
	}
	if len(h.acceptedUnheard) != 0 {
		t.Fatalf("acceptedUnheard %v after the decline, want empty", h.acceptedUnheard)
	}
}

// The same DISCONNECT from a neighbour that sent a Keepalive after it was
// accepted is an ordinary one: the slot is repaired at once.
func TestHyParViewDisconnectAfterAcceptanceHeardRepairs(t *testing.T) {
	h, cfg := hvDeclineCore(t)
	at := 4*cfg.RepairInterval + time.Second
	hvStep(t, h, at, hvRecv("r", neighborMsg{HighPriority: false}))
	hvStep(t, h, at+time.Millisecond, hvRecv("r", keepaliveMsg{}))
	out := hvStep(t, h, at+2*time.Millisecond, hvRecv("r", disconnectMsg{Alive: true}))
	if to := hvRequested(out); len(to) == 0 || slices.Contains(to, "r") {
		t.Fatalf("a neighbour's DISCONNECT sent NEIGHBOR requests to %v, want a repair not asking r", to)
	}
	if h.repairBackoff != (repairBackoff{}) {
		t.Fatalf("back-off %+v after a neighbour was lost, want none", h.repairBackoff)
	}
}

// A node whose periodic top-up is not held back (its view just changed)
// takes the same decline as before: a reactive repair.
func TestHyParViewDeclineNotHeldBackRepairs(t *testing.T) {
	h, cfg := hvBackoffCore(t)
	at := cfg.RepairInterval / 2
	hvStep(t, h, at, hvRecv("r", neighborMsg{HighPriority: false}))
	out := hvStep(t, h, at+time.Millisecond, hvRecv("r", disconnectMsg{Alive: true}))
	if len(hvRequested(out)) == 0 {
		t.Fatal("a decline while not held back started no repair")
	}
}

// Without a repair timer (the simulator's configuration) a core whose
// periodic top-up on the shuffle timer was refused is not held back: the
// decline is repaired as before.
func TestHyParViewDeclineWithoutRepairTimerRepairs(t *testing.T) {
	cfg := DefaultHyParViewConfig()
	cfg.RepairFanout = 1
	cfg.MaxLostPeers = 0
	passive := []string{"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9"}
	h := hvCore(t, cfg, "self", hvNames("a", "b", "c", "d"), passive)
	hvStep(t, h, 0, Start{})
	to := hvRequested(hvStep(t, h, cfg.ShuffleInterval, TimerFired{Timer: shuffleTimer{}}))
	if len(to) == 0 {
		t.Fatal("the shuffle timer's top-up asked nobody")
	}
	for _, p := range to {
		hvStep(t, h, cfg.ShuffleInterval+time.Second, hvRecv(p, neighborReplyMsg{Accepted: false}))
	}
	at := cfg.ShuffleInterval + 2*time.Second
	hvStep(t, h, at, hvRecv("r", neighborMsg{HighPriority: false}))
	out := hvStep(t, h, at+time.Millisecond, hvRecv("r", disconnectMsg{Alive: true}))
	if len(hvRequested(out)) == 0 {
		t.Fatal("a decline without a repair timer started no repair")
	}
}

// A peer accepted on a high-priority request is not marked: its
// DISCONNECT is an eviction, repaired at once.
func TestHyParViewHighPriorityAcceptanceNotMarked(t *testing.T) {
	h, cfg := hvDeclineCore(t)
	at := 4*cfg.RepairInterval + time.Second
	hvStep(t, h, at, hvRecv("r", neighborMsg{HighPriority: true}))
	if len(h.acceptedUnheard) != 0 {
		t.Fatalf("acceptedUnheard %v after a high-priority request, want empty", h.acceptedUnheard)
	}
	out := hvStep(t, h, at+time.Millisecond, hvRecv("r", disconnectMsg{Alive: true}))
	if len(hvRequested(out)) == 0 {
		t.Fatal("an evicting neighbour's DISCONNECT started no repair")
	}
}

// Without keepalives a neighbour accepted on a low-priority request may
// never send anything, so its DISCONNECT, however late, cannot be told
// from a decline: it is an ordinary one and the slot is repaired (review
// of session 12: with the rule on, a long-standing quiet neighbour's
// eviction started no repair).
func TestHyParViewDeclineWithoutKeepalivesRepairs(t *testing.T) {
	h, cfg := hvDeclineCore(t)
	h.cfg.KeepaliveInterval = 0
	at := 4*cfg.RepairInterval + time.Second
	hvStep(t, h, at, hvRecv("r", neighborMsg{HighPriority: false}))
	out := hvStep(t, h, at+time.Minute, hvRecv("r", disconnectMsg{Alive: true}))
	if len(hvRequested(out)) == 0 {
		t.Fatal("a DISCONNECT without keepalives started no repair")
	}
}
