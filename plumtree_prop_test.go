package hyparlist

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// Property tests: random connected overlays, random broadcasts, random
// faults, many seeds. After every Step each node's eager and lazy sets are
// disjoint subsets of its current neighbours and its internal invariants
// hold; after quiescence every node delivered every message exactly once
// and eager/lazy links are symmetric.

// ptRandomOverlay links n nodes into a random connected graph: node i joins
// a random earlier node (a random tree), then extra random edges are added
// until the mean degree is about degree. Latencies are random, 1–20ms. The
// optimisation threshold (0, 1, 2 or the default) and the IHAVE window (0
// or the default) are drawn at random too.
func ptRandomOverlay(t *testing.T, rng *rand.Rand, n, degree int) *ptNet {
	t.Helper()
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("n%03d", i)
	}
	cfg := DefaultPlumtreeConfig()
	cfg.OptimizationThreshold = []uint16{0, 1, 2, cfg.OptimizationThreshold}[rng.IntN(4)]
	if rng.IntN(4) == 0 {
		cfg.IHaveInterval = 0
	}
	net := newPtNet(t, cfg, names...)
	lat := func() time.Duration { return time.Duration(1+rng.IntN(20)) * time.Millisecond }
	for i := 1; i < n; i++ {
		net.link(names[i], names[rng.IntN(i)], lat())
	}
	for edges := n - 1; edges < n*degree/2; edges++ {
		a, b := rng.IntN(n), rng.IntN(n)
		if a != b {
			net.link(names[a], names[b], lat())
		}
	}
	return net
}

// ptSeeds returns how many seeds a property test runs: full, or short
// with -short.
func ptSeeds(full, short uint64) uint64 {
	if testing.Short() {
		return short
	}
	return full
}

// ptPropNet builds the random overlay of one seed (30–100 nodes, mean
// degree 3–6) whose nodes are checked after every Step, and collects the
// IDs of the messages broadcast on it.
func ptPropNet(t *testing.T, seed, stream uint64) (*rand.Rand, *ptNet, map[MessageID]bool) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, stream))
	n := 30 + rng.IntN(71)
	net := ptRandomOverlay(t, rng, n, 3+rng.IntN(4))
	net.what = fmt.Sprintf("seed %d (%d nodes)", seed, n)
	ids := make(map[MessageID]bool)
	net.onDeliver = func(node string, d Deliver) {
		if d.From.Name == node {
			ids[d.ID] = true
		}
	}
	net.afterStep = net.checkSets
	return rng, net, ids
}

// ptCheckExactlyOnce fails unless every node in nodes delivered every
// message in ids exactly once, and nothing else.
func ptCheckExactlyOnce(t *testing.T, net *ptNet, nodes []string, ids map[MessageID]bool, what string) {
	t.Helper()
	for _, name := range nodes {
		node := net.nodes[name]
		for id := range ids {
			if c := node.delivered[id]; c != 1 {
				t.Fatalf("%s: %s delivered %s %d times, want 1", what, name, net.label(id), c)
			}
		}
		for id, c := range node.delivered {
			if !ids[id] {
				t.Fatalf("%s: %s delivered unknown message %s (%d times)", what, name, net.label(id), c)
			}
		}
	}
}

// TestPlumtreePropertyLossyLinks: a lost message (any type) breaks its
// link, as a TCP connection that fails does: messages in flight on it are
// lost and both ends get NeighborDown; the link comes back 20–200ms later
// with NeighborUp (as HyParView would repair it). Every message must still
// reach every node exactly once.
func TestPlumtreePropertyLossyLinks(t *testing.T) {
	for seed := range ptSeeds(40, 8) {
		rng, net, ids := ptPropNet(t, seed, 0xb0b)
		n, what := len(net.names), net.what
		lossRate := 0.005 + rng.Float64()*0.03
		budget := 10 + rng.IntN(60)
		net.drop = func(from, to string, m Message) bool {
			if budget == 0 || rng.Float64() >= lossRate {
				return false
			}
			budget--
			back := net.elapsed() + time.Duration(20+rng.IntN(180))*time.Millisecond
			net.at(net.elapsed(), func() {
				net.unlink(from, to)
				net.at(back, func() { net.link(from, to, net.links[ptKey(from, to)].latency) })
			})
			return true
		}
		broadcasts := 5 + rng.IntN(25)
		for range broadcasts {
			origin := net.names[rng.IntN(n)]
			at := time.Duration(rng.IntN(2000)) * time.Millisecond
			net.at(at, func() { net.broadcast(origin, fmt.Sprintf("payload-%d", len(ids))) })
		}
		net.run(0)
		if len(ids) != broadcasts {
			t.Fatalf("%s: %d broadcasts delivered at their origin, want %d", what, len(ids), broadcasts)
		}
		ptCheckExactlyOnce(t, net, net.names, ids, what)
		net.checkSymmetric()
	}
}

// TestPlumtreePropertyCrashes: a random fraction of nodes crashes at once
// while broadcasts are in flight: their links vanish and their neighbours
// get NeighborDown. Within each connected component of survivors, a
// message that reached one survivor reaches all of them exactly once, and
// broadcasts by survivors after the crash reach their whole component.
func TestPlumtreePropertyCrashes(t *testing.T) {
	for seed := range ptSeeds(30, 6) {
		rng, net, ids := ptPropNet(t, seed, 0xc4a5)
		n, what := len(net.names), net.what

		crashed := make(map[string]bool)
		crashAt := time.Duration(200+rng.IntN(600)) * time.Millisecond
		fraction := 0.1 + rng.Float64()*0.4
		net.at(crashAt, func() {
			for _, name := range net.names {
				if rng.Float64() < fraction {
					crashed[name] = true
				}
			}
			for _, name := range net.names {
				if crashed[name] {
					for _, o := range net.neighbors(name) {
						net.unlink(name, o)
					}
				}
			}
		})
		for range 5 + rng.IntN(20) {
			origin := net.names[rng.IntN(n)]
			at := time.Duration(rng.IntN(1500)) * time.Millisecond
			net.at(at, func() {
				if !crashed[origin] {
					net.broadcast(origin, "p")
				}
			})
		}
		net.run(0)
		net.checkSymmetric()

		// Components of the survivors.
		comp := make(map[string]int)
		for _, name := range net.names {
			if crashed[name] || comp[name] != 0 {
				continue
			}
			c := len(comp) + 1
			stack := []string{name}
			comp[name] = c
			for len(stack) > 0 {
				cur := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				for _, o := range net.neighbors(cur) {
					if comp[o] == 0 {
						comp[o] = c
						stack = append(stack, o)
					}
				}
			}
		}
		for id := range ids {
			reached := make(map[int]bool)
			for name, c := range comp {
				if net.nodes[name].delivered[id] > 0 {
					reached[c] = true
				}
			}
			for _, name := range net.names {
				if crashed[name] {
					continue
				}
				got := net.nodes[name].delivered[id]
				if reached[comp[name]] && got != 1 {
					t.Fatalf("%s: %s delivered %s %d times; its component has it", what, name, net.label(id), got)
				}
				if got > 1 {
					t.Fatalf("%s: %s delivered %s %d times", what, name, net.label(id), got)
				}
			}
		}
	}
}
