// HyParView core: HyParViewConfig, its defaults (the paper's values) and
// Validate.

package hyparlist

import (
	"fmt"
	"time"
)

// errInvalidHyParViewConfig is wrapped by every error that
// HyParViewConfig.Validate returns; it wraps ErrInvalidConfig.
var errInvalidHyParViewConfig = fmt.Errorf("%w (HyParView core)", ErrInvalidConfig)

// Upper bounds that Validate enforces so that a mistyped configuration
// cannot make a core allocate without bound.
const (
	maxHyParViewActive  = 64
	maxHyParViewPassive = 4096
	maxHyParViewLost    = 4096
	maxHyParViewFanout  = 16
)

// HyParViewConfig holds the parameters of a HyParView core. The defaults
// (DefaultHyParViewConfig) are those of the paper's evaluation, which
// targets clusters of about 10,000 nodes. All nodes of a cluster should use
// the same values.
type HyParViewConfig struct {
	// ActiveViewSize is the maximum number of neighbours a node keeps
	// links to (the fanout of broadcasts). Default 5: HyParView §5.1,
	// log10(N)+1 for N = 10,000.
	ActiveViewSize int

	// PassiveViewSize is the maximum number of backup peers a node
	// remembers to repair its active view. Default 30: HyParView §5.1,
	// k·(log10(N)+1) with k = 6.
	PassiveViewSize int

	// ActiveRandomWalkLength (ARWL) is the number of hops a FORWARD_JOIN
	// walks before the node it reaches adds the joiner to its active view.
	// Default 6: HyParView §5.1.
	ActiveRandomWalkLength uint8

	// PassiveRandomWalkLength (PRWL) is the remaining walk length at which
	// the node a FORWARD_JOIN reaches adds the joiner to its passive view.
	// It must not exceed ActiveRandomWalkLength. Default 3: HyParView §5.1.
	PassiveRandomWalkLength uint8

	// ShuffleActive (ka) is the number of active-view peers included in a
	// shuffle sample. Default 3: HyParView §5.1.
	ShuffleActive int

	// ShufflePassive (kp) is the number of passive-view peers included in
	// a shuffle sample. Default 4: HyParView §5.1.
	ShufflePassive int

	// ShuffleTTL is the length of the random walk of a SHUFFLE
	// (HyParView §4.4). Default 6, the same walk length as ARWL.
	ShuffleTTL uint8

	// ShuffleInterval is the period of the passive-view shuffle. The paper
	// counts abstract cycles; we use 10 s (not in the paper), which keeps
	// shuffle traffic near one message per node per period. Unless
	// RepairInterval is set, it is also the period of the top-up of a
	// non-full active view and how long a peer that rejected a
	// low-priority NEIGHBOR request, or did not answer it, is not asked
	// again.
	ShuffleInterval time.Duration

	// RepairInterval is the period of the top-up of an active view that
	// is not full, and how long a peer that rejected a low-priority
	// NEIGHBOR request, or did not answer it, is not asked again (not in
	// the paper). It lets shuffles, which cost bytes on every hop of
	// their walk, be rarer than the top-up, which costs nothing while the
	// view is full. While its requests are rejected, the top-up on this
	// timer waits 2, 4, ... periods between rounds, up to ShuffleInterval
	// (hyparview_repairbackoff.go). Default 0: ShuffleInterval, the
	// top-up then runs on the shuffle timer.
	RepairInterval time.Duration

	// KeepaliveInterval is the period at which a Keepalive is sent on
	// every active link, so that a dead link is noticed by a failed send
	// and an asymmetric link is repaired (not in the paper). Default 2 s;
	// zero turns keepalives off.
	KeepaliveInterval time.Duration

	// NeighborRequestTimeout is how long a low-priority NEIGHBOR request
	// waits for its reply before the next passive peer is tried.
	// Default 2 s.
	NeighborRequestTimeout time.Duration

	// RepairFanout is how many NEIGHBOR requests a node keeps outstanding
	// per free active slot while it repairs its active view (not in the
	// paper, which asks one passive peer at a time). After a crash wave
	// most passive peers are dead and each costs a failure-detection
	// delay, so asking several at once finds the live ones in one round;
	// a surplus acceptance is declined with DISCONNECT (the peer keeps
	// this node in its passive view, and takes the decline for no loss:
	// it starts no repair, hyparview_decline.go). Default 3; 1 is the
	// paper's behaviour.
	RepairFanout int

	// Seeds are contact nodes used to re-bootstrap a node whose active
	// view stayed empty for RejoinInterval and whose passive view is
	// exhausted (not in the paper). They are tried in turn; the local node
	// is skipped. The contact of the latest JoinCluster is used too.
	Seeds []Peer

	// RejoinInterval is how long the active view must stay empty, with no
	// passive peer left to try, before a JOIN is sent to the next seed,
	// and the period of that check. Default 10 s; zero turns re-bootstrap
	// off.
	RejoinInterval time.Duration

	// LostPeerRetryInterval is the period at which one recently lost peer
	// (see MaxLostPeers) is asked for a link again, so that the two halves
	// of a healed network partition merge back into one overlay (not in
	// the paper). Default 30 s (three shuffle periods); zero turns the
	// retries off.
	LostPeerRetryInterval time.Duration

	// LostPeerTTL is how long a lost peer is remembered and retried.
	// Default 10 min.
	LostPeerTTL time.Duration

	// MaxLostPeers bounds the list of recently lost peers; the oldest
	// entry makes room for a new one. Default 16.
	MaxLostPeers int

	// The Paper fields switch rules of this implementation that are not in
	// the HyParView paper back to the paper's behaviour, one rule each. They
	// exist so that each rule can be measured against the paper
	// (BENCHMARKS.md, "Beyond the paper"); a real cluster keeps them false,
	// the default. The rules that another field already turns off
	// (KeepaliveInterval 0, RejoinInterval 0, LostPeerRetryInterval 0,
	// RepairFanout 1) have no switch here.

	// PaperPassiveView turns passive-view aging off: repairs and shuffle
	// samples pick passive peers uniformly at random and eviction drops a
	// random entry (still among the entries sent in the shuffle first,
	// HyParView §4.4), as in the paper.
	PaperPassiveView bool
	// PaperAsymmetricLinks turns asymmetric-link repair off: a Keepalive,
	// or an accepting NeighborReply, from a peer outside the active view is
	// ignored instead of being answered DISCONNECT.
	PaperAsymmetricLinks bool
	// PaperNoProbe: a rejected NEIGHBOR request or a neighbour's link
	// failure does not make the node probe its active view (see
	// HyParView.probeActive).
	PaperNoProbe bool
	// PaperNoWanted: a requester turned away because the active view was
	// full is neither kept in the passive view nor asked first when a slot
	// frees (see HyParView.onNeighbor).
	PaperNoWanted bool
	// PaperIsolatedRepair: an isolated node sends one high-priority
	// NEIGHBOR request and low-priority ones for its other free slots
	// (HyParView §4.3: "high priority if p has no elements in its active
	// view"), instead of high-priority requests for every free slot.
	PaperIsolatedRepair bool
	// PaperJoinEvicts: a contact whose active view is full evicts a random
	// neighbour to add the joiner (HyParView §4.2, Algorithm 1) instead of
	// only starting the FORWARD_JOIN walks.
	PaperJoinEvicts bool
}

