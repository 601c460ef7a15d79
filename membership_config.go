// Membership core: MembershipConfig, its defaults and Validate.

package hyparlist

import (
	"fmt"
	"math"
	"time"
)

// MembershipConfig tunes the membership core. Every node of a cluster
// should use the same values.
type MembershipConfig struct {
	// SuspicionMult scales the suspicion timeout:
	//
	//	min = SuspicionMult × max(1, log10(N)) × SuspicionInterval
	//
	// where N is the number of live (alive or suspect) members. Default 4,
	// memberlist's DefaultLANConfig value. The longest timeout,
	// SuspicionMaxTimeoutMult × SuspicionMult × log10(MaxMembers) ×
	// SuspicionInterval, may be at most 24h.
	SuspicionMult int

	// SuspicionMaxTimeoutMult sets the longest suspicion timeout, used
	// while nobody confirms a suspicion: max = SuspicionMaxTimeoutMult × min.
	// Default 6, memberlist's DefaultLANConfig value. A single flaky link
	// produces one accuser, so the suspected node gets max to refute.
	SuspicionMaxTimeoutMult int

	// SuspicionInterval is the time unit of the suspicion timeout. It plays
	// the part of memberlist's ProbeInterval (the runtime copies
	// Config.ProbeInterval here); this core sends no probes. Default 1s,
	// memberlist's DefaultLANConfig ProbeInterval.
	SuspicionInterval time.Duration

	// SuspicionConfirmations is K of Lifeguard's local-health-aware
	// suspicion (Dadgar, Phillips, Currey, "Lifeguard", 2018): after K
	// independent accusers beyond the first, the timeout has shrunk from max
	// to min. Zero uses min at
	// once. Default 3. Not from a paper: with HyParView's active view of 5
	// (HyParView §5.1, log10(N)+1) a crash is reported by up to 5
	// neighbours, so 4 of them reach min, while one flaky link stays at max.
	SuspicionConfirmations int

	// MaxAccusers bounds the independent accusers a suspicion can have:
	// the most neighbours a member has (HyParView's ActiveViewSize), since
	// only a neighbour accuses. A suspicion waits for at most
	// min(SuspicionConfirmations, n−2, MaxAccusers−1) confirmations in a
	// cluster of n live members (everyone but the suspect and the first
	// accuser), so that a small cluster, where fewer accusers can exist,
	// is not held at the longest timeout (memberlist caps its confirmations
	// by n−2 the same way). Zero: no bound beyond n−2. Default 0.
	MaxAccusers int

	// PushPullInterval is the period of anti-entropy: every interval the
	// node exchanges a digest with one random neighbour. Zero disables the
	// periodic exchange (exchanges on NeighborUp still happen). An
	// exchange whose answer changed the member table is followed by another
	// 1–2 s later, at most 8 per interval (membership_followup.go). Default 10s.
	// Not memberlist's 30s: a digest costs O(1) bytes when nothing changed,
	// so a shorter interval is cheap and repairs missed announcements
	// sooner.
	PushPullInterval time.Duration

	// ReclaimTime is how long a dead or left member is kept as a tombstone
	// before it is forgotten. While it is kept, a late announcement of an
	// older incarnation cannot bring it back, and a dead (not left) member
	// is re-contacted now and then (see DeadProbeInterval), which is what
	// merges the two sides of a healed partition. Default 1h: partitions
	// shorter than that heal by themselves.
	ReclaimTime time.Duration

	// NameReclaimTime is how long a member must have been dead before a
	// record at a different address may take its name (a node restarted
	// elsewhere under the same name). Until then such a record is a
	// conflict: it is ignored and reported (the runtime tells the
	// ConflictDelegate). A left member's name may be taken at once; a
	// live member's never. Zero allows it as soon as the member is dead.
	// Default 0. The runtime maps memberlist's DeadNodeReclaimTime here.
	NameReclaimTime time.Duration

	// checkAlive makes the core ask its driver before a record makes a
	// member live (from unknown, dead or left), changes a live member's
	// address or metadata, or is an alive record that changes its
	// incarnation or state: it emits aliveCheck and applies the record only
	// on an accepting aliveVerdict. Default false (the runtime sets it when
	// Config.Alive is set).
	checkAlive bool

	// checkMerge makes the core ask its driver before it merges the records
	// of a join exchange (memberRecordsMsg with Join set): it emits mergeCheck
	// and merges them only on an accepting mergeVerdict. Default false (the
	// runtime sets it when Config.Merge is set).
	checkMerge bool

	// DeadProbeInterval is the period at which the node emits one
	// ProbeMember for a random dead member it still holds. Zero disables
	// it. Default 10s: at most one contact attempt per node per 10s.
	DeadProbeInterval time.Duration

	// LivenessProbeInterval is the period at which the node emits one
	// ProbeMember (a liveness check) for a random live member that is not a
	// neighbour. Zero disables it. Default 10s: every member is checked
	// about once per 10s cluster-wide, at one contact per node per 10s.
	LivenessProbeInterval time.Duration

	// MaxMembers bounds the member table, tombstones included. When it is
	// full the oldest tombstone makes room for a live member; otherwise new
	// names are ignored. Default 100,000: ten times the largest cluster the
	// project targets (10^4), at most about 100 MB of records with maximal
	// metadata.
	MaxMembers int

	// MaxNewMembersPerSecond is the rate at which one neighbour's records
	// may add names the table does not hold (membership_ratelimit.go);
	// records over it are dropped and counted, and anti-entropy brings
	// them again later. Records of known members are not limited, nor
	// those of the node's own join exchange. Records from nodes that are
	// not neighbours share one allowance. Zero disables the limit. Default
	// 1,000: a cluster of 100,000 that starts within 100 s adds names at
	// about that rate, even if all of it reaches a node through one
	// neighbour.
	MaxNewMembersPerSecond int

	// NewMembersBurst is the most names one neighbour's allowance holds
	// (the bucket size of MaxNewMembersPerSecond). A new neighbour's
	// allowance starts at one second's worth. Default 10,000.
	NewMembersBurst int

	// ConfirmTimeout is how long a member learned second-hand (relayed
	// in another node's announcement, or by anti-entropy) may go without
	// a word from itself (its own announcement, a message, a link) before
	// the node checks it directly (ProbeMember with Confirm); a member
	// that cannot be reached is then marked dead here, not announced
	// (membership_confirm.go). So a forged record of a node that does not
	// exist is gone within ConfirmTimeout and one contact attempt. Zero
	// disables the check. Default 5s.
	ConfirmTimeout time.Duration

	// MaxAnnouncementRecords caps the records batched into one membership
	// announcement (one Plumtree broadcast); a step that changes more
	// records emits several announcements. At most
	// 256. Default 64, which keeps an announcement
	// under about 70 KB with maximal records.
	MaxAnnouncementRecords int

	// Versions are the protocol versions the local node advertises in its
	// record (the runtime copies Config.ProtocolVersion and the delegate
	// protocol fields here). Zero by default: none advertised.
	Versions memberVersions

	// MaxLocalStateSize caps the application state (Delegate.LocalState)
	// sent in one anti-entropy exchange, in bytes; larger states are not
	// sent. Default 1 MiB.
	MaxLocalStateSize int
}

