package hyparlist

import (
	"bytes"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// memberNames returns the names of nodes.
func memberNames(nodes []*Node) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.Name
	}
	return out
}

// TestRuntimeMembersFromNotifyJoin calls Members from inside NotifyJoin on
// every node: it must not block, and the new member must already be
// listed.
func TestRuntimeMembersFromNotifyJoin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 8
		var calls, missing atomic.Int64
		c := newMockCluster(t, n, nil)
		defer c.shutdown()
		for _, nd := range c.nodes {
			rec := nd.rec
			rec.setHooks(func(joined *Node) {
				ml := rec.self.Load()
				if ml == nil {
					return
				}
				calls.Add(1)
				if !slices.Contains(memberNames(ml.Members()), joined.Name) {
					missing.Add(1)
				}
			}, nil)
		}
		c.joinAll()
		eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, n) })
		synctest.Wait()
		if got := calls.Load(); got < n*(n-1) {
			t.Errorf("NotifyJoin called %d times from running nodes, want at least %d", got, n*(n-1))
		}
		if got := missing.Load(); got != 0 {
			t.Errorf("Members() inside NotifyJoin missed the new member %d times", got)
		}
	})
}

// TestRuntimeLeave checks that a Leave reaches every member as a
// NotifyLeave with StateLeft and removes the node from Members.
func TestRuntimeLeave(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 8
		c := joinedCluster(t, n, nil)

		leaver := c.nodes[3]
		if err := leaver.ml.Leave(5 * time.Second); err != nil {
			t.Fatalf("Leave: %v", err)
		}
		if err := leaver.ml.Leave(5 * time.Second); err != nil {
			t.Fatalf("second Leave: %v", err)
		}
		rest := slices.Delete(slices.Clone(c.nodes), 3, 4)
		eventually(t, time.Minute, "the leave everywhere", func() bool {
			for _, nd := range rest {
				if nd.ml.NumMembers() != n-1 || !slices.Contains(nd.rec.leftNames(StateLeft), "node-03") ||
					slices.Contains(memberNames(nd.ml.Members()), "node-03") ||
					slices.Contains(memberNames(nd.ml.Neighbors()), "node-03") {
					return false
				}
			}
			return true
		})
		if got := leaver.ml.LocalNode().State; got != StateLeft {
			t.Errorf("leaver's LocalNode().State = %v, want left", got)
		}
		if got := len(leaver.ml.Neighbors()); got != 0 {
			t.Errorf("leaver still has %d neighbours", got)
		}
	})
}

// TestRuntimeUpdateNode checks that new metadata reaches every member,
// both in Members and through NotifyUpdate.
func TestRuntimeUpdateNode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 8
		c := joinedCluster(t, n, nil)
		c.nodes[2].rec.update(func(r *recorder) { r.meta = []byte("v2") })
		if err := c.nodes[2].ml.UpdateNode(5 * time.Second); err != nil {
			t.Fatalf("UpdateNode: %v", err)
		}
		if got := c.nodes[2].ml.LocalNode().Meta; string(got) != "v2" {
			t.Errorf("LocalNode().Meta = %q, want v2", got)
		}
		eventually(t, time.Minute, "the new metadata everywhere", func() bool {
			for _, nd := range c.nodes {
				i := slices.IndexFunc(nd.ml.Members(), func(m *Node) bool { return m.Name == "node-02" })
				if i < 0 || !bytes.Equal(nd.ml.Members()[i].Meta, []byte("v2")) {
					return false
				}
				if nd != c.nodes[2] {
					if meta, ok := nd.rec.lastUpdate("node-02"); !ok || string(meta) != "v2" {
						return false
					}
				}
			}
			return true
		})

		c.nodes[2].rec.update(func(r *recorder) { r.meta = bytes.Repeat([]byte("x"), MetaMaxSize+1) })
		if err := c.nodes[2].ml.UpdateNode(time.Second); !errorIs(err, ErrMessageTooLarge) {
			t.Errorf("UpdateNode with oversized meta = %v, want ErrMessageTooLarge", err)
		}
	})
}

// TestRuntimePushPullState checks the join anti-entropy exchange: each
// side's Delegate.LocalState reaches the other's MergeRemoteState with
// join set.
func TestRuntimePushPullState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 2, nil)
		defer c.shutdown()
		for _, nd := range c.nodes {
			nd.rec.update(func(r *recorder) { r.state = []byte("state of " + r.name) })
		}
		c.joinAll()
		merged := func(nd *testNode) [][]byte {
			nd.rec.mu.Lock()
			defer nd.rec.mu.Unlock()
			return slices.Clone(nd.rec.merged)
		}
		eventually(t, time.Minute, "both states merged", func() bool {
			return len(merged(c.nodes[0])) > 0 && len(merged(c.nodes[1])) > 0
		})
		for i, nd := range c.nodes {
			want := "state of " + c.nodes[1-i].rec.name
			if got := merged(nd); string(got[0]) != want {
				t.Errorf("%s merged %q, want %q", nd.rec.name, got, want)
			}
		}
	})
}

// TestRuntimeLeaveWithinTimeoutDefaults: Leave(time.Second) succeeds on a
// healthy cluster with DefaultLANConfig's settings (its spread phase,
// IHaveInterval + 2×GraftTimeout = 1.1s, is cut to fit the timeout), and
// the others see the node leave.
func TestRuntimeLeaveWithinTimeoutDefaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lan := DefaultLANConfig()
		c := joinedCluster(t, 3, func(conf *Config) {
			conf.IHaveInterval, conf.GraftTimeout = lan.IHaveInterval, lan.GraftTimeout
		})
		if err := c.nodes[2].ml.Leave(time.Second); err != nil {
			t.Fatalf("Leave(1s): %v", err)
		}
		eventually(t, time.Minute, "node-02 gone", func() bool { return allSee(c.nodes[:2], 2) })
	})
}
