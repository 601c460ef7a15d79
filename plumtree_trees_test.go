package hyparlist

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// Tests of the per-root trees (plumtree_trees.go).

// treeSets formats the eager and lazy peers of the tree rooted at root.
func treeSets(h *ptHarness, root string) string {
	return "eager=" + fmtPeers(h.pt.eagerPeersOf(root)) + " lazy=" + fmtPeers(h.pt.lazyPeersOf(root))
}

// treesConfig is the default configuration with per-root trees on (they
// are off by default, see PlumtreeConfig.MaxTrees).
func treesConfig() PlumtreeConfig {
	cfg := DefaultPlumtreeConfig()
	cfg.MaxTrees = 1024
	return cfg
}

// TestPlumtreeTreesPruneIsPerRoot: a link grafted for root r2 stays eager
// in r2's tree when the duplicates of another root prune it, so r2's next
// payload is pushed on it; a root without an override follows the default
// tree, which the PRUNE changed as the single set did.
func TestPlumtreeTreesPruneIsPerRoot(t *testing.T) {
	h := newPtHarness(t, treesConfig(), "a", "b")
	h.recv("a", gossipOf("r1", 1, 0, "p"))
	wantActions(t, "duplicate of r1", h.recv("b", gossipOf("r1", 1, 0, "p")), "send b prune(r1)")
	wantSets(t, h, "eager=[a] lazy=[b]")

	// b grafts a message of r2: eager in r2's tree (acknowledged, as it
	// was lazy there) and in the default tree.
	h.recv("a", gossipOf("r2", 1, 0, "q"))
	wantActions(t, "graft of r2", h.recv("b", graftMsg{IDs: []MessageID{{Origin: "r2", Seq: 1}}}),
		"send b graft(r2) []", `send b gossip r2/1 r1 "q"`)
	wantSets(t, h, "eager=[a b] lazy=[]")

	// A duplicate of r3 prunes b again: in r3's tree and the default tree,
	// not in r2's.
	h.recv("a", gossipOf("r3", 1, 0, "s"))
	wantActions(t, "duplicate of r3", h.recv("b", gossipOf("r3", 1, 0, "s")), "send b prune(r3)")
	wantSets(t, h, "eager=[a] lazy=[b]")
	if got := treeSets(h, "r2"); got != "eager=[a b] lazy=[]" {
		t.Fatalf("r2's tree: %s", got)
	}
	if got := treeSets(h, "r4"); got != "eager=[a] lazy=[b]" {
		t.Fatalf("untracked root r4: %s, want the default tree", got)
	}

	// r2's next payload goes to b at once; so does r4's first one: r4 is
	// tracked from that push on, its tree starting with every neighbour
	// eager (the default tree would have left b to an IHAVE).
	wantActions(t, "r2 from a", h.recv("a", gossipOf("r2", 2, 0, "u")),
		`deliver r2/2 "u" from a hops 1`, `send b gossip r2/2 r1 "u"`)
	wantActions(t, "r4 from a", h.recv("a", gossipOf("r4", 1, 0, "v")),
		`deliver r4/1 "v" from a hops 1`, `send b gossip r4/1 r1 "v"`)
	if got := h.pt.TreeRoots(); !slices.Equal(got, []string{"r1", "r2", "r3", "r4"}) {
		t.Fatalf("tracked roots %v, want [r1 r2 r3 r4]", got)
	}
	if got := treeSets(h, "r4"); got != "eager=[a b] lazy=[]" {
		t.Fatalf("r4's tree after its first push: %s, want every neighbour eager", got)
	}
}

