package hyparlist

import (
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// Tests of Join's waits (runtime_join.go).

// joinOutcome is what a Join run in the background returned.
type joinOutcome struct {
	n   int
	err error
}

// leftContactAndMergingJoiner returns a node that has left (it answers
// JOIN with DISCONNECT, so a joiner never gets a neighbour) and a node
// with a MergeDelegate and the given TCPTimeout that has not joined.
func leftContactAndMergingJoiner(t *testing.T, c *testCluster, timeout time.Duration) (contact, joiner *testNode) {
	t.Helper()
	contact = c.add("contact", nil)
	if err := contact.ml.Leave(time.Second); err != nil {
		t.Fatalf("leave: %v", err)
	}
	joiner = c.add("joiner", func(conf *Config) {
		conf.TCPTimeout = timeout
		conf.Merge = &filterDelegate{reject: func(*Node) bool { return false }}
	})
	return contact, joiner
}

// joinInBackground starts nd.Join(hosts) and returns where its outcome
// arrives.
func joinInBackground(nd *testNode, hosts ...string) <-chan joinOutcome {
	done := make(chan joinOutcome, 1)
	go func() {
		n, err := nd.ml.Join(hosts)
		done <- joinOutcome{n, err}
	}()
	return done
}

// TestRuntimeJoinMergeWaitIsBounded: a node with a MergeDelegate joins
// through a contact that never gives it a neighbour, so no merge verdict
// comes. Join must give up after one TCPTimeout in all (the wait for a
// neighbour and the wait for the verdict share one deadline), and count
// the reached contact.
func TestRuntimeJoinMergeWaitIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		const timeout = time.Second
		contact, joiner := leftContactAndMergingJoiner(t, c, timeout)
		start := time.Now()
		done := joinInBackground(joiner, contact.ml.LocalNode().Address())
		select {
		case r := <-done:
			if elapsed := time.Since(start); elapsed > timeout {
				t.Errorf("Join took %v, want at most TCPTimeout (%v)", elapsed, timeout)
			}
			if r.n != 1 || r.err != nil {
				t.Errorf("Join = %d, %v; want 1, nil (the contact was reached, no veto came)", r.n, r.err)
			}
		case <-time.After(time.Minute):
			t.Fatalf("Join still blocked after a minute with TCPTimeout %v", timeout)
		}
	})
}

// TestRuntimeJoinInterruptedByShutdown: a Shutdown while Join waits for a
// neighbour and a merge verdict makes Join fail with ErrShutdown, not
// report success.
func TestRuntimeJoinInterruptedByShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		contact, joiner := leftContactAndMergingJoiner(t, c, 30*time.Second)
		done := joinInBackground(joiner, contact.ml.LocalNode().Address())
		synctest.Wait() // Join has reached the contact and waits
		if err := joiner.ml.Shutdown(); err != nil {
			t.Fatal(err)
		}
		r := <-done
		if !errors.Is(r.err, ErrShutdown) || r.n != 0 {
			t.Errorf("Join interrupted by Shutdown = %d, %v; want 0, ErrShutdown", r.n, r.err)
		}
	})
}

