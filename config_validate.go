// Config.validate and configError: every bound a Config is checked against
// before Create uses it.

package hyparlist

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"
)

// maxFrameSizeLimit is the largest MaxFrameSize Validate accepts.
const maxFrameSizeLimit = 1 << 30

// minFrameSize is the smallest MaxFrameSize Validate accepts:
// 272,640 bytes (266.25 KiB). Membership sizes its messages by record count,
// not by bytes, so every frame must hold the largest one it sends: a
// memberRecordsMsg of maxMemberRecordsPerMessage (256) records of maximal
// size (maxRecordSize, 1058 bytes with the versions of wire version 4) asking for maxDigestBuckets (256)
// buckets, plus 1 KiB for the frame header and the other fields. Every
// other protocol message is smaller (TestMinFrameSizeFitsEveryMessage).
const minFrameSize = maxMemberRecordsPerMessage*maxRecordSize + maxDigestBuckets*3 + 1<<10

// Upper bounds of the Config fields by which the node allocates queues
// and tables, up front or per link, so that a mistyped value gives an
// error instead of a makechan panic or gigabytes of memory. The Config
// field comments state them.
const (
	// maxHandoffQueueDepth bounds HandoffQueueDepth. The queue is a
	// channel allocated by Create: about 72 bytes a slot, 4.5 MiB at the
	// bound. With TCP back-pressure a reader waits instead of dropping,
	// so a deeper queue gains nothing.
	maxHandoffQueueDepth = 1 << 16
	// maxPeerSendQueueDepth bounds PeerSendQueueDepth. Each link
	// allocates two queues of that many 32-byte slots: 1 MiB per link at
	// the bound.
	maxPeerSendQueueDepth = 1 << 14
	// maxConcurrentDialers bounds MaxConcurrentDialers, which also sets
	// the open links beyond the active view (transientLinksPerDialer
	// each): at most 64 + 8×256 = 2112 links.
	maxConcurrentDialers = 256
	// maxMessageCacheBytes bounds MessageCacheMaxBytes: 1 GiB.
	maxMessageCacheBytes = 1 << 30
	// maxBroadcastTrees bounds BroadcastTrees: about 6.5 MB of trees,
	// and the LRU eviction scans them all.
	maxBroadcastTrees = 1 << 16
	// maxMembersLimit bounds MaxMembers: about 1 GB of records with
	// maximal metadata.
	maxMembersLimit = 1_000_000
)

// minInboundFrameBytes is the smallest MaxInboundFrameBytes Validate
// accepts: 1 MiB, a few of the frames the budget applies to (those over
// frameBudgetFree, 16 KiB).
const minInboundFrameBytes = 1 << 20

// maxRandomWalkLength is the largest random-walk length: the walk's TTL
// travels in one byte (forwardJoinMsg.TTL, shuffleMsg.TTL).
const maxRandomWalkLength = 255

// configError describes one invalid Config field. It wraps
// ErrInvalidConfig.
type configError struct {
	// Field is the name of the offending Config field.
	Field string
	// Reason says what is wrong with it, including its value.
	Reason string
}

// Error implements error.
func (e *configError) Error() string {
	return fmt.Sprintf("%v: %s %s", ErrInvalidConfig, e.Field, e.Reason)
}

// Unwrap returns ErrInvalidConfig.
func (e *configError) Unwrap() error { return ErrInvalidConfig }

