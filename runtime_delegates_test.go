package hyparlist

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// Tests of the AliveDelegate, MergeDelegate and ConflictDelegate wiring
// and of DeadNodeReclaimTime (runtime_checks.go, membership_checks.go).

// filterDelegate is an AliveDelegate, MergeDelegate and ConflictDelegate
// that rejects what reject says and records its calls.
type filterDelegate struct {
	reject func(*Node) bool

	mu        sync.Mutex
	alive     []string
	merges    [][]*Node
	conflicts [][2]*Node
}

var errFiltered = errors.New("filtered")

func (f *filterDelegate) NotifyAlive(n *Node) error {
	f.mu.Lock()
	f.alive = append(f.alive, n.Name)
	f.mu.Unlock()
	if f.reject(n) {
		return errFiltered
	}
	return nil
}

func (f *filterDelegate) NotifyMerge(peers []*Node) error {
	f.mu.Lock()
	f.merges = append(f.merges, peers)
	f.mu.Unlock()
	for _, p := range peers {
		if f.reject(p) {
			return errFiltered
		}
	}
	return nil
}

func (f *filterDelegate) NotifyConflict(existing, other *Node) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conflicts = append(f.conflicts, [2]*Node{existing, other})
}

// calls returns copies of what the delegate was told.
func (f *filterDelegate) calls() (alive []string, merges [][]*Node, conflicts [][2]*Node) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.alive), slices.Clone(f.merges), slices.Clone(f.conflicts)
}

// cutOff reports whether outsider has no active-view link to any of
// insiders (on either side) and none of them lists it as a member.
func cutOff(outsider *testNode, insiders []*testNode) bool {
	if len(outsider.ml.Neighbors()) != 0 {
		return false
	}
	name := outsider.ml.LocalNode().Name
	for _, nd := range insiders {
		if slices.Contains(memberNames(nd.ml.Neighbors()), name) || slices.Contains(memberNames(nd.ml.Members()), name) {
			return false
		}
	}
	return true
}

// stayCutOff checks every second for d that outsider stays cut off.
func stayCutOff(t *testing.T, d time.Duration, outsider *testNode, insiders []*testNode) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); {
		time.Sleep(time.Second)
		if !cutOff(outsider, insiders) {
			t.Fatalf("%s linked or listed again: neighbours %v", outsider.rec.name, memberNames(outsider.ml.Neighbors()))
		}
	}
}

// TestRuntimeAliveDelegate: every node but node-05 rejects node-05 in
// NotifyAlive (each is also asked about itself, at Create); node-05 is never listed by them nor reported joined, while
// the others are, and its overlay links are dropped: it ends with no
// neighbour and is not let back in.
func TestRuntimeAliveDelegate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 6
		filters := make(map[string]*filterDelegate)
		c := newMockCluster(t, n, func(conf *Config) {
			self := conf.Name
			f := &filterDelegate{reject: func(p *Node) bool { return p.Name == "node-05" && self != "node-05" }}
			filters[conf.Name] = f
			conf.Alive = f
		})
		defer c.shutdown()
		c.joinAll()
		eventually(t, time.Minute, "the accepted members everywhere, node-05 cut off", func() bool {
			for _, nd := range c.nodes[:5] {
				if nd.ml.NumMembers() != 5 || len(nd.ml.Neighbors()) == 0 {
					return false
				}
			}
			return cutOff(c.nodes[5], c.nodes[:5])
		})
		// node-05 keeps trying (rejoin, passive view): it stays out while
		// denied, and anti-entropy brings its record again and again.
		stayCutOff(t, vetoDenyTime-5*time.Second, c.nodes[5], c.nodes[:5])
		synctest.Wait()
		for _, nd := range c.nodes[:5] {
			var joins []string
			nd.rec.update(func(r *recorder) { joins = slices.Clone(r.joins) })
			if slices.Contains(memberNames(nd.ml.Members()), "node-05") || slices.Contains(joins, "node-05") {
				t.Errorf("%s admitted node-05", nd.rec.name)
			}
			alive, _, _ := filters[nd.rec.name].calls()
			if !slices.Contains(alive, "node-05") || !slices.Contains(alive, nd.rec.name) {
				t.Errorf("%s: NotifyAlive called for %v", nd.rec.name, alive)
			}
		}
	})
}

