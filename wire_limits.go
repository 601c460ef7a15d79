// Wire: wireLimits, the bounds every count and length is checked against
// before allocation.

package hyparlist

import (
	"fmt"
	"math"
)

// wireLimits bounds what a decoder accepts from a peer, and what an encoder
// agrees to produce, so that a message one node sends is never refused by a
// node with the same limits. Every count and length in a frame is checked
// against these limits before anything is allocated for it. The zero value
// accepts nothing; start from defaultWireLimits.
type wireLimits struct {
	// MaxFrameSize is the largest frame body in bytes (the length field
	// of the frame header). Default 32 MiB: memberlist accepts up to
	// 20 MiB of Delegate.LocalState in one push/pull (maxPushStateBytes
	// in its net.go), and an anti-entropy frame must hold that plus the
	// member list. A reader allocates a large body only as its bytes
	// arrive, so the limit costs memory only when it is used.
	MaxFrameSize int
	// MaxPeers is the most peers one Shuffle or ShuffleReply may carry.
	// Default 256: the paper's shuffle carries 1+ka+kp = 8 peers
	// (HyParView §5.1: ka 3, kp 4); the rest is room for larger configs.
	MaxPeers int
	// MaxIHaveEntries is the most entries one IHave may carry. Default
	// 1024. Not in the paper: Plumtree §3 sends one IHAVE per message; we
	// batch announcements and need a bound for the batch.
	MaxIHaveEntries int
	// MaxGraftIDs is the most message IDs one Graft may carry. Default
	// 1024, as for IHave entries.
	MaxGraftIDs int
	// MaxNameLen is the longest node name in bytes, which includes the
	// origin of a MessageID and the tree root of a Prune or Graft.
	// Default 512: DNS names are at most 253 bytes (RFC 1035 §2.3.4),
	// with room for prefixes.
	MaxNameLen int
	// MaxAddrLen is the longest node address in bytes. Default 512:
	// a DNS name plus ":port", with room for zones and schemes.
	MaxAddrLen int
	// MaxMemberRecords is the most records one memberRecordsMsg may carry.
	// Default 256, the most the membership
	// core puts in one message.
	MaxMemberRecords int
	// MaxDigestBuckets is the most bucket hashes one memberBucketsMsg, and
	// the most wanted bucket indices one memberRecordsMsg, may carry.
	// Default maxDigestBuckets (256), the largest bucket count of an
	// anti-entropy exchange.
	MaxDigestBuckets int
	// MaxUserStateSize is the largest application state in one
	// memberUserStateMsg, in bytes. Default
	// DefaultMembershipConfig().MaxLocalStateSize (1 MiB), the most the
	// membership core sends; a runtime that raises that config field
	// must raise this limit with it.
	MaxUserStateSize int
}

// maxLabelLen is the longest cluster label in bytes. It is a constant, not
// a limit, because the label must mean the same thing on every node; 255 is
// memberlist's LabelMaxSize.
const maxLabelLen = 255

// defaultWireLimits returns the default limits; see each field for its
// reasoning.
func defaultWireLimits() wireLimits {
	return wireLimits{
		MaxFrameSize:    32 << 20,
		MaxPeers:        256,
		MaxIHaveEntries: 1024,
		MaxGraftIDs:     1024,
		MaxNameLen:      512,
		MaxAddrLen:      512,
		// The membership core's own bounds, so that every message it
		// emits encodes (membership_antientropy_messages.go, membership_config.go).
		MaxMemberRecords: maxMemberRecordsPerMessage,
		MaxDigestBuckets: maxDigestBuckets,
		MaxUserStateSize: DefaultMembershipConfig().MaxLocalStateSize,
	}
}

// validate reports the first limit that is not positive, or a MaxFrameSize
// that does not fit the header's 32-bit length field. It does not modify l.
func (l wireLimits) validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"MaxFrameSize", l.MaxFrameSize},
		{"MaxPeers", l.MaxPeers},
		{"MaxIHaveEntries", l.MaxIHaveEntries},
		{"MaxGraftIDs", l.MaxGraftIDs},
		{"MaxNameLen", l.MaxNameLen},
		{"MaxAddrLen", l.MaxAddrLen},
		{"MaxMemberRecords", l.MaxMemberRecords},
		{"MaxDigestBuckets", l.MaxDigestBuckets},
		{"MaxUserStateSize", l.MaxUserStateSize},
	} {
		if f.v <= 0 {
			return fmt.Errorf("wire limits: %s must be positive, got %d", f.name, f.v)
		}
	}
	if uint64(l.MaxFrameSize) > math.MaxUint32 {
		return fmt.Errorf("wire limits: MaxFrameSize %d exceeds the 32-bit frame length", l.MaxFrameSize)
	}
	return nil
}
