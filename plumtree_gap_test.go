// Plumtree core tests: a missing message behind a newer payload of its
// tree is grafted at once (plumtree_gap.go).

package hyparlist

import (
	"fmt"
	"testing"
)

// gapHarness: a is our parent in root o's tree (it pushed o/1), b is lazy
// there and announced o/2, which is missing with its GraftTimeout1 timer.
// It returns the harness and that timer.
func gapHarness(t *testing.T, cfg PlumtreeConfig) (*ptHarness, Timer) {
	t.Helper()
	h := newPtHarness(t, cfg, "a", "b")
	h.recv("a", gossipOf("o", 1, 0, "p"))
	h.recv("b", pruneMsg{Root: "o"})
	acts := h.recv("b", ihaveOf("o", 1, 2))
	wantActions(t, "b announces o/2", acts, fmt.Sprintf("timer %v plumtree-graft1[o/2]", cfg.GraftTimeout1))
	return h, timerOf(t, acts)
}

// TestPlumtreeGapGraftsBehindNewerPush: when the parent pushes o/3, o/2
// (announced by b) will not come by push, since a would have pushed it
// first: it is grafted from b at once, not GraftTimeout1 after b's IHAVE.
func TestPlumtreeGapGraftsBehindNewerPush(t *testing.T) {
	cfg := treesConfig()
	h, first := gapHarness(t, cfg)
	wantActions(t, "o/3 from a", h.recv("a", gossipOf("o", 3, 0, "r")),
		`deliver o/3 "r" from a hops 1`,
		fmt.Sprintf("timer %v plumtree-ihave-flush", cfg.IHaveInterval),
		"send b graft [o/2]",
		fmt.Sprintf("timer %v plumtree-graft2[o/2]", cfg.GraftTimeout2))
	if c := h.pt.counters(); c.GraftsGap != 1 || c.GraftsMissing != 0 {
		t.Fatalf("GraftsGap %d GraftsMissing %d, want 1 and 0", c.GraftsGap, c.GraftsMissing)
	}
	// The GraftTimeout1 timer that owned o/2 finds nothing to do.
	wantActions(t, "the first timer", h.step(TimerFired{Timer: first}))
}

// TestPlumtreeGapGraftsLateAnnouncement: o/3 was pushed before anyone
// announced o/2; b's IHAVE of o/2 then grafts it at once.
func TestPlumtreeGapGraftsLateAnnouncement(t *testing.T) {
	cfg := treesConfig()
	h := newPtHarness(t, cfg, "a", "b")
	h.recv("a", gossipOf("o", 1, 0, "p"))
	h.recv("b", pruneMsg{Root: "o"})
	h.recv("a", gossipOf("o", 3, 0, "r"))
	wantActions(t, "b announces o/2 and q/2", h.recv("b", ihaveMsg{Entries: []ihaveEntry{
		{ID: MessageID{Origin: "o", Seq: 2}, Round: 1}, {ID: MessageID{Origin: "o", Seq: 4}, Round: 1}}}),
		fmt.Sprintf("timer %v plumtree-graft1[o/2 o/4]", cfg.GraftTimeout1),
		"send b graft [o/2]",
		fmt.Sprintf("timer %v plumtree-graft2[o/2]", cfg.GraftTimeout2))
}

// TestPlumtreeGapNotForGraftAnswers: a payload that answers our GRAFT
// comes from an announcer, not down the tree, and grafts nothing behind
// it; a payload pushed by a non-neighbour neither.
func TestPlumtreeGapNotForGraftAnswers(t *testing.T) {
	cfg := treesConfig()
	h, _ := gapHarness(t, cfg)
	acts := h.recv("b", ihaveOf("o", 1, 3))
	h.step(TimerFired{Timer: timerOf(t, acts)}) // grafts o/3 (not o/2) from b
	if got := h.pt.counters().GraftsMissing; got != 1 {
		t.Fatalf("GraftsMissing = %d, want 1", got)
	}
	h.recv("c", gossipOf("o", 5, 0, "x"))
	wantActions(t, "o/3 answers the GRAFT", h.recv("b", gossipOf("o", 3, 1, "r")),
		`deliver o/3 "r" from b hops 2`, `send a gossip o/3 r2 "r"`)
	if got := h.pt.counters().GraftsGap; got != 0 {
		t.Fatalf("GraftsGap = %d, want 0", got)
	}
}

