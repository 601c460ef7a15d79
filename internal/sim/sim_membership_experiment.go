package sim

import (
	"runtime"
	"slices"
	"time"
)

// This file is the "membership" experiment: every node runs the
// membership core besides HyParView and Plumtree (SimConfig.Membership),
// on a simulation of its own (the other experiments run without it). It
// reports one result per scenario (ExperimentConfig.MembershipScenarios
// selects them), one after the other on the same simulation:
//
//   - "join": all nodes join; how long until every node lists exactly the
//     live set, then the steady-state membership traffic;
//   - "crash": MembershipCrashFraction of the nodes crash at once; how
//     many survivors list every crashed node dead within the detection
//     window, and when the lists converge;
//   - "partition": the nodes split in halves for PartitionRounds shuffle
//     periods; when the lists converge after the heal;
//   - "ghosts": a node announces 50 members that do not exist while 1% of
//     the nodes crash and 1% more join; when no node lists them any more
//     (sim_membership_ghosts.go).

// ExperimentMembership is the name of the membership experiment.
const ExperimentMembership = "membership"

// Membership experiment scenarios (SimResult.MembershipScenario).
const (
	MembershipScenarioJoin      = "join"
	MembershipScenarioCrash     = "crash"
	MembershipScenarioPartition = "partition"
)

// membershipScenarios lists the scenarios in the order they run.
var membershipScenarios = []string{MembershipScenarioJoin, MembershipScenarioCrash, MembershipScenarioPartition, MembershipScenarioGhosts}

// MembershipScenarioNames returns the membership experiment's scenarios in
// the order they run.
func MembershipScenarioNames() []string { return slices.Clone(membershipScenarios) }

// membershipScenario reports whether the membership experiment runs (or,
// for the join, reports) scenario sc.
func (c *ExperimentConfig) membershipScenario(sc string) bool {
	return len(c.MembershipScenarios) == 0 || slices.Contains(c.MembershipScenarios, sc)
}

// Membership experiment timing. The check interval is the virtual-time
// resolution of every convergence and detection figure.
const (
	membershipCheckEvery = time.Second
	// membershipSettle separates convergence from the steady-state
	// window, which is membershipSteadyWindow long (six anti-entropy
	// periods and six liveness probes at the defaults).
	membershipSettle       = 30 * time.Second
	membershipSteadyWindow = 60 * time.Second
	// membershipMaxWait bounds every wait for convergence.
	membershipMaxWait = 600 * time.Second
)

