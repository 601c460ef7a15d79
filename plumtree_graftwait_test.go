// Plumtree core tests: the adaptive first graft timeout
// (PlumtreeConfig.GraftTimeoutMin, plumtree_graftwait.go).

package hyparlist

import (
	"fmt"
	"testing"
	"time"
)

// TestPlumtreeGraftWaitAdapts checks that with GraftTimeoutMin set the
// wait after a lazy neighbour's IHAVE follows the lag of eager copies
// behind their first IHAVE: GraftTimeoutMin while they come fast, longer
// at once after a premature GRAFT (the eager copy came after it, before or
// after the GRAFT's answer), capped at GraftTimeout1, and back down to
// GraftTimeoutMin after a run of fast copies. With a fixed timeout every
// wait would be GraftTimeout1.
func TestPlumtreeGraftWaitAdapts(t *testing.T) {
	cfg := DefaultPlumtreeConfig()
	cfg.GraftTimeout1 = 500 * time.Millisecond
	cfg.GraftTimeoutMin = 20 * time.Millisecond
	h := newPtHarness(t, cfg, "a", "c")
	h.recv("c", pruneMsg{}) // c lazy, a eager
	seq := uint64(0)
	// announce has c announce the next message and checks the wait.
	announce := func(what string, want time.Duration) *ptGraftTimer {
		t.Helper()
		seq++
		acts := h.recv("c", ihaveOf("o", 2, seq))
		wantActions(t, what, acts, fmt.Sprintf("timer %v plumtree-graft1[o/%d]", want, seq))
		return timerOf(t, acts).(*ptGraftTimer)
	}

	// Nothing learnt yet: the floor. The eager copy 5 ms behind the IHAVE
	// keeps it there (2 × 5 ms < 20 ms).
	announce("first", 20*time.Millisecond)
	h.now += 5 * time.Millisecond
	h.recv("a", gossipOf("o", seq, 1, "p"))
	tm := announce("after a fast copy", 20*time.Millisecond)

	// A premature GRAFT: the eager copy comes 100 ms after the IHAVE,
	// before the GRAFT's answer. The next wait is 200 ms.
	h.now += 20 * time.Millisecond
	wantActions(t, "graft", h.step(TimerFired{Timer: tm}),
		fmt.Sprintf("send c graft [o/%d]", seq), fmt.Sprintf("timer %v plumtree-graft2[o/%d]", cfg.GraftTimeout2, seq))
	h.now += 80 * time.Millisecond
	h.recv("a", gossipOf("o", seq, 1, "p"))
	tm = announce("after a premature graft", 200*time.Millisecond)

	// A premature GRAFT answered first: the eager copy comes 400 ms after
	// the IHAVE as a duplicate. The next wait is GraftTimeout1 (2 ×
	// 400 ms, capped).
	h.now += 200 * time.Millisecond
	h.step(TimerFired{Timer: tm})
	h.now += 10 * time.Millisecond
	h.recv("c", gossipOf("o", seq, 2, "p"))
	h.now += 190 * time.Millisecond
	h.recv("a", gossipOf("o", seq, 1, "p"))
	h.recv("c", pruneMsg{}) // c lazy again
	announce("after a late duplicate", cfg.GraftTimeout1)

	// Fast eager copies bring the wait down step by step to the floor.
	h.now += time.Millisecond
	h.recv("a", gossipOf("o", seq, 1, "p"))
	last := cfg.GraftTimeout1
	for range 200 {
		seq++
		acts := h.recv("c", ihaveOf("o", 2, seq))
		st := acts[len(acts)-1].(SetTimer)
		if st.After > last {
			t.Fatalf("wait grew from %v to %v after a fast copy", last, st.After)
		}
		last = st.After
		h.now += time.Millisecond
		h.recv("a", gossipOf("o", seq, 1, "p"))
	}
	if last != cfg.GraftTimeoutMin {
		t.Errorf("wait after 200 fast copies = %v, want GraftTimeoutMin %v", last, cfg.GraftTimeoutMin)
	}
}

// TestPlumtreeGraftWaitFixedByDefault checks that without GraftTimeoutMin
// the wait stays GraftTimeout1 whatever the lag seen, as in the paper.
func TestPlumtreeGraftWaitFixedByDefault(t *testing.T) {
	cfg := DefaultPlumtreeConfig()
	h := newPtHarness(t, cfg, "a", "c")
	h.recv("c", pruneMsg{})
	for seq := uint64(1); seq <= 3; seq++ {
		wantActions(t, "ihave", h.recv("c", ihaveOf("o", 2, seq)),
			fmt.Sprintf("timer %v plumtree-graft1[o/%d]", cfg.GraftTimeout1, seq))
		h.now += time.Millisecond
		h.recv("a", gossipOf("o", seq, 1, "p"))
	}
}

// TestPlumtreeGraftTimeoutMinValidate checks GraftTimeoutMin's bounds.
func TestPlumtreeGraftTimeoutMinValidate(t *testing.T) {
	for _, v := range []time.Duration{-1, DefaultPlumtreeConfig().GraftTimeout1 + 1} {
		c := DefaultPlumtreeConfig()
		c.GraftTimeoutMin = v
		if err := c.Validate(); err == nil {
			t.Errorf("GraftTimeoutMin %v accepted", v)
		}
	}
}