// TestPlumtreeTreesLeastRecentlyUsedEvicted: with MaxTrees 2, a third
// root's PRUNE forgets the least recently used tree, whose links then
// follow the default tree.
func TestPlumtreeTreesLeastRecentlyUsedEvicted(t *testing.T) {
	cfg := treesConfig()
	cfg.MaxTrees = 2
	h := newPtHarness(t, cfg, "a", "b")
	h.recv("b", pruneMsg{Root: "r1"})
	h.recv("b", pruneMsg{Root: "r2"})
	h.recv("b", graftMsg{Root: "r2"})      // default tree eager again
	h.recv("a", gossipOf("r1", 1, 0, "p")) // a push of r1: r2 is older now
	if got := treeSets(h, "r1"); got != "eager=[a] lazy=[b]" {
		t.Fatalf("r1's tree: %s", got)
	}
	h.recv("a", pruneMsg{Root: "r3"})
	if got := h.pt.TreeRoots(); !slices.Equal(got, []string{"r1", "r3"}) {
		t.Fatalf("tracked roots %v, want [r1 r3]", got)
	}
	if got := treeSets(h, "r2"); got != "eager=[b] lazy=[a]" {
		t.Fatalf("forgotten r2: %s, want the default tree", got)
	}
}

// TestPlumtreeTreesSlotReused: a neighbour that takes the slot of one that
// left is eager in every tree, whatever the trees held for the old one.
func TestPlumtreeTreesSlotReused(t *testing.T) {
	h := newPtHarness(t, treesConfig(), "a", "b")
	h.recv("b", pruneMsg{Root: "r1"})
	h.recv("b", graftMsg{Root: "r9"})
	h.step(NeighborDown{Peer: ptTestPeer("b")})
	h.step(NeighborUp{Peer: ptTestPeer("c")})
	if got := treeSets(h, "r1"); got != "eager=[a c] lazy=[]" {
		t.Fatalf("r1's tree after c took b's slot: %s", got)
	}
	// NeighborUp of a known neighbour makes it eager in every tree.
	h.recv("c", pruneMsg{Root: "r1"})
	h.step(NeighborUp{Peer: ptTestPeer("c")})
	if got := treeSets(h, "r1"); got != "eager=[a c] lazy=[]" {
		t.Fatalf("r1's tree after NeighborUp: %s", got)
	}
}

// TestPlumtreeTreesRootlessMessages: a PRUNE or empty GRAFT without a root
// (from a node of wire version 1 or 2, which keeps one set) applies to
// every tree; the GRAFT is acknowledged without a root.
func TestPlumtreeTreesRootlessMessages(t *testing.T) {
	h := newPtHarness(t, treesConfig(), "a", "b")
	h.recv("b", graftMsg{Root: "r1"})
	h.recv("b", pruneMsg{Root: "r2"})
	wantActions(t, "rootless prune", h.recv("b", pruneMsg{}))
	for _, root := range []string{"r1", "r2", "r3"} {
		if got := treeSets(h, root); got != "eager=[a] lazy=[b]" {
			t.Fatalf("%s after a rootless PRUNE: %s", root, got)
		}
	}
	wantActions(t, "rootless graft", h.recv("b", graftMsg{}), "send b graft []")
	for _, root := range []string{"r1", "r2", "r3"} {
		if got := treeSets(h, root); got != "eager=[a b] lazy=[]" {
			t.Fatalf("%s after a rootless GRAFT: %s", root, got)
		}
	}
	wantActions(t, "rootless graft, eager everywhere", h.recv("b", graftMsg{}))
}

// TestPlumtreeTreesDisabled: MaxTrees 0 keeps the single set; PRUNE and
// GRAFT still name their root on the wire.
func TestPlumtreeTreesDisabled(t *testing.T) {
	cfg := treesConfig()
	cfg.MaxTrees = 0
	h := newPtHarness(t, cfg, "a", "b")
	h.recv("b", graftMsg{Root: "r1"})
	h.recv("b", pruneMsg{Root: "r2"})
	if got := treeSets(h, "r1"); got != "eager=[a] lazy=[b]" {
		t.Fatalf("r1 with MaxTrees 0: %s, want the single set", got)
	}
	if roots := h.pt.TreeRoots(); len(roots) != 0 {
		t.Fatalf("tracked roots %v with MaxTrees 0", roots)
	}
	h.recv("a", gossipOf("r1", 1, 0, "p"))
	wantActions(t, "duplicate", h.recv("b", gossipOf("r1", 1, 0, "p")), "send b prune(r1)")
}