// membership runs the membership experiment.
func (r *expRunner) membership(p *jobProgress) ([]SimResult, error) {
	start := time.Now()
	cfg := r.cfg.Sim
	cfg.Membership = true
	s, err := NewSimulation(cfg)
	if err != nil {
		return nil, err
	}
	p.sim = s
	s.SetProgress(func(SimProgress) { p.report(false) })

	// Join, convergence, steady state.
	join := r.newMembershipResult(MembershipScenarioJoin)
	p.set("join")
	s.JoinAll()
	lastJoin := s.Now()
	p.set("converge")
	join.MembershipConvergedSeconds = s.waitConverged(lastJoin)
	s.RunFor(membershipSettle)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	join.HeapBytesPerNode = simPtr(float64(ms.HeapAlloc) / float64(s.UpCount()))
	p.set("steady")
	b0, t0 := s.MembershipBytes(), s.Now()
	s.RunFor(membershipSteadyWindow)
	join.MembershipBytesPerNodePerSecond = simPtr(membershipByteRate(s, b0, t0))
	fp, _ := s.FalsePositiveDeaths()
	join.FalsePositiveDeaths = simPtr(fp)
	r.finishMembership(&join, s, start)
	var out []SimResult
	if r.cfg.membershipScenario(MembershipScenarioJoin) {
		out = append(out, join)
	}
	if r.cfg.membershipScenario(MembershipScenarioCrash) {
		crash, err := r.membershipCrash(p, s, start)
		if err != nil {
			return nil, err
		}
		out = append(out, crash)
	}
	if r.cfg.membershipScenario(MembershipScenarioPartition) {
		part, err := r.membershipPartition(p, s, start)
		if err != nil {
			return nil, err
		}
		out = append(out, part)
	}
	if r.cfg.membershipScenario(MembershipScenarioGhosts) {
		g, err := r.membershipGhostScenario(p, s, start)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	p.report(true)
	return out, nil
}

// membershipCrash runs the crash scenario on s.
func (r *expRunner) membershipCrash(p *jobProgress, s *Simulation, start time.Time) (SimResult, error) {
	crash := r.newMembershipResult(MembershipScenarioCrash)
	crash.FailFraction = r.cfg.MembershipCrashFraction
	p.set("crash")
	b0, t0 := s.MembershipBytes(), s.Now()
	fp, _ := s.FalsePositiveDeaths()
	crashed, err := s.Crash(r.cfg.MembershipCrashFraction)
	if err != nil {
		return SimResult{}, err
	}
	window := s.crashDetectionWindow()
	crash.CrashDetectionWindowSeconds = simPtr(window.Seconds())
	frac, last := s.watchCrash(crashed, window)
	crash.CrashDetectedFraction = simPtr(frac)
	crash.CrashDetectionSeconds = last
	crash.MembershipConvergedSeconds = s.waitConverged(t0)
	crash.MembershipBytesPerNodePerSecond = simPtr(membershipByteRate(s, b0, t0))
	fp2, _ := s.FalsePositiveDeaths()
	crash.FalsePositiveDeaths = simPtr(fp2 - fp)
	r.finishMembership(&crash, s, start)
	return crash, nil
}

// membershipPartition runs the partition scenario on s. Declaring the
// other side dead is right while it is unreachable, so no false deaths are
// counted here.
func (r *expRunner) membershipPartition(p *jobProgress, s *Simulation, start time.Time) (SimResult, error) {
	part := r.newMembershipResult(MembershipScenarioPartition)
	p.set("partition")
	b0, t0 := s.MembershipBytes(), s.Now()
	if err := s.Partition(0.5); err != nil {
		return SimResult{}, err
	}
	s.RunShuffleRounds(r.cfg.PartitionRounds)
	s.Heal()
	p.set("heal")
	part.MembershipConvergedSeconds = s.waitConverged(s.Now())
	part.MembershipBytesPerNodePerSecond = simPtr(membershipByteRate(s, b0, t0))
	r.finishMembership(&part, s, start)
	return part, nil
}

// newMembershipResult starts a result of the membership experiment.
func (r *expRunner) newMembershipResult(scenario string) SimResult {
	res := r.newResult(ExperimentMembership)
	res.MembershipScenario = scenario
	return res
}

// finishMembership fills the run-wide fields of a membership result.
func (r *expRunner) finishMembership(res *SimResult, s *Simulation, start time.Time) {
	res.Survivors = s.UpCount()
	res.VirtualSeconds = s.Now().Seconds()
	res.Events = s.Events()
	res.WallSeconds = time.Since(start).Seconds()
	res.PeakHeapBytes = r.peak()
}

// membershipByteRate returns the membership bytes per up node per virtual
// second since b0 bytes at virtual time t0.
func membershipByteRate(s *Simulation, b0 uint64, t0 time.Duration) float64 {
	d := s.Now() - t0
	if d <= 0 || s.UpCount() == 0 {
		return 0
	}
	return float64(s.MembershipBytes()-b0) / float64(s.UpCount()) / d.Seconds()
}

// waitConverged checks every membershipCheckEvery of virtual time whether
// the member lists converged (MembershipConverged) and returns the
// virtual seconds from since until they did, or nil if they did not
// within membershipMaxWait.
func (s *Simulation) waitConverged(since time.Duration) *float64 {
	end := s.Now() + membershipMaxWait
	for {
		if s.MembershipConverged() {
			return simPtr((s.Now() - since).Seconds())
		}
		if s.Now() >= end {
			return nil
		}
		s.RunFor(membershipCheckEvery)
	}
}

// crashDetectionWindow is the time a crash may take to be listed
// everywhere: one keepalive interval and the longest detection delay for
// a neighbour to notice the failed link, then the longest suspicion
// timeout (no confirmations) for the current cluster size, then one check
// interval of slack for the dead announcement's broadcast.
func (s *Simulation) crashDetectionWindow() time.Duration {
	_, hi := s.cfg.MembershipCore.SuspicionTimeouts(s.UpCount())
	return s.cfg.HyParView.KeepaliveInterval + s.cfg.DetectionDelayMax + hi + membershipCheckEvery
}

// watchCrash runs the simulation, checking every membershipCheckEvery,
// until every up node lists every node of crashed as dead or window has
// passed. It returns the fraction of up nodes that did within window and
// the virtual seconds until the last of them did (nil if not all did).
func (s *Simulation) watchCrash(crashed []int, window time.Duration) (float64, *float64) {
	t0 := s.Now()
	done := make([]bool, len(s.nodes))
	left := len(s.upList)
	for {
		for _, i := range s.upList {
			if !done[i] && s.listsDead(i, crashed) {
				done[i] = true
				left--
			}
		}
		if left == 0 {
			return 1, simPtr((s.Now() - t0).Seconds())
		}
		if s.Now()-t0 >= window {
			return simFrac(len(s.upList)-left, len(s.upList)), nil
		}
		s.RunFor(membershipCheckEvery)
	}
}

// membershipJob returns the membership experiment's job, if selected.
func (r *expRunner) membershipJob() (expJob, bool) {
	if !r.cfg.selected(ExperimentMembership) || !r.cfg.Sim.Membership {
		return expJob{}, false
	}
	return expJob{name: ExperimentMembership, long: true, run: r.membership}, true
}
