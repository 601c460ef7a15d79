package hyparlist

import (
	"maps"
	"math/rand/v2"
	"testing"
)

// TestHyParViewClone replaces every core of a running overlay by its
// Clone, with the timers and messages in flight left as they are, and then
// wrecks the originals. The overlay must go on exactly as an identical
// overlay that was never cloned: same views, same traffic.
func TestHyParViewClone(t *testing.T) {
	cfg := DefaultHyParViewConfig()
	build := func() *hvNet {
		n := newHVNet(cfg, 7)
		n.addJoined(hvNodeNames("n", 40), nil)
		n.advance(5 * cfg.ShuffleInterval)
		return n
	}
	scenario := func(n *hvNet) {
		for _, name := range n.names[5:13] {
			n.crash(name)
		}
		n.advance(10 * cfg.ShuffleInterval)
		for i, name := range hvNodeNames("m", 5) {
			n.add(name)
			n.do(name, JoinCluster{Contact: hvPeer(n.names[20+i])})
		}
		n.advance(5 * cfg.ShuffleInterval)
	}
	cloned, plain := build(), build()
	for _, name := range cloned.names {
		node := cloned.nodes[name]
		orig := node.core
		node.core = orig.Clone(orig.rng)
		// Whatever the original does from now on must not reach the copy.
		orig.rng = rand.New(rand.NewPCG(1, 2))
		for _, p := range orig.ActiveView() {
			orig.Step(cloned.now, LinkFailed{Peer: p})
		}
		orig.Step(cloned.now, TimerFired{Timer: shuffleTimer{}})
		orig.Step(cloned.now, JoinCluster{Contact: hvPeer("elsewhere")})
		orig.Drain()
	}
	scenario(cloned)
	scenario(plain)
	if cloned.err != nil || plain.err != nil {
		t.Fatalf("run failed: cloned %v, plain %v", cloned.err, plain.err)
	}
	if got, want := cloned.views(), plain.views(); got != want {
		t.Errorf("views differ after cloning:\n%s\nwant\n%s", got, want)
	}
	if !maps.Equal(cloned.sent, plain.sent) {
		t.Errorf("traffic differs after cloning: %v, want %v", cloned.sent, plain.sent)
	}
	if plain.sent[typeShuffle] == 0 || len(plain.core(plain.names[0]).ActiveView()) == 0 {
		t.Fatalf("scenario did nothing: %v", plain.sent)
	}
}