// TestPlumtreeAnnouncerNotPushed: a payload is neither pushed nor
// announced to a neighbour that announced it. An eager announcer of a
// message that was grafted is pruned in the payload's tree instead, as the
// duplicate would have made it; one that was eager before (a neighbour
// replaying its cache on a new link) keeps its link.
func TestPlumtreeAnnouncerNotPushed(t *testing.T) {
	h := newPtHarness(t, treesConfig(), "a", "b", "c")
	h.recv("b", ihaveOf("o", 0, 1))
	h.recv("c", pruneMsg{Root: "o"})
	h.recv("c", ihaveOf("o", 0, 1))
	wantActions(t, "payload from a", h.recv("a", gossipOf("o", 1, 0, "p")), `deliver o/1 "p" from a hops 1`)
	if got := treeSets(h, "o"); got != "eager=[a b] lazy=[c]" {
		t.Fatalf("o's tree: %s", got)
	}

	// o/2 is announced by c (lazy) and grafted from it; the payload then
	// comes from a: c, eager since the GRAFT, is pruned.
	acts := h.recv("c", ihaveOf("o", 0, 2))
	if len(acts) != 1 {
		t.Fatalf("IHAVE from c: %q", fmtActions(acts))
	}
	tm := acts[0].(SetTimer).Timer
	wantActions(t, "graft timer", h.step(TimerFired{Timer: tm}), "send c graft [o/2]",
		"timer "+h.pt.cfg.GraftTimeout2.String()+" plumtree-graft2[o/2]")
	wantActions(t, "payload from a", h.recv("a", gossipOf("o", 2, 0, "q")), `deliver o/2 "q" from a hops 1`,
		`send b gossip o/2 r1 "q"`, "send c prune(o)")
	if got := treeSets(h, "o"); got != "eager=[a b] lazy=[c]" {
		t.Fatalf("o's tree after the graft: %s", got)
	}
}

// ptTreePlusLinks makes a ptNet of n nodes named n00, n01, ... linked as a
// random tree plus 2n random links, latencies drawn from lat, choices from
// rng.
func ptTreePlusLinks(t *testing.T, cfg PlumtreeConfig, rng *rand.Rand, n int, lat func() time.Duration) (*ptNet, []string) {
	t.Helper()
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("n%02d", i)
	}
	net := newPtNet(t, cfg, names...)
	for i := 1; i < len(names); i++ {
		net.link(names[i], names[rng.IntN(i)], lat())
	}
	for range 2 * len(names) {
		if a, b := rng.IntN(len(names)), rng.IntN(len(names)); a != b {
			net.link(names[a], names[b], lat())
		}
	}
	return net, names
}

// ptRepeatedSenders runs rounds in which each of senders origins
// broadcasts at the same instant on a fixed random overlay of 60 nodes,
// and returns the GRAFTs that asked for payloads (repair rounds) and the
// payloads sent in the last half of the rounds.
func ptRepeatedSenders(t *testing.T, maxTrees, senders, rounds int) (grafts, payloads int) {
	t.Helper()
	cfg := treesConfig()
	cfg.MaxTrees = maxTrees
	rng := rand.New(rand.NewPCG(11, 12))
	lat := func() time.Duration { return time.Duration(1+rng.IntN(30)) * time.Millisecond }
	net, names := ptTreePlusLinks(t, cfg, rng, 60, lat)
	counting := false
	net.drop = func(_, _ string, m Message) bool {
		if !counting {
			return false
		}
		switch m := m.(type) {
		case graftMsg:
			if len(m.IDs) > 0 {
				grafts++
			}
		case gossipMsg:
			payloads++
		}
		return false
	}
	for r := range rounds {
		counting = r >= rounds/2
		start := net.elapsed() + time.Second
		for s := range senders {
			origin := names[s*len(names)/senders]
			net.at(start, func() { net.broadcast(origin, "p") })
		}
		net.run(0)
	}
	net.checkSymmetric()
	return grafts, payloads
}

