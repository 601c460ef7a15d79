package hyparlist

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// These tests check each Paper switch of HyParViewConfig: the rule acts by
// default and the paper's behaviour replaces it when the switch is set.

// paperRule sets one Paper switch of a configuration.
type paperRule func(*HyParViewConfig)

// The switches, one paperRule each.
var (
	rulePassiveView     paperRule = func(c *HyParViewConfig) { c.PaperPassiveView = true }
	ruleAsymmetricLinks paperRule = func(c *HyParViewConfig) { c.PaperAsymmetricLinks = true }
	ruleNoProbe         paperRule = func(c *HyParViewConfig) { c.PaperNoProbe = true }
	ruleNoWanted        paperRule = func(c *HyParViewConfig) { c.PaperNoWanted = true }
	ruleIsolatedRepair  paperRule = func(c *HyParViewConfig) { c.PaperIsolatedRepair = true }
	ruleJoinEvicts      paperRule = func(c *HyParViewConfig) { c.PaperJoinEvicts = true }
)

// paperCfg returns the default configuration with the given rule, if any,
// turned back to the paper's behaviour.
func paperCfg(rule paperRule) HyParViewConfig {
	cfg := DefaultHyParViewConfig()
	if rule != nil {
		rule(&cfg)
	}
	return cfg
}

// paperIf returns rule if paper is set, else no rule.
func paperIf(paper bool, rule paperRule) paperRule {
	if paper {
		return rule
	}
	return nil
}

func TestHyParViewPaperAsymmetricLinks(t *testing.T) {
	for _, paper := range []bool{false, true} {
		h := hvCore(t, paperCfg(paperIf(paper, ruleAsymmetricLinks)), "self", hvNames("a"), nil)
		got := hvStep(t, h, time.Second, hvRecv("x", keepaliveMsg{}))
		got = append(got, hvStep(t, h, time.Second, hvRecv("y", neighborReplyMsg{Accepted: true}))...)
		var want []string
		if !paper {
			want = []string{"send x Disconnect alive", "send y Disconnect alive"}
		}
		if !slices.Equal(got, want) && len(got)+len(want) > 0 {
			t.Errorf("paper=%v: stray keepalive and accept gave %q, want %q", paper, got, want)
		}
	}
}

func TestHyParViewPaperNoProbe(t *testing.T) {
	for _, paper := range []bool{false, true} {
		cfg := paperCfg(paperIf(paper, ruleNoProbe))
		cfg.ActiveViewSize = 2
		h := hvCore(t, cfg, "self", hvNames("a", "b"), nil)
		rejected := hvStep(t, h, time.Second, hvRecv("n", neighborMsg{}))
		h = hvCore(t, cfg, "self", hvNames("a", "b"), hvNames("p"))
		failed := hvStep(t, h, time.Second, LinkFailed{Peer: hvPeer("a")})
		probes := 0
		for _, a := range append(rejected, failed...) {
			if strings.HasSuffix(a, " Keepalive") {
				probes++
			}
		}
		if want := map[bool]int{false: 3, true: 0}[paper]; probes != want {
			t.Errorf("paper=%v: %d probe keepalives after a rejection and a link failure, want %d (%q, %q)",
				paper, probes, want, rejected, failed)
		}
	}
}

func TestHyParViewPaperNoWanted(t *testing.T) {
	cfg := paperCfg(ruleNoWanted)
	cfg.ActiveViewSize = 2
	h := hvCore(t, cfg, "self", hvNames("a", "b"), hvNames("p1", "p2", "p3", "p4"))
	got := hvStep(t, h, time.Second, hvRecv("n", neighborMsg{}))
	if !slices.Contains(got, "send n NeighborReply rejected") {
		t.Fatalf("full view did not reject: %q", got)
	}
	if h.isPassive("n") {
		t.Error("rejected requester kept in the passive view (the paper forgets it)")
	}
	if got := hvStep(t, h, 2*time.Second, LinkFailed{Peer: hvPeer("a")}); slices.Contains(got, "send n Neighbor low") {
		t.Errorf("rejected requester asked first: %q", got)
	}
	// The default is checked by TestHyParViewRejectedRequesterAskedFirst.
}

func TestHyParViewPaperIsolatedRepair(t *testing.T) {
	passive := []string{"p0", "p1", "p2", "p3", "p4", "p5"}
	for _, paper := range []bool{false, true} {
		cfg := paperCfg(paperIf(paper, ruleIsolatedRepair))
		cfg.ActiveViewSize = 3
		cfg.RepairFanout = 1
		h := hvCore(t, cfg, "self", hvNames("a"), passive)
		high, low := 0, 0
		for _, a := range hvStep(t, h, time.Second, LinkFailed{Peer: hvPeer("a")}) {
			switch {
			case strings.HasSuffix(a, "Neighbor high"):
				high++
			case strings.HasSuffix(a, "Neighbor low"):
				low++
			}
		}
		wantHigh, wantLow := 3, 0
		if paper {
			wantHigh, wantLow = 1, 2
		}
		if high != wantHigh || low != wantLow {
			t.Errorf("paper=%v: isolated node sent %d high / %d low requests, want %d / %d", paper, high, low, wantHigh, wantLow)
		}
	}
}