// DefaultHyParViewConfig returns the configuration of the paper's
// evaluation (HyParView §5.1) plus the timing of this implementation.
func DefaultHyParViewConfig() HyParViewConfig {
	return HyParViewConfig{
		ActiveViewSize:          5,  // §5.1: log10(10,000)+1
		PassiveViewSize:         30, // §5.1: 6·(log10(10,000)+1)
		ActiveRandomWalkLength:  6,  // §5.1
		PassiveRandomWalkLength: 3,  // §5.1
		ShuffleActive:           3,  // §5.1: ka
		ShufflePassive:          4,  // §5.1: kp
		ShuffleTTL:              6,  // walk length equal to ARWL
		ShuffleInterval:         10 * time.Second,
		KeepaliveInterval:       2 * time.Second,
		NeighborRequestTimeout:  2 * time.Second,
		RepairFanout:            3,
		RejoinInterval:          10 * time.Second,
		LostPeerRetryInterval:   30 * time.Second,
		LostPeerTTL:             10 * time.Minute,
		MaxLostPeers:            16,
	}
}

// repairInterval is RepairInterval, or ShuffleInterval when it is zero.
func (c HyParViewConfig) repairInterval() time.Duration {
	if c.RepairInterval > 0 {
		return c.RepairInterval
	}
	return c.ShuffleInterval
}

