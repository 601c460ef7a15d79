package sim

import (
	"fmt"
	"math"
	"time"

	"github.com/hyparlist/hyparlist"
)

// SimConfig configures a Simulation. Start from DefaultSimConfig.
type SimConfig struct {
	// Nodes is the number of nodes created by NewSimulation.
	Nodes int
	// Seed determines every random choice of the run.
	Seed uint64

	// HyParView configures every node's HyParView core. Its
	// ShuffleInterval is the simulator's "shuffle period" (see
	// Simulation.RunShuffleRounds).
	HyParView hyparlist.HyParViewConfig
	// Plumtree configures every node's Plumtree core.
	Plumtree hyparlist.PlumtreeConfig
	// Membership runs the membership core (membership.go) on every node
	// besides HyParView and Plumtree, wired as the runtime wires it (see
	// sim_membership.go), configured by MembershipCore. Each node then
	// holds a record of every member: memory grows as N² (see the
	// "membership" experiment). Default true; the overlay, broadcast,
	// fail and partition experiments run without it regardless, so that
	// their figures stay comparable with the pure overlay's.
	Membership     bool
	MembershipCore hyparlist.MembershipConfig

	// LatencyMin and LatencyMax bound the one-way latency of a link; each
	// ordered pair of nodes gets a fixed latency in the range. Default
	// 1–50 ms, a spread from one rack to across a continent.
	LatencyMin, LatencyMax time.Duration
	// Loss is the probability that a message is silently lost. Default 0:
	// the cores' links are TCP connections.
	Loss float64
	// DetectionDelayMin and DetectionDelayMax bound how long a sender takes
	// to learn that a send failed (the receiver crashed, or a partition
	// separates them). Default 1–3 s, like a TCP RST or a short timeout.
	DetectionDelayMin, DetectionDelayMax time.Duration

	// JoinInterval is the virtual time between two consecutive joins in
	// JoinAll. Zero, the default, spreads the joins over at most
	// maxJoinPhase (100 s): 10 ms apart up to 10,000 nodes, 1 ms apart
	// at 100,000.
	JoinInterval time.Duration
	// Contact chooses the contact node of a join. Default ContactSame.
	Contact SimContact

	// PayloadSize is the size in bytes of a broadcast payload (at least
	// 8, which the simulator uses to recognise it). Default 8.
	PayloadSize int
	// SettleMin is the least time RunUntilSettled waits after a broadcast
	// was sent, and SettleMax the longest it then waits for the broadcast
	// to settle. Settling is tracked exactly (see RunUntilSettled), so
	// SettleMin defaults to 0; a positive value spaces broadcasts out.
	// SettleMax defaults to 120 s.
	SettleMin, SettleMax time.Duration
	// PathSamples is the number of BFS sources used to estimate the
	// average shortest path length; with at most that many nodes the
	// computation is exact. Default 200.
	PathSamples int

	// CPU is the CPU cost model and the runtime's silence judge
	// (sim_cpu.go). The zero value, the default, turns both off.
	CPU SimCPU
}

// DefaultSimConfig returns the defaults documented on each field of
// SimConfig, for 10,000 nodes and seed 1, with the cores' own defaults.
func DefaultSimConfig() SimConfig {
	return SimConfig{
		Nodes:             10_000,
		Seed:              1,
		HyParView:         hyparlist.DefaultHyParViewConfig(),
		Plumtree:          hyparlist.DefaultPlumtreeConfig(),
		Membership:        true,
		MembershipCore:    hyparlist.DefaultMembershipConfig(),
		LatencyMin:        time.Millisecond,
		LatencyMax:        50 * time.Millisecond,
		DetectionDelayMin: time.Second,
		DetectionDelayMax: 3 * time.Second,
		Contact:           ContactSame,
		PayloadSize:       8,
		SettleMin:         0,
		SettleMax:         120 * time.Second,
		PathSamples:       200,
	}
}

// Validate reports the first invalid field of c, wrapping ErrSimConfig or
// the cores' own config errors. It does not modify c.
func (c SimConfig) Validate() error {
	if err := c.validateNetwork(); err != nil {
		return err
	}
	if err := c.HyParView.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrSimConfig, err)
	}
	if err := c.Plumtree.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrSimConfig, err)
	}
	if c.Membership {
		if err := c.MembershipCore.Validate(); err != nil {
			return fmt.Errorf("%w: %w", ErrSimConfig, err)
		}
	}
	return nil
}

// SimContact says which node a joining node contacts.
type SimContact uint8

const (
	// ContactSame makes every node join through node 0, the worst case for
	// the contact's view and the HyParView paper's setting (§5.1: "all
	// nodes join through the same contact").
	ContactSame SimContact = iota
	// ContactRandom makes every node join through a node chosen uniformly
	// among the nodes already up.
	ContactRandom
)

// String returns "same" or "random".
func (c SimContact) String() string {
	if c == ContactRandom {
		return "random"
	}
	return "same"
}

// ParseSimContact parses "same" or "random".
func ParseSimContact(s string) (SimContact, error) {
	switch s {
	case "same":
		return ContactSame, nil
	case "random":
		return ContactRandom, nil
	}
	return 0, fmt.Errorf("%w: contact mode %q (want same or random)", ErrSimConfig, s)
}

// maxSimNodes bounds SimConfig.Nodes: node names and indices fit in an
// int32, and memory does not (about 10 KiB per node).
const maxSimNodes = 10_000_000

// validateNetwork checks the fields that do not concern the cores.
func (c *SimConfig) validateNetwork() error {
	switch {
	case c.Nodes < 1 || c.Nodes > maxSimNodes:
		return fmt.Errorf("%w: Nodes %d out of range [1, %d]", ErrSimConfig, c.Nodes, maxSimNodes)
	case c.LatencyMin < 0 || c.LatencyMax < c.LatencyMin:
		return fmt.Errorf("%w: latency range [%v, %v]", ErrSimConfig, c.LatencyMin, c.LatencyMax)
	case math.IsNaN(c.Loss) || c.Loss < 0 || c.Loss >= 1:
		return fmt.Errorf("%w: Loss %v out of range [0, 1)", ErrSimConfig, c.Loss)
	case c.DetectionDelayMin < 0 || c.DetectionDelayMax < c.DetectionDelayMin:
		return fmt.Errorf("%w: detection delay range [%v, %v]", ErrSimConfig, c.DetectionDelayMin, c.DetectionDelayMax)
	case c.JoinInterval < 0:
		return fmt.Errorf("%w: JoinInterval %v is negative", ErrSimConfig, c.JoinInterval)
	case c.Contact != ContactSame && c.Contact != ContactRandom:
		return fmt.Errorf("%w: Contact %d", ErrSimConfig, c.Contact)
	case c.PayloadSize < 0 || c.PayloadSize > 1<<20:
		return fmt.Errorf("%w: PayloadSize %d out of range [0, 1 MiB]", ErrSimConfig, c.PayloadSize)
	case c.SettleMin < 0 || c.SettleMax < 0:
		return fmt.Errorf("%w: negative settle time", ErrSimConfig)
	case c.PathSamples < 1:
		return fmt.Errorf("%w: PathSamples %d must be positive", ErrSimConfig, c.PathSamples)
	}
	return c.CPU.validate()
}
