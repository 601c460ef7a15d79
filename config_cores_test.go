package hyparlist

import (
	"testing"
	"time"
)

// TestConfigCoresMapping checks that every Config field documented as
// mapping onto a core reaches it, for each profile, and that the resulting
// core configurations are valid.
func TestConfigCoresMapping(t *testing.T) {
	for name, c := range map[string]*Config{
		"lan": DefaultLANConfig(), "wan": DefaultWANConfig(), "local": DefaultLocalConfig(),
	} {
		t.Run(name, func(t *testing.T) {
			c.Name = "n"
			c.ActiveViewSize, c.PassiveViewSize = 7, 40
			c.ActiveRandomWalkLength, c.PassiveRandomWalkLength = 8, 4
			c.ShuffleActive, c.ShufflePassive = 2, 5
			c.KeepaliveInterval = 3 * time.Second
			c.GraftTimeoutMin = 50 * time.Millisecond
			c.MaxFrameSize = 1 << 20
			if err := c.validate(); err != nil {
				t.Fatal(err)
			}
			cc := c.coreConfigs()
			h, p, m := cc.hyparview, cc.plumtree, cc.membership
			for _, err := range []error{h.Validate(), p.Validate(), m.Validate()} {
				if err != nil {
					t.Fatal(err)
				}
			}
			checks := []struct {
				field     string
				got, want any
			}{
				{"ActiveViewSize", h.ActiveViewSize, 7},
				{"PassiveViewSize", h.PassiveViewSize, 40},
				{"ActiveRandomWalkLength", h.ActiveRandomWalkLength, uint8(8)},
				{"PassiveRandomWalkLength", h.PassiveRandomWalkLength, uint8(4)},
				{"ShuffleTTL", h.ShuffleTTL, uint8(8)},
				{"ShuffleActive", h.ShuffleActive, 2},
				{"ShufflePassive", h.ShufflePassive, 5},
				{"ShuffleInterval", h.ShuffleInterval, c.ShuffleInterval},
				{"RepairInterval", h.RepairInterval, c.RepairInterval},
				{"KeepaliveInterval", h.KeepaliveInterval, 3 * time.Second},
				{"NeighborRequestTimeout", h.NeighborRequestTimeout, c.TCPTimeout},
				{"GraftTimeout1", p.GraftTimeout1, c.GraftTimeout},
				{"GraftTimeout2", p.GraftTimeout2, c.GraftTimeout / 2},
				{"GraftTimeoutMin", p.GraftTimeoutMin, c.GraftTimeoutMin},
				{"IHaveInterval", p.IHaveInterval, c.IHaveInterval},
				{"CacheTTL", p.CacheTTL, c.MessageCacheTTL},
				{"CacheMaxBytes", p.CacheMaxBytes, c.MessageCacheMaxBytes},
				{"MaxTrees", p.MaxTrees, c.BroadcastTrees},
				{"SeenTTL", p.SeenTTL, c.MessageCacheTTL + time.Minute},
				{"SuspicionMult", m.SuspicionMult, c.SuspicionMult},
				{"SuspicionMaxTimeoutMult", m.SuspicionMaxTimeoutMult, c.SuspicionMaxTimeoutMult},
				{"SuspicionInterval", m.SuspicionInterval, c.ProbeInterval},
				{"PushPullInterval", m.PushPullInterval, c.PushPullInterval},
				{"ReclaimTime", m.ReclaimTime, c.GossipToTheDeadTime},
				{"MaxLocalStateSize", m.MaxLocalStateSize, 1<<20 - userStateFrameOverhead},
			}
			lim := c.wireLimits()
			if err := lim.validate(); err != nil {
				t.Fatal(err)
			}
			checks = append(checks, []struct {
				field     string
				got, want any
			}{
				{"WireLimits.MaxFrameSize", lim.MaxFrameSize, 1 << 20},
				{"WireLimits.MaxUserStateSize", lim.MaxUserStateSize, m.MaxLocalStateSize},
			}...)
			for _, ck := range checks {
				if ck.got != ck.want {
					t.Errorf("%s = %v, want %v", ck.field, ck.got, ck.want)
				}
			}
		})
	}
}

// TestConfigCoresEdgeValues checks the zero values Config gives a meaning
// to: keepalives off, suspects declared dead at once, anti-entropy off.
func TestConfigCoresEdgeValues(t *testing.T) {
	c := DefaultLocalConfig()
	c.Name = "n"
	c.ProbeInterval, c.KeepaliveInterval = 0, 0
	c.SuspicionMult = 0
	c.PushPullInterval = 0
	c.GossipToTheDeadTime = 0
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	cc := c.coreConfigs()
	for _, err := range []error{cc.hyparview.Validate(), cc.plumtree.Validate(), cc.membership.Validate()} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if cc.hyparview.KeepaliveInterval != 0 {
		t.Errorf("keepalives not off: %v", cc.hyparview.KeepaliveInterval)
	}
	m := cc.membership
	if got := time.Duration(m.SuspicionMult*m.SuspicionMaxTimeoutMult) * m.SuspicionInterval; got > time.Microsecond {
		t.Errorf("SuspicionMult 0 gives a suspicion timeout of %v, want (almost) none", got)
	}
	if m.PushPullInterval != 0 {
		t.Errorf("PushPullInterval = %v, want 0 (off)", m.PushPullInterval)
	}
	if def := DefaultMembershipConfig(); m.ReclaimTime != def.ReclaimTime || m.SuspicionInterval != time.Nanosecond {
		t.Errorf("ReclaimTime = %v, SuspicionInterval = %v", m.ReclaimTime, m.SuspicionInterval)
	}
}

// TestConfigCoresNameReclaim checks the DeadNodeReclaimTime mapping: zero
// reserves a dead member's name for as long as its tombstone is kept
// (GossipToTheDeadTime), as memberlist keeps a dead node until then; a
// positive value is used up to that bound. The delegates turn the core's
// checks on.
func TestConfigCoresNameReclaim(t *testing.T) {
	for _, tc := range []struct {
		reclaim, toDead, want time.Duration
	}{
		{0, 30 * time.Second, 30 * time.Second},
		{5 * time.Second, 30 * time.Second, 5 * time.Second},
		{time.Hour, 30 * time.Second, 30 * time.Second},
	} {
		c := DefaultLANConfig()
		c.Name = "n"
		c.DeadNodeReclaimTime, c.GossipToTheDeadTime = tc.reclaim, tc.toDead
		m := c.membershipConfig()
		if m.NameReclaimTime != tc.want || m.ReclaimTime != tc.toDead {
			t.Errorf("DeadNodeReclaimTime %v, GossipToTheDeadTime %v: NameReclaimTime %v, ReclaimTime %v; want %v, %v",
				tc.reclaim, tc.toDead, m.NameReclaimTime, m.ReclaimTime, tc.want, tc.toDead)
		}
		if m.checkAlive || m.checkMerge {
			t.Errorf("checks on without delegates")
		}
	}
	c := DefaultLANConfig()
	f := &filterDelegate{reject: func(*Node) bool { return false }}
	c.Alive, c.Merge = f, f
	if m := c.membershipConfig(); !m.checkAlive || !m.checkMerge {
		t.Errorf("checks off with delegates: %+v", m)
	}
	c = DefaultLANConfig()
	c.CIDRsAllowed, _ = ParseCIDRs([]string{"10.0.0.0/8"})
	if m := c.membershipConfig(); !m.checkAlive || m.checkMerge {
		t.Errorf("CIDRsAllowed: CheckAlive %v, CheckMerge %v; want true, false", m.checkAlive, m.checkMerge)
	}
}