// validate checks c and returns nil or one *configError per invalid field,
// joined with errors.Join; every error wraps ErrInvalidConfig. It does not
// modify c. Zero values that memberlist accepts are accepted where they
// have a documented meaning (for example PushPullInterval = 0 disables
// anti-entropy).
func (c *Config) validate() error {
	v := &validator{}

	if c.Name == "" {
		v.fail("Name", "must not be empty")
	} else if len(c.Name) > maxMemberNameLen {
		v.fail("Name", "is %d bytes, at most %d allowed", len(c.Name), maxMemberNameLen)
	}
	if len(c.Label) > LabelMaxSize {
		v.fail("Label", "is %d bytes, at most %d allowed", len(c.Label), LabelMaxSize)
	}
	v.port("BindPort", c.BindPort)
	v.port("AdvertisePort", c.AdvertisePort)
	if c.ProtocolVersion < ProtocolVersionMin || c.ProtocolVersion > ProtocolVersionMax {
		v.fail("ProtocolVersion", "= %d, must be in [%d, %d]", c.ProtocolVersion, ProtocolVersionMin, ProtocolVersionMax)
	}
	v.positiveDuration("TCPTimeout", c.TCPTimeout)
	c.validateTLS(v)

	v.nonNegative("IndirectChecks", c.IndirectChecks)
	v.nonNegative("RetransmitMult", c.RetransmitMult)
	v.nonNegative("SuspicionMult", c.SuspicionMult)
	v.nonNegative("SuspicionMaxTimeoutMult", c.SuspicionMaxTimeoutMult)
	c.validateSuspicion(v)
	v.nonNegative("AwarenessMaxMultiplier", c.AwarenessMaxMultiplier)
	v.nonNegative("GossipNodes", c.GossipNodes)
	v.inRange("HandoffQueueDepth", c.HandoffQueueDepth, 0, maxHandoffQueueDepth)
	v.nonNegativeDuration("PushPullInterval", c.PushPullInterval)
	v.nonNegativeDuration("ProbeInterval", c.ProbeInterval)
	v.nonNegativeDuration("ProbeTimeout", c.ProbeTimeout)
	v.nonNegativeDuration("GossipInterval", c.GossipInterval)
	v.nonNegativeDuration("GossipToTheDeadTime", c.GossipToTheDeadTime)
	v.nonNegativeDuration("DeadNodeReclaimTime", c.DeadNodeReclaimTime)
	v.nonNegativeDuration("QueueCheckInterval", c.QueueCheckInterval)

	if c.SigningKey != nil && len(c.SigningKey) != ed25519.PrivateKeySize {
		v.fail("SigningKey", "is %d bytes, must be %d (an ed25519.PrivateKey)", len(c.SigningKey), ed25519.PrivateKeySize)
	}
	if len(c.SecretKey) > 0 {
		if err := ValidateKey(c.SecretKey); err != nil {
			v.fail("SecretKey", "is %d bytes, must be 16, 24 or 32", len(c.SecretKey))
		}
	}
	if n := countSet(c.LogOutput != nil, c.Logger != nil, c.StructuredLogger != nil); n > 1 {
		v.fail("LogOutput", "cannot be combined with Logger or StructuredLogger: set at most one (%d set)", n)
	}
	if c.UDPBufferSize <= 0 {
		v.fail("UDPBufferSize", "= %d, must be positive", c.UDPBufferSize)
	}

	c.validateHyParView(v)
	c.validatePlumtree(v)

	switch {
	case c.MaxFrameSize < minFrameSize || c.MaxFrameSize > maxFrameSizeLimit:
		v.fail("MaxFrameSize", "= %d, must be in [%d (the largest membership frame), %d]", c.MaxFrameSize, minFrameSize, maxFrameSizeLimit)
	case c.MaxFrameSize < c.UDPBufferSize:
		v.fail("MaxFrameSize", "= %d, must be at least UDPBufferSize (%d)", c.MaxFrameSize, c.UDPBufferSize)
	}
	v.inRange("PeerSendQueueDepth", c.PeerSendQueueDepth, 1, maxPeerSendQueueDepth)
	v.atLeastOne("PeerSendQueueBytes", c.PeerSendQueueBytes)
	if c.StreamBufferBytes != 0 {
		v.inRange("StreamBufferBytes", c.StreamBufferBytes, minStreamBufferBytes, maxStreamBufferBytes)
	}
	v.inRange("MaxConcurrentDialers", c.MaxConcurrentDialers, 1, maxConcurrentDialers)
	v.atLeastOne("MaxInboundStreams", c.MaxInboundStreams)
	v.atLeastOne("MaxInboundStreamsPerIP", c.MaxInboundStreamsPerIP)
	v.inRange("MaxHandshakesPerIP", c.MaxHandshakesPerIP, 1, maxHandshakingStreams)
	v.inRange("MaxInboundFrameBytes", c.MaxInboundFrameBytes, minInboundFrameBytes, maxFrameSizeLimit)
	v.inRange("MaxMembers", c.MaxMembers, 1, maxMembersLimit)
	v.inRange("MaxNewMembersPerSecond", c.MaxNewMembersPerSecond, 0, maxNewMembersPerSecond)
	if c.MaxNewMembersPerSecond > 0 {
		v.inRange("NewMembersBurst", c.NewMembersBurst, 1, maxNewMembersBurst)
	}
	v.nonNegativeDuration("MemberConfirmTimeout", c.MemberConfirmTimeout)
	return v.err()
}

// validateSuspicion checks that the longest suspicion timeout the
// membership core would use (see Config.membershipConfig) is at most
// maxSuspicionTimeout. Negative multipliers are reported on their own.
func (c *Config) validateSuspicion(v *validator) {
	if c.SuspicionMult < 0 || c.SuspicionMaxTimeoutMult < 0 || c.MaxMembers < 1 || c.MaxMembers > maxMembersLimit {
		return
	}
	m := c.membershipConfig()
	if longest := m.longestSuspicionNanos(); longest > float64(maxSuspicionTimeout) {
		v.fail("SuspicionMult", "= %d: the longest suspicion timeout, SuspicionMaxTimeoutMult (%d) × SuspicionMult × log10(%d members) × ProbeInterval (%v), is %s, at most %v allowed",
			c.SuspicionMult, m.SuspicionMaxTimeoutMult, m.MaxMembers, m.SuspicionInterval, formatNanos(longest), maxSuspicionTimeout)
	}
}