// TestPlumtreeGapNotOnSharedTree: the shared tree carries few payloads of
// each root among many roots', in no order to rely on.
func TestPlumtreeGapNotOnSharedTree(t *testing.T) {
	h := newPtHarness(t, treesConfig(), "a", "b")
	h.recv("a", sharedOf("o", 1, ClassUser, "p"))
	h.recv("b", ihaveMsg{Entries: []ihaveEntry{{ID: MessageID{Origin: "o", Seq: 2 | ptSharedBit}, Round: 1}}})
	h.recv("a", sharedOf("o", 3, ClassUser, "r"))
	if got := h.pt.counters().GraftsGap; got != 0 {
		t.Fatalf("GraftsGap = %d, want 0", got)
	}
}

// TestPlumtreeGapNeedsTrees: with one tree (MaxTrees 0) a root's payloads
// have no tree of their own and the rule is off.
func TestPlumtreeGapNeedsTrees(t *testing.T) {
	h := newPtHarness(t, DefaultPlumtreeConfig(), "a", "b")
	h.recv("a", gossipOf("o", 1, 0, "p"))
	h.recv("b", ihaveOf("o", 1, 2))
	h.recv("a", gossipOf("o", 3, 0, "r"))
	if got := h.pt.counters().GraftsGap; got != 0 {
		t.Fatalf("GraftsGap = %d, want 0", got)
	}
}

// TestPlumtreeGapAsksThePusherFirst: of the announcers of the missing
// message, the neighbour whose newer payload revealed the gap is asked
// first (it holds the message: it announced it).
func TestPlumtreeGapAsksThePusherFirst(t *testing.T) {
	cfg := treesConfig()
	h := newPtHarness(t, cfg, "a", "b", "c")
	h.recv("a", gossipOf("o", 1, 0, "p"))
	h.recv("b", pruneMsg{Root: "o"})
	h.recv("b", ihaveOf("o", 1, 2))
	h.recv("c", ihaveOf("o", 1, 2))
	wantActions(t, "o/3 from c", h.recv("c", gossipOf("o", 3, 0, "r")),
		`deliver o/3 "r" from c hops 1`, `send a gossip o/3 r1 "r"`,
		fmt.Sprintf("timer %v plumtree-ihave-flush", cfg.IHaveInterval),
		"send c graft [o/2]",
		fmt.Sprintf("timer %v plumtree-graft2[o/2]", cfg.GraftTimeout2))
}

// TestPlumtreeGapNotAcrossIncarnations: a root restarted under its name
// numbers its payloads from a fresh random point; an IHAVE of one far
// below the last payload pushed here (its previous incarnation's) waits
// GraftTimeout1 as usual, while one just below it is grafted at once.
func TestPlumtreeGapNotAcrossIncarnations(t *testing.T) {
	cfg := treesConfig()
	h := newPtHarness(t, cfg, "a", "b")
	h.recv("a", gossipOf("o", 1000, 0, "p"))
	h.recv("b", pruneMsg{Root: "o"})
	wantActions(t, "o/7 from a new incarnation", h.recv("b", ihaveOf("o", 1, 7)),
		fmt.Sprintf("timer %v plumtree-graft1[o/7]", cfg.GraftTimeout1))
	wantActions(t, "o/999", h.recv("b", ihaveOf("o", 1, 999)),
		fmt.Sprintf("timer %v plumtree-graft1[o/999]", cfg.GraftTimeout1),
		"send b graft [o/999]",
		fmt.Sprintf("timer %v plumtree-graft2[o/999]", cfg.GraftTimeout2))
}

