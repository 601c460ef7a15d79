package hyparlist

import (
	"strings"
	"testing"
	"time"
)

// Golden message traces of hand-written Plumtree scenarios on ptNet. Every
// send, receipt, timer and delivery is one line; eager/lazy sets are
// printed at checkpoints. Regenerate with: go test -run Golden -update .

// newTracedPtNet returns a network that records a trace starting with the
// scenario description.
func newTracedPtNet(t *testing.T, cfg PlumtreeConfig, desc string, names ...string) *ptNet {
	t.Helper()
	n := newPtNet(t, cfg, names...)
	n.trace = &strings.Builder{}
	for _, l := range strings.Split(strings.TrimSpace(desc), "\n") {
		n.trace.WriteString("# " + strings.TrimSpace(l) + "\n")
	}
	return n
}

func (n *ptNet) traceSets(title string) {
	n.trace.WriteString("== " + title + "\n" + n.fmtSets())
}

// dropOnce drops the first Gossip of payload from → to.
func dropOnce(from, to, payload string) func(string, string, Message) bool {
	done := false
	return func(f, tt string, m Message) bool {
		g, ok := m.(gossipMsg)
		if done || !ok || f != from || tt != to || string(g.Payload) != payload {
			return false
		}
		done = true
		return true
	}
}

func TestPlumtreeGoldenGraftAfterLostPayload(t *testing.T) {
	n := newTracedPtNet(t, DefaultPlumtreeConfig(), `
		Triangle a, b, c with 10ms links, default config. m1 builds the tree
		(b–c is pruned). The payload of m2 on a→c is lost: c learns of m2 from
		b's IHAVE, grafts b after GraftTimeout1 and gets the payload from it.
		c forwards m2 to a, where it is a duplicate: a prunes c, and the tree
		is now the chain a–b–c, which m3 follows.`,
		"a", "b", "c")
	n.link("a", "b", 10*time.Millisecond)
	n.link("a", "c", 10*time.Millisecond)
	n.link("b", "c", 10*time.Millisecond)
	n.broadcast("a", "m1")
	n.run(0)
	n.traceSets("after m1")
	n.drop = dropOnce("a", "c", "m2")
	n.broadcast("a", "m2")
	n.run(0)
	n.traceSets("after m2")
	n.broadcast("a", "m3")
	n.run(0)
	n.traceSets("after m3")

	for _, name := range n.names {
		if got := len(n.nodes[name].delivered); got != 3 {
			t.Errorf("%s delivered %d messages, want 3", name, got)
		}
	}
	if n.sent[typeGraft] == 0 {
		t.Error("no GRAFT was sent")
	}
	checkGolden(t, "plumtree_graft_after_lost_payload.golden", n.trace.String())
}

func TestPlumtreeGoldenPruneOnDuplicate(t *testing.T) {
	n := newTracedPtNet(t, DefaultPlumtreeConfig(), `
		Full mesh of a, b, c, d; links from a take 10ms, the others 3ms.
		Every link starts eager; each duplicate payload prunes its link, and
		what stays eager is a spanning tree rooted at a.`,
		"a", "b", "c", "d")
	for _, l := range [][2]string{{"a", "b"}, {"a", "c"}, {"a", "d"}, {"b", "c"}, {"b", "d"}, {"c", "d"}} {
		lat := 3 * time.Millisecond
		if l[0] == "a" {
			lat = 10 * time.Millisecond
		}
		n.link(l[0], l[1], lat)
	}
	n.traceSets("before")
	n.broadcast("a", "m1")
	n.run(0)
	n.traceSets("after m1")
	n.checkSymmetric()

	eagerLinks := 0
	for _, name := range n.names {
		eagerLinks += len(n.nodes[name].pt.eagerPeers())
	}
	if eagerLinks != 2*3 {
		t.Errorf("%d eager link ends, want 6 (a tree of 4 nodes)", eagerLinks)
	}
	if n.sent[typePrune] == 0 {
		t.Error("no PRUNE was sent")
	}
	checkGolden(t, "plumtree_prune_on_duplicate.golden", n.trace.String())
}

func TestPlumtreeGoldenTreeOptimisation(t *testing.T) {
	cfg := DefaultPlumtreeConfig()
	cfg.OptimizationThreshold = 2
	n := newTracedPtNet(t, cfg, `
		OptimizationThreshold 2. Chain o–p1–p2–p3–x (10ms links) and a short
		cut o–y–x (o–y 1ms). While y–x is slow (100ms), m1 prunes it. Then y–x
		becomes fast (1ms): for m2, y's IHAVE (round 1) reaches x before the
		payload comes down the chain (round 3), so x grafts y and prunes p3
		(§3.8). m3 then reaches x through y, at round 1.`,
		"o", "p1", "p2", "p3", "x", "y")
	n.link("o", "p1", 10*time.Millisecond)
	n.link("p1", "p2", 10*time.Millisecond)
	n.link("p2", "p3", 10*time.Millisecond)
	n.link("p3", "x", 10*time.Millisecond)
	n.link("o", "y", time.Millisecond)
	n.link("y", "x", 100*time.Millisecond)
	n.broadcast("o", "m1")
	n.run(0)
	n.traceSets("after m1")
	n.setLatency("y", "x", time.Millisecond)
	n.broadcast("o", "m2")
	n.run(0)
	n.traceSets("after m2")
	var hops uint16
	n.onDeliver = func(node string, d Deliver) {
		if node == "x" {
			hops = d.Hops
		}
	}
	n.broadcast("o", "m3")
	n.run(0)
	n.traceSets("after m3")

	if !ptHas(n.nodes["x"].pt.eagerPeers(), "y") || ptHas(n.nodes["x"].pt.eagerPeers(), "p3") {
		t.Errorf("x did not swap its parent p3 for y: %s", n.fmtSets())
	}
	if hops != 2 {
		t.Errorf("m3 reached x in %d hops, want 2 (o→y→x)", hops)
	}
	n.checkSymmetric()
	checkGolden(t, "plumtree_tree_optimisation.golden", n.trace.String())
}