// errInvalidMembershipConfig is wrapped by every MembershipConfig.Validate
// error; it wraps ErrInvalidConfig.
var errInvalidMembershipConfig = fmt.Errorf("%w (membership core)", ErrInvalidConfig)

// DefaultMembershipConfig returns the defaults documented on each field.
func DefaultMembershipConfig() MembershipConfig {
	return MembershipConfig{
		SuspicionMult:           4,
		SuspicionMaxTimeoutMult: 6,
		SuspicionInterval:       time.Second,
		SuspicionConfirmations:  3,
		PushPullInterval:        10 * time.Second,
		ReclaimTime:             time.Hour,
		DeadProbeInterval:       10 * time.Second,
		LivenessProbeInterval:   10 * time.Second,
		MaxMembers:              100_000,
		MaxNewMembersPerSecond:  1_000,
		NewMembersBurst:         10_000,
		ConfirmTimeout:          defaultConfirmTimeout,
		MaxAnnouncementRecords:  64,
		MaxLocalStateSize:       1 << 20,
	}
}

// longestSuspicionNanos is the longest suspicion timeout c allows, in
// nanoseconds: with no confirmation and a full member table.
func (c MembershipConfig) longestSuspicionNanos() float64 {
	return suspicionMinNanos(c, c.MaxMembers) * float64(c.SuspicionMaxTimeoutMult)
}