// TestPlumtreeGapSharedBehindOwnTree: o's first payload, o/4 on the shared
// tree, is announced by b; a then pushes o/5 on o's own tree. o/4 will not
// come by push (o sent it before o/5): it is grafted from b at once. The
// other order, the announcement after the push, grafts at once too.
func TestPlumtreeGapSharedBehindOwnTree(t *testing.T) {
	cfg := treesConfig()
	first := MessageID{Origin: "o", Seq: 4 | ptSharedBit}
	ih := ihaveMsg{Entries: []ihaveEntry{{ID: first, Round: 1}}}
	graft := fmt.Sprintf("send b graft [o/%d]", first.Seq)
	wait := fmt.Sprintf("timer %v plumtree-graft2[o/%d]", cfg.GraftTimeout2, first.Seq)

	h := newPtHarness(t, cfg, "a", "b")
	h.recv("a", gossipOf("o", 3, 0, "p"))
	h.recv("b", pruneMsg{Root: "o", Shared: true})
	h.recv("b", ih)
	wantActions(t, "o/5 from a", h.recv("a", gossipOf("o", 5, 0, "r")),
		`deliver o/5 "r" from a hops 1`, `send b gossip o/5 r1 "r"`, graft, wait)

	h = newPtHarness(t, cfg, "a", "b")
	h.recv("a", gossipOf("o", 5, 0, "r"))
	h.recv("b", pruneMsg{Root: "o", Shared: true})
	wantActions(t, "b announces o/4", h.recv("b", ih),
		fmt.Sprintf("timer %v plumtree-graft1[o/%d]", cfg.GraftTimeout1, first.Seq), graft, wait)
	if got := h.pt.counters().GraftsGap; got != 1 {
		t.Fatalf("GraftsGap = %d, want 1", got)
	}
}

// TestPlumtreeGapOutsideTree: the shared tree has brought this node a
// payload (new trees start here as copies of it), and b announces o/7 of
// o's own tree, of which nothing was pushed here: this node is outside o's
// tree, and o/7 is grafted after outsideWait (GraftTimeout2/2 less
// IHaveInterval), not GraftTimeout1; with IHaveInterval of GraftTimeout2/2
// or more, at once. A node the shared tree has not reached yet waits
// GraftTimeout1.
func TestPlumtreeGapOutsideTree(t *testing.T) {
	cfg := treesConfig()
	h := newPtHarness(t, cfg, "a", "b")
	h.recv("a", sharedOf("x", 1, ClassMembership, "m"))
	h.recv("b", pruneMsg{}) // b is lazy in every tree
	acts := h.recv("b", ihaveOf("o", 1, 7))
	wantActions(t, "b announces o/7", acts,
		fmt.Sprintf("timer %v plumtree-graft1[o/7]", cfg.GraftTimeout1),
		fmt.Sprintf("timer %v plumtree-graft1[o/7]", cfg.GraftTimeout2/2-cfg.IHaveInterval))
	wantActions(t, "the GraftTimeout1 timer", h.step(TimerFired{Timer: acts[0].(SetTimer).Timer}))
	wantActions(t, "the outside timer", h.step(TimerFired{Timer: acts[1].(SetTimer).Timer}),
		"send b graft [o/7]", fmt.Sprintf("timer %v plumtree-graft2[o/7]", cfg.GraftTimeout2))
	if got := fmtPeers(h.pt.eagerPeersOf("o")); got != "[a b]" {
		t.Fatalf("o's tree eager %s, want [a b]", got)
	}

	cfg.IHaveInterval = cfg.GraftTimeout2 / 2
	h = newPtHarness(t, cfg, "a", "b")
	h.recv("a", sharedOf("x", 1, ClassMembership, "m"))
	h.recv("b", pruneMsg{})
	wantActions(t, "b announces o/7, long IHAVE batches", h.recv("b", ihaveOf("o", 1, 7)),
		fmt.Sprintf("timer %v plumtree-graft1[o/7]", cfg.GraftTimeout1),
		"send b graft [o/7]", fmt.Sprintf("timer %v plumtree-graft2[o/7]", cfg.GraftTimeout2))

	h = newPtHarness(t, cfg, "a", "b")
	h.recv("b", pruneMsg{})
	wantActions(t, "b announces o/7, shared tree not here yet", h.recv("b", ihaveOf("o", 1, 7)),
		fmt.Sprintf("timer %v plumtree-graft1[o/7]", cfg.GraftTimeout1))
}

