package hyparlist

import (
	"math/rand/v2"
	"testing"
	"time"
)

// ptJoinWaveThenSingles runs 32 Plumtree cores on a fixed overlay of
// degree about 5 with sub-millisecond links. Every node first broadcasts
// once at the same instant, as every node announces itself in a join wave
// (the runtime's membership announcements are Plumtree broadcasts from
// each node); then churn links are replaced, the network stays quiet for
// quiet, and single broadcasts from random origins follow one another
// 500 ms apart. It returns the GRAFTs that asked for payloads (repair
// rounds) during the single broadcasts.
func ptJoinWaveThenSingles(t *testing.T, cfg PlumtreeConfig, churn int, quiet time.Duration, singles int) (grafts int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(21, 22))
	lat := func() time.Duration { return time.Duration(100+rng.IntN(400)) * time.Microsecond }
	net, names := ptTreePlusLinks(t, cfg, rng, 32, lat)
	counting := false
	net.drop = func(_, _ string, m Message) bool {
		if g, ok := m.(graftMsg); ok && counting && len(g.IDs) > 0 {
			grafts++
		}
		return false
	}
	start := net.elapsed() + time.Second
	for _, o := range names {
		net.at(start, func() { net.broadcast(o, "alive") })
	}
	net.run(0)
	for range churn {
		a, b := rng.IntN(len(names)), rng.IntN(len(names))
		if nb := net.neighbors(names[a]); len(nb) > 2 {
			net.unlink(names[a], nb[rng.IntN(len(nb))])
		}
		if a != b {
			net.link(names[a], names[b], lat())
		}
	}
	net.run(0)
	net.now = net.now.Add(quiet)
	counting = true
	for range singles {
		o := names[rng.IntN(len(names))]
		net.at(net.elapsed()+500*time.Millisecond, func() { net.broadcast(o, "p") })
		net.run(0)
	}
	return grafts
}

// TestPlumtreeTreesNoRepairAfterJoinWave: after every node has broadcast
// at once (a join wave), broadcasts from random origins need no more
// repair GRAFTs with per-root trees than with one shared tree. Per-root
// trees used to be their root's PRUNE/GRAFT overrides laid over the
// default tree as it later became; after the join wave that left most
// roots' trees with holes (309 repair GRAFTs in 40 broadcasts against 6
// with one tree, trees kept), and the overlay changes after the wave
// left holes that only each root's own next broadcast repaired (the
// runtime's 602 ms median time to every node at 2 broadcasts/s). A tree
// now starts as a snapshot of the default tree at its root's first push
// and is dropped after PlumtreeConfig.TreeIdle without traffic of its
// root.
func TestPlumtreeTreesNoRepairAfterJoinWave(t *testing.T) {
	tests := []struct {
		name     string
		treeIdle time.Duration
		churn    int
		quiet    time.Duration
	}{
		{"trees kept, no churn", 0, 0, 0},
		{"default TreeIdle, churn, quiet", DefaultPlumtreeConfig().TreeIdle, 10, 10 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			shared := DefaultPlumtreeConfig()
			shared.MaxTrees = 0
			trees := treesConfig()
			trees.TreeIdle = tc.treeIdle
			one := ptJoinWaveThenSingles(t, shared, tc.churn, tc.quiet, 40)
			per := ptJoinWaveThenSingles(t, trees, tc.churn, tc.quiet, 40)
			t.Logf("repair GRAFTs in 40 broadcasts: one tree %d, per-root trees %d", one, per)
			if per > one {
				t.Errorf("per-root trees needed %d repair GRAFTs, one shared tree %d", per, one)
			}
		})
	}
}