func TestHyParViewPaperJoinEvicts(t *testing.T) {
	h := hvCore(t, paperCfg(ruleJoinEvicts), "self", hvNames("a", "b", "c", "d", "e"), nil)
	got := hvStep(t, h, time.Second, hvRecv("j", joinMsg{}))
	if !h.isActive("j") || h.numActive() != 5 || h.numPassive() != 1 {
		t.Fatalf("full contact did not evict for the joiner: active %v passive %v", h.ActiveView(), h.PassiveView())
	}
	evicted := h.PassiveView()[0].Name
	want := []string{"send " + evicted + " Disconnect alive", "down " + evicted, "up j", "send j Neighbor high"}
	forwards := 0
	for _, a := range got {
		if strings.Contains(a, "ForwardJoin joiner=j") {
			forwards++
		}
	}
	if !slices.Equal(got[:4], want) || forwards != 4 {
		t.Errorf("actions %q, want %q then 4 ForwardJoins", got, want)
	}
	// The default (contact only forwards) is checked by TestHyParViewJoin.
}

// freshShare runs trial on many seeds and returns the share of trials that
// reported true.
func freshShare(t *testing.T, trial func(h *HyParView) bool, cfg HyParViewConfig) float64 {
	t.Helper()
	const seeds = 600
	n := 0
	for s := range uint64(seeds) {
		h, err := NewHyParView(hvPeer("self"), cfg, rand.New(rand.NewPCG(s, 7)))
		if err != nil {
			t.Fatal(err)
		}
		h.setClock(hvEpoch)
		if trial(h) {
			n++
		}
	}
	return float64(n) / seeds
}

func TestHyParViewPaperPassiveView(t *testing.T) {
	base := DefaultHyParViewConfig()
	base.ActiveViewSize, base.RepairFanout, base.ShuffleActive, base.ShufflePassive = 1, 1, 0, 1
	preset := func(h *HyParView) {
		h.learn(hvPeer("stale"), -time.Hour, 0)
		h.learn(hvPeer("fresh"), 0, 0)
	}
	// Repair: the isolated node asks one passive peer.
	repairFresh := func(h *HyParView) bool {
		h.active = append(h.active, hvPeer("a"))
		preset(h)
		h.Step(hvEpoch, LinkFailed{Peer: hvPeer("a")})
		h.Drain()
		return h.isActive("fresh")
	}
	// Shuffle: the sample holds one passive peer.
	shuffleFresh := func(h *HyParView) bool {
		h.active = append(h.active, hvPeer("a"))
		preset(h)
		h.Step(hvEpoch, TimerFired{Timer: shuffleTimer{}})
		for _, a := range h.Drain() {
			if s, ok := a.(Send); ok {
				if m, ok := s.Msg.(shuffleMsg); ok {
					return len(m.Peers) == 2 && m.Peers[1].Name == "fresh"
				}
			}
		}
		t.Fatal("no shuffle sent")
		return false
	}
	// Eviction: a full view of three takes a fourth peer.
	staleEvicted := func(h *HyParView) bool {
		h.passive.max = 3
		preset(h)
		h.learn(hvPeer("mid"), -time.Minute, 0)
		h.learn(hvPeer("new"), time.Second, 0)
		return !h.isPassive("stale")
	}
	for _, tc := range []struct {
		name        string
		trial       func(*HyParView) bool
		aging, flat [2]float64 // accepted ranges of the share
	}{
		{"repair picks fresh", repairFresh, [2]float64{0.68, 0.82}, [2]float64{0.42, 0.58}},
		{"shuffle samples fresh", shuffleFresh, [2]float64{0.68, 0.82}, [2]float64{0.42, 0.58}},
		{"eviction drops stalest", staleEvicted, [2]float64{1, 1}, [2]float64{0.25, 0.42}},
	} {
		paper := base
		paper.PaperPassiveView = true
		if got := freshShare(t, tc.trial, base); got < tc.aging[0] || got > tc.aging[1] {
			t.Errorf("%s with aging: share %.2f, want in %v", tc.name, got, tc.aging)
		}
		if got := freshShare(t, tc.trial, paper); got < tc.flat[0] || got > tc.flat[1] {
			t.Errorf("%s without aging: share %.2f, want in %v", tc.name, got, tc.flat)
		}
	}
}
