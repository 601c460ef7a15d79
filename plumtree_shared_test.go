package hyparlist

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// Tests of the shared tree (plumtree_shared.go).

// sharedOf is gossipOf for a message on the shared tree.
func sharedOf(origin string, seq uint64, class Class, payload string) gossipMsg {
	g := gossipOf(origin, seq|ptSharedBit, 0, payload)
	g.Class = class
	return g
}

// TestPlumtreeSharedChoiceAtRoot: with per-root trees, a root sends its
// membership announcements and a user payload whose previous one is
// TreeIdle or more in the past (or that has none) on the shared tree,
// and a user payload within TreeIdle of the previous one on its own tree
// (membership announcements in between do not count).
// With MaxTrees 0 nothing goes on the shared tree; with TreeIdle 0 every
// user payload goes on the root's own tree.
func TestPlumtreeSharedChoiceAtRoot(t *testing.T) {
	type bc struct {
		after time.Duration // since the previous broadcast
		class Class
	}
	seq := []bc{{0, ClassUser}, {time.Second, ClassUser}, {time.Second, ClassMembership}, {3 * time.Second, ClassUser}, {6 * time.Second, ClassUser}, {time.Millisecond, ClassUser}}
	for _, tc := range []struct {
		name     string
		maxTrees int
		treeIdle time.Duration
		want     []bool // shared, per broadcast
	}{
		{"per-root trees", 1024, 5 * time.Second, []bool{true, false, true, false, true, false}},
		{"MaxTrees 0", 0, 5 * time.Second, []bool{false, false, false, false, false, false}},
		{"TreeIdle 0", 1024, 0, []bool{false, false, true, false, false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := treesConfig()
			cfg.MaxTrees, cfg.TreeIdle = tc.maxTrees, tc.treeIdle
			h := newPtHarness(t, cfg, "a")
			for i, b := range seq {
				h.now += b.after
				acts := h.step(BroadcastPayload{Class: b.class, Payload: []byte("p")})
				d, ok := acts[0].(Deliver)
				if !ok {
					t.Fatalf("broadcast %d: %q", i, fmtActions(acts))
				}
				if got := d.ID.Seq&ptSharedBit != 0; got != tc.want[i] {
					t.Errorf("broadcast %d (%v after the previous, class %v): shared %v, want %v", i, b.after, b.class, got, tc.want[i])
				}
			}
		})
	}
}

// TestPlumtreeSharedMakesNoTree: messages on the shared tree track no
// root (a membership announcement no longer starts a flooded tree per
// node), their duplicates prune the shared tree and the default tree with
// a PRUNE that says so, and the root's own tree is left alone.
func TestPlumtreeSharedMakesNoTree(t *testing.T) {
	h := newPtHarness(t, treesConfig(), "a", "b", "c")
	h.recv("a", gossipOf("o", 1, 0, "own"))
	h.recv("b", gossipOf("o", 1, 0, "own")) // prunes b in o's tree
	if got := treeSets(h, "o"); got != "eager=[a c] lazy=[b]" {
		t.Fatalf("o's tree: %s", got)
	}
	wantActions(t, "announcement from a", h.recv("a", sharedOf("o", 2, ClassMembership, "alive")),
		`deliver o/9223372036854775810 "alive" from a hops 1`,
		`send b gossip o/9223372036854775810 r1 "alive"`, `send c gossip o/9223372036854775810 r1 "alive"`)
	wantActions(t, "duplicate from c", h.recv("c", sharedOf("o", 2, ClassMembership, "alive")), "send c prune(shared o)")
	if got := h.pt.TreeRoots(); !slices.Equal(got, []string{"o"}) {
		t.Fatalf("tracked roots %v, want [o] (the shared tree is no root's)", got)
	}
	if got := fmtPeers(h.pt.treePeers(ptSharedTree, false)); got != "[c]" {
		t.Errorf("shared tree lazy %s, want [c]", got)
	}
	if got := treeSets(h, "o"); got != "eager=[a c] lazy=[b]" {
		t.Errorf("o's tree after a shared PRUNE: %s, want it unchanged", got)
	}
	// A shared PRUNE from b prunes b in the shared tree only.
	h.recv("b", pruneMsg{Root: "o", Shared: true})
	if got := fmtPeers(h.pt.treePeers(ptSharedTree, true)); got != "[a]" {
		t.Errorf("shared tree eager %s, want [a]", got)
	}
	if got := treeSets(h, "o"); got != "eager=[a c] lazy=[b]" {
		t.Errorf("o's tree after a shared PRUNE: %s, want it unchanged", got)
	}
	// The shared GRAFT of an ID is acknowledged in the shared tree.
	wantActions(t, "graft from c", h.recv("c", graftMsg{IDs: []MessageID{{Origin: "o", Seq: 2 | ptSharedBit}}}),
		"send c graft(shared o) []", `send c gossip o/9223372036854775810 r1 "alive"`)
}

