// Plumtree core tests: a link made eager again grafts what its neighbour
// announced while it was lazy (plumtree_relink.go).

package hyparlist

import (
	"fmt"
	"testing"
)

// TestPlumtreeRelinkGraftsAnnounced: b, lazy in root o's tree, announces
// o/2 and o/3; when b then makes the link eager again (its empty GRAFT for
// o), both are grafted from b at once, in one GRAFT, with a GraftTimeout2
// timer, instead of waiting for their GraftTimeout1 timer. A message of
// another root that b announced stays with its timer.
func TestPlumtreeRelinkGraftsAnnounced(t *testing.T) {
	cfg := treesConfig()
	h := newPtHarness(t, cfg, "a", "b")
	h.recv("a", gossipOf("o", 1, 0, "p"))
	wantActions(t, "duplicate", h.recv("b", gossipOf("o", 1, 0, "p")), "send b prune(o)")
	h.recv("b", ihaveOf("o", 1, 3, 2))
	h.recv("b", ihaveOf("q", 1, 1))
	wantActions(t, "b grafts o's tree", h.recv("b", graftMsg{Root: "o"}),
		"send b graft(o) []", "send b graft [o/2 o/3]",
		fmt.Sprintf("timer %v plumtree-graft2[o/2 o/3]", cfg.GraftTimeout2))
	if got := h.pt.counters().GraftsRelink; got != 1 {
		t.Fatalf("GraftsRelink = %d, want 1", got)
	}
}

// TestPlumtreeRelinkKeepParent: a new payload of o pushed by b, which we
// hold lazy in o's tree, keeps b (keepParent) and grafts from it the
// message of o it announced before.
func TestPlumtreeRelinkKeepParent(t *testing.T) {
	cfg := treesConfig()
	h := newPtHarness(t, cfg, "a", "b")
	h.recv("a", gossipOf("o", 1, 0, "p"))
	h.recv("b", gossipOf("o", 1, 0, "p"))
	h.recv("b", ihaveOf("o", 1, 2))
	wantActions(t, "o/3 from b", h.recv("b", gossipOf("o", 3, 0, "r")),
		`deliver o/3 "r" from b hops 1`, `send a gossip o/3 r1 "r"`,
		"send b graft(o) []", "send b graft [o/2]",
		fmt.Sprintf("timer %v plumtree-graft2[o/2]", cfg.GraftTimeout2))
}
