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
// last neighbour sends high-priority requests to as many passive peers as
// it has free slots, at once.
func TestHyParViewIsolatedAsksInParallel(t *testing.T) {
	cfg := DefaultHyParViewConfig()
	cfg.ActiveViewSize = 3
	h := hvCore(t, cfg, "self", hvNames("a"), hvNames("p", "q", "r", "s"))
	got := hvStep(t, h, time.Second, LinkFailed{Peer: hvPeer("a")})
	high := 0
	for _, a := range got {
		if strings.HasSuffix(a, "Neighbor high") {
			high++
		}
		if strings.HasSuffix(a, "Neighbor low") {
			t.Errorf("isolated node sent a low-priority request: %q", a)
		}
	}
	if high != cfg.ActiveViewSize {
		t.Errorf("high-priority requests = %d, want %d (actions %q)", high, cfg.ActiveViewSize, got)
	}
	if n := h.NumActive(); n != cfg.ActiveViewSize {
		t.Errorf("active view = %d, want %d", n, cfg.ActiveViewSize)
	}
	if n := h.NumPassive(); n != 1 {
		t.Errorf("passive view = %d, want the 1 peer not asked", n)
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
	if n := probes(hvStep(t, h, time.Second, hvRecv("n", Neighbor{}))); n != 2 {
		t.Errorf("first rejection probed %d neighbours, want 2", n)
	}
	if n := probes(hvStep(t, h, time.Second+cfg.KeepaliveInterval/2, hvRecv("m", Neighbor{}))); n != 0 {
		t.Errorf("second rejection within KeepaliveInterval probed %d neighbours, want 0", n)
	}
	if n := probes(hvStep(t, h, time.Second+cfg.KeepaliveInterval, hvRecv("o", Neighbor{}))); n != 2 {
		t.Errorf("rejection after KeepaliveInterval probed %d neighbours, want 2", n)
	}

	cfg.KeepaliveInterval = 0
	h = hvCore(t, cfg, "self", hvNames("a", "b"), nil)
	if n := probes(hvStep(t, h, time.Second, hvRecv("n", Neighbor{}))); n != 0 {
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
	hvStep(t, h, time.Second, hvRecv("n", Neighbor{}))
	if !h.IsPassive("n") {
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
