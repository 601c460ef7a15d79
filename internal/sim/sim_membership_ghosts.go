package sim

import (
	"fmt"
	"time"

	"github.com/hyparlist/hyparlist"
)

// This file is the "ghosts" scenario of the membership experiment (issue
// 14): one live node announces alive records of names that no node runs,
// as anyone who completed a handshake with an unencrypted cluster can,
// while MembershipCrashFraction of the nodes crash and new nodes join at
// the same instant. It reports when no live node lists any ghost any
// more (MembershipConfig.ConfirmTimeout and one contact attempt on every
// node that got the forged records, membership_confirm.go), when the lists
// converge, and whether any live node was declared dead.

// MembershipScenarioGhosts is the ghost scenario of the membership
// experiment.
const MembershipScenarioGhosts = "ghosts"

// Ghost scenario sizes: the 50 forged records of issue 14's measurement,
// and new nodes joining meanwhile, 1% of the cluster (at least one).
const (
	membershipGhosts        = 50
	membershipGhostJoinFrac = 0.01
)

// InjectGhosts makes node forger announce, in one membership broadcast of
// its own, alive records of k names that no simulated node has (at
// addresses where nothing answers), and returns the names.
func (s *Simulation) InjectGhosts(forger, k int) ([]string, error) {
	if forger < 0 || forger >= len(s.nodes) || !s.net.up[forger] || s.nodes[forger].ms == nil {
		return nil, fmt.Errorf("inject ghosts from node %d: %w", forger, ErrNodeDown)
	}
	names := make([]string, k)
	recs := make([]hyparlist.Member, k) // State zero: alive
	for i := range recs {
		names[i] = fmt.Sprintf("ghost-%06d", i)
		recs[i] = hyparlist.Member{Name: names[i], Addr: fmt.Sprintf("ghost-%06d:7946", i)}
	}
	for len(recs) > 0 {
		n := min(len(recs), 64)
		payload, err := hyparlist.AppendAnnouncement(nil, recs[:n])
		if err != nil {
			return nil, fmt.Errorf("inject ghosts: %w", err)
		}
		recs = recs[n:]
		s.stepPlumtree(int32(forger), hyparlist.BroadcastPayload{Class: hyparlist.ClassMembership, Payload: payload})
	}
	s.runMembershipWork()
	return names, nil
}

// ghostsListed returns how many up nodes list at least one of names as
// alive or suspect.
func (s *Simulation) ghostsListed(names []string) int {
	n := 0
	for _, i := range s.upList {
		for _, g := range names {
			if mb, ok := s.nodes[i].ms.Member(g); ok && live(mb) {
				n++
				break
			}
		}
	}
	return n
}

// watchGhosts runs the simulation, checking every membershipCheckEvery,
// until no up node lists any of names or membershipMaxWait has passed,
// and returns the virtual seconds since t0 (nil if they were still
// listed).
func (s *Simulation) watchGhosts(names []string, t0 time.Duration) *float64 {
	end := s.Now() + membershipMaxWait
	for {
		if s.ghostsListed(names) == 0 {
			return simPtr((s.Now() - t0).Seconds())
		}
		if s.Now() >= end {
			return nil
		}
		s.RunFor(membershipCheckEvery)
	}
}

// membershipGhostScenario runs the ghost scenario on s.
func (r *expRunner) membershipGhostScenario(p *jobProgress, s *Simulation, start time.Time) (SimResult, error) {
	res := r.newMembershipResult(MembershipScenarioGhosts)
	res.FailFraction = r.cfg.MembershipCrashFraction
	p.set("ghosts")
	b0, t0 := s.MembershipBytes(), s.Now()
	fp, _ := s.FalsePositiveDeaths()
	if _, err := s.Crash(r.cfg.MembershipCrashFraction); err != nil {
		return SimResult{}, err
	}
	names, err := s.InjectGhosts(s.RandomUpNode(), membershipGhosts)
	if err != nil {
		return SimResult{}, err
	}
	if _, err := s.AddNodes(max(1, int(membershipGhostJoinFrac*float64(s.UpCount())))); err != nil {
		return SimResult{}, err
	}
	s.JoinAll()
	res.Ghosts = len(names)
	res.GhostsClearedSeconds = s.watchGhosts(names, t0)
	res.MembershipConvergedSeconds = s.waitConverged(t0)
	res.MembershipBytesPerNodePerSecond = simPtr(membershipByteRate(s, b0, t0))
	fp2, _ := s.FalsePositiveDeaths()
	res.FalsePositiveDeaths = simPtr(fp2 - fp)
	r.finishMembership(&res, s, start)
	return res, nil
}
