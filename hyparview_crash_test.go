package hyparlist

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// These tests cover the crash-wave repair rules that are not in the paper
// (see HyParView.repair and HyParView.probeActive).

// TestHyParViewIsolatedAsksInParallel checks that a node that loses its
// last neighbour sends, at once, high-priority requests to as many passive
// peers as it has free slots and low-priority ones to RepairFanout-1 times
// as many more; with RepairFanout 1 it sends only the high-priority ones.
func TestHyParViewIsolatedAsksInParallel(t *testing.T) {
	passive := []string{"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "pa", "pb"}
	for _, fanout := range []int{1, 2, 3} {
		cfg := DefaultHyParViewConfig()
		cfg.ActiveViewSize = 3
		cfg.RepairFanout = fanout
		h := hvCore(t, cfg, "self", hvNames("a"), passive)
		got := hvStep(t, h, time.Second, LinkFailed{Peer: hvPeer("a")})
		high, low := 0, 0
		for _, a := range got {
			switch {
			case strings.HasSuffix(a, "Neighbor high"):
				high++
			case strings.HasSuffix(a, "Neighbor low"):
				low++
			}
		}
		if high != cfg.ActiveViewSize || low != cfg.ActiveViewSize*(fanout-1) {
			t.Errorf("fanout %d: %d high / %d low requests, want %d / %d (actions %q)",
				fanout, high, low, cfg.ActiveViewSize, cfg.ActiveViewSize*(fanout-1), got)
		}
		if n := h.numActive(); n != cfg.ActiveViewSize {
			t.Errorf("fanout %d: active view = %d, want %d", fanout, n, cfg.ActiveViewSize)
		}
		if n := h.numPassive(); n != len(passive)-cfg.ActiveViewSize {
			t.Errorf("fanout %d: passive view = %d, want %d", fanout, n, len(passive)-cfg.ActiveViewSize)
		}
	}
}

// TestHyParViewSurplusAcceptance checks what a node whose view filled up
// does with a further accepted request: it replaces a neighbour asked with
// high priority that has not answered, and otherwise declines the
// newcomer with DISCONNECT and keeps it as a passive peer.
func TestHyParViewSurplusAcceptance(t *testing.T) {
	cfg := DefaultHyParViewConfig()
	cfg.ActiveViewSize = 2
	cfg.RepairFanout = 3
	h := hvCore(t, cfg, "self", hvNames("a"), hvNames("p0", "p1", "p2", "p3", "p4", "p5"))
	hvStep(t, h, time.Second, LinkFailed{Peer: hvPeer("a")})
	if len(h.unconfirmed) != 2 || len(h.pending) != 4 {
		t.Fatalf("after isolation: %d unconfirmed, %d pending; want 2, 4", len(h.unconfirmed), len(h.pending))
	}
	asked := h.ActiveView()
	// One high-priority peer answers: it is confirmed.
	hvStep(t, h, 1100*time.Millisecond, hvRecv(asked[0].Name, neighborReplyMsg{Accepted: true}))
	// A low-priority request is accepted: it replaces the silent one.
	first := h.pending[0].peer.Name
	got := hvStep(t, h, 1200*time.Millisecond, hvRecv(first, neighborReplyMsg{Accepted: true}))
	if !slices.Contains(got, "send "+asked[1].Name+" Disconnect alive") || !h.isActive(first) || h.isActive(asked[1].Name) {
		t.Errorf("surplus acceptance with a silent neighbour: actions %q, active %v", got, h.ActiveView())
	}
	if !h.isPassive(asked[1].Name) {
		t.Errorf("replaced neighbour %s not kept as a passive peer", asked[1].Name)
	}
	// Every neighbour has answered: the next acceptance is declined.
	second := h.pending[0].peer.Name
	got = hvStep(t, h, 1300*time.Millisecond, hvRecv(second, neighborReplyMsg{Accepted: true}))
	if !slices.Contains(got, "send "+second+" Disconnect alive") || h.isActive(second) || !h.isPassive(second) {
		t.Errorf("surplus acceptance with a full confirmed view: actions %q, active %v", got, h.ActiveView())
	}
	if h.numActive() != 2 {
		t.Errorf("active view = %v, want 2 peers", h.ActiveView())
	}
}

// TestHyParViewProbeIsRateLimited checks that rejections and link failures
// probe the active view at most once per KeepaliveInterval, and never when
// keepalives are off.
func TestHyParViewProbeIsRateLimited(t *testing.T) {
	cfg := DefaultHyParViewConfig()
	cfg.ActiveViewSize = 2
	h := hvCore(t, cfg, "self", hvNames("a", "b"), nil)
	probes := func(actions []string) int {
		n := 0
		for _, a := range actions {
			if a == "send a Keepalive" || a == "send b Keepalive" {
				n++
			}
		}
		return n
	}
	if n := probes(hvStep(t, h, time.Second, hvRecv("n", neighborMsg{}))); n != 2 {
		t.Errorf("first rejection probed %d neighbours, want 2", n)
	}
	if n := probes(hvStep(t, h, time.Second+cfg.KeepaliveInterval/2, hvRecv("m", neighborMsg{}))); n != 0 {
		t.Errorf("second rejection within KeepaliveInterval probed %d neighbours, want 0", n)
	}
	if n := probes(hvStep(t, h, time.Second+cfg.KeepaliveInterval, hvRecv("o", neighborMsg{}))); n != 2 {
		t.Errorf("rejection after KeepaliveInterval probed %d neighbours, want 2", n)
	}

	cfg.KeepaliveInterval = 0
	h = hvCore(t, cfg, "self", hvNames("a", "b"), nil)
	if n := probes(hvStep(t, h, time.Second, hvRecv("n", neighborMsg{}))); n != 0 {
		t.Errorf("rejection with keepalives off probed %d neighbours, want 0", n)
	}
}

// TestHyParViewRejectedRequesterAskedFirst checks that a peer turned away
// because the view was full is the first peer asked once a slot frees.
func TestHyParViewRejectedRequesterAskedFirst(t *testing.T) {
	cfg := DefaultHyParViewConfig()
	cfg.ActiveViewSize = 2
	passive := []string{"p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"}
	h := hvCore(t, cfg, "self", hvNames("a", "b"), passive)
	hvStep(t, h, time.Second, hvRecv("n", neighborMsg{}))
	if !h.isPassive("n") {
		t.Fatal("rejected requester not kept in the passive view")
	}
	got := hvStep(t, h, 2*time.Second, LinkFailed{Peer: hvPeer("a")})
	want := "send n Neighbor low"
	if !slices.Contains(got, want) {
		t.Errorf("after a slot freed: actions %q, want %q", got, want)
	}
	// The preference is used once: the next repair picks at random again.
	if e := h.passive.entries[h.passive.index("n")]; e.wanted {
		t.Error("wanted flag not cleared after the request")
	}
}
