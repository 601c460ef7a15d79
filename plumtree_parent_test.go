// Plumtree core tests: the link to a node's parent in a root's own tree
// is not pruned by a GRAFT's late answer or an older payload
// (plumtree_parent.go).

package hyparlist

import (
	"testing"
)

// TestPlumtreeParentPruneRefused: a pushed o/1, so it is our parent in
// o's tree; its PRUNE (its GRAFT's answer from us came after its own copy)
// is refused with an empty GRAFT and the link stays eager. The PRUNE of
// b, which is not the parent, is taken.
func TestPlumtreeParentPruneRefused(t *testing.T) {
	h := newPtHarness(t, treesConfig(), "a", "b")
	h.recv("a", gossipOf("o", 1, 0, "p"))
	wantActions(t, "PRUNE from the parent", h.recv("a", pruneMsg{Root: "o"}), "send a graft(o) []")
	wantActions(t, "PRUNE from b", h.recv("b", pruneMsg{Root: "o"}))
	if got := fmtPeers(h.pt.eagerPeersOf("o")); got != "[a]" {
		t.Fatalf("o's tree eager %s, want [a]", got)
	}
	if c := h.pt.counters(); c.GraftsAnswer != 1 {
		t.Fatalf("GraftsAnswer = %d, want 1", c.GraftsAnswer)
	}
}

// TestPlumtreeParentKeptOnOlderDuplicate: a pushed o/5, the newest payload
// of o's tree here; b brought o/4 first, and a's late copy of o/4 prunes
// nothing, while a second copy of o/5 from a prunes a as in the paper.
func TestPlumtreeParentKeptOnOlderDuplicate(t *testing.T) {
	h := newPtHarness(t, treesConfig(), "a", "b")
	h.recv("a", gossipOf("o", 5, 0, "p"))
	h.recv("b", gossipOf("o", 4, 0, "q"))
	wantActions(t, "o/4 again, from a", h.recv("a", gossipOf("o", 4, 0, "q")))
	wantActions(t, "o/5 again, from a", h.recv("a", gossipOf("o", 5, 0, "p")), "send a prune(o)")
}

// TestPlumtreeParentNotAnOlderPayloadsSender: b brings o/4 after a pushed
// o/5: a stays the parent, so a's PRUNE is refused and b's is taken.
func TestPlumtreeParentNotAnOlderPayloadsSender(t *testing.T) {
	h := newPtHarness(t, treesConfig(), "a", "b")
	h.recv("a", gossipOf("o", 5, 0, "p"))
	h.recv("b", gossipOf("o", 4, 0, "q"))
	wantActions(t, "PRUNE from b", h.recv("b", pruneMsg{Root: "o"}))
	wantActions(t, "PRUNE from a", h.recv("a", pruneMsg{Root: "o"}), "send a graft(o) []")
}

// TestPlumtreeParentNotWithOneTree: with one tree (MaxTrees 0) the rules
// of plumtree_parent.go do not apply, as in the paper: the late copy of
// o/4 from a, which pushed the newer o/5, prunes a (with per-root trees it
// prunes nothing: TestPlumtreeParentKeptOnOlderDuplicate), and a PRUNE
// from the neighbour that pushed the newest payload is taken.
func TestPlumtreeParentNotWithOneTree(t *testing.T) {
	h := newPtHarness(t, DefaultPlumtreeConfig(), "a", "b")
	h.recv("a", gossipOf("o", 5, 0, "p"))
	h.recv("b", gossipOf("o", 4, 0, "q"))
	wantActions(t, "o/4 again, from a", h.recv("a", gossipOf("o", 4, 0, "q")), "send a prune(o)")
	h.recv("b", gossipOf("o", 6, 0, "r"))
	wantActions(t, "PRUNE from b, which pushed o/6", h.recv("b", pruneMsg{Root: "o"}))
}
