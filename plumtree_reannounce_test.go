// Plumtree core tests: an announcer that announces again a message it was
// grafted for is grafted again after GraftTimeout2
// (plumtree_reannounce.go).

package hyparlist

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestPlumtreeReannouncedBurstDelivered: the neighbour a announces a
// burst of 64 messages and answers each GRAFT with at most three payloads
// (what its full queue takes), announcing the rest again, as the runtime
// does (runtime_backpressure.go). Every message must be delivered, once,
// before CacheTTL forgets it. Settings of the runtime's local profile
// (GraftTimeout 200 ms, MessageCacheTTL 15 s). Before the fix the graft
// wait doubled to 3.2 s while each GRAFT brought three payloads, and the
// last 30-odd messages were forgotten.
func TestPlumtreeReannouncedBurstDelivered(t *testing.T) {
	const (
		burst     = 64
		perAnswer = 3
		interval  = 50 * time.Millisecond // the neighbour's IHaveInterval
	)
	cfg := DefaultPlumtreeConfig()
	cfg.GraftTimeout1 = 200 * time.Millisecond
	cfg.GraftTimeout2 = 100 * time.Millisecond
	cfg.CacheTTL = 15 * time.Second
	h := newPtHarness(t, cfg, "a")
	h.recv("a", pruneMsg{}) // a is lazy: it announces
	seqs := make([]uint64, burst)
	for i := range seqs {
		seqs[i] = uint64(i + 1)
	}
	type event struct {
		at    time.Duration
		timer Timer   // a timer of the core, or
		msg   Message // a message from a
	}
	var events []event
	schedule := func(acts []Action) {
		for _, a := range acts {
			switch a := a.(type) {
			case SetTimer:
				events = append(events, event{at: h.now + a.After, timer: a.Timer})
			case Send:
				g, ok := a.Msg.(graftMsg)
				if !ok || a.To.Name != "a" {
					continue
				}
				// a's answer: the first payloads fit, the rest are
				// announced again once its IHAVE window closes.
				n := min(len(g.IDs), perAnswer)
				for _, id := range g.IDs[:n] {
					events = append(events, event{at: h.now, msg: gossipOf(id.Origin, id.Seq, 1, fmt.Sprint(id.Seq))})
				}
				if rest := g.IDs[n:]; len(rest) > 0 {
					var ih ihaveMsg
					for _, id := range rest {
						ih.Entries = append(ih.Entries, ihaveEntry{ID: id, Round: 1})
					}
					events = append(events, event{at: h.now + interval, msg: ih})
				}
			}
		}
	}
	delivered := map[uint64]int{}
	count := func(acts []Action) {
		for _, a := range acts {
			if d, ok := a.(Deliver); ok {
				delivered[d.ID.Seq]++
			}
		}
	}
	schedule(h.recv("a", ihaveOf("o", 1, seqs...)))
	grafts := 0
	for steps := 0; len(events) > 0; steps++ {
		if steps > 10000 {
			t.Fatal("no end")
		}
		i := slices.IndexFunc(events, func(e event) bool {
			return !slices.ContainsFunc(events, func(o event) bool { return o.at < e.at })
		})
		e := events[i]
		events = slices.Delete(events, i, i+1)
		h.now = e.at
		var acts []Action
		if e.timer != nil {
			acts = h.step(TimerFired{Timer: e.timer})
		} else {
			acts = h.recv("a", e.msg)
		}
		for _, a := range acts {
			if s, ok := a.(Send); ok {
				if _, ok := s.Msg.(graftMsg); ok {
					grafts++
				}
			}
		}
		count(acts)
		schedule(acts)
	}
	for _, s := range seqs {
		if delivered[s] != 1 {
			t.Errorf("o/%d delivered %d times, want once", s, delivered[s])
		}
	}
	// One GRAFT per answer of three, and a few more for the IHAVE-window
	// races: not a GRAFT per message per GraftTimeout2.
	if want := 2 * burst / perAnswer; grafts > want {
		t.Errorf("%d GRAFTs, want at most %d", grafts, want)
	}
}

