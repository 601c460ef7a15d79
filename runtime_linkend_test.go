package hyparlist

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimeCrashedNeighbourFailsAtOnce: when a neighbour's process is
// gone (its streams reset), the node fails the link as soon as the
// neighbour's link stream to it ends (reason "ended"), not at its next
// keepalive write; a neighbour that leaves (DISCONNECT first, then
// Shutdown) is not counted as failed that way (runtime_linkend.go).
func TestRuntimeCrashedNeighbourFailsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := newMockClusterWithSink(t, 4, nil, sink)
		defer c.shutdown()
		c.joinAll()
		eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, 4) })
		time.Sleep(5 * time.Second)
		if got := counterSum(sink, "hyparlist.link.failed"); got != 0 {
			t.Fatalf("%v links failed in a healthy cluster (%v)", got, counterKeys(sink, "hyparlist.link.failed"))
		}

		leaver := c.nodes[3]
		if err := leaver.ml.Leave(5 * time.Second); err != nil {
			t.Fatalf("Leave: %v", err)
		}
		if err := leaver.ml.Shutdown(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		if got := counterSum(sink, "hyparlist.link.failed;reason="+linkFailedEnded); got != 0 {
			t.Errorf("a graceful leave failed %v links as ended", got)
		}
		for _, nd := range c.nodes[:3] {
			if dead := nd.rec.leftNames(StateDead); len(dead) > 0 {
				t.Errorf("%s reported %v dead after a Leave", nd.rec.name, dead)
			}
			if left := nd.rec.leftNames(StateLeft); !slices.Contains(left, leaver.rec.name) {
				t.Errorf("%s did not report %s left (left: %v)", nd.rec.name, leaver.rec.name, left)
			}
		}

		a, crashed := c.nodes[0], c.nodes[2].rec.name
		eventually(t, time.Minute, "node-02 a neighbour of node-00", func() bool {
			return slices.Contains(memberNames(a.ml.Neighbors()), crashed)
		})
		time.Sleep(2 * a.ml.config.keepaliveInterval()) // the link carried a keepalive
		keepalive := a.ml.config.keepaliveInterval()
		c.net.crash(crashed)
		time.Sleep(keepalive / 10)
		if slices.Contains(memberNames(a.ml.Neighbors()), crashed) {
			t.Errorf("node-00 still lists the crashed node-02 as a neighbour %v after the crash (keepalive interval %v)", keepalive/10, keepalive)
		}
		if got := counterSum(sink, "hyparlist.link.failed;reason="+linkFailedEnded); got < 1 {
			t.Errorf("no link failed as ended (%v)", counterKeys(sink, "hyparlist.link.failed"))
		}
	})
}

// TestRuntimeLinkGivenUpByLiveNeighbour: a live neighbour that gives up
// its link to the node (as after judging it silent) ends its stream to
// the node, but still reads the node's stream to it; the node does not
// fail the link for that end (no "ended" failure, so it accuses no one):
// the neighbour tells it DISCONNECT at its next keepalive instead
// (runtime_linkend.go).
func TestRuntimeLinkGivenUpByLiveNeighbour(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := newMockClusterWithSink(t, 3, nil, sink)
		defer c.shutdown()
		c.joinAll()
		eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, 3) })
		a, b := c.nodes[0], c.nodes[1]
		eventually(t, time.Minute, "node-00 and node-01 neighbours", func() bool {
			return slices.Contains(memberNames(a.ml.Neighbors()), b.rec.name) &&
				slices.Contains(memberNames(b.ml.Neighbors()), a.rec.name)
		})
		time.Sleep(2 * a.ml.config.keepaliveInterval()) // the links carried keepalives

		// node-00 gives up its link to node-01 as its silence check would.
		if err := a.ml.submit(loopFunc(func(l *runLoop) { l.linkFailed(b.ml.self, true) })); err != nil {
			t.Fatal(err)
		}
		time.Sleep(a.ml.config.TCPTimeout + 5*time.Second)
		if got := counterSum(sink, "hyparlist.link.failed;reason="+linkFailedEnded); got != 0 {
			t.Errorf("%v links failed as ended after a live neighbour gave its link up", got)
		}
		eventually(t, time.Minute, "all alive everywhere", func() bool {
			return allAliveEverywhere(c.nodes, namesOf(c.nodes))
		})
		for _, nd := range c.nodes {
			if dead := nd.rec.leftNames(StateDead); len(dead) > 0 {
				t.Errorf("%s reported %v dead", nd.rec.name, dead)
			}
		}
	})
}