// TestPlumtreeTreesRemoveRepairRounds: with several origins broadcasting
// at the same instants over and over, one shared tree keeps being pruned
// by one origin's duplicates where another origin's tree needs the link,
// and grafted back after GraftTimeout1; per-root trees settle, and the
// later rounds need no repair GRAFT.
func TestPlumtreeTreesRemoveRepairRounds(t *testing.T) {
	sharedGrafts, sharedPayloads := ptRepeatedSenders(t, 0, 6, 30)
	treeGrafts, treePayloads := ptRepeatedSenders(t, 1024, 6, 30)
	t.Logf("last 15 rounds: one tree %d repair GRAFTs, %d payloads; per-root trees %d, %d", sharedGrafts, sharedPayloads, treeGrafts, treePayloads)
	if sharedGrafts == 0 {
		t.Fatalf("one shared tree needed no repair: the scenario does not test anything")
	}
	if treeGrafts != 0 {
		t.Errorf("per-root trees: %d repair GRAFTs in the last rounds, want 0", treeGrafts)
	}
}

// TestPlumtreeTreesStart: a root's tree starts with every neighbour eager
// at its first push (the paper's initial state, per root), and other
// roots' PRUNEs change the default tree, not it; it is kept however long
// its root is quiet. Once MaxTrees roots are tracked, a new root replaces
// the least recently used one and starts from the default tree.
func TestPlumtreeTreesStart(t *testing.T) {
	cfg := treesConfig()
	cfg.MaxTrees = 2
	h := newPtHarness(t, cfg, "a", "b", "c")
	h.recv("c", pruneMsg{}) // rootless: c lazy in the default tree
	wantSets(t, h, "eager=[a b] lazy=[c]")
	wantActions(t, "r1's first payload", h.recv("a", gossipOf("r1", 1, 0, "p")),
		`deliver r1/1 "p" from a hops 1`, `send b gossip r1/1 r1 "p"`, `send c gossip r1/1 r1 "p"`)
	// Another root's PRUNE from b changes the default tree and r0's tree,
	// not r1's.
	h.recv("b", pruneMsg{Root: "r0"})
	wantSets(t, h, "eager=[a] lazy=[b c]")
	if got := treeSets(h, "r1"); got != "eager=[a b c] lazy=[]" {
		t.Fatalf("r1's tree: %s", got)
	}
	// A minute of quiet: r1's tree is kept.
	h.now += time.Minute
	h.step(Start{}) // moves the core's clock
	if got := h.pt.TreeRoots(); !slices.Equal(got, []string{"r0", "r1"}) {
		t.Fatalf("tracked roots %v, want [r0 r1]", got)
	}
	// r2 replaces r1, the least recently used: the default tree, with the
	// neighbour that pushed the payload eager.
	wantActions(t, "r2's first payload", h.recv("c", gossipOf("r2", 1, 0, "q")),
		`deliver r2/1 "q" from c hops 1`, `send a gossip r2/1 r1 "q"`, "timer 5ms plumtree-ihave-flush")
	if got := h.pt.TreeRoots(); !slices.Equal(got, []string{"r0", "r2"}) {
		t.Fatalf("tracked roots %v, want [r0 r2]", got)
	}
	if got := treeSets(h, "r2"); got != "eager=[a c] lazy=[b]" {
		t.Fatalf("r2's tree: %s, want the default tree with c eager", got)
	}
}

