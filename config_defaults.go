// The default profiles: DefaultLANConfig, DefaultWANConfig,
// DefaultLocalConfig.

package hyparlist

import (
	"os"
	"time"
)

// Sizes and periods that do not depend on the network profile.
const (
	// defaultMessageCacheMaxBytes bounds Plumtree's payload cache. Not in
	// the paper: a memory bound, generous next to the 256-byte payloads of
	// typical membership and application broadcasts.
	defaultMessageCacheMaxBytes = 32 << 20
	// defaultBroadcastTrees is Config.BroadcastTrees: per-root trees on
	// real sockets, about 100 KiB per node when full (BENCHMARKS.md,
	// "Per-root trees on real sockets").
	defaultBroadcastTrees = 1024
	// defaultMaxFrameSize is memberlist's cap on one push/pull state
	// (maxPushStateBytes in its net.go), so that a LocalState that works
	// with memberlist fits in one anti-entropy frame.
	defaultMaxFrameSize = 20 << 20
	// defaultMaxInboundFrameBytes bounds the frames being received at
	// once: room for one default MaxFrameSize frame and a dozen 1 MiB
	// ones, and a worst case of tens of MiB (see Config.MaxInboundStreams).
	defaultMaxInboundFrameBytes = 32 << 20
)

// DefaultLANConfig returns a Config for a local-area network: memberlist's
// LAN values for the fields that mean the same here, the HyParView paper's
// view sizes and walk lengths, and Plumtree timers of the order of a LAN
// round-trip allowance. The node name is the host name. Like memberlist's,
// these values favour fast convergence and robustness over bandwidth.
func DefaultLANConfig() *Config {
	hostname, _ := os.Hostname()
	return &Config{
		Name:            hostname,
		BindAddr:        "0.0.0.0",
		BindPort:        7946,
		AdvertisePort:   7946,
		ProtocolVersion: ProtocolVersion2Compatible,
		TCPTimeout:      10 * time.Second,

		IndirectChecks:          3,
		RetransmitMult:          4,
		SuspicionMult:           4, // 4 × max(1, log10 N) × 1s
		SuspicionMaxTimeoutMult: 6,
		PushPullInterval:        30 * time.Second,
		ProbeInterval:           1 * time.Second,        // keepalive interval
		ProbeTimeout:            500 * time.Millisecond, // keepalive grace: a LAN round trip
		AwarenessMaxMultiplier:  8,

		GossipInterval:       200 * time.Millisecond,
		GossipNodes:          3,
		GossipToTheDeadTime:  30 * time.Second,
		GossipVerifyIncoming: true,
		GossipVerifyOutgoing: true,
		EnableCompression:    true,

		VerifyUserBroadcasts: false,

		DNSConfigPath:      "/etc/resolv.conf",
		HandoffQueueDepth:  1024,
		UDPBufferSize:      1400, // below a 1500-byte Ethernet MTU
		QueueCheckInterval: 30 * time.Second,

		// HyParView §5.1, for clusters of up to about 10,000 nodes.
		ActiveViewSize:          5,
		PassiveViewSize:         30,
		ActiveRandomWalkLength:  6,
		PassiveRandomWalkLength: 3,
		ShuffleActive:           3,
		ShufflePassive:          4,
		ShuffleInterval:         60 * time.Second, // 2 × PushPullInterval, see Config.ShuffleInterval
		RepairInterval:          10 * time.Second,

		IHaveInterval:        100 * time.Millisecond,
		GraftTimeout:         500 * time.Millisecond,
		MessageCacheTTL:      30 * time.Second,
		MessageCacheMaxBytes: defaultMessageCacheMaxBytes,
		BroadcastTrees:       defaultBroadcastTrees,

		MaxFrameSize:           defaultMaxFrameSize,
		PeerSendQueueDepth:     1024,    // as HandoffQueueDepth
		PeerSendQueueBytes:     8 << 20, // see Config.PeerSendQueueBytes
		MaxConcurrentDialers:   8,       // an active view of 5 plus a few short-lived exchanges
		MaxInboundStreams:      1024,    // see Config.MaxInboundStreams
		MaxInboundStreamsPerIP: 64,
		MaxHandshakesPerIP:     8,
		MaxInboundFrameBytes:   defaultMaxInboundFrameBytes,
		MaxMembers:             DefaultMembershipConfig().MaxMembers,
		MaxNewMembersPerSecond: DefaultMembershipConfig().MaxNewMembersPerSecond,
		NewMembersBurst:        DefaultMembershipConfig().NewMembersBurst,
		MemberConfirmTimeout:   DefaultMembershipConfig().ConfirmTimeout,
	}
}

// DefaultWANConfig returns DefaultLANConfig adjusted for a wide-area
// network, where round trips are longer and less regular: memberlist's WAN
// timings, and slower shuffles and Plumtree timers to match.
func DefaultWANConfig() *Config {
	c := DefaultLANConfig()
	c.TCPTimeout = 30 * time.Second
	c.SuspicionMult = 6
	c.PushPullInterval = 60 * time.Second
	c.ProbeInterval = 5 * time.Second
	c.ProbeTimeout = 3 * time.Second
	c.GossipNodes = 4
	c.GossipInterval = 500 * time.Millisecond
	c.GossipToTheDeadTime = 60 * time.Second

	c.ShuffleInterval = 120 * time.Second
	c.RepairInterval = 30 * time.Second
	c.IHaveInterval = 250 * time.Millisecond
	c.GraftTimeout = 3 * time.Second
	c.MessageCacheTTL = 60 * time.Second
	return c
}

// DefaultLocalConfig returns DefaultLANConfig adjusted for nodes on one
// machine (loopback): memberlist's local timings, and faster repairs and
// Plumtree timers to match (shuffles as in DefaultLANConfig).
func DefaultLocalConfig() *Config {
	c := DefaultLANConfig()
	c.TCPTimeout = time.Second
	c.IndirectChecks = 1
	c.RetransmitMult = 2
	c.SuspicionMult = 3
	c.PushPullInterval = 15 * time.Second
	c.ProbeTimeout = 200 * time.Millisecond
	c.ProbeInterval = time.Second
	c.GossipInterval = 100 * time.Millisecond
	c.GossipToTheDeadTime = 15 * time.Second

	// Not twice the local PushPullInterval (30 s), unlike the other
	// profiles: the LAN one. A shuffle walk of ActiveRandomWalkLength hops
	// cost an idle node on loopback more than all of memberlist's traffic
	// at 15 s (BENCHMARKS.md, session 11), and nodes on one machine do not
	// die faster than on a LAN.
	c.ShuffleInterval = 60 * time.Second
	c.RepairInterval = 5 * time.Second
	c.IHaveInterval = 50 * time.Millisecond
	c.GraftTimeout = 200 * time.Millisecond
	c.MessageCacheTTL = 15 * time.Second
	return c
}