// TestRuntimeMergeDelegate: a node whose MergeDelegate refuses the
// cluster's members (metadata "dc1") gets an ErrMergeCanceled from Join,
// does not merge the join exchange's records, and drops its links to the
// cluster, which then declares it dead: it ends with no link and is not
// listed. An accepting delegate sees the contact's members with their
// metadata.
func TestRuntimeMergeDelegate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		var seen []*filterDelegate
		meta := func(dc string) func(*Config) {
			return func(conf *Config) {
				f := &filterDelegate{reject: func(p *Node) bool { return string(p.Meta) != dc }}
				seen = append(seen, f)
				conf.Merge = f
				conf.Delegate = nil // set by add, metadata below
			}
		}
		for i := range 3 {
			nd := c.add(fmt.Sprintf("dc1-%d", i), meta("dc1"))
			nd.rec.update(func(r *recorder) { r.meta = []byte("dc1") })
			if err := nd.ml.UpdateNode(time.Second); err != nil {
				t.Fatal(err)
			}
		}
		seed := c.nodes[0].ml.LocalNode().Address()
		for _, nd := range c.nodes[1:3] {
			if got, err := nd.ml.Join([]string{seed}); got != 1 || err != nil {
				t.Fatalf("join: %d, %v", got, err)
			}
		}
		eventually(t, time.Minute, "dc1 formed", func() bool { return allSee(c.nodes, 3) })
		_, merges, _ := seen[1].calls()
		if len(merges) == 0 || !slices.ContainsFunc(merges[0], func(n *Node) bool { return n.Name == "dc1-0" && string(n.Meta) == "dc1" }) {
			t.Fatalf("accepting delegate saw %v, want the contact's members with metadata", merges)
		}

		other := c.add("dc2-0", meta("dc2"))
		other.rec.update(func(r *recorder) { r.meta = []byte("dc2") })
		if err := other.ml.UpdateNode(time.Second); err != nil {
			t.Fatal(err)
		}
		got, err := other.ml.Join([]string{seed})
		if got != 0 || !errors.Is(err, ErrMergeCanceled) {
			t.Fatalf("Join into a vetoed cluster = %d, %v; want 0 and ErrMergeCanceled", got, err)
		}
		if n := other.ml.NumMembers(); n != 1 {
			t.Errorf("the vetoed join merged: %d members", n)
		}
		eventually(t, time.Minute, "dc2-0 cut off", func() bool { return cutOff(other, c.nodes[:3]) })
		stayCutOff(t, 30*time.Second, other, c.nodes[:3])
		if n := other.ml.NumMembers(); n != 1 {
			t.Errorf("the vetoed node merged the cluster later: %d members", n)
		}
	})
}

// TestRuntimeConflictDelegate: a second node named like a member joins at
// another address; the cluster keeps the first, and the ConflictDelegates
// hear of the claim.
func TestRuntimeConflictDelegate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 4
		var mu sync.Mutex
		var filters []*filterDelegate
		tweak := func(conf *Config) {
			f := &filterDelegate{reject: func(*Node) bool { return false }}
			mu.Lock()
			filters = append(filters, f)
			mu.Unlock()
			conf.Conflict = f
		}
		c := joinedCluster(t, n, tweak)
		orig := c.nodes[2].ml.LocalNode().Address()
		dup := c.add("node-02", tweak)
		if _, err := dup.ml.Join([]string{"node-00/" + c.nodes[0].ml.LocalNode().Address()}); err != nil {
			t.Fatalf("impostor join: %v", err)
		}
		defer func() {
			if t.Failed() {
				for i, f := range filters {
					_, _, cs := f.calls()
					t.Logf("filter %d: %d conflicts", i, len(cs))
					for _, p := range cs {
						t.Logf("  %s %s / %s %s", p[0].Name, p[0].Address(), p[1].Name, p[1].Address())
					}
				}
				t.Logf("orig %s dup %s; dup members %v neighbours %v", orig, dup.ml.LocalNode().Address(), memberNames(dup.ml.Members()), memberNames(dup.ml.Neighbors()))
			}
		}()
		eventually(t, time.Minute, "the conflict reported", func() bool {
			for _, f := range filters[:n] {
				if _, _, cs := f.calls(); slices.ContainsFunc(cs, func(p [2]*Node) bool {
					return p[0].Address() == orig && p[1].Address() == dup.ml.LocalNode().Address()
				}) {
					return true
				}
			}
			return false
		})
		for _, nd := range c.nodes[:n] {
			if nd == c.nodes[2] {
				continue
			}
			i := slices.IndexFunc(nd.ml.Members(), func(m *Node) bool { return m.Name == "node-02" })
			if i < 0 || nd.ml.Members()[i].Address() != orig {
				t.Errorf("%s lost the original node-02", nd.rec.name)
			}
		}
	})
}

