package sim

import (
	"fmt"
	"time"
)

// This file holds the configuration of the simulator's CPU cost model
// (sim_cpu.go) and of the runtime's silence judge that it drives
// (sim_cpu_silence.go). The zero SimCPU turns both off: every event then
// takes no time, as before the model existed, and a run is event for
// event the same.

// SimCPUMode says how the nodes' work is scheduled on processors.
type SimCPUMode uint8

const (
	// CPUOff charges nothing: events take no virtual time.
	CPUOff SimCPUMode = iota
	// CPUPerNode gives every node a core of its own: a node handles its
	// events one after another, each taking its cost, so a busy node's
	// inbox queues up and its timers fire late; nodes never wait for one
	// another. A real deployment, one process per host.
	CPUPerNode
	// CPUShared runs every node on SimCPU.Cores cores shared by all:
	// nodes with work wait in one first-in first-out run queue, and a node
	// given a core keeps it for at most SimCPU.Slice before it goes to the
	// back of the queue (Go's scheduler preempts a goroutine after 10 ms).
	// The bench harness: N nodes in one process on a 2-core machine.
	CPUShared
)

// String returns "off", "node" or "shared".
func (m SimCPUMode) String() string {
	switch m {
	case CPUPerNode:
		return "node"
	case CPUShared:
		return "shared"
	}
	return "off"
}

// ParseSimCPUMode parses "off", "node" or "shared".
func ParseSimCPUMode(s string) (SimCPUMode, error) {
	switch s {
	case "off", "":
		return CPUOff, nil
	case "node":
		return CPUPerNode, nil
	case "shared":
		return CPUShared, nil
	}
	return 0, fmt.Errorf("%w: CPU mode %q (want off, node or shared)", ErrSimConfig, s)
}

// SimCPUCosts is the CPU time one node spends per kind of event. The
// defaults (DefaultSimCPUCosts) were calibrated on the real runtime; see
// BENCHMARKS.md, "Session 7: the simulator's CPU cost model".
type SimCPUCosts struct {
	// Frame is the fixed cost of one frame received: the reader's read
	// and decode, the loop's dispatch and the core's step.
	Frame time.Duration
	// Send is the fixed cost of one frame sent: encoding, the link queue
	// and the writer's write.
	Send time.Duration
	// PerKiB is the cost of one KiB of encoded frame, charged to the
	// sender and again to the receiver.
	PerKiB time.Duration
	// Timer is the cost of one timer fired (core or runtime timer).
	Timer time.Duration
	// Dial is the cost of opening a connection (TCP connect or accept
	// and the Hello handshake), charged to both ends when a frame goes to
	// a node with which no connection was used within LinkIdle.
	Dial time.Duration
	// LinkIdle is how long an unused connection stays open (the
	// runtime's idle timeout on transient links): a frame after a longer
	// silence pays Dial again.
	LinkIdle time.Duration
	// LinkFailed is the cost of handling one failed link.
	LinkFailed time.Duration
	// Start is the cost of creating and starting a node.
	Start time.Duration
	// Member is the cost per member listed of publishing the member
	// table, paid by every event that changes a node's membership view
	// (the runtime's snapshot publish). 0 leaves it out. Since the
	// runtime applies only the changed members (runtime_publish.go), the
	// default is the calibrated 860 ns scaled by that change's benchmark
	// (BENCHMARKS.md "Session 7: the member-table publish").
	Member time.Duration
}

// SimCPU configures the CPU cost model and the runtime's silence judge.
// The zero value turns them off.
type SimCPU struct {
	// Mode selects the scheduling model; CPUOff (the default) charges
	// nothing and ignores the other fields.
	Mode SimCPUMode
	// Cores is the number of cores shared by all nodes in CPUShared
	// mode.
	Cores int
	// Slice is the longest a node keeps a shared core while it has work
	// (CPUShared); a node's events are never split. Default 10 ms.
	Slice time.Duration
	// Costs is what each event costs.
	Costs SimCPUCosts

	// SilenceLimit turns on the runtime's silence judge
	// (runtime_silence.go): every SilenceCheck, a node fails the links
	// of active-view neighbours from which nothing arrived within
	// SilenceLimit (stretched by its health multiplier). 0 turns it off.
	// The runtime's value is keepalive interval + keepalive timeout.
	SilenceLimit time.Duration
	// SilenceCheck is the period of the judge: the keepalive interval.
	SilenceCheck time.Duration
	// NewLinkGrace is how long after NeighborUp a neighbour counts as
	// heard (the runtime's TCPTimeout).
	NewLinkGrace time.Duration
	// HeartbeatAfter is how long a link's writer may write nothing
	// before it sends a Keepalive of its own, without the loop
	// (runtime_writer.go). 0 turns writer heartbeats off.
	HeartbeatAfter time.Duration
	// AwarenessMax is the runtime's AwarenessMaxMultiplier: the loop's
	// own lag raises a health score that multiplies SilenceLimit (and
	// is fed to membership as LocalHealth). 0 or 1 turns it off.
	AwarenessMax int
	// AwarenessThreshold is the largest lag that counts as keeping up
	// (the runtime's keepalive timeout / 2).
	AwarenessThreshold time.Duration

	// InboxLimit bounds the frames read and waiting for the node's loop
	// (the runtime's HandoffQueueDepth); further frames wait unread in
	// their connections (TCP back-pressure), and their senders are not
	// heard until they are read. 0: unbounded.
	InboxLimit int
	// TimersFirst handles a node's timers and failure notices before the
	// frames waiting in its inbox, as the runtime's loop, whose select
	// takes a due timer within an iteration or two however many frames
	// wait, rather than queueing them behind the frames.
	TimersFirst bool
}