// TestPlumtreeGapNoSecondGraft: one IHAVE of b announces o/2, missing
// behind the newest payload of o's tree (a gap), and o/1 at a round seven
// hops shorter than a's path, which swaps b in as our parent (§3.8) and
// grafts from it what it announced (graftAnnounced), o/2 among them. o/2
// is grafted once: a second GRAFT would bring a second copy, and that
// duplicate prunes b, the parent just grafted.
func TestPlumtreeGapNoSecondGraft(t *testing.T) {
	cfg := treesConfig()
	h := newPtHarness(t, cfg, "a", "b")
	h.recv("a", gossipOf("o", 1, 9, "p"))
	h.recv("a", gossipOf("o", 3, 9, "r"))
	h.recv("b", gossipOf("o", 3, 1, "r")) // a duplicate: b goes lazy
	ih := ihaveMsg{Entries: []ihaveEntry{
		{ID: MessageID{Origin: "o", Seq: 2}, Round: 1},
		{ID: MessageID{Origin: "o", Seq: 1}, Round: 1},
	}}
	wantActions(t, "b announces o/2 and o/1", h.recv("b", ih),
		"send b graft(o) []", "send a prune(o)", "send b graft [o/2]",
		fmt.Sprintf("timer %v plumtree-graft2[o/2]", cfg.GraftTimeout2),
		fmt.Sprintf("timer %v plumtree-graft1[o/2]", cfg.GraftTimeout2))
}

// TestPlumtreeGapOutsideNotPutOff: b announces o/7 of a tree this node is
// outside of, then c announces it too before b's outside timer fires: the
// GRAFT still goes when b's timer fires, not outsideWait after c's IHAVE.
func TestPlumtreeGapOutsideNotPutOff(t *testing.T) {
	cfg := treesConfig()
	h := newPtHarness(t, cfg, "a", "b", "c")
	h.recv("a", sharedOf("x", 1, ClassMembership, "m"))
	h.recv("b", pruneMsg{})
	h.recv("c", pruneMsg{})
	acts := h.recv("b", ihaveOf("o", 1, 7))
	wantActions(t, "c announces o/7", h.recv("c", ihaveOf("o", 1, 7)))
	wantActions(t, "b's outside timer", h.step(TimerFired{Timer: acts[1].(SetTimer).Timer}),
		"send b graft [o/7]", fmt.Sprintf("timer %v plumtree-graft2[o/7]", cfg.GraftTimeout2))
}

// TestPlumtreeGapOutsideNotWhenFull: with every tree slot taken (MaxTrees),
// a root without a tree here may have been evicted: its announcement
// waits GraftTimeout1.
func TestPlumtreeGapOutsideNotWhenFull(t *testing.T) {
	cfg := treesConfig()
	cfg.MaxTrees = 1
	h := newPtHarness(t, cfg, "a", "b")
	h.recv("a", sharedOf("x", 1, ClassMembership, "m"))
	h.recv("a", gossipOf("q", 3, 0, "p"))
	h.recv("b", pruneMsg{})
	wantActions(t, "b announces o/7", h.recv("b", ihaveOf("o", 1, 7)),
		fmt.Sprintf("timer %v plumtree-graft1[o/7]", cfg.GraftTimeout1))
}

// TestPlumtreeMissingIndexedByRoot: the missing table's index by origin
// (what graftGapBehind looks numbers up in) follows the table through an
// announcement, the payload's arrival, a message forgotten CacheTTL after
// its announcement, and a clone; the harness also checks it after every
// step (checkInvariants).
func TestPlumtreeMissingIndexedByRoot(t *testing.T) {
	cfg := treesConfig()
	h, first := gapHarness(t, cfg) // o/2 missing, announced by b
	h.recv("b", ihaveOf("q", 1, 5, 6))
	want := func(what string, root string, seqs ...uint64) {
		t.Helper()
		got := h.pt.missing.ofRoot(root)
		if len(got) != len(seqs) {
			t.Fatalf("%s: %s has %d numbers indexed, want %v", what, root, len(got), seqs)
		}
		for _, s := range seqs {
			if _, ok := got[s]; !ok {
				t.Fatalf("%s: %s/%d not indexed", what, root, s)
			}
		}
	}
	want("announced", "o", 2)
	want("announced", "q", 5, 6)
	c := h.pt.Clone()
	h.recv("b", gossipOf("q", 5, 1, "x")) // the payload arrives
	want("q/5 arrived", "q", 6)
	if got := c.missing.ofRoot("q"); len(got) != 2 {
		t.Fatalf("the clone's index changed with the original: %d numbers of q", len(got))
	}
	// Past CacheTTL the first graft timer forgets o/2 instead of grafting.
	h.now += cfg.CacheTTL
	h.step(TimerFired{Timer: first})
	want("o/2 forgotten", "o")
	if _, ok := h.pt.missing.byRoot["o"]; ok {
		t.Fatal("an origin with nothing missing is still in the index")
	}
}
