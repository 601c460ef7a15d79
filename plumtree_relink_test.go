// Plumtree core tests: a link made eager again grafts what its neighbour
// announced while it was lazy (plumtree_relink.go).

package hyparlist

import (
	"fmt"
	"testing"
)

// TestPlumtreeRelinkGraftsAnnounced: b, our parent in root o's tree (it
// brought o/2 first), sends o/2 again, which prunes the link (a PRUNE
// from b would be refused: plumtree_parent.go), and announces o/3 and o/4; when b
// makes the link eager again (its empty GRAFT for o), both are grafted
// from b at once, in one GRAFT, with a GraftTimeout2 timer, instead of
// waiting for their GraftTimeout1 timer. A message of another root that b
// announced keeps its timer, and the empty GRAFT of c, which is not the
// parent, grafts nothing: what c announced may be on its way from b.
func TestPlumtreeRelinkGraftsAnnounced(t *testing.T) {
	cfg := treesConfig()
	h := newPtHarness(t, cfg, "a", "b", "c")
	h.recv("a", gossipOf("o", 1, 0, "p"))
	h.recv("b", gossipOf("o", 2, 0, "q"))
	h.recv("b", gossipOf("o", 2, 0, "q")) // a duplicate: b goes lazy
	h.recv("c", pruneMsg{Root: "o"})
	h.recv("b", ihaveOf("o", 1, 4, 3))
	h.recv("c", ihaveOf("o", 1, 5))
	h.recv("b", ihaveOf("q", 1, 1))
	wantActions(t, "c grafts o's tree", h.recv("c", graftMsg{Root: "o"}), "send c graft(o) []")
	wantActions(t, "b grafts o's tree", h.recv("b", graftMsg{Root: "o"}),
		"send b graft(o) []", "send b graft [o/3 o/4]",
		fmt.Sprintf("timer %v plumtree-graft2[o/3 o/4]", cfg.GraftTimeout2))
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

// TestPlumtreeRelinkNotOnSharedTree: on the shared tree, which carries the
// first payloads of many roots, an empty GRAFT from the parent grafts
// nothing: the missing payloads it announced may come from elsewhere.
func TestPlumtreeRelinkNotOnSharedTree(t *testing.T) {
	h := newPtHarness(t, treesConfig(), "a", "b")
	h.recv("b", sharedOf("o", 1, ClassUser, "p"))
	h.recv("b", ihaveMsg{Entries: []ihaveEntry{{ID: MessageID{Origin: "o", Seq: 2 | ptSharedBit}, Round: 1}}})
	wantActions(t, "b grafts the shared tree", h.recv("b", graftMsg{Root: "o", Shared: true}))
}

// TestPlumtreeRelinkScansOnlyAfterAnnouncements: the parent's empty
// GRAFTs scan the missing table only when it announced a message we miss
// since the last scan; a second GRAFT with nothing new announced grafts
// nothing (and costs no scan), a new IHAVE re-arms it.
func TestPlumtreeRelinkScansOnlyAfterAnnouncements(t *testing.T) {
	cfg := treesConfig()
	h := newPtHarness(t, cfg, "a", "b", "c")
	h.recv("a", gossipOf("o", 1, 0, "p"))
	h.recv("b", gossipOf("o", 2, 0, "q"))
	h.recv("b", gossipOf("o", 2, 0, "q")) // a duplicate: b goes lazy
	h.recv("c", ihaveOf("o", 1, 3))
	wantActions(t, "c announced o/3, b did not", h.recv("b", graftMsg{Root: "o"}), "send b graft(o) []")
	h.recv("b", ihaveOf("o", 1, 3))
	h.recv("b", gossipOf("o", 2, 0, "q")) // a duplicate: b goes lazy
	wantActions(t, "b announced o/3", h.recv("b", graftMsg{Root: "o"}),
		"send b graft(o) []", "send b graft [o/3]",
		fmt.Sprintf("timer %v plumtree-graft2[o/3]", cfg.GraftTimeout2))
	h.recv("b", gossipOf("o", 2, 0, "q")) // a duplicate: b goes lazy
	wantActions(t, "nothing new from b", h.recv("b", graftMsg{Root: "o"}), "send b graft(o) []")
	if got := h.pt.counters().GraftsRelink; got != 1 {
		t.Fatalf("GraftsRelink = %d, want 1", got)
	}
}

// TestPlumtreeRelinkNextGraftAnother: after the relink asked b for o/3,
// which c announced first, the timer's next GRAFT goes to c, not to b
// again.
func TestPlumtreeRelinkNextGraftAnother(t *testing.T) {
	cfg := treesConfig()
	h := newPtHarness(t, cfg, "a", "b", "c")
	h.recv("a", gossipOf("o", 1, 0, "p"))
	h.recv("b", gossipOf("o", 2, 0, "q"))
	h.recv("b", gossipOf("o", 2, 0, "q")) // a duplicate: b goes lazy
	h.recv("c", ihaveOf("o", 1, 3))
	h.recv("b", ihaveOf("o", 1, 3))
	wantActions(t, "b grafts o's tree", h.recv("b", graftMsg{Root: "o"}),
		"send b graft(o) []", "send b graft [o/3]",
		fmt.Sprintf("timer %v plumtree-graft2[o/3]", cfg.GraftTimeout2))
	e := h.pt.missing.m[MessageID{Origin: "o", Seq: 3}]
	if tgt, _ := h.pt.graftTarget(&e); tgt == nil || tgt.peer.Name != "c" {
		t.Fatalf("next GRAFT to %v, want c", tgt)
	}
}
