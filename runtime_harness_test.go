package hyparlist

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// This file holds the helpers of the runtime tests: a recording delegate
// and clusters of nodes on a MockNetwork, meant to run inside a
// testing/synctest bubble, where time is virtual and waiting for a
// condition costs no real time.

// recorder is a Delegate and EventDelegate (and NeighborDelegate) that
// records what it is told. It is safe for concurrent use.
type recorder struct {
	name string
	// self is the node the recorder belongs to, set once Create returns,
	// for callbacks that call back into it.
	self atomic.Pointer[Memberlist]

	mu        sync.Mutex
	meta      []byte
	msgs      [][]byte
	joins     []string
	leaves    []*Node
	updates   []*Node
	ups       []string
	downs     []string
	queued    [][]byte              // returned once by GetBroadcasts
	requeue   bool                  // re-queue every received message (Serf style)
	tlq       *TransmitLimitedQueue // if set, GetBroadcasts drains it too and re-queues go to it
	pulls     []pullRecord          // GetBroadcasts calls that drained tlq
	state     []byte                // LocalState
	stateAsks int                   // LocalState calls
	merged    [][]byte              // MergeRemoteState(join=true) payloads
	order     []string              // "msg:<payload>" and "leave:<name>", in call order
	onJoin    func(*Node)           // runs before recording, outside the lock
	notifyMsg func([]byte)          // runs before recording, outside the lock
}

func (r *recorder) NodeMeta(limit int) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.meta)
}

func (r *recorder) NotifyMsg(b []byte) {
	if _, f := r.hooks(); f != nil {
		f(b)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, slices.Clone(b))
	r.order = append(r.order, "msg:"+string(b))
	switch {
	case r.requeue && r.tlq != nil:
		// As Serf does: copy the payload and queue it for retransmission.
		r.tlq.QueueBroadcast(&testBroadcast{msg: slices.Clone(b)})
	case r.requeue:
		r.queued = append(r.queued, slices.Clone(b))
	}
}

func (r *recorder) GetBroadcasts(overhead, limit int) [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.queued
	r.queued = nil
	if r.tlq != nil {
		got := r.tlq.GetBroadcasts(overhead, limit)
		rec := pullRecord{at: time.Now(), limit: limit, payloads: len(got)}
		for _, p := range got {
			rec.bytes += overhead + len(p)
		}
		r.pulls = append(r.pulls, rec)
		out = append(out, got...)
	}
	return out
}

// pullRecord is one GetBroadcasts call on a recorder's tlq.
type pullRecord struct {
	at       time.Time
	limit    int
	payloads int
	bytes    int // payloads plus overhead each
}

func (r *recorder) LocalState(join bool) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stateAsks++
	return slices.Clone(r.state)
}

func (r *recorder) MergeRemoteState(buf []byte, join bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if join {
		r.merged = append(r.merged, slices.Clone(buf))
	}
}

func (r *recorder) NotifyJoin(n *Node) {
	if f, _ := r.hooks(); f != nil {
		f(n)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.joins = append(r.joins, n.Name)
}

func (r *recorder) NotifyLeave(n *Node) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.leaves = append(r.leaves, n)
	r.order = append(r.order, "leave:"+n.Name)
}

func (r *recorder) NotifyUpdate(n *Node) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates = append(r.updates, n)
}

func (r *recorder) NotifyNeighborUp(n *Node) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ups = append(r.ups, n.Name)
}

func (r *recorder) NotifyNeighborDown(n *Node) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.downs = append(r.downs, n.Name)
}

// hooks returns the callbacks run by NotifyJoin and NotifyMsg.
func (r *recorder) hooks() (onJoin func(*Node), notifyMsg func([]byte)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.onJoin, r.notifyMsg
}

// update runs f on the recorder under its lock.
func (r *recorder) update(f func(r *recorder)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r)
}

// setHooks sets the callbacks run by NotifyJoin and NotifyMsg.
func (r *recorder) setHooks(onJoin func(*Node), notifyMsg func([]byte)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onJoin, r.notifyMsg = onJoin, notifyMsg
}

// queue adds payloads for the next GetBroadcasts.
func (r *recorder) queue(ps ...[]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range ps {
		r.queued = append(r.queued, slices.Clone(p))
	}
}

// messages returns a copy of the received messages.
func (r *recorder) messages() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// count returns how many received messages equal p.
func (r *recorder) count(p []byte) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs {
		if string(m) == string(p) {
			n++
		}
	}
	return n
}

// leftNames returns the names NotifyLeave reported with state s.
func (r *recorder) leftNames(s NodeStateType) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, n := range r.leaves {
		if n.State == s {
			out = append(out, n.Name)
		}
	}
	return out
}

// lastUpdate returns the metadata of the latest NotifyUpdate for name.
func (r *recorder) lastUpdate(name string) ([]byte, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.updates) - 1; i >= 0; i-- {
		if r.updates[i].Name == name {
			return r.updates[i].Meta, true
		}
	}
	return nil, false
}

// testNode is one node of a test cluster.
type testNode struct {
	ml  *Memberlist
	rec *recorder
}