// validateHyParView checks the overlay settings.
func (c *Config) validateHyParView(v *validator) {
	v.inRange("ActiveViewSize", c.ActiveViewSize, 1, maxHyParViewActive)
	v.inRange("PassiveViewSize", c.PassiveViewSize, 1, maxHyParViewPassive)
	if c.ActiveRandomWalkLength < 1 || c.ActiveRandomWalkLength > maxRandomWalkLength {
		v.fail("ActiveRandomWalkLength", "= %d, must be in [1, %d]", c.ActiveRandomWalkLength, maxRandomWalkLength)
	}
	if c.PassiveRandomWalkLength < 0 || c.PassiveRandomWalkLength > c.ActiveRandomWalkLength {
		v.fail("PassiveRandomWalkLength", "= %d, must be in [0, ActiveRandomWalkLength (%d)]", c.PassiveRandomWalkLength, c.ActiveRandomWalkLength)
	}
	if c.ShuffleActive < 0 || c.ShuffleActive > c.ActiveViewSize {
		v.fail("ShuffleActive", "= %d, must be in [0, ActiveViewSize (%d)]", c.ShuffleActive, c.ActiveViewSize)
	}
	if c.ShufflePassive < 0 || c.ShufflePassive > c.PassiveViewSize {
		v.fail("ShufflePassive", "= %d, must be in [0, PassiveViewSize (%d)]", c.ShufflePassive, c.PassiveViewSize)
	} else if maxPeers := defaultWireLimits().MaxPeers; c.ShuffleActive >= 0 && 1+c.ShuffleActive+c.ShufflePassive > maxPeers {
		v.fail("ShufflePassive", "= %d: a shuffle carries 1 + ShuffleActive (%d) + ShufflePassive peers, at most %d", c.ShufflePassive, c.ShuffleActive, maxPeers)
	}
	v.positiveDuration("ShuffleInterval", c.ShuffleInterval)
	v.nonNegativeDuration("RepairInterval", c.RepairInterval)
	v.nonNegativeDuration("KeepaliveInterval", c.KeepaliveInterval)
	v.nonNegativeDuration("KeepaliveTimeout", c.KeepaliveTimeout)
	if c.keepaliveInterval() > 0 && c.keepaliveTimeout() == 0 {
		v.fail("KeepaliveTimeout", "and ProbeTimeout are zero while keepalives are on: a link would fail after one interval")
	}
}

// validatePlumtree checks the broadcast-tree settings.
func (c *Config) validatePlumtree(v *validator) {
	v.positiveDuration("IHaveInterval", c.IHaveInterval)
	v.positiveDuration("GraftTimeout", c.GraftTimeout)
	if c.GraftTimeoutMin < 0 || (c.GraftTimeout > 0 && c.GraftTimeoutMin > c.GraftTimeout) {
		v.fail("GraftTimeoutMin", "= %v, must be between 0 and GraftTimeout (%v)", c.GraftTimeoutMin, c.GraftTimeout)
	}
	if minTTL := addDurations(max(c.IHaveInterval, 0), max(c.GraftTimeout, 0)); c.MessageCacheTTL < minTTL {
		v.fail("MessageCacheTTL", "= %v, must be at least IHaveInterval + GraftTimeout (%v)", c.MessageCacheTTL, minTTL)
	}
	v.inRange("MessageCacheMaxBytes", c.MessageCacheMaxBytes, 1, maxMessageCacheBytes)
	v.inRange("BroadcastTrees", c.BroadcastTrees, 0, maxBroadcastTrees)
}

// validator collects the problems Validate finds.
type validator struct {
	errs []error
}

func (v *validator) fail(field, format string, args ...any) {
	v.errs = append(v.errs, &configError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

func (v *validator) nonNegative(field string, n int) {
	if n < 0 {
		v.fail(field, "= %d, must not be negative", n)
	}
}

func (v *validator) atLeastOne(field string, n int) {
	if n < 1 {
		v.fail(field, "= %d, must be at least 1", n)
	}
}

func (v *validator) inRange(field string, n, lo, hi int) {
	if n < lo || n > hi {
		v.fail(field, "= %d, must be in [%d, %d]", n, lo, hi)
	}
}

func (v *validator) port(field string, p int) {
	v.inRange(field, p, 0, 65535)
}

func (v *validator) nonNegativeDuration(field string, d time.Duration) {
	if d < 0 {
		v.fail(field, "= %v, must not be negative", d)
	}
}

func (v *validator) positiveDuration(field string, d time.Duration) {
	if d <= 0 {
		v.fail(field, "= %v, must be positive", d)
	}
}

func (v *validator) err() error {
	if len(v.errs) == 1 {
		return v.errs[0]
	}
	return errors.Join(v.errs...)
}

// countSet returns how many of bs are true.
func countSet(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
