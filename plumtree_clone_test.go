package hyparlist

import (
	"fmt"
	"maps"
	"reflect"
	"testing"
	"time"
)

// TestPlumtreeClone replaces every core of a network with broadcasts in
// flight by its Clone, with the timers and messages queued left as they
// are, and then wrecks the originals. The network must go on exactly as
// an identical network that was never cloned: same deliveries in the same
// order, same eager and lazy sets, same traffic.
func TestPlumtreeClone(t *testing.T) {
	cfg := DefaultPlumtreeConfig()
	cfg.MaxTrees = 16
	names := make([]string, 12)
	for i := range names {
		names[i] = fmt.Sprintf("p%02d", i)
	}
	build := func() *ptNet {
		n := newPtNet(t, cfg, names...)
		for i := range names {
			for _, d := range []int{1, 3, 5} {
				n.link(names[i], names[(i+d)%len(names)], time.Duration(1+(i*d)%7)*time.Millisecond)
			}
		}
		for k := range 6 {
			n.broadcast(names[k*2], fmt.Sprintf("a%d", k))
		}
		n.run(3 * time.Millisecond) // leave payloads, IHAVEs and timers in flight
		return n
	}
	scenario := func(n *ptNet) {
		n.run(0)
		n.unlink(names[0], names[1])
		for k := range 6 {
			n.broadcast(names[k], fmt.Sprintf("b%d", k))
		}
		n.run(0)
	}
	cloned, plain := build(), build()
	for _, name := range names {
		node := cloned.nodes[name]
		orig := node.pt
		node.pt = orig.Clone()
		// Whatever the original does from now on must not reach the copy.
		at := cloned.now
		for _, p := range orig.eagerPeers() {
			orig.Step(at, NeighborDown{Peer: p})
		}
		orig.Step(at, BroadcastPayload{Class: ClassUser, Payload: []byte("wreck")})
		orig.Step(at.Add(time.Hour), TimerFired{Timer: orig.flushTimer})
		orig.Drain()
	}
	scenario(cloned)
	scenario(plain)
	for _, name := range names {
		c, p := cloned.nodes[name], plain.nodes[name]
		if !reflect.DeepEqual(c.deliverOrder, p.deliverOrder) {
			t.Errorf("%s delivered %v, want %v", name, c.deliverOrder, p.deliverOrder)
		}
		if err := c.pt.checkInvariants(); err != nil {
			t.Error(err)
		}
	}
	if got, want := cloned.fmtSets(), plain.fmtSets(); got != want {
		t.Errorf("eager/lazy sets differ after cloning:\n%s\nwant\n%s", got, want)
	}
	if !maps.Equal(cloned.sent, plain.sent) {
		t.Errorf("traffic differs after cloning: %v, want %v", cloned.sent, plain.sent)
	}
	if len(plain.nodes[names[11]].deliverOrder) != 12 {
		t.Fatalf("scenario did not deliver every broadcast: %d", len(plain.nodes[names[11]].deliverOrder))
	}
}