// TestRuntimeJoinCompletesExchange: when Join returns, the join exchange
// is done, as memberlist's push/pull is: the joiner lists the contact and
// the contact's members, the contact lists the joiner, and the joiner's
// MergeRemoteState(join=true) has run with the contact's state (serf
// clears its "ignore old events" flag right after Join), also when a join
// exchange with a neighbour answers first.
func TestRuntimeJoinCompletesExchange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := joinedCluster(t, 3, nil)
		for _, nd := range c.nodes {
			nd.rec.update(func(r *recorder) { r.state = []byte("state-" + r.name) })
		}
		time.Sleep(2 * stateExchangeWindow) // past the states shared while joining
		late := c.add("node-03", nil)
		contact := c.nodes[0]
		if n, err := late.ml.Join([]string{contact.ml.LocalNode().Address()}); err != nil || n != 1 {
			t.Fatalf("Join = %d, %v", n, err)
		}
		if got := memberNames(late.ml.Members()); len(got) != 4 {
			t.Errorf("joiner lists %v when Join returns, want all 4", got)
		}
		if !slices.Contains(memberNames(contact.ml.Members()), "node-03") {
			t.Errorf("contact lists %v when Join returns, want node-03 among them", memberNames(contact.ml.Members()))
		}
		var merged [][]byte
		late.rec.update(func(r *recorder) { merged = slices.Clone(r.merged) })
		// The contact's state has been merged; a join exchange with a
		// neighbour may have brought another node's state too
		// (membership_join.go, MIGRATING.md).
		var fromContact bool
		for _, st := range merged {
			fromContact = fromContact || string(st) == "state-node-00"
			if !strings.HasPrefix(string(st), "state-node-0") {
				t.Errorf("MergeRemoteState(join=true) with %q, not a member's state", st)
			}
		}
		if !fromContact {
			t.Errorf("MergeRemoteState(join=true) calls when Join returns: %q, want the contact's state-node-00 among them", merged)
		}
	})
}

// TestRuntimeJoinAliveVetoFailsJoin: when the joiner's AliveDelegate
// refuses the contact while Join waits on the join exchange, Join fails
// as for a MergeDelegate veto (serf's AliveDelegate and MergeDelegate are
// one filter; its TestSerf_Join_Cancel expects the error).
func TestRuntimeJoinAliveVetoFailsJoin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 2, func(conf *Config) {
			self := conf.Name
			f := &filterDelegate{reject: func(n *Node) bool { return n.Name != self }}
			conf.Alive, conf.Merge = f, f
		})
		defer c.shutdown()
		_, err := c.nodes[1].ml.Join([]string{c.nodes[0].ml.LocalNode().Address()})
		if !errors.Is(err, ErrMergeCanceled) || !errors.Is(err, errFiltered) {
			t.Fatalf("Join = %v, want ErrMergeCanceled wrapping the delegate's error", err)
		}
	})
}

// TestRuntimeJoinRetriesRefusedStream: a contact at its MaxInboundStreams
// closes the joiner's stream without answering; Join tries again and
// joins once a slot is free, instead of failing (in a join storm at one
// seed, 14–94 of 255 Joins failed so).
func TestRuntimeJoinRetriesRefusedStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		a := c.addWithSink("a", func(conf *Config) { conf.MaxInboundStreams = 4 }, sink)
		p := &inboundProbe{t: t, from: c.net.NewTransport("probe"), to: a.ml.LocalNode().Address()}
		var open []net.Conn
		for range 4 {
			open = append(open, p.wantAccepted())
		}
		b := c.add("b", nil)
		done := joinInBackground(b, a.ml.LocalNode().Address())
		time.Sleep(300 * time.Millisecond) // b's first stream is refused
		if got := counterSum(sink, "hyparlist.stream.refused;reason="+refusedLimit); got < 1 {
			t.Fatalf("%v streams refused while a was full, want at least 1", got)
		}
		for _, conn := range open {
			_ = conn.Close()
		}
		r := <-done
		if r.err != nil || r.n != 1 {
			t.Fatalf("Join through a contact that refused the first stream = %d, %v; want 1, nil", r.n, r.err)
		}
		if !slices.Contains(memberNames(b.ml.Members()), "a") {
			t.Errorf("b lists %v after Join, want a among them", memberNames(b.ml.Members()))
		}
	})
}

// TestRuntimeJoinDeadContactFailsFast: a contact where nothing listens is
// not retried: Join fails at once, as memberlist's.
func TestRuntimeJoinDeadContactFailsFast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		b := c.add("b", nil)
		start := time.Now()
		if n, err := b.ml.Join([]string{"10.9.9.9:7946"}); err == nil || n != 0 {
			t.Fatalf("Join of an address where nothing listens = %d, %v; want 0 and an error", n, err)
		}
		if d := time.Since(start); d > 0 {
			t.Errorf("Join of a dead address took %v of virtual time, want no retries", d)
		}
	})
}
