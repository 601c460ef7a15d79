package sim

import (
	"time"
)

// This file is the "storm" experiment: every node joins node 0 at once,
// with the membership core running, as in the bench harness's join
// (bench/cluster.go). It is meant for the CPU cost model (SimConfig.CPU,
// sim_cpu.go): without it no node is ever behind. It reports how long
// until every node listed every node (MembershipConvergedSeconds, null if
// not within StormDeadline), the fraction of (node, member) pairs listed
// at the deadline or at convergence, the links failed as silent during the
// join and in a steady window after it, the highest health score, and the
// cores the nodes kept busy.

// ExperimentStorm is the name of the storm experiment.
const ExperimentStorm = "storm"

// Storm experiment timing.
const (
	// stormJoinSpacing separates two joins: "at once", in start order.
	stormJoinSpacing = time.Microsecond
	// stormSteadyWindow follows convergence (or the deadline): silent
	// failures in it are failures of a cluster that should be idle.
	stormSteadyWindow = 30 * time.Second
)

// storm runs the storm experiment.
func (r *expRunner) storm(p *jobProgress) ([]SimResult, error) {
	start := time.Now()
	cfg := r.cfg.Sim
	cfg.Membership = true
	cfg.Contact = ContactSame
	cfg.JoinInterval = stormJoinSpacing
	s, err := NewSimulation(cfg)
	if err != nil {
		return nil, err
	}
	p.sim = s
	s.SetProgress(func(SimProgress) { p.report(false) })
	res := r.newResult(ExperimentStorm)
	res.CPUMode = cfg.CPU.Mode.String()
	if cfg.CPU.Mode == CPUShared {
		res.CPUCores = simPtr(cfg.CPU.Cores)
	}
	if s.cpu == nil {
		s.cpu = newSimCPU(SimCPU{Mode: CPUPerNode}, s.Nodes()) // counts only: every cost 0
	}
	p.set("join")
	s.JoinAll()
	t0 := s.Now()
	p.set("converge")
	deadline := t0 + r.cfg.StormDeadline
	for {
		if s.MembershipConverged() {
			res.MembershipConvergedSeconds = simPtr((s.Now() - t0).Seconds())
			break
		}
		if s.Now() >= deadline {
			break
		}
		s.RunFor(min(membershipCheckEvery, deadline-s.Now()))
	}
	res.StormPairsRatio = simPtr(s.memberPairsRatio())
	c0 := s.CPUStats()
	res.LinksFailedSilentJoin = simPtr(c0.SilentFailures)
	res.CPUBusyCores = simPtr(float64(c0.Busy) / float64(s.Now()))
	st := s.Stats()
	var sent, recv, bytes uint64
	for t := range st.Sent {
		sent += st.Sent[t]
		recv += st.Received[t]
	}
	bytes = s.cpu.bytes
	up := float64(max(s.UpCount(), 1))
	res.StormFramesPerNode = simPtr(float64(sent) / up)
	res.StormKiBPerNode = simPtr(float64(bytes) / 1024 / up)
	res.StormDialsPerNode = simPtr(float64(c0.Dials) / up)
	res.StormPublishedPerNode = simPtr(float64(c0.PublishedMembers) / up)
	res.StormTimersPerNode = simPtr(float64(s.cpu.timers) / up)
	_ = recv
	p.set("steady")
	s.RunFor(stormSteadyWindow)
	c1 := s.CPUStats()
	res.LinksFailedSilentAfter = simPtr(c1.SilentFailures - c0.SilentFailures)
	res.MaxHealthScore = simPtr(c1.MaxHealthScore)
	res.StormMaxLagSeconds = simPtr(c1.MaxLag.Seconds())
	res.StormMaxReaderWaitSeconds = simPtr(c1.MaxReaderWait.Seconds())
	fp, _ := s.FalsePositiveDeaths()
	res.FalsePositiveDeaths = simPtr(fp)
	r.finishMembership(&res, s, start)
	p.report(true)
	return []SimResult{res}, nil
}

// memberPairsRatio is the fraction of (up node, up member) pairs listed
// as live.
func (s *Simulation) memberPairsRatio() float64 {
	n := len(s.upList)
	if n == 0 || !s.cfg.Membership {
		return 0
	}
	var listed int
	for _, i := range s.upList {
		listed += min(s.nodes[i].ms.NumMembers(), n)
	}
	return float64(listed) / float64(n) / float64(n)
}

// stormJob returns the storm experiment's job, if selected.
func (r *expRunner) stormJob() (expJob, bool) {
	if !r.cfg.selected(ExperimentStorm) {
		return expJob{}, false
	}
	return expJob{name: ExperimentStorm, long: true, run: r.storm}, true
}
