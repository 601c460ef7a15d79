package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/hyparlist/hyparlist"
)

// demoNode is one node of the demo cluster.
type demoNode struct {
	name    string
	ml      *hyparlist.Memberlist
	del     *demoDelegate
	events  *eventCounter
	crashed bool // Shutdown without Leave
}

// demoCluster is the demo's set of nodes on 127.0.0.1.
type demoCluster struct {
	nodes []*demoNode
	rec   *recorder
}

// startCluster creates n nodes on 127.0.0.1 with DefaultLocalConfig, each
// on a free port with a real NetTransport, under mutual TLS when withTLS is
// set (demo_tls.go). Node logs go to logs. On error
// the nodes already started are shut down.
func startCluster(n int, withTLS bool, logs io.Writer) (*demoCluster, error) {
	c := &demoCluster{rec: newRecorder()}
	var ca *demoCA
	if withTLS {
		var err error
		if ca, err = newDemoCA(); err != nil {
			return nil, err
		}
	}
	width := len(fmt.Sprint(n - 1))
	for i := range n {
		name := fmt.Sprintf("node-%0*d", width, i)
		node, err := startNode(name, ca, c.rec, logs)
		if err != nil {
			c.shutdown()
			return nil, err
		}
		c.nodes = append(c.nodes, node)
	}
	return c, nil
}

// startNode creates one node, with mutual TLS under ca when ca is not
// nil.
func startNode(name string, ca *demoCA, rec *recorder, logs io.Writer) (*demoNode, error) {
	cfg := hyparlist.DefaultLocalConfig()
	cfg.Name = name
	cfg.BindAddr = "127.0.0.1"
	cfg.BindPort = 0
	cfg.LogOutput = logs
	if ca != nil {
		t, err := ca.nodeTLS(name)
		if err != nil {
			return nil, err
		}
		cfg.TLS = t
	}
	var ml atomic.Pointer[hyparlist.Memberlist]
	numNodes := func() int {
		if m := ml.Load(); m != nil {
			return m.NumMembers()
		}
		return 1
	}
	node := &demoNode{
		name:   name,
		del:    newDemoDelegate(name, rec, cfg.RetransmitMult, numNodes),
		events: &eventCounter{},
	}
	cfg.Delegate = node.del
	cfg.Events = node.events
	m, err := hyparlist.Create(cfg)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	ml.Store(m)
	node.ml = m
	return node, nil
}

// join makes every node but the first join the cluster through the first.
func (c *demoCluster) join() error {
	seed := c.nodes[0].ml.LocalNode().Address()
	for _, n := range c.nodes[1:] {
		if _, err := n.ml.Join([]string{seed}); err != nil {
			return fmt.Errorf("%s joins through %s: %w", n.name, seed, err)
		}
	}
	return nil
}

// alive returns the nodes that have not crashed, in name order.
func (c *demoCluster) alive() []*demoNode {
	var out []*demoNode
	for _, n := range c.nodes {
		if !n.crashed {
			out = append(out, n)
		}
	}
	return out
}

// crash shuts the given nodes down without Leave, as a crash would: their
// connections close and the cluster has to notice by itself.
func (c *demoCluster) crash(victims []*demoNode) error {
	errs := forEachNode(victims, func(n *demoNode) error { return n.ml.Shutdown() })
	for _, n := range victims {
		n.crashed = true
	}
	return errs
}

// shutdown stops every node still running.
func (c *demoCluster) shutdown() error {
	return forEachNode(c.alive(), func(n *demoNode) error { return n.ml.Shutdown() })
}