// TestPlumtreeTreesRegraftOnNeighborDown: when a neighbour goes down, in
// every tree it was a link of (parent or eager) and that was used within
// TreeIdle, every lazy neighbour is grafted for the tree's root, so that
// the root's next payload reaches this side by eager push; a tree in
// which it was lazy, or that has been idle for TreeIdle, is left alone.
func TestPlumtreeTreesRegraftOnNeighborDown(t *testing.T) {
	cfg := treesConfig()
	cfg.TreeIdle = 5 * time.Second
	h := newPtHarness(t, cfg, "a", "b", "c", "d")
	// r3's payload comes from a (the parent), b's duplicate prunes b;
	// then r3 stays quiet for longer than TreeIdle.
	h.recv("a", gossipOf("r3", 1, 0, "s"))
	h.recv("b", gossipOf("r3", 1, 0, "s"))
	h.now += 6 * time.Second
	// r1's payload comes from a (the parent); b's and c's duplicates
	// prune them.
	h.recv("a", gossipOf("r1", 1, 0, "p"))
	h.recv("b", gossipOf("r1", 1, 0, "p"))
	h.recv("c", gossipOf("r1", 1, 0, "p"))
	// r2's payload comes from b; a's and c's duplicates prune them.
	h.recv("b", gossipOf("r2", 1, 0, "q"))
	h.recv("a", gossipOf("r2", 1, 0, "q"))
	h.recv("c", gossipOf("r2", 1, 0, "q"))
	// r4's payload comes from d; a stays eager (a child), b is pruned.
	h.recv("d", gossipOf("r4", 1, 0, "u"))
	h.recv("b", pruneMsg{Root: "r4"})
	for root, want := range map[string]string{
		"r1": "eager=[a d] lazy=[b c]",
		"r2": "eager=[b d] lazy=[a c]",
		"r3": "eager=[a c d] lazy=[b]",
		"r4": "eager=[a c d] lazy=[b]",
	} {
		if got := treeSets(h, root); got != want {
			t.Fatalf("%s's tree before: %s, want %s", root, got, want)
		}
	}

	// a goes down: r1 (a the parent) and r4 (a a child) are regrafted;
	// r2 (a lazy) is not, nor r3 (idle for 6 s).
	wantActions(t, "a down", h.step(NeighborDown{Peer: ptTestPeer("a")}),
		"send b graft(r1) []", "send c graft(r1) []", "send b graft(r4) []")
	for root, want := range map[string]string{
		"r1": "eager=[b c d] lazy=[]",
		"r2": "eager=[b d] lazy=[c]",
		"r3": "eager=[c d] lazy=[b]",
		"r4": "eager=[b c d] lazy=[]",
	} {
		if got := treeSets(h, root); got != want {
			t.Errorf("%s's tree after: %s, want %s", root, got, want)
		}
	}
}

// TestPlumtreeTreesKeepParent: a new payload pushed by a neighbour held
// lazy in its root's tree (a PRUNE of ours crossed it) keeps that link
// eager, at both ends (an empty GRAFT for the root): it is the link that
// brought the payload first. With one shared tree the neighbour is told
// PRUNE again, as before.
func TestPlumtreeTreesKeepParent(t *testing.T) {
	for _, tc := range []struct {
		maxTrees int
		want     string
		sets     string
	}{
		{1024, "send b graft(r) []", "eager=[a b] lazy=[]"},
		{0, "send b prune(r)", "eager=[a] lazy=[b]"},
	} {
		cfg := treesConfig()
		cfg.MaxTrees = tc.maxTrees
		h := newPtHarness(t, cfg, "a", "b")
		h.recv("a", gossipOf("r", 1, 0, "p"))
		wantActions(t, "duplicate", h.recv("b", gossipOf("r", 1, 0, "p")), "send b prune(r)")
		// r/2 reaches us from b first: b pushed it before our PRUNE.
		wantActions(t, "r/2 from b", h.recv("b", gossipOf("r", 2, 0, "q")),
			`deliver r/2 "q" from b hops 1`, `send a gossip r/2 r1 "q"`, tc.want)
		if got := treeSets(h, "r"); got != tc.sets {
			t.Errorf("MaxTrees %d: r's tree %s, want %s", tc.maxTrees, got, tc.sets)
		}
	}
}
