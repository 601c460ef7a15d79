// Plumtree core tests: a root's own tree starts as the tree of first
// arrivals, not as a copy of the shared tree.

package hyparlist

import (
	"fmt"
	"testing"
	"time"
)

// TestPlumtreeOwnTreeFirstArrivals: on a ring of 8 nodes the shared tree is
// a path, the ring without one link (the duplicates of n4's announcement
// pruned it). The root n0's first payload travels on that path; its second
// starts n0's own tree. Copied from the shared tree (the rule before
// session 15), that tree was the path too, and reached the node at its far
// end in 7 hops, every later payload as well. Started with every neighbour
// eager, the second payload floods once (9 copies: each of the 8 links,
// and the one where the two waves meet both ways) and its
// duplicates prune the ring to the tree of first arrivals: every node
// within 4 hops of n0, and from then on one copy per node.
func TestPlumtreeOwnTreeFirstArrivals(t *testing.T) {
	names := make([]string, 8)
	for i := range names {
		names[i] = fmt.Sprintf("n%d", i)
	}
	net := newPtNet(t, treesConfig(), names...)
	for i, a := range names {
		net.link(a, names[(i+1)%len(names)], time.Millisecond)
	}
	// The ring's link n3–n4 is slower, so n4's announcement reaches n0
	// by n5, n6, n7 first and the shared tree loses the link n0–n1.
	net.setLatency("n3", "n4", 3*time.Millisecond)
	net.at(time.Second, func() {
		net.step("n4", BroadcastPayload{Class: ClassMembership, Payload: []byte("alive")})
	})
	net.run(0)
	if got := fmtPeers(net.nodes["n0"].pt.treePeers(ptSharedTree, true)); got != "[n7]" {
		t.Fatalf("n0's shared tree eager %s, want [n7] (the ring without n0–n1)", got)
	}
	payloads := 0
	net.drop = func(_, _ string, m Message) bool {
		if _, ok := m.(gossipMsg); ok {
			payloads++
		}
		return false
	}
	depth := 0
	net.onDeliver = func(_ string, d Deliver) { depth = max(depth, int(d.Hops)) }
	for i, want := range []struct{ payloads, depth int }{
		{7, 7}, // the root's first payload, on the shared tree's path
		{9, 4}, // its second starts its own tree: a flood
		{7, 4}, // then the tree of first arrivals
		{7, 4},
	} {
		payloads, depth = 0, 0
		net.at(net.elapsed()+time.Second, func() { net.broadcast("n0", "p") })
		net.run(0)
		if payloads != want.payloads || depth != want.depth {
			t.Errorf("n0's broadcast %d: %d payloads, deepest delivery %d hops; want %d and %d", i+1, payloads, depth, want.payloads, want.depth)
		}
	}
	net.checkSymmetric()
}
