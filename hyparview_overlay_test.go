package hyparlist

import (
	"fmt"
	"testing"
	"time"
)

// Overlay-level tests: many nodes on the test network, checked for the
// shape of the resulting graph.

// hvInDegrees counts, for every live node, how many live passive views
// hold it.
func hvInDegrees(n *hvNet) map[string]int {
	in := map[string]int{}
	for _, name := range n.alive() {
		for _, p := range n.core(name).PassiveView() {
			in[p.Name]++
		}
	}
	return in
}

// hvLargestComponent returns the size of the largest connected component of the
// active-view graph over live nodes, and the number of live nodes.
func hvLargestComponent(n *hvNet) (largest, alive int) {
	names := n.alive()
	seen := map[string]bool{}
	for _, start := range names {
		if seen[start] {
			continue
		}
		size, stack := 0, []string{start}
		seen[start] = true
		for len(stack) > 0 {
			cur := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			size++
			for _, p := range n.core(cur).ActiveView() {
				if !seen[p.Name] && !n.nodes[p.Name].crashed {
					seen[p.Name] = true
					stack = append(stack, p.Name)
				}
			}
		}
		largest = max(largest, size)
	}
	return largest, len(names)
}

// requireHealthy fails the test unless the run had no error, the active
// views are symmetric, and the live nodes form one connected overlay.
func requireHealthy(t *testing.T, n *hvNet, what string) {
	t.Helper()
	if n.err != nil {
		t.Fatal(n.err)
	}
	if bad := n.asymmetric(); len(bad) > 0 {
		t.Fatalf("%s: asymmetric links: %v", what, bad)
	}
	largest, alive := hvLargestComponent(n)
	t.Logf("%s: largest component %d of %d live nodes", what, largest, alive)
	if largest != alive {
		t.Errorf("%s: overlay split, largest component %d of %d", what, largest, alive)
	}
}

func TestHyParViewContactIsNoHotspot(t *testing.T) {
	nodes := hvSize(1000, 300)
	cfg := DefaultHyParViewConfig()
	n := newHVNet(cfg, 11)
	names := hvNodeNames("n", nodes)
	n.add(names[0])
	maxJoinerIn := 0
	for _, name := range names[1:] {
		n.add(name)
		n.do(name, JoinCluster{Contact: hvPeer(names[0])})
		// Right after its join, the joiner sits in at most one passive
		// view per walk (PRWL) plus those of the neighbours it evicted.
		in := 0
		for _, other := range n.alive() {
			if n.core(other).isPassive(name) {
				in++
			}
		}
		maxJoinerIn = max(maxJoinerIn, in)
		n.advance(10 * time.Millisecond)
	}
	n.advance(5 * cfg.ShuffleInterval)
	requireHealthy(t, n, "after joins")
	in := hvInDegrees(n)
	total := 0
	for _, d := range in {
		total += d
	}
	mean := float64(total) / float64(nodes)
	contact := in[names[0]]
	t.Logf("%d nodes: contact passive in-degree %d, mean %.1f; joiner in-degree after join <= %d; sends %v",
		nodes, contact, mean, maxJoinerIn, n.sent)
	if float64(contact) > 3*mean {
		t.Errorf("contact passive in-degree %d > 3 x mean %.1f", contact, mean)
	}
	if maxJoinerIn > 2*cfg.ActiveViewSize {
		t.Errorf("a joiner entered %d passive views at once, want <= %d", maxJoinerIn, 2*cfg.ActiveViewSize)
	}
	for _, name := range n.alive() {
		if n.core(name).numActive() == 0 {
			t.Errorf("%s isolated", name)
		}
	}
}

func TestHyParViewHealsAfterMassFailure(t *testing.T) {
	// HyParView §5: the overlay survives the failure of half the nodes;
	// repairs from the passive view reconnect the survivors.
	nodes := hvSize(400, 200)
	cfg := DefaultHyParViewConfig()
	n := newHVNet(cfg, 5)
	names := hvNodeNames("n", nodes)
	n.addJoined(names, func(i int) string { return names[i/2] })
	n.advance(5 * cfg.ShuffleInterval)
	for i := 0; i < nodes; i += 2 {
		n.crash(names[i])
	}
	n.advance(3 * cfg.ShuffleInterval)
	requireHealthy(t, n, "after 50% failure")
}

func TestHyParViewPartitionMerges(t *testing.T) {
	// Not in the paper: a partition that heals merges back through the
	// retries of lost peers. Two halves are cut apart (every send across
	// fails) for five minutes, each repairs on its own, then the cut is
	// lifted.
	cfg := DefaultHyParViewConfig()
	cfg.RejoinInterval = 0 // only lost-peer retries may merge the halves
	n := newHVNet(cfg, 9)
	n.addJoined(hvNodeNames("n", 100), nil)
	n.advance(3 * cfg.ShuffleInterval)
	side := func(s string) int {
		var i int
		fmt.Sscanf(s, "n%d", &i)
		return i % 2
	}
	n.cut = func(from, to string) bool { return side(from) != side(to) }
	n.advance(5 * time.Minute)
	crossPassive := 0
	for _, name := range n.alive() {
		for _, p := range n.core(name).ActiveView() {
			if side(p.Name) != side(name) {
				t.Fatalf("link %s-%s survived the partition", name, p.Name)
			}
		}
		for _, p := range n.core(name).PassiveView() {
			if side(p.Name) != side(name) {
				crossPassive++
			}
		}
	}
	t.Logf("passive entries across the cut before healing: %d", crossPassive)
	n.cut = nil
	n.advance(3 * time.Minute)
	requireHealthy(t, n, "after healing")
}