// TestRuntimeDeadNodeReclaimTime: a node restarted at a new address under
// its old name is refused while its dead predecessor's name is reserved —
// DeadNodeReclaimTime when set, GossipToTheDeadTime (the tombstone's life)
// when zero — and listed alive everywhere after that.
func TestRuntimeDeadNodeReclaimTime(t *testing.T) {
	for _, tc := range []struct {
		name            string
		reclaim, toDead time.Duration
		reserved        time.Duration
	}{
		{"set", 5 * time.Second, 40 * time.Second, 5 * time.Second},
		{"zero", 0, 20 * time.Second, 20 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const n = 6
				tweak := func(conf *Config) {
					conf.DeadNodeReclaimTime = tc.reclaim
					conf.GossipToTheDeadTime = tc.toDead
				}
				c := joinedCluster(t, n, tweak)
				c.net.crash("node-03")
				if err := c.nodes[3].ml.Shutdown(); err != nil {
					t.Fatal(err)
				}
				rest := slices.Delete(slices.Clone(c.nodes), 3, 4)
				eventually(t, 2*time.Minute, "node-03 dead everywhere", func() bool {
					for _, nd := range rest {
						if !slices.Contains(nd.rec.leftNames(StateDead), "node-03") {
							return false
						}
					}
					return true
				})
				dead := time.Now()
				back := c.add("node-03", tweak)
				if _, err := back.ml.Join([]string{c.nodes[0].ml.LocalNode().Address()}); err != nil {
					t.Fatal(err)
				}
				alive := func(nd *testNode) bool {
					return slices.ContainsFunc(nd.ml.Members(), func(m *Node) bool {
						return m.Name == "node-03" && m.Address() == back.ml.LocalNode().Address()
					})
				}
				eventually(t, 3*time.Minute, "the restarted node-03 everywhere", func() bool {
					for _, nd := range rest {
						if !alive(nd) {
							return false
						}
					}
					return true
				})
				took := time.Since(dead)
				if took < tc.reserved-2*time.Second {
					t.Errorf("name reclaimed %v after the death, reserved for %v", took, tc.reserved)
				}
				t.Logf("name reserved %v: restarted node listed everywhere %v after the death", tc.reserved, took)
			})
		})
	}
}

// TestRuntimeAliveDelegateNewIncarnation: NotifyAlive is consulted again
// when a live member announces a new incarnation with unchanged metadata
// (as memberlist asks on every alive message it applies), and not for the
// repeats anti-entropy brings.
func TestRuntimeAliveDelegateNewIncarnation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 3
		filters := make(map[string]*filterDelegate)
		c := joinedCluster(t, n, func(conf *Config) {
			f := &filterDelegate{reject: func(*Node) bool { return false }}
			filters[conf.Name] = f
			conf.Alive = f
		})
		asked := func(observer, about string) int {
			alive, _, _ := filters[observer].calls()
			k := 0
			for _, name := range alive {
				if name == about {
					k++
				}
			}
			return k
		}
		// Let anti-entropy run a few rounds: repeats do not ask.
		time.Sleep(3 * c.nodes[0].ml.config.PushPullInterval)
		synctest.Wait()
		before := asked("node-00", "node-01")
		time.Sleep(3 * c.nodes[0].ml.config.PushPullInterval)
		synctest.Wait()
		if got := asked("node-00", "node-01"); got != before || before == 0 {
			t.Fatalf("node-00 asked about node-01 %d times, then %d after repeats; want the same, at least 1", before, got)
		}
		inc := c.nodes[1].ml.LocalNode()
		if err := c.nodes[1].ml.UpdateNode(time.Second); err != nil { // same metadata, new incarnation
			t.Fatal(err)
		}
		eventually(t, time.Minute, "node-00 asked again", func() bool { return asked("node-00", "node-01") == before+1 })
		if string(c.nodes[1].ml.LocalNode().Meta) != string(inc.Meta) {
			t.Fatalf("metadata changed")
		}
	})
}

// TestRuntimeJoinSameNameConflict: Join to an address whose node has the
// local node's name is made, not skipped, counts as reached, and both
// ConflictDelegates hear of the conflict, as in memberlist (serf resolves
// it by a vote).
func TestRuntimeJoinSameNameConflict(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		filters := make([]*filterDelegate, 2)
		nodes := make([]*testNode, 2)
		for i := range nodes {
			f := &filterDelegate{reject: func(*Node) bool { return false }}
			filters[i] = f
			nodes[i] = c.add("twin", func(conf *Config) { conf.Conflict = f })
		}
		orig := nodes[0].ml.LocalNode().Address()
		// By address: MockNetwork dials by name when one is given.
		// memberlist's Join counts the address (its push/pull completes
		// and reports the conflict); serf's TestSerf_NameResolution fails
		// on an error here.
		if n, err := nodes[1].ml.Join([]string{orig}); err != nil || n != 1 {
			t.Errorf("Join to a node of the same name = %d, %v; want 1, nil as memberlist", n, err)
		}
		synctest.Wait()
		for i, f := range filters {
			_, _, cs := f.calls()
			if len(cs) != 1 || cs[0][0].Name != "twin" || cs[0][0].Address() == cs[0][1].Address() {
				t.Errorf("node %d: conflicts %v, want one between the two addresses", i, cs)
			}
		}
	})
}
