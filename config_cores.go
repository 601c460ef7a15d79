// Mapping a validated Config onto the three cores' configurations.

package hyparlist

import "time"

// This file maps a validated Config onto the three cores' configurations,
// in one place, so that the documentation of each Config field and the
// behaviour of the cores cannot drift apart. Fields of the core configs
// that Config does not expose keep the cores' defaults.

// coreConfigs are the configurations Create hands to the cores.
type coreConfigs struct {
	hyparview  HyParViewConfig
	plumtree   PlumtreeConfig
	membership MembershipConfig
}

// coreConfigs maps c onto the cores' configurations. c must be valid
// (Config.validate).
func (c *Config) coreConfigs() coreConfigs {
	return coreConfigs{
		hyparview:  c.hyParViewConfig(),
		plumtree:   c.plumtreeConfig(),
		membership: c.membershipConfig(),
	}
}

// hyParViewConfig maps the HyParView section of c.
func (c *Config) hyParViewConfig() HyParViewConfig {
	h := DefaultHyParViewConfig()
	h.ActiveViewSize = c.ActiveViewSize
	h.PassiveViewSize = c.PassiveViewSize
	h.ActiveRandomWalkLength = uint8(c.ActiveRandomWalkLength)
	h.PassiveRandomWalkLength = uint8(c.PassiveRandomWalkLength)
	h.ShuffleActive = c.ShuffleActive
	h.ShufflePassive = c.ShufflePassive
	// HyParView §4.4 lets the shuffle walk as far as a join walk.
	h.ShuffleTTL = uint8(c.ActiveRandomWalkLength)
	h.ShuffleInterval = c.ShuffleInterval
	h.RepairInterval = c.RepairInterval
	h.KeepaliveInterval = c.keepaliveInterval()
	// A NEIGHBOR request costs a dial and a handshake on each side:
	// allow what a dial is allowed.
	h.NeighborRequestTimeout = c.TCPTimeout
	return h
}

// plumtreeConfig maps the Plumtree section of c.
func (c *Config) plumtreeConfig() PlumtreeConfig {
	p := DefaultPlumtreeConfig()
	p.GraftTimeout1 = c.GraftTimeout
	p.GraftTimeoutMin = c.GraftTimeoutMin
	// Plumtree §3: the second timeout is "smaller than the first, in the
	// order of an average round trip time to a neighbor"; the runtime
	// uses half of the first (the core's own defaults are 250ms / 40ms,
	// tuned for the simulator's 1–50 ms links).
	p.GraftTimeout2 = max(c.GraftTimeout/2, time.Millisecond)
	p.IHaveInterval = c.IHaveInterval
	p.CacheTTL = c.MessageCacheTTL
	p.CacheMaxBytes = c.MessageCacheMaxBytes
	p.MaxTrees = c.BroadcastTrees
	// Seen IDs must outlive cached payloads (PlumtreeConfig.SeenTTL); keep
	// the core's default margin over the cache.
	def := DefaultPlumtreeConfig()
	p.SeenTTL = addDurations(c.MessageCacheTTL, def.SeenTTL-def.CacheTTL)
	// Every neighbour must fit, with room for links that cross a view
	// change.
	p.MaxPeers = max(def.MaxPeers, 2*c.ActiveViewSize)
	return p
}

// membershipConfig maps the member-list settings of c.
func (c *Config) membershipConfig() MembershipConfig {
	m := DefaultMembershipConfig()
	m.SuspicionMult = c.SuspicionMult
	m.SuspicionMaxTimeoutMult = c.SuspicionMaxTimeoutMult
	if c.ProbeInterval > 0 {
		m.SuspicionInterval = c.ProbeInterval
	}
	if c.SuspicionMult == 0 {
		// Config documents zero as "declare suspects dead at once"; the
		// core needs a positive timeout, so give it the shortest one.
		m.SuspicionMult = 1
		m.SuspicionMaxTimeoutMult = 1
		m.SuspicionInterval = time.Nanosecond
	}
	m.SuspicionMaxTimeoutMult = max(m.SuspicionMaxTimeoutMult, 1)
	// As memberlist: a suspicion waits for at most SuspicionMult−2
	// confirmations, and only neighbours (at most ActiveViewSize) accuse.
	m.SuspicionConfirmations = max(min(m.SuspicionConfirmations, m.SuspicionMult-2), 0)
	m.MaxAccusers = c.ActiveViewSize
	m.PushPullInterval = c.PushPullInterval
	m.MaxMembers = c.MaxMembers
	m.MaxNewMembersPerSecond = c.MaxNewMembersPerSecond
	m.NewMembersBurst = c.NewMembersBurst
	m.ConfirmTimeout = c.MemberConfirmTimeout
	if c.GossipToTheDeadTime > 0 {
		// How long a dead member is still re-contacted: as long as its
		// tombstone is kept.
		m.ReclaimTime = c.GossipToTheDeadTime
	}
	// memberlist lets a dead node's name be taken by another address after
	// DeadNodeReclaimTime, and with zero only once the dead node is
	// forgotten (after GossipToTheDeadTime): here, once the tombstone is.
	m.NameReclaimTime = m.ReclaimTime
	if c.DeadNodeReclaimTime > 0 {
		m.NameReclaimTime = min(c.DeadNodeReclaimTime, m.ReclaimTime)
	}
	// CIDRsAllowed refuses records at other addresses as an AliveDelegate
	// would (runtime_checks.go).
	m.checkAlive = c.Alive != nil || c.IPMustBeChecked()
	m.checkMerge = c.Merge != nil
	// The application state must fit in one frame, with room for the
	// memberUserStateMsg fields around it.
	m.MaxLocalStateSize = c.MaxFrameSize - userStateFrameOverhead
	m.Versions = c.memberVersions()
	return m
}

// wireLimits returns the limits the node's connections decode and encode
// with: the defaults, with frames up to MaxFrameSize and application state
// as large as membership may send.
func (c *Config) wireLimits() wireLimits {
	l := defaultWireLimits()
	l.MaxFrameSize = c.MaxFrameSize
	l.MaxUserStateSize = c.membershipConfig().MaxLocalStateSize
	return l
}

// userStateFrameOverhead is the room a memberUserStateMsg frame needs beyond
// its state bytes: the frame header, the msgpack array, flag and bin
// headers, rounded up.
const userStateFrameOverhead = 64
