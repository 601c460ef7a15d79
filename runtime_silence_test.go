package hyparlist

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimeStalledLoopFailsNoLink stalls one node's loop for five
// keepalive intervals (a command that blocks it, as a CPU-starved process
// or a long pause would) while its neighbours stay healthy. Nobody may
// fail a link or suspect anyone (a neighbour may only be replaced by the
// overlay's upkeep, at most two lost ends per DISCONNECT): the stalled node's
// writers keep its links alive, and once it resumes it counts the frames its readers read
// meanwhile, and its stretched limit covers the rest.
func TestRuntimeStalledLoopFailsNoLink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 8
		sink := newInmemSink(time.Hour, time.Hour)
		c := newMockClusterWithSink(t, n, nil, sink)
		defer c.shutdown()
		c.joinAll()
		eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, n) })
		time.Sleep(10 * time.Second) // let the joins settle
		failedBefore := counterSum(sink, "hyparlist.link.failed")
		disconnectsBefore := counterSum(sink, "hyparlist.msg.received;type=disconnect")
		downsBefore := make([]int, n)
		for i, nd := range c.nodes {
			nd.rec.mu.Lock()
			downsBefore[i] = len(nd.rec.downs)
			nd.rec.mu.Unlock()
		}

		stalled := c.nodes[3]
		gate := make(chan struct{})
		if err := stalled.ml.submit(loopFunc(func(*runLoop) { <-gate })); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * stalled.ml.config.keepaliveInterval())
		close(gate)
		synctest.Wait()
		if s := stalled.ml.GetHealthScore(); s == 0 {
			t.Errorf("health score 0 right after a stall of 5 intervals")
		}
		time.Sleep(30 * time.Second)

		if got := counterSum(sink, "hyparlist.link.failed") - failedBefore; got != 0 {
			t.Errorf("%v links failed during and after the stall (%v)", got, counterKeys(sink, "hyparlist.link.failed"))
		}
		// A neighbour may still be replaced by the overlay's upkeep (a
		// NEIGHBOR request of priority high evicts one, a DISCONNECT): that
		// costs a neighbour at one or both ends of a DISCONNECT (one when
		// the sender no longer held the link active), and nothing else may.
		disconnects := counterSum(sink, "hyparlist.msg.received;type=disconnect") - disconnectsBefore
		var lost []string
		for i, nd := range c.nodes {
			nd.rec.mu.Lock()
			downs := slices.Clone(nd.rec.downs[downsBefore[i]:])
			nd.rec.mu.Unlock()
			for _, d := range downs {
				lost = append(lost, nd.rec.name+"-"+d)
			}
			for _, m := range nd.ml.Members() {
				if m.State != StateAlive {
					t.Errorf("%s lists %s as %v", nd.rec.name, m.Name, m.State)
				}
			}
			if nd.ml.NumMembers() != n {
				t.Errorf("%s lists %d members, want %d", nd.rec.name, nd.ml.NumMembers(), n)
			}
		}
		if float64(len(lost)) > 2*disconnects {
			t.Errorf("neighbours lost %v, with %v DISCONNECTs received: each lost neighbour must be an end of a DISCONNECT", lost, disconnects)
		}
		if s := stalled.ml.GetHealthScore(); s != 0 {
			t.Errorf("health score %d 30s after the stall, want 0", s)
		}
	})
}

// TestRuntimeSilenceCheckDrainsInbox: a frame from a neighbour that waits
// in the inbox when the silence check runs counts: the neighbour, silent
// by the loop's last record, is not failed.
func TestRuntimeSilenceCheckDrainsInbox(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := joinedCluster(t, 2, nil)
		a := c.nodes[0]
		kept := make(chan bool, 1)
		if err := a.ml.submit(loopFunc(func(l *runLoop) {
			k := l.links[c.nodes[1].rec.name]
			if k == nil || !k.neighbor {
				t.Error("no neighbour link")
				kept <- false
				return
			}
			// The record says silent for twice the limit; a Keepalive
			// waits in the inbox.
			l.lastHeard[k.peer.Name] = l.now.Add(-2 * l.m.config.linkSilenceLimit())
			l.m.inbox.put(inbound{from: k.peer, msg: keepaliveMsg{}}, nil)
			l.onRuntimeTimer(silenceCheckTimer{})
			_, ok := l.lastHeard[k.peer.Name]
			kept <- ok && l.links[k.peer.Name] == k
		})); err != nil {
			t.Fatal(err)
		}
		if !<-kept {
			t.Error("the silence check failed a neighbour whose frame waited in the inbox")
		}
	})
}

// TestRuntimeNewNeighbourGrace: a node that takes in a joiner through a
// FORWARD_JOIN hears from it only once the joiner has dialled it back and
// finished the handshake, which here takes several link silence limits
// (a 1s delay each way); it must not fail the new link as silent
// meanwhile.
func TestRuntimeNewNeighbourGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		tweak := func(conf *Config) { conf.TCPTimeout = 10 * time.Second }
		c := newMockClusterWithSink(t, 2, tweak, sink)
		defer c.shutdown()
		c.joinAll()
		eventually(t, time.Minute, "two members", func() bool { return allSee(c.nodes, 2) })
		joiner := c.addWithSink("node-02", tweak, sink)
		for _, d := range [][2]string{{"node-01", "node-02"}, {"node-02", "node-01"}} {
			if err := c.net.setDelay(d[0], d[1], time.Second); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := joiner.ml.Join([]string{c.nodes[0].ml.LocalNode().Address()}); err != nil {
			t.Fatal(err)
		}
		eventually(t, time.Minute, "node-01 and node-02 neighbours", func() bool {
			return slices.Contains(memberNames(c.nodes[1].ml.Neighbors()), "node-02") &&
				slices.Contains(memberNames(joiner.ml.Neighbors()), "node-01")
		})
		time.Sleep(30 * time.Second)
		if got := counterSum(sink, "hyparlist.link.failed"); got != 0 {
			t.Errorf("%v links failed (%v)", got, counterKeys(sink, "hyparlist.link.failed"))
		}
	})
}
