package main

import "time"

// This file runs -warmup's phase: broadcasts at the measured phase's rate
// before it, so the measured phase sees the steady state of full message
// caches rather than N heaps growing in one process.

// warmUp broadcasts through api at -rate for -warmup and returns what it
// did, or nil without -warmup. It takes no CPU profile and does not
// settle; its broadcasts belong to a phase of their own, so late copies of
// them do not count in the next phase.
func (c *cluster) warmUp(api string) *warmupFigures {
	if c.opt.warmup <= 0 {
		return nil
	}
	n := max(1, int(c.opt.rate*c.opt.warmup.Seconds()))
	saved := c.opt
	c.opt.pprofDir, c.opt.settle = "", 0
	start := time.Now()
	r := c.broadcastPhase(api, c.opt.rate, n)
	c.opt = saved
	c.logf("%s/%s warm-up: %d broadcasts in %.1f s", c.sys.name(), api, n, time.Since(start).Seconds())
	return &warmupFigures{
		Seconds: r.PhaseS, Broadcasts: n, AchievedRate: r.AchievedRate,
		DeliveredRatio: r.DeliveredRatio, LatencyP50Ms: r.LatencyP50Ms, LatencyP99Ms: r.LatencyP99Ms,
		CPUMsPerBroadcast: r.CPUMsPerBroadcast, SysCPUMsPerBroadcast: r.SysCPUMsPerBroadcast,
		MinorFaultsPerBroadcast: r.MinorFaultsPerBroadcast,
	}
}
