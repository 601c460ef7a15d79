package hyparlist

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// Property tests: random runs of join, crash, leave, restart and time
// passing on many seeds. The test network checks the per-core invariants
// (view bounds, no self-links, disjoint views) after every Step; after
// each run the network is left alone for a few keepalive periods and the
// active views must then be symmetric.

// hvRandomRun drives a network of nodes through steps random operations.
func hvRandomRun(n *hvNet, rng *rand.Rand, nodes, steps int) {
	name := func(i int) string { return fmt.Sprintf("n%02d", i) }
	for i := range nodes {
		n.add(name(i))
	}
	joined := 1
	// randomContact is a live node that has joined (or the first node).
	randomContact := func() string {
		var live []string
		for i := range joined {
			if !n.nodes[name(i)].crashed {
				live = append(live, name(i))
			}
		}
		if len(live) == 0 {
			return name(0)
		}
		return live[rng.IntN(len(live))]
	}
	joinNext := func() {
		contact := name(0) // mostly through one contact: the hotspot case
		if rng.IntN(4) == 0 || n.nodes[contact].crashed {
			contact = randomContact()
		}
		n.do(name(joined), JoinCluster{Contact: hvPeer(contact)})
		joined++
	}
	for range steps {
		if n.err != nil {
			return
		}
		alive := n.alive()
		switch r := rng.IntN(100); {
		case r < 40 && joined < nodes:
			joinNext()
		case r < 46 && len(alive) > nodes/2:
			n.crash(alive[rng.IntN(len(alive))])
		case r < 49 && len(alive) > nodes/2:
			n.leave(alive[rng.IntN(len(alive))])
		case r < 53:
			i := rng.IntN(joined)
			if n.nodes[name(i)].crashed {
				contact := randomContact()
				n.restart(name(i))
				n.do(name(i), JoinCluster{Contact: hvPeer(contact)})
			}
		default:
			n.advance(time.Duration(rng.Int64N(int64(time.Second))))
		}
	}
	for joined < nodes && n.err == nil {
		joinNext()
	}
}

func TestHyParViewProperties(t *testing.T) {
	for seed := range uint64(hvSize(200, 25)) {
		cfg := DefaultHyParViewConfig()
		cfg.Seeds = []Peer{hvPeer("n00"), hvPeer("n01"), hvPeer("n02")}
		if seed%3 == 1 { // small views: many evictions and rejections
			cfg.ActiveViewSize, cfg.PassiveViewSize = 3, 6
			cfg.ShuffleActive, cfg.ShufflePassive = 2, 2
		}
		n := newHVNet(cfg, seed)
		hvRandomRun(n, rand.New(rand.NewPCG(seed, 42)), 50, 200)
		if n.err != nil {
			t.Fatalf("seed %d: %v", seed, n.err)
		}
		// Quiescence: no more faults, timers run for a few keepalive
		// periods and long enough for isolated nodes to re-bootstrap.
		n.advance(3 * cfg.RejoinInterval)
		if n.err != nil {
			t.Fatalf("seed %d: %v", seed, n.err)
		}
		if bad := n.asymmetric(); len(bad) > 0 {
			t.Fatalf("seed %d: asymmetric active views after quiescence: %v\n%s", seed, bad, n.views())
		}
		seedAlive := false
		for _, s := range cfg.Seeds {
			seedAlive = seedAlive || !n.nodes[s.Name].crashed
		}
		for _, name := range n.alive() {
			if seedAlive && n.core(name).numActive() == 0 {
				t.Errorf("seed %d: %s isolated after quiescence\n%s", seed, name, n.views())
			}
		}
	}
}
