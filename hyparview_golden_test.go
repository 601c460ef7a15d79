package hyparlist

import (
	"strings"
	"testing"
	"time"
)

// Golden message traces of hand-written scenarios. Each trace lists every
// event a core received and the link changes it made, then the final
// views. Regenerate with: go test -run TestHyParViewGolden -update .

// hvGoldenConfig keeps traces short: no keepalives or background timers
// fire within the scenarios unless a test advances the clock.
func hvGoldenConfig() HyParViewConfig {
	cfg := DefaultHyParViewConfig()
	cfg.KeepaliveInterval = 0
	cfg.RejoinInterval = 0
	cfg.LostPeerRetryInterval = 0
	return cfg
}

func runGolden(t *testing.T, name string, cfg HyParViewConfig, scenario func(n *hvNet)) {
	t.Helper()
	n := newHVNet(cfg, 1)
	n.trace = &strings.Builder{}
	scenario(n)
	if n.err != nil {
		t.Fatal(n.err)
	}
	if bad := n.asymmetric(); len(bad) > 0 {
		t.Errorf("asymmetric links: %v", bad)
	}
	checkGolden(t, name, n.trace.String()+"\nviews:\n"+n.views())
}

func TestHyParViewGoldenJoin3(t *testing.T) {
	runGolden(t, "hyparview_join3.golden", hvGoldenConfig(), func(n *hvNet) {
		n.addJoined([]string{"a", "b", "c"}, nil)
	})
}

func TestHyParViewGoldenEviction(t *testing.T) {
	// With two active slots, the fourth join finds every view full: the
	// contact only forwards, and the walk's end evicts a neighbour.
	cfg := hvGoldenConfig()
	cfg.ActiveViewSize = 2
	cfg.ShuffleActive = 1
	runGolden(t, "hyparview_eviction.golden", cfg, func(n *hvNet) {
		n.addJoined([]string{"a", "b", "c", "d"}, nil)
		// Both walk ends evicted a; it does not ask them straight back
		// (back-off) but repairs at its next periodic tick.
		n.logf("--- one shuffle period")
		n.advance(cfg.ShuffleInterval + time.Second)
	})
}

func TestHyParViewGoldenShuffle(t *testing.T) {
	// Five nodes join, then one shuffle period elapses: every node sends
	// one shuffle walk and integrates the replies.
	cfg := hvGoldenConfig()
	cfg.ActiveViewSize = 2
	cfg.ShuffleActive = 1
	cfg.ShuffleTTL = 2
	runGolden(t, "hyparview_shuffle.golden", cfg, func(n *hvNet) {
		n.addJoined([]string{"a", "b", "c", "d", "e"}, nil)
		n.logf("--- one shuffle period")
		n.advance(cfg.ShuffleInterval + time.Second)
	})
}
