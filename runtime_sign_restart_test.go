package hyparlist

import (
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// serfTimeouts are serf's test timeouts (serf_test.go testConfig).
func serfTimeouts(conf *Config) {
	conf.ProbeInterval = 50 * time.Millisecond
	conf.ProbeTimeout = 25 * time.Millisecond
	conf.TCPTimeout = 100 * time.Millisecond
	conf.SuspicionMult = 1
	conf.VerifyUserBroadcasts = true
}

// TestRuntimeRestartNewKeyLeaveAgain is serf's
// TestSerf_eventsLeave_avoidInfiniteLeaveRebroadcast on the runtime: of
// four nodes, one leaves, shuts down and is restarted at once under the
// same name and address with a new key, joins again through another, and
// leaves again. The others must deliver the restarted node's broadcasts,
// list it alive, and then list it left, never failed, and refuse none of
// its broadcasts. Also with the first run crashed instead of leaving.
//
// It passes on main 19337af (20 of 20 runs each): serf's failure (about 1
// run in 40 on real sockets) is not reproduced here. It is kept as the
// restart scenario's regression test.
func TestRuntimeRestartNewKeyLeaveAgain(t *testing.T) {
	for _, leave := range []bool{true, false} {
		t.Run(fmt.Sprintf("leave=%v", leave), func(t *testing.T) { restartNewKeyLeaveAgain(t, leave) })
	}
}

// restartNewKeyLeaveAgain runs TestRuntimeRestartNewKeyLeaveAgain; without
// leave the first run is shut down without leaving (a crash), so the
// others still list it alive, its old key bound, when the new run comes.
func restartNewKeyLeaveAgain(t *testing.T, leave bool) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := newMockClusterWithSink(t, 4, serfTimeouts, sink)
		defer c.shutdown()
		c.joinAll()
		eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, 4) })
		old := c.nodes[1]
		addr := old.ml.LocalNode().Address()
		if leave {
			if err := old.ml.Leave(time.Second); err != nil {
				t.Fatal(err)
			}
		}
		if err := old.ml.Shutdown(); err != nil {
			t.Fatal(err)
		}
		rec := &recorder{name: "node-01"}
		conf := mockConfig("node-01", serfTimeouts)
		conf.Transport = restartTransport(c.net, "node-01", addr)
		conf.Delegate, conf.Events = rec, rec
		n2, err := create(conf, newInmemSink(time.Hour, time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		defer n2.Shutdown()
		if _, err := n2.Join([]string{c.nodes[0].ml.LocalNode().Address()}); err != nil {
			t.Fatalf("rejoin: %v", err)
		}
		others := []*testNode{c.nodes[0], c.nodes[2], c.nodes[3]}
		eventually(t, time.Minute, "the restarted node listed by all", func() bool {
			for _, n := range others {
				if !slices.Contains(memberNames(n.ml.Members()), "node-01") {
					return false
				}
			}
			return n2.NumMembers() == 4
		})
		if err := n2.Broadcast([]byte("after")); err != nil {
			t.Fatal(err)
		}
		for _, n := range others {
			waitDeliveredOnce(t, n.rec, [][]byte{[]byte("after")})
		}
		if err := n2.Leave(time.Second); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		for _, n := range others {
			var last *Node
			n.rec.update(func(r *recorder) {
				for _, l := range r.leaves {
					if l.Name == "node-01" {
						last = l
					}
				}
			})
			if last == nil || last.State != StateLeft {
				st := "none"
				if last != nil {
					st = fmt.Sprint(last.State)
				}
				t.Errorf("%s: last leave of node-01 %s, want left", n.rec.name, st)
			}
		}
		// The restarted node refuses its previous run's last broadcasts,
		// relayed back to it (its own sink); after a leave, the others
		// refuse none of its broadcasts. After a crash they refuse some of
		// its previous run's (old key; a node that took one before its
		// key check relays it, and is GRAFTed for it again and again),
		// which is right.
		if n := counterSum(sink, "hyparlist.msg.refused;reason="+refusedOriginKey); leave && n != 0 {
			t.Errorf("the others refused %v broadcasts as origin_key, want 0", n)
		}
	})
}
