package sim

import (
	"time"

	"github.com/hyparlist/hyparlist"
)

// This file sets a simulation up as the runtime runs the cores with
// hyparlist.DefaultLANConfig, for the CPU cost model: the runtime's
// silence judge and its timing (Config's effective values, config_cores.go
// and config_effective.go), so that a simulated join storm can be set
// beside the bench harness's.

// WithRuntimeLAN turns on the CPU cost model in mode (cores shared in
// CPUShared) with the calibrated costs and the runtime's silence judge,
// and sets the cores' timers the runtime maps from DefaultLANConfig:
// keepalive every ProbeInterval, NEIGHBOR requests allowed TCPTimeout,
// Plumtree's GraftTimeout, GraftTimeout/2, IHaveInterval and
// BroadcastTrees (per-root trees). awareness is
// the runtime's AwarenessMaxMultiplier (0 or 1 turns it off). The
// membership core keeps its own defaults.
func WithRuntimeLAN(c *SimConfig, mode SimCPUMode, cores, awareness int) {
	lan := hyparlist.DefaultLANConfig()
	keepalive := lan.ProbeInterval
	if lan.KeepaliveInterval > 0 {
		keepalive = lan.KeepaliveInterval
	}
	grace := lan.ProbeTimeout
	if lan.KeepaliveTimeout > 0 {
		grace = lan.KeepaliveTimeout
	}
	c.HyParView.KeepaliveInterval = keepalive
	c.HyParView.NeighborRequestTimeout = lan.TCPTimeout
	c.Plumtree.GraftTimeout1 = lan.GraftTimeout
	c.Plumtree.GraftTimeout2 = max(lan.GraftTimeout/2, time.Millisecond)
	c.Plumtree.IHaveInterval = lan.IHaveInterval
	c.Plumtree.MaxTrees = lan.BroadcastTrees
	c.CPU = SimCPU{
		Mode:               mode,
		Cores:              cores,
		Slice:              defaultSimCPUSlice,
		Costs:              DefaultSimCPUCosts(),
		SilenceLimit:       keepalive + grace,
		SilenceCheck:       keepalive,
		NewLinkGrace:       lan.TCPTimeout,
		HeartbeatAfter:     keepalive + grace/2,
		AwarenessMax:       awareness,
		AwarenessThreshold: grace / 2,
		InboxLimit:         lan.HandoffQueueDepth,
		TimersFirst:        true,
	}
	if mode != CPUShared {
		c.CPU.Cores = 0
	}
}
