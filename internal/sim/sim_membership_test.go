package sim

import (
	"fmt"
	"testing"
	"time"
)

// simMembershipTestNodes is the cluster size of the membership simulator
// tests. Not the 1,000 of the issue: a 1,000-node join with membership
// costs about 15 s of CPU (every join is a broadcast to every node), ten
// times that under -race, far over the test budget; `hyparlist sim -n 1000
// -experiments membership` measures that size.
const simMembershipTestNodes = 250

// newJoinedMembershipSim returns a simulation of n nodes running the
// membership core, after JoinAll and convergence of the member lists.
func newJoinedMembershipSim(t *testing.T, n int) *Simulation {
	t.Helper()
	cfg := DefaultSimConfig()
	cfg.Nodes, cfg.Seed, cfg.Membership = n, 7, true
	s, err := NewSimulation(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.JoinAll()
	last := s.Now()
	conv := s.waitConverged(last)
	if conv == nil {
		t.Fatalf("member lists did not converge within %v of the last join", membershipMaxWait)
	}
	t.Logf("%d nodes: converged %.0f s after the last join", n, *conv)
	return s
}

func TestSimMembershipStableRun(t *testing.T) {
	s := newJoinedMembershipSim(t, simMembershipTestNodes)
	s.RunFor(membershipSettle)
	b0, t0 := s.MembershipBytes(), s.Now()
	s.RunFor(membershipSteadyWindow)
	rate := membershipByteRate(s, b0, t0)
	t.Logf("steady state: %.1f membership bytes/node/s", rate)
	if rate <= 0 {
		t.Errorf("steady-state membership traffic %v bytes/node/s, want > 0 (anti-entropy runs every %v)",
			rate, s.cfg.MembershipCore.PushPullInterval)
	}
	if nodes, reports := s.FalsePositiveDeaths(); nodes != 0 {
		t.Errorf("%d live nodes declared dead (%d reports) in a stable run", nodes, reports)
	}
	if !s.MembershipConverged() {
		t.Error("member lists diverged in a stable run")
	}
}

func TestSimMembershipCrashDetected(t *testing.T) {
	s := newJoinedMembershipSim(t, simMembershipTestNodes)
	crashed, err := s.Crash(0.1)
	if err != nil {
		t.Fatal(err)
	}
	window := s.crashDetectionWindow()
	frac, last := s.watchCrash(crashed, window)
	if frac != 1 || last == nil {
		t.Fatalf("%.3f of survivors listed all %d crashed nodes dead within %v, want all", frac, len(crashed), window)
	}
	t.Logf("crash of %d detected everywhere after %.0f s (window %v)", len(crashed), *last, window)
	if s.waitConverged(s.Now()) == nil {
		t.Error("member lists did not converge after the crash")
	}
	if nodes, _ := s.FalsePositiveDeaths(); nodes != 0 {
		t.Errorf("%d live nodes declared dead after a crash", nodes)
	}
}

func TestSimMembershipOff(t *testing.T) {
	cfg := DefaultSimConfig()
	cfg.Nodes, cfg.Membership = 50, false
	s, err := NewSimulation(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.JoinAll()
	s.RunFor(30 * time.Second)
	if s.nodes[0].ms != nil || s.MembershipBytes() != 0 || s.MembershipConverged() {
		t.Error("membership ran although SimConfig.Membership is false")
	}
	if n := s.Stats().MemberCoreSent(); n != 0 {
		t.Errorf("%d membership messages sent", n)
	}
}

// TestSimMembershipGhostsExpire: a node announces 50 members that do not
// exist while 1% of the nodes crash and new nodes join (the "ghosts"
// scenario); within ConfirmTimeout, one contact attempt and a check
// interval of slack no live node lists any ghost, the lists converge, and
// no live node was declared dead. With the check off
// (MembershipConfig.ConfirmTimeout 0) the ghosts were still listed after
// 600 s: the simulator answers no liveness probe of a name that no node
// has, and in the runtime the probes and suspicion timeouts took minutes.
func TestSimMembershipGhostsExpire(t *testing.T) {
	s := newJoinedMembershipSim(t, simMembershipTestNodes)
	r := &expRunner{cfg: DefaultExperimentConfig()}
	r.cfg.Sim = s.cfg
	res, err := r.membershipGhostScenario(&jobProgress{r: r}, s, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	bound := s.cfg.MembershipCore.ConfirmTimeout + s.cfg.DetectionDelayMax + 2*membershipCheckEvery
	if res.GhostsClearedSeconds == nil || *res.GhostsClearedSeconds > bound.Seconds() {
		t.Fatalf("ghosts cleared after %v s, want within %v", ptrString(res.GhostsClearedSeconds), bound)
	}
	t.Logf("%d ghosts cleared from every live node %.0f s after their announcement; lists converged after %s s",
		res.Ghosts, *res.GhostsClearedSeconds, ptrString(res.MembershipConvergedSeconds))
	if res.MembershipConvergedSeconds == nil {
		t.Error("member lists did not converge after the ghost scenario")
	}
	if *res.FalsePositiveDeaths != 0 {
		t.Errorf("%d live nodes declared dead in the ghost scenario", *res.FalsePositiveDeaths)
	}
}

// ptrString formats an optional figure.
func ptrString(p *float64) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprintf("%.0f", *p)
}