// forEachNode runs f on every node at once and joins the errors.
func forEachNode(nodes []*demoNode, f func(*demoNode) error) error {
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() {
			if err := f(n); err != nil {
				errs[i] = fmt.Errorf("%s: %w", n.name, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// overlayState is a snapshot of the live nodes' views.
type overlayState struct {
	nodes                  int
	membersMin, membersMax int
	activeMin, activeMax   int
	activeSum              int
	wrongMembers           int  // nodes whose Members() is not exactly the live set, all alive
	deadNeighbors          int  // active-view entries naming a crashed node
	leavesPending          int  // live nodes told of fewer leaves than nodes crashed
	connected              bool // the active views connect every live node
}

// activeMean returns the mean active-view size.
func (s overlayState) activeMean() float64 {
	if s.nodes == 0 {
		return 0
	}
	return float64(s.activeSum) / float64(s.nodes)
}

// converged reports whether every live node lists exactly the live nodes
// as alive members and has been told of every crash by its EventDelegate,
// and the active views hold only live nodes and connect them all.
func (s overlayState) converged() bool {
	return s.wrongMembers == 0 && s.deadNeighbors == 0 && s.leavesPending == 0 && s.connected && s.activeMin > 0
}

// String summarises the state for the progress display.
func (s overlayState) String() string {
	out := fmt.Sprintf("members %s, active views %s (mean %.1f), %s",
		span(s.membersMin, s.membersMax), span(s.activeMin, s.activeMax), s.activeMean(), connectedWord(s.connected))
	if s.wrongMembers > 0 {
		out += fmt.Sprintf(", %d stale member lists", s.wrongMembers)
	}
	if s.deadNeighbors > 0 {
		out += fmt.Sprintf(", %d links to crashed nodes", s.deadNeighbors)
	}
	if s.leavesPending > 0 {
		out += fmt.Sprintf(", %d nodes awaiting NotifyLeave", s.leavesPending)
	}
	return out
}

// span formats a range as "a" or "a..b".
func span(lo, hi int) string {
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d..%d", lo, hi)
}

// connectedWord describes overlay connectivity.
func connectedWord(ok bool) string {
	if ok {
		return "connected"
	}
	return "NOT connected"
}

// overlay reads every live node's Members and Neighbors.
func (c *demoCluster) overlay() overlayState {
	live := c.alive()
	names := make([]string, len(live))
	for i, n := range live {
		names[i] = n.name
	}
	s := overlayState{nodes: len(live), membersMin: -1, activeMin: -1}
	adj := make(map[string][]string, len(live))
	crashed := int64(len(c.nodes) - len(live))
	for _, n := range live {
		if n.events.leaves.Load() < crashed {
			s.leavesPending++
		}
		members := n.ml.Members()
		allAlive := true
		memberNames := make([]string, len(members))
		for i, m := range members {
			memberNames[i] = m.Name
			allAlive = allAlive && m.State == hyparlist.StateAlive
		}
		if !allAlive || !slices.Equal(memberNames, names) {
			s.wrongMembers++
		}
		nbrs := n.ml.Neighbors()
		for _, nb := range nbrs {
			if _, ok := slices.BinarySearch(names, nb.Name); ok {
				adj[n.name] = append(adj[n.name], nb.Name)
			} else {
				s.deadNeighbors++
			}
		}
		s.membersMin, s.membersMax = minMax(s.membersMin, s.membersMax, len(members))
		s.activeMin, s.activeMax = minMax(s.activeMin, s.activeMax, len(nbrs))
		s.activeSum += len(nbrs)
	}
	s.connected = len(names) > 0 && reachable(adj, names[0]) == len(names)
	return s
}

// minMax folds v into the range lo..hi, where lo < 0 means empty.
func minMax(lo, hi, v int) (int, int) {
	if lo < 0 {
		return v, v
	}
	return min(lo, v), max(hi, v)
}

// reachable counts the nodes reachable from start over links taken in
// either direction (a link one side has not confirmed yet still joins the
// two components).
func reachable(adj map[string][]string, start string) int {
	undirected := make(map[string][]string, len(adj))
	for a, bs := range adj {
		for _, b := range bs {
			undirected[a] = append(undirected[a], b)
			undirected[b] = append(undirected[b], a)
		}
	}
	seen := map[string]bool{start: true}
	stack := []string{start}
	for len(stack) > 0 {
		a := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, b := range undirected[a] {
			if !seen[b] {
				seen[b] = true
				stack = append(stack, b)
			}
		}
	}
	return len(seen)
}