// Validate reports the first invalid field of c, in an error that wraps
// ErrInvalidConfig. It does not modify c.
func (c HyParViewConfig) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", errInvalidHyParViewConfig, fmt.Sprintf(format, args...))
	}
	switch {
	case c.ActiveViewSize < 1 || c.ActiveViewSize > maxHyParViewActive:
		return bad("ActiveViewSize %d must be between 1 and %d", c.ActiveViewSize, maxHyParViewActive)
	case c.PassiveViewSize < 1 || c.PassiveViewSize > maxHyParViewPassive:
		return bad("PassiveViewSize %d must be between 1 and %d", c.PassiveViewSize, maxHyParViewPassive)
	case c.PassiveRandomWalkLength > c.ActiveRandomWalkLength:
		return bad("PassiveRandomWalkLength %d must not exceed ActiveRandomWalkLength %d",
			c.PassiveRandomWalkLength, c.ActiveRandomWalkLength)
	case c.ShuffleActive < 0 || c.ShuffleActive > maxHyParViewActive:
		return bad("ShuffleActive %d must be between 0 and %d", c.ShuffleActive, maxHyParViewActive)
	case c.ShufflePassive < 0 || c.ShufflePassive > maxHyParViewPassive:
		return bad("ShufflePassive %d must be between 0 and %d", c.ShufflePassive, maxHyParViewPassive)
	case c.ShuffleInterval <= 0:
		return bad("ShuffleInterval %v must be positive", c.ShuffleInterval)
	case c.RepairInterval < 0:
		return bad("RepairInterval %v must not be negative", c.RepairInterval)
	case c.KeepaliveInterval < 0:
		return bad("KeepaliveInterval %v must not be negative", c.KeepaliveInterval)
	case c.NeighborRequestTimeout <= 0:
		return bad("NeighborRequestTimeout %v must be positive", c.NeighborRequestTimeout)
	case c.RepairFanout < 1 || c.RepairFanout > maxHyParViewFanout:
		return bad("RepairFanout %d must be between 1 and %d", c.RepairFanout, maxHyParViewFanout)
	case c.RejoinInterval < 0:
		return bad("RejoinInterval %v must not be negative", c.RejoinInterval)
	case c.LostPeerRetryInterval < 0:
		return bad("LostPeerRetryInterval %v must not be negative", c.LostPeerRetryInterval)
	case c.MaxLostPeers < 0 || c.MaxLostPeers > maxHyParViewLost:
		return bad("MaxLostPeers %d must be between 0 and %d", c.MaxLostPeers, maxHyParViewLost)
	case c.LostPeerRetryInterval > 0 && c.MaxLostPeers > 0 && c.LostPeerTTL <= 0:
		return bad("LostPeerTTL %v must be positive when lost peers are retried", c.LostPeerTTL)
	}
	for i, s := range c.Seeds {
		if s.Name == "" {
			return bad("Seeds[%d] has an empty Name", i)
		}
	}
	return nil
}
