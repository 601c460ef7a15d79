package sim

import (
	"slices"
	"testing"

	"github.com/hyparlist/hyparlist"
)

// TestSimTreesSymmetricPerRoot runs the real cores in the simulator: 10
// origins broadcast at the same instant, 8 rounds, on a 200-node overlay
// with churn-free links. Afterwards every active link is eager at both
// ends or lazy at both ends, in the default tree and in every tree root
// both ends track. (The cores' own invariants are checked by the root
// package's Plumtree tests, which can reach them.) (Trees are
// kept however long their root is quiet: a root whose payloads all passed
// before a node joined is tracked at its neighbours and not at it, and it
// starts the root's tree, with every neighbour eager, at the root's next
// payload.)
func TestSimTreesSymmetricPerRoot(t *testing.T) {
	cfg := DefaultSimConfig()
	cfg.Nodes = 200
	cfg.Seed = 5
	cfg.Plumtree.MaxTrees = 1024 // off by default
	s, err := NewSimulation(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.JoinAll()
	s.RunShuffleRounds(5)
	origins := s.pickUpNodes(10)
	for range 8 {
		var idxs []int
		for _, o := range origins {
			idx, err := s.Broadcast(o, false)
			if err != nil {
				t.Fatal(err)
			}
			idxs = append(idxs, idx)
		}
		s.RunUntilSettled(idxs...)
		for _, idx := range idxs {
			if st := s.BroadcastStats(idx); st.Delivered != st.Up {
				t.Fatalf("broadcast %d reached %d of %d nodes", idx, st.Delivered, st.Up)
			}
		}
	}
	pts := make(map[string]*hyparlist.Plumtree)
	for i := range s.Nodes() {
		pt, ok := s.nodes[i].pt.(*hyparlist.Plumtree)
		if !ok {
			t.Fatalf("node %d: Plumtree core is %T", i, s.nodes[i].pt)
		}
		pts[s.peers[i].Name] = pt
	}
	roots := 0
	for name, pt := range pts {
		eager, lazy := pt.TreePeers("")
		for _, nb := range append(eager, lazy...) {
			other := pts[nb.Name]
			if otherEager, _ := other.TreePeers(""); ptHas(otherEager, name) != ptHas(eager, nb.Name) {
				t.Fatalf("link %s–%s asymmetric in the default tree", name, nb.Name)
			}
			for _, root := range pt.TreeRoots() {
				if !slices.Contains(other.TreeRoots(), root) {
					continue
				}
				roots++
				ptEager, _ := pt.TreePeers(root)
				otherEager, _ := other.TreePeers(root)
				if a, b := ptHas(ptEager, nb.Name), ptHas(otherEager, name); a != b {
					t.Fatalf("link %s–%s asymmetric in the tree of %s: %v at %s, %v at %s", name, nb.Name, root, a, name, b, nb.Name)
				}
			}
		}
	}
	if roots == 0 {
		t.Fatal("no tree tracked: the test checks nothing")
	}
}

// ptHas reports whether ps holds a peer called name.
func ptHas(ps []hyparlist.Peer, name string) bool {
	return slices.ContainsFunc(ps, func(p hyparlist.Peer) bool { return p.Name == name })
}