// Enabled reports whether the CPU cost model runs.
func (c *SimCPU) Enabled() bool { return c.Mode != CPUOff }

// defaultSimCPUSlice is Go's scheduler preemption quantum.
const defaultSimCPUSlice = 10 * time.Millisecond

// maxSimCPUCores bounds SimCPU.Cores.
const maxSimCPUCores = 1 << 16

// validate checks c; the zero value is valid.
func (c *SimCPU) validate() error {
	if c.Mode == CPUOff {
		return nil
	}
	k := c.Costs
	switch {
	case c.Mode != CPUPerNode && c.Mode != CPUShared:
		return fmt.Errorf("%w: CPU mode %d", ErrSimConfig, c.Mode)
	case c.Mode == CPUShared && (c.Cores < 1 || c.Cores > maxSimCPUCores):
		return fmt.Errorf("%w: CPU cores %d out of range [1, %d]", ErrSimConfig, c.Cores, maxSimCPUCores)
	case c.Slice < 0:
		return fmt.Errorf("%w: CPU slice %v is negative", ErrSimConfig, c.Slice)
	case k.Frame < 0 || k.Send < 0 || k.PerKiB < 0 || k.Timer < 0 || k.Dial < 0 || k.LinkIdle < 0 ||
		k.LinkFailed < 0 || k.Start < 0 || k.Member < 0:
		return fmt.Errorf("%w: negative CPU cost in %+v", ErrSimConfig, k)
	case c.SilenceLimit < 0 || c.SilenceCheck < 0 || c.NewLinkGrace < 0 || c.HeartbeatAfter < 0 || c.AwarenessThreshold < 0:
		return fmt.Errorf("%w: negative silence-judge duration", ErrSimConfig)
	case c.SilenceLimit > 0 && c.SilenceCheck == 0:
		return fmt.Errorf("%w: SilenceLimit without SilenceCheck", ErrSimConfig)
	case c.InboxLimit < 0:
		return fmt.Errorf("%w: InboxLimit %d is negative", ErrSimConfig, c.InboxLimit)
	case c.AwarenessMax < 0 || c.AwarenessMax > 1<<10:
		return fmt.Errorf("%w: AwarenessMax %d out of range [0, 1024]", ErrSimConfig, c.AwarenessMax)
	}
	return nil
}

// DefaultSimCPUCosts returns the costs calibrated on the runtime: a CPU
// profile of the bench harness's join storm at N = 256 (5.66 s of CPU in
// 6 s; 625,716 frames and 28,918 KiB received outside the broadcast
// phase), split by where the time went (readers, writers, loop, dials,
// member-table publishes, timers; garbage collection spread pro rata),
// divided by the frames the runtime counted and, for dials, publishes and
// timers, by what the simulated storm at N = 256 with two shared cores
// counts; per KiB from the wire benchmarks. See BENCHMARKS.md, "Session 7: the
// simulator's CPU cost model".
func DefaultSimCPUCosts() SimCPUCosts {
	return SimCPUCosts{
		Frame:      4400 * time.Nanosecond,
		Send:       1300 * time.Nanosecond,
		PerKiB:     4500 * time.Nanosecond,
		Timer:      8 * time.Microsecond,
		Dial:       180 * time.Microsecond,
		LinkIdle:   2 * time.Second, // runtime_conn.go transientLinkLinger
		LinkFailed: 20 * time.Microsecond,
		Start:      0,
		Member:     85 * time.Nanosecond, // 860 ns before the publish applied changes only (BENCHMARKS.md)
	}
}

// Scaled returns k with every cost (not LinkIdle) multiplied by f ≥ 0, to
// see how sensitive a result is to the calibration.
func (k SimCPUCosts) Scaled(f float64) SimCPUCosts {
	m := func(d time.Duration) time.Duration { return time.Duration(float64(d) * f) }
	k.Frame, k.Send, k.PerKiB, k.Timer = m(k.Frame), m(k.Send), m(k.PerKiB), m(k.Timer)
	k.Dial, k.LinkFailed, k.Start, k.Member = m(k.Dial), m(k.LinkFailed), m(k.Start), m(k.Member)
	return k
}