// testCluster is a set of nodes on one MockNetwork.
type testCluster struct {
	t     *testing.T
	net   *MockNetwork
	nodes []*testNode
}

// mockConfig returns the configuration of test node name: the local
// profile with a quiet logger and the given tweaks.
func mockConfig(name string, tweak func(*Config)) *Config {
	c := DefaultLocalConfig()
	c.Name = name
	c.LogOutput = testLogOutput()
	if tweak != nil {
		tweak(c)
	}
	return c
}

// newMockCluster creates n nodes on a new MockNetwork, without joining
// them. Call it inside a synctest bubble.
func newMockCluster(t *testing.T, n int, tweak func(*Config)) *testCluster {
	t.Helper()
	return newMockClusterWithSink(t, n, tweak, globalSink{})
}

// newMockClusterWithSink is newMockCluster with every node's metrics in
// sink.
func newMockClusterWithSink(t *testing.T, n int, tweak func(*Config), sink metricSink) *testCluster {
	t.Helper()
	c := &testCluster{t: t, net: newMockNetwork(rand.New(rand.NewPCG(1, 2)))}
	for i := range n {
		c.addWithSink(fmt.Sprintf("node-%02d", i), tweak, sink)
	}
	return c
}

// counterKeys returns the keys of the counters in sink that start with
// prefix.
func counterKeys(sink *inmemSink, prefix string) []string {
	var keys []string
	for _, d := range sink.Data() {
		d.RLock()
		for k := range d.Counters {
			if strings.HasPrefix(k, prefix) {
				keys = append(keys, k)
			}
		}
		d.RUnlock()
	}
	return keys
}

// counterSum adds up the counters in sink whose key starts with prefix.
func counterSum(sink *inmemSink, prefix string) float64 {
	var sum float64
	for _, d := range sink.Data() {
		d.RLock()
		for k, v := range d.Counters {
			if strings.HasPrefix(k, prefix) {
				sum += v.Sum
			}
		}
		d.RUnlock()
	}
	return sum
}

// add creates one more node.
func (c *testCluster) add(name string, tweak func(*Config)) *testNode {
	c.t.Helper()
	return c.addWithSink(name, tweak, globalSink{})
}

// addWithSink creates one more node whose metrics go to sink.
func (c *testCluster) addWithSink(name string, tweak func(*Config), sink metricSink) *testNode {
	c.t.Helper()
	rec := &recorder{name: name}
	conf := mockConfig(name, tweak)
	if conf.Transport == nil { // a tweak may bring its own
		conf.Transport = c.net.NewTransport(name)
	}
	conf.Delegate = rec
	conf.Events = rec
	tn := &testNode{rec: rec}
	ml, err := create(conf, sink)
	if err != nil {
		c.t.Fatalf("create %s: %v", name, err)
	}
	tn.ml = ml
	rec.self.Store(ml)
	c.nodes = append(c.nodes, tn)
	return tn
}

// joinedCluster creates n nodes, joins them through the first, and waits
// until every node lists all of them. The nodes are shut down when the
// test ends.
func joinedCluster(t *testing.T, n int, tweak func(*Config)) *testCluster {
	t.Helper()
	return joinedClusterWithSink(t, n, tweak, globalSink{})
}

// joinedClusterWithSink is joinedCluster with the nodes' metrics in sink.
func joinedClusterWithSink(t *testing.T, n int, tweak func(*Config), sink metricSink) *testCluster {
	t.Helper()
	c := newMockClusterWithSink(t, n, tweak, sink)
	t.Cleanup(c.shutdown)
	c.joinAll()
	eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, n) })
	return c
}

// joinAll joins every node but the first through the first.
func (c *testCluster) joinAll() {
	c.t.Helper()
	seed := c.nodes[0].ml.LocalNode().Address()
	for _, n := range c.nodes[1:] {
		if got, err := n.ml.Join([]string{seed}); err != nil || got != 1 {
			c.t.Fatalf("%s: Join = %d, %v", n.ml.LocalNode().Name, got, err)
		}
	}
}

// shutdown stops every node that is still running.
func (c *testCluster) shutdown() {
	for _, n := range c.nodes {
		if err := n.ml.Shutdown(); err != nil {
			c.t.Errorf("shutdown: %v", err)
		}
	}
}

// eventually polls cond every 10ms of (virtual) time until it holds, failing
// the test after limit.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// allSee reports whether every node in nodes lists exactly want members.
func allSee(nodes []*testNode, want int) bool {
	for _, n := range nodes {
		if n.ml.NumMembers() != want {
			return false
		}
	}
	return true
}

// rtlog prints the test nodes' logs: go test -run Runtime -rtlog .
var rtlog = flag.Bool("rtlog", false, "print the logs of runtime test nodes")

// testLogOutput receives the test nodes' logs.
func testLogOutput() io.Writer {
	if *rtlog {
		return os.Stderr
	}
	return io.Discard
}

// errorIs is errors.Is, short for table checks.
func errorIs(err, target error) bool { return errors.Is(err, target) }