// formatNanos formats a span given in nanoseconds, which may exceed
// time.Duration.
func formatNanos(ns float64) string {
	if ns < math.MaxInt64 {
		return time.Duration(ns).String()
	}
	return fmt.Sprintf("%.3gh", ns/float64(time.Hour))
}

// Validate reports the first field out of range. It does not modify c.
func (c MembershipConfig) Validate() error {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("membership config: %s = %v, want %s: %w", field, v, want, errInvalidMembershipConfig)
	}
	switch {
	case c.SuspicionMult < 1:
		return bad("SuspicionMult", c.SuspicionMult, ">= 1")
	case c.SuspicionMaxTimeoutMult < 1:
		return bad("SuspicionMaxTimeoutMult", c.SuspicionMaxTimeoutMult, ">= 1")
	case c.SuspicionInterval <= 0:
		return bad("SuspicionInterval", c.SuspicionInterval, "> 0")
	case c.SuspicionConfirmations < 0 || c.SuspicionConfirmations > maxSuspicionConfirmations:
		return bad("SuspicionConfirmations", c.SuspicionConfirmations, fmt.Sprintf("in [0, %d]", maxSuspicionConfirmations))
	case c.PushPullInterval < 0:
		return bad("PushPullInterval", c.PushPullInterval, ">= 0")
	case c.ReclaimTime <= 0:
		return bad("ReclaimTime", c.ReclaimTime, "> 0")
	case c.NameReclaimTime < 0:
		return bad("NameReclaimTime", c.NameReclaimTime, ">= 0")
	case c.DeadProbeInterval < 0:
		return bad("DeadProbeInterval", c.DeadProbeInterval, ">= 0")
	case c.LivenessProbeInterval < 0:
		return bad("LivenessProbeInterval", c.LivenessProbeInterval, ">= 0")
	case c.MaxMembers < 1:
		return bad("MaxMembers", c.MaxMembers, ">= 1")
	case c.MaxNewMembersPerSecond < 0 || c.MaxNewMembersPerSecond > maxNewMembersPerSecond:
		return bad("MaxNewMembersPerSecond", c.MaxNewMembersPerSecond, fmt.Sprintf("in [0, %d]", maxNewMembersPerSecond))
	case c.MaxNewMembersPerSecond > 0 && (c.NewMembersBurst < 1 || c.NewMembersBurst > maxNewMembersBurst):
		return bad("NewMembersBurst", c.NewMembersBurst, fmt.Sprintf("in [1, %d]", maxNewMembersBurst))
	case c.ConfirmTimeout < 0:
		return bad("ConfirmTimeout", c.ConfirmTimeout, ">= 0")
	case c.MaxAnnouncementRecords < 1 || c.MaxAnnouncementRecords > maxAnnouncementRecords:
		return bad("MaxAnnouncementRecords", c.MaxAnnouncementRecords, fmt.Sprintf("in [1, %d]", maxAnnouncementRecords))
	case c.MaxLocalStateSize < 0:
		return bad("MaxLocalStateSize", c.MaxLocalStateSize, ">= 0")
	case c.longestSuspicionNanos() > float64(maxSuspicionTimeout):
		return bad("SuspicionMult", c.SuspicionMult, fmt.Sprintf("SuspicionMaxTimeoutMult (%d) × SuspicionMult × log10(MaxMembers) (%.3g) × SuspicionInterval (%v) = %s <= %v",
			c.SuspicionMaxTimeoutMult, math.Log10(float64(c.MaxMembers)), c.SuspicionInterval, formatNanos(c.longestSuspicionNanos()), maxSuspicionTimeout))
	}
	return nil
}
