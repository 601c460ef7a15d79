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

// hvComponents returns the size of the largest connected component of the
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

func TestHyParViewContactIsNoHotspot(t *testing.T) {
	nodes := 1000
	if testing.Short() || hvRaceEnabled {
		nodes = 300
	}
	cfg := DefaultHyParViewConfig()
	n := newHVNet(cfg, 11)
	name := func(i int) string { return fmt.Sprintf("n%04d", i) }
	n.add(name(0))
	maxJoinerIn := 0
	for i := 1; i < nodes; i++ {
		n.add(name(i))
		n.do(name(i), JoinCluster{Contact: hvPeer(name(0))})
		// Right after its join, the joiner sits in at most one passive
		// view per walk (PRWL) plus those of the neighbours it evicted.
		in := 0
		for _, other := range n.alive() {
			if n.core(other).IsPassive(name(i)) {
				in++
			}
		}
		maxJoinerIn = max(maxJoinerIn, in)
		n.advance(10 * time.Millisecond)
	}
	n.advance(5 * cfg.ShuffleInterval)
	if n.err != nil {
		t.Fatal(n.err)
	}
	if bad := n.asymmetric(); len(bad) > 0 {
		t.Fatalf("asymmetric links: %v", bad)
	}
	in := hvInDegrees(n)
	total := 0
	for _, d := range in {
		total += d
	}
	mean := float64(total) / float64(nodes)
	contact := in[name(0)]
	largest, alive := hvLargestComponent(n)
	t.Logf("%d nodes: contact passive in-degree %d, mean %.1f; joiner in-degree after join <= %d; largest component %d/%d; sends %v",
		nodes, contact, mean, maxJoinerIn, largest, alive, n.sent)
	if float64(contact) > 3*mean {
		t.Errorf("contact passive in-degree %d > 3 x mean %.1f", contact, mean)
	}
	if maxJoinerIn > 2*cfg.ActiveViewSize {
		t.Errorf("a joiner entered %d passive views at once, want <= %d", maxJoinerIn, 2*cfg.ActiveViewSize)
	}
	if largest != alive {
		t.Errorf("overlay split: largest component %d of %d", largest, alive)
	}
	for _, nm := range n.alive() {
		if d := n.core(nm).NumActive(); d == 0 {
			t.Errorf("%s isolated", nm)
		}
	}
}

func TestHyParViewHealsAfterMassFailure(t *testing.T) {
	// HyParView §5: the overlay survives the failure of half the nodes;
	// repairs from the passive view reconnect the survivors.
	nodes := 400
	if testing.Short() || hvRaceEnabled {
		nodes = 200
	}
	cfg := DefaultHyParViewConfig()
	n := newHVNet(cfg, 5)
	name := func(i int) string { return fmt.Sprintf("n%04d", i) }
	n.add(name(0))
	for i := 1; i < nodes; i++ {
		n.add(name(i))
		n.do(name(i), JoinCluster{Contact: hvPeer(name(i / 2))})
	}
	n.advance(5 * cfg.ShuffleInterval)
	for i := 0; i < nodes; i += 2 {
		n.crash(name(i))
	}
	n.advance(3 * cfg.ShuffleInterval)
	if n.err != nil {
		t.Fatal(n.err)
	}
	if bad := n.asymmetric(); len(bad) > 0 {
		t.Fatalf("asymmetric links: %v", bad)
	}
	largest, alive := hvLargestComponent(n)
	t.Logf("after 50%% failure: largest component %d of %d", largest, alive)
	if largest != alive {
		t.Errorf("overlay split after 50%% failure: largest component %d of %d", largest, alive)
	}
}

func TestHyParViewPartitionMerges(t *testing.T) {
	// Not in the paper: a partition that heals merges back through the
	// retries of lost peers. Two halves are cut apart (every send across
	// fails), each repairs on its own, then the cut is lifted.
	cfg := DefaultHyParViewConfig()
	cfg.RejoinInterval = 0 // only lost-peer retries may merge the halves
	const nodes = 100
	n := newHVNet(cfg, 9)
	name := func(i int) string { return fmt.Sprintf("n%03d", i) }
	n.add(name(0))
	for i := 1; i < nodes; i++ {
		n.add(name(i))
		n.do(name(i), JoinCluster{Contact: hvPeer(name(0))})
	}
	n.advance(3 * cfg.ShuffleInterval)
	side := func(s string) int {
		var i int
		fmt.Sscanf(s, "n%d", &i)
		return i % 2
	}
	n.cut = func(from, to string) bool { return side(from) != side(to) }
	n.advance(5 * time.Minute)
	for _, nm := range n.alive() {
		for _, p := range n.core(nm).ActiveView() {
			if side(p.Name) != side(nm) {
				t.Fatalf("link %s-%s survived the partition", nm, p.Name)
			}
		}
	}
	crossPassive := 0
	for _, nm := range n.alive() {
		for _, p := range n.core(nm).PassiveView() {
			if side(p.Name) != side(nm) {
				crossPassive++
			}
		}
	}
	t.Logf("passive entries across the cut before healing: %d", crossPassive)
	n.cut = nil
	n.advance(3 * time.Minute)
	if n.err != nil {
		t.Fatal(n.err)
	}
	largest, alive := hvLargestComponent(n)
	t.Logf("after healing: largest component %d of %d", largest, alive)
	if largest != alive {
		t.Errorf("partition did not merge: largest component %d of %d", largest, alive)
	}
	if bad := n.asymmetric(); len(bad) > 0 {
		t.Fatalf("asymmetric links: %v", bad)
	}
}