// TestPlumtreeSharedKeepsParent: on the shared tree a PRUNE from a
// neighbour that brought this node a new payload first within the last
// one to two GraftTimeout2 is refused with an empty GRAFT (it crossed the
// payload: the link is the node's way to the payloads of the moment);
// one from another neighbour, or after that time, is applied. Per-root
// trees and the default tree keep the paper's rule.
func TestPlumtreeSharedKeepsParent(t *testing.T) {
	h := newPtHarness(t, treesConfig(), "a", "b", "c")
	gt2 := h.pt.cfg.GraftTimeout2
	h.recv("a", sharedOf("x", 1, ClassMembership, "A"))
	h.recv("b", sharedOf("y", 1, ClassMembership, "B"))
	wantActions(t, "A's duplicate from b", h.recv("b", sharedOf("x", 1, ClassMembership, "A")), "send b prune(shared x)")
	h.now += gt2 / 2
	wantActions(t, "PRUNE from a, the parent of A", h.recv("a", pruneMsg{Root: "y", Shared: true}), "send a graft(shared y) []")
	wantActions(t, "PRUNE from c", h.recv("c", pruneMsg{Root: "y", Shared: true}))
	if got := fmtPeers(h.pt.treePeers(ptSharedTree, true)); got != "[a]" {
		t.Errorf("shared tree eager %s, want [a]", got)
	}
	// o's tree starts with every neighbour eager, and a's PRUNE for it
	// is applied.
	wantActions(t, "PRUNE of o's tree from a", h.recv("a", pruneMsg{Root: "o"}))
	if got := treeSets(h, "o"); got != "eager=[b c] lazy=[a]" {
		t.Errorf("o's tree %s, want a lazy", got)
	}
	h.now += 2 * gt2
	wantActions(t, "PRUNE from a, later", h.recv("a", pruneMsg{Root: "y", Shared: true}))
	if got := fmtPeers(h.pt.treePeers(ptSharedTree, true)); got != "[]" {
		t.Errorf("shared tree eager %s, want none", got)
	}
}

// ptCopiesAfterAnnouncement runs 40 Plumtree cores with per-root trees on
// a random tree plus links: one node broadcasts a membership announcement
// (the shared tree takes shape), then root broadcasts three times, 1 s
// apart. It returns the payloads sent and the GRAFTs for payloads of each
// of the root's broadcasts, and the roots tracked at the end.
func ptCopiesAfterAnnouncement(t *testing.T, treeIdle time.Duration) (payloads, grafts [3]int, roots int) {
	t.Helper()
	cfg := treesConfig()
	cfg.TreeIdle = treeIdle
	rng := rand.New(rand.NewPCG(41, 42))
	net, names := ptTreePlusLinks(t, cfg, rng, 40, func() time.Duration { return time.Duration(1+rng.IntN(20)) * time.Millisecond })
	phase := -1
	net.drop = func(_, _ string, m Message) bool {
		if phase < 0 {
			return false
		}
		switch m := m.(type) {
		case gossipMsg:
			payloads[phase]++
		case graftMsg:
			if len(m.IDs) > 0 {
				grafts[phase]++
			}
		}
		return false
	}
	net.at(time.Second, func() {
		net.step(names[3], BroadcastPayload{Class: ClassMembership, Payload: []byte("alive")})
	})
	net.run(0)
	for phase = range 3 {
		net.at(net.elapsed()+time.Second, func() { net.broadcast(names[17], "p") })
		net.run(0)
	}
	net.checkSymmetric()
	for _, name := range names {
		roots += len(net.nodes[name].pt.TreeRoots())
	}
	return payloads, grafts, roots
}

// TestPlumtreeSharedFirstPushOneTree: a root's first payload travels on
// the shared tree, which one announcement has made a spanning tree: one
// copy per node (39 payloads for 40 nodes), no repair GRAFT, no tree
// tracked. Its second payload, 1 s later, starts its own tree with every
// neighbour eager: one flood (183 payloads), whose duplicates leave the
// tree of first arrivals
// (TestPlumtreeOwnTreeFirstArrivals); the third is one copy per node
// again. With TreeIdle 0 (every user payload on its root's own tree) the
// first payload starts the root's tree, as a copy of the shared tree: no
// flood.
func TestPlumtreeSharedFirstPushOneTree(t *testing.T) {
	payloads, grafts, roots := ptCopiesAfterAnnouncement(t, 5*time.Second)
	t.Logf("payloads %v, repair GRAFTs %v, trees tracked %d", payloads, grafts, roots)
	if payloads != [3]int{39, 183, 39} || grafts != [3]int{} {
		t.Errorf("payloads %v, repair GRAFTs %v, want [39 183 39] and none", payloads, grafts)
	}
	if roots != 40 {
		t.Errorf("%d trees tracked over 40 nodes, want 40 (the root's, from its second payload)", roots)
	}
	payloads, grafts, _ = ptCopiesAfterAnnouncement(t, 0)
	if payloads != [3]int{39, 39, 39} || grafts != [3]int{} {
		t.Errorf("TreeIdle 0: payloads %v, repair GRAFTs %v, want [39 39 39] and none", payloads, grafts)
	}
}
