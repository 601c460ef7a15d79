package hyparlist

import (
	"fmt"
	"testing"
	"time"
)

// Multi-node scenarios on the harness of membership_harness_test.go.

// TestClusterJoinCrash: 1,000 nodes join over 30s and converge to
// identical lists; then 10% crash at once and every survivor holds every
// crashed node dead within the maximal suspicion timeout, with no survivor
// ever reported dead.
func TestClusterJoinCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 nodes")
	}
	const n = 1000
	cfg := DefaultMembershipConfig()
	h := newMnet(t, 1, cfg)
	took := h.startCluster(n, 30*time.Second)
	t.Logf("join: %d nodes converged %v after the last join; %d broadcast deliveries, %d messages, %d bytes",
		n, took, h.deliveries, h.msgs, h.msgBytes)

	// Idle cost: nothing changes for 60s.
	msgs, bytes := h.msgs, h.msgBytes
	h.runFor(60 * time.Second)
	idle := float64(h.msgBytes-bytes) / n / 60
	t.Logf("idle: %.2f bytes/node/s in %d messages", idle, h.msgs-msgs)
	if idle > 5 {
		t.Errorf("idle anti-entropy costs %.2f bytes/node/s, want O(1) (< 5)", idle)
	}

	crashed := h.pick(n / 10)
	for _, c := range crashed {
		h.crash(c)
	}
	_, hi := suspicionBounds(cfg, n)
	allDead := func() bool {
		for _, o := range h.upNodes() {
			for _, c := range crashed {
				if heldState(o, c.name) != "dead" {
					return false
				}
			}
		}
		return true
	}
	took, ok := h.runUntilTrue(hi+10*time.Second, allDead)
	if !ok {
		t.Fatalf("crashes not detected everywhere within %v", hi+10*time.Second)
	}
	t.Logf("crash of %d: dead everywhere after %v (suspicion timeout %v..%v)", len(crashed), took, hi/time.Duration(cfg.SuspicionMaxTimeoutMult), hi)
	for _, o := range h.upNodes() {
		for _, p := range h.upNodes() {
			if o.left[p.name] != 0 {
				t.Fatalf("%s reported live %s as gone", o.name, p.name)
			}
		}
	}
	h.checkIdenticalLists(n - len(crashed))
}

// TestClusterFlakyLink: one link fails every few seconds for five minutes;
// both ends are suspected over and over and refute every time, and nobody
// ever sees either of them dead.
func TestClusterFlakyLink(t *testing.T) {
	const n = 200
	h := newMnet(t, 2, DefaultMembershipConfig())
	h.startCluster(n, 10*time.Second)
	a := h.order[7]
	b := h.nodes[a.links[0]]
	flaps := 0
	for end := h.now.Add(5 * time.Minute); h.now.Before(end); {
		h.unlink(a, b, true)
		flaps++
		h.runFor(time.Second)
		h.link(a, b)
		h.runFor(3 * time.Second)
	}
	h.runFor(30 * time.Second)
	for _, o := range h.upNodes() {
		if o.left[a.name] != 0 || o.left[b.name] != 0 {
			t.Fatalf("%s saw a flaky-link end leave (%d, %d)", o.name, o.left[a.name], o.left[b.name])
		}
	}
	ra, rb := a.core.counters().Refutations, b.core.counters().Refutations
	if ra == 0 || rb == 0 {
		t.Fatalf("no refutations (%d, %d): the flaps were not felt", ra, rb)
	}
	t.Logf("%d flaps: %d and %d refutations, incarnations %d and %d", flaps, ra, rb,
		a.core.localMember().Incarnation, b.core.localMember().Incarnation)
	h.checkIdenticalLists(n)
}

