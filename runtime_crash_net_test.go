package hyparlist

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// This file crashes nodes of a cluster on real sockets (127.0.0.1) and
// measures how long every survivor takes to hold them dead.

// deathClock is an EventDelegate that timestamps the first NotifyLeave
// with StateDead of each member; other events go to the recorder.
type deathClock struct {
	*recorder
	mu   sync.Mutex
	dead map[string]time.Time
}

func (d *deathClock) NotifyLeave(n *Node) {
	d.recorder.NotifyLeave(n)
	if n.State != StateDead {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.dead[n.Name]; !ok {
		d.dead[n.Name] = time.Now()
	}
}

// deadAt returns when name was first reported dead.
func (d *deathClock) deadAt(name string) (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	at, ok := d.dead[name]
	return at, ok
}

// crashTestConfig is the local profile tuned for a fast test on loopback:
// keepalives every 250ms (ProbeInterval), so that the suspicion timeout
// is 3 × log10(32) × 250ms ≈ 1.1s..6.8s at 32 members. The keepalive
// grace stays at a second so that a busy machine (-race, 2 cores shared)
// does not fail live links.
func crashTestConfig(c *Config) {
	c.BindAddr = "127.0.0.1"
	c.BindPort = 0
	c.ProbeInterval = 250 * time.Millisecond
	c.KeepaliveTimeout = time.Second
	c.TCPTimeout = 3 * time.Second
}

// crashDetectionBound is the longest a crash may take to be seen dead
// everywhere under conf with n live members: the link silence limit and one
// silence-check period (a neighbour that missed the connection's end
// notices the silence), the longest suspicion timeout (one accuser), and
// slack for the dead announcement to spread and for a loaded machine.
func crashDetectionBound(conf *Config, n int) (bound, lo, hi time.Duration) {
	lo, hi = suspicionBounds(conf.membershipConfig(), n)
	return conf.linkSilenceLimit() + conf.keepaliveInterval() + hi + 2*time.Second, lo, hi
}

// TestNetCrash32 runs 32 nodes on real sockets, shuts 8 of them down
// without Leave (their connections close, nothing is announced, as after a
// SIGKILL), and checks that every survivor holds each of them dead within
// the bound computed from the configuration, and that afterwards every
// survivor lists the same members.
func TestNetCrash32(t *testing.T) {
	if testing.Short() {
		t.Skip("32 nodes on real sockets")
	}
	const n, crashes = 32, 8
	nodes := make([]*testNode, n)
	clocks := make([]*deathClock, n)
	var conf0 *Config
	for i := range nodes {
		name := fmt.Sprintf("crash-%02d", i)
		rec := &recorder{name: name}
		clk := &deathClock{recorder: rec, dead: make(map[string]time.Time)}
		conf := mockConfig(name, crashTestConfig)
		conf.Delegate, conf.Events = rec, clk
		ml, err := Create(conf)
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		rec.self.Store(ml)
		nodes[i], clocks[i] = &testNode{ml: ml, rec: rec}, clk
		conf0 = conf
	}
	defer func() {
		for _, nd := range nodes {
			_ = nd.ml.Shutdown()
		}
	}()
	seed := nodes[0].ml.LocalNode().Address()
	var wg sync.WaitGroup
	for _, nd := range nodes[1:] {
		wg.Go(func() {
			if got, err := nd.ml.Join([]string{seed}); got != 1 || err != nil {
				t.Errorf("join %s: %d, %v", nd.rec.name, got, err)
			}
		})
	}
	wg.Wait()
	start := time.Now()
	pollUntil(t, "every node to list all 32", func() bool { return allSee(nodes, n) })
	t.Logf("join: all 32 listed %v after the joins returned", time.Since(start).Round(time.Millisecond))

	// Crash every fourth node.
	var crashed []string
	var survivors []*testNode
	var survivorClocks []*deathClock
	for i, nd := range nodes {
		if i%4 == 3 {
			crashed = append(crashed, nd.rec.name)
			continue
		}
		survivors = append(survivors, nd)
		survivorClocks = append(survivorClocks, clocks[i])
	}
	bound, lo, hi := crashDetectionBound(conf0, n)
	crashAt := time.Now()
	for i := 3; i < n; i += 4 {
		if err := nodes[i].ml.Shutdown(); err != nil {
			t.Fatalf("shutdown %s: %v", nodes[i].rec.name, err)
		}
	}
	deadline := crashAt.Add(bound + 5*time.Second)
	for {
		missing := 0
		for _, clk := range survivorClocks {
			for _, c := range crashed {
				if _, ok := clk.deadAt(c); !ok {
					missing++
				}
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d (survivor, crashed) pairs not dead after %v", missing, time.Since(crashAt))
		}
		time.Sleep(5 * time.Millisecond)
	}
	var worst time.Duration
	var all []time.Duration
	for _, clk := range survivorClocks {
		for _, c := range crashed {
			at, _ := clk.deadAt(c)
			d := at.Sub(crashAt)
			all = append(all, d)
			worst = max(worst, d)
		}
	}
	slices.Sort(all)
	t.Logf("crash of %d/%d: dead everywhere after %v (p50 %v, min %v); suspicion timeout %v..%v, bound %v",
		crashes, n, worst.Round(time.Millisecond), all[len(all)/2].Round(time.Millisecond),
		all[0].Round(time.Millisecond), lo.Round(time.Millisecond), hi.Round(time.Millisecond), bound.Round(time.Millisecond))
	if worst > bound {
		t.Errorf("crash seen dead everywhere after %v, bound %v", worst, bound)
	}

	// Every survivor ends with the same list: the 24 survivors, alive.
	pollUntil(t, "identical member lists", func() bool { return allAliveEverywhere(survivors, namesOf(survivors)) })
	for _, nd := range survivors {
		for _, name := range nd.rec.leftNames(StateDead) {
			if !slices.Contains(crashed, name) {
				t.Errorf("%s reported live %s dead", nd.rec.name, name)
			}
		}
	}
}