// TestPlumtreeReannouncedOncePerGraft: a's repeated announcement of o/1
// after a GRAFT moves it to a GraftTimeout2 timer once; further repeats
// before that timer fires change nothing (they cannot postpone the
// GRAFT), nor does a repeat before any GRAFT, nor one when the backoff's
// next GRAFT comes within GraftTimeout2 anyway; a repeat after the next
// GRAFT renews it again.
func TestPlumtreeReannouncedOncePerGraft(t *testing.T) {
	cfg := DefaultPlumtreeConfig()
	h := newPtHarness(t, cfg, "a")
	h.recv("a", pruneMsg{})
	acts := h.recv("a", ihaveOf("o", 1, 1))
	first := timerOf(t, acts)
	wantActions(t, "a repeats before any GRAFT", h.recv("a", ihaveOf("o", 1, 1)))
	h.now += cfg.GraftTimeout1
	acts = h.step(TimerFired{Timer: first})
	wantActions(t, "first graft", acts, "send a graft [o/1]",
		fmt.Sprintf("timer %v plumtree-graft2[o/1]", cfg.GraftTimeout2))
	wantActions(t, "a announces it again, the next GRAFT as soon", h.recv("a", ihaveOf("o", 1, 1)))
	h.now += cfg.GraftTimeout2
	acts = h.step(TimerFired{Timer: timerOf(t, acts)})
	wantActions(t, "second graft", acts, "send a graft [o/1]",
		fmt.Sprintf("timer %v plumtree-graft2[o/1]", 2*cfg.GraftTimeout2))
	backoff := timerOf(t, acts)
	acts = h.recv("a", ihaveOf("o", 1, 1))
	wantActions(t, "a announces it again", acts, fmt.Sprintf("timer %v plumtree-graft2[o/1]", cfg.GraftTimeout2))
	renewed := timerOf(t, acts)
	wantActions(t, "a announces it a third time", h.recv("a", ihaveOf("o", 1, 1)))
	h.now += cfg.GraftTimeout2
	wantActions(t, "renewed timer", h.step(TimerFired{Timer: renewed}), "send a graft [o/1]",
		fmt.Sprintf("timer %v plumtree-graft2[o/1]", 4*cfg.GraftTimeout2))
	h.now += cfg.GraftTimeout2
	wantActions(t, "the old timer owns nothing", h.step(TimerFired{Timer: backoff}))
	acts = h.recv("a", ihaveOf("o", 1, 1))
	wantActions(t, "a announces it again after the next GRAFT", acts,
		fmt.Sprintf("timer %v plumtree-graft2[o/1]", cfg.GraftTimeout2))
}

// TestPlumtreeReannouncedRenewedWithOtherAnnouncers: a message two
// neighbours announced, grafted from each in turn until the backoff
// doubled its wait, is grafted again GraftTimeout2 later when an
// announcer announces it again (its refusal of our GRAFT), and its next
// GRAFT goes to the announcer after the last one grafted. Before, only a
// message with one announcer was renewed: a node behind by 1,700 payloads
// of one origin, its two neighbours each answering 16 per GRAFT (their
// user queue to it) and announcing the rest, got 32 every 6.4 s and still
// missed hundreds when MessageCacheTTL ran out
// (TestRuntimeBurstsDeliverAll, session 15).
func TestPlumtreeReannouncedRenewedWithOtherAnnouncers(t *testing.T) {
	cfg := DefaultPlumtreeConfig()
	h := newPtHarness(t, cfg, "a", "b")
	h.recv("a", pruneMsg{})
	h.recv("b", pruneMsg{})
	acts := h.recv("a", ihaveOf("o", 1, 1))
	h.recv("b", ihaveOf("o", 1, 1))
	h.now += cfg.GraftTimeout1
	acts = h.step(TimerFired{Timer: timerOf(t, acts)})
	wantActions(t, "first graft", acts, "send a graft [o/1]",
		fmt.Sprintf("timer %v plumtree-graft2[o/1]", cfg.GraftTimeout2))
	wantActions(t, "a announces it again, the next GRAFT as soon", h.recv("a", ihaveOf("o", 1, 1)))
	h.now += cfg.GraftTimeout2
	acts = h.step(TimerFired{Timer: timerOf(t, acts)})
	wantActions(t, "second graft", acts, "send b graft [o/1]",
		fmt.Sprintf("timer %v plumtree-graft2[o/1]", cfg.GraftTimeout2))
	h.now += cfg.GraftTimeout2
	acts = h.step(TimerFired{Timer: timerOf(t, acts)})
	wantActions(t, "third graft, backoff doubled", acts, "send a graft [o/1]",
		fmt.Sprintf("timer %v plumtree-graft2[o/1]", 2*cfg.GraftTimeout2))
	acts = h.recv("a", ihaveOf("o", 1, 1))
	wantActions(t, "a announces it again", acts, fmt.Sprintf("timer %v plumtree-graft2[o/1]", cfg.GraftTimeout2))
	h.now += cfg.GraftTimeout2
	wantActions(t, "renewed timer", h.step(TimerFired{Timer: timerOf(t, acts)}), "send b graft [o/1]",
		fmt.Sprintf("timer %v plumtree-graft2[o/1]", 2*cfg.GraftTimeout2))
}