// TestClusterPartitionHeals: a 50/50 partition for 60s; each side declares
// much of the other dead; after the partition heals, ProbeMember
// reconnects the sides and every node ends with the same list of all
// nodes alive (memberlist #222).
func TestClusterPartitionHeals(t *testing.T) {
	const n = 300
	h := newMnet(t, 3, DefaultMembershipConfig())
	h.startCluster(n, 10*time.Second)
	h.partition(func(m *mnode) int { return h.rng.IntN(2) })
	h.runFor(60 * time.Second)
	gone := 0
	for _, o := range h.upNodes() {
		for _, p := range h.upNodes() {
			if p.side != o.side && heldState(o, p.name) == "dead" {
				gone++
			}
		}
	}
	if gone == 0 {
		t.Fatalf("the partition was not felt")
	}
	h.partition(func(*mnode) int { return 0 })
	probes := h.probes
	took, ok := h.runUntilTrue(10*time.Minute, func() bool { return h.converged(n) })
	if !ok {
		t.Fatalf("partition did not heal within 10m")
	}
	t.Logf("partition: %d (observer, member) pairs dead after 60s; healed %v after the partition ended, %d probes",
		gone, took, h.probes-probes)
	h.checkIdenticalLists(n)
}

// TestClusterMassRestart: 30% of the nodes crash, are declared dead, and
// restart with the same names (half at new addresses) and a fresh
// incarnation 0; they come back alive everywhere (memberlist #311).
func TestClusterMassRestart(t *testing.T) {
	const n = 300
	cfg := DefaultMembershipConfig()
	h := newMnet(t, 4, cfg)
	h.startCluster(n, 10*time.Second)
	crashed := h.pick(n * 3 / 10)
	for _, c := range crashed {
		h.crash(c)
	}
	_, hi := suspicionBounds(cfg, n)
	h.runFor(hi + 10*time.Second)
	for _, c := range crashed {
		if s := heldState(h.upNodes()[0], c.name); s != "dead" {
			t.Fatalf("%s is %s after the crash, want dead", c.name, s)
		}
	}
	for i, c := range crashed {
		addr := c.addr
		if i%2 == 0 {
			addr = fmt.Sprintf("%s-new:7946", c.name)
		}
		h.schedule(time.Duration(i)*5*time.Second/time.Duration(len(crashed)), func() { h.restart(c, addr) })
	}
	took, ok := h.runUntilTrue(5*time.Minute, func() bool { return h.converged(n) })
	if !ok {
		t.Fatalf("restarted nodes not alive everywhere within 5m")
	}
	t.Logf("mass restart of %d: all alive everywhere %v after the restarts began", len(crashed), took)
	h.checkIdenticalLists(n)
}

// TestClusterLeave: nodes that leave are seen as left (not dead)
// everywhere, reported once, and never probed.
func TestClusterLeave(t *testing.T) {
	const n = 200
	h := newMnet(t, 5, DefaultMembershipConfig())
	h.startCluster(n, 10*time.Second)
	leavers := h.pick(5)
	for _, l := range leavers {
		h.stepLater(l, 0, leaveCluster{})
	}
	h.runFor(2 * time.Minute)
	for _, o := range h.upNodes() {
		for _, l := range leavers {
			if s := heldState(o, l.name); s != "left" {
				t.Fatalf("%s holds %s %s, want left", o.name, l.name, s)
			}
			if o.left[l.name] != 1 {
				t.Fatalf("%s reported %s leaving %d times", o.name, l.name, o.left[l.name])
			}
		}
	}
	if h.probedLeft != 0 {
		t.Errorf("%d probes of left members", h.probedLeft)
	}
	h.checkIdenticalLists(n - len(leavers))
}

// TestClusterDeterministic: the same seed gives the same run, action for
// action; another seed gives another run.
func TestClusterDeterministic(t *testing.T) {
	run := func(seed uint64) uint64 {
		h := newMnet(t, seed, DefaultMembershipConfig())
		sum := traceHash(h)
		h.startCluster(40, 5*time.Second)
		for _, c := range h.pick(4) {
			h.crash(c)
		}
		h.runFor(time.Minute)
		return sum()
	}
	a, b, c := run(9), run(9), run(10)
	if a != b {
		t.Errorf("two runs with seed 9 differ")
	}
	if a == c {
		t.Errorf("seeds 9 and 10 gave the same run")
	}
}
