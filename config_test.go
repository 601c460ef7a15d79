package hyparlist

import (
	"bytes"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// invalidFields returns the Field of every configError in err.
func invalidFields(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		if ce, ok := e.(*configError); ok {
			out = append(out, ce.Field)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
		}
	}
	walk(err)
	return out
}

func TestDefaultConfigsAreValid(t *testing.T) {
	for name, c := range map[string]*Config{
		"LAN": DefaultLANConfig(), "WAN": DefaultWANConfig(), "Local": DefaultLocalConfig(),
	} {
		if c.Name == "" {
			c.Name = "node" // a machine without a host name
		}
		if err := c.validate(); err != nil {
			t.Errorf("Default%sConfig: %v", name, err)
		}
	}
}

func TestDefaultConfigValues(t *testing.T) {
	lan, wan, local := DefaultLANConfig(), DefaultWANConfig(), DefaultLocalConfig()
	// HyParView §5.1 parameters in every profile.
	for _, c := range []*Config{lan, wan, local} {
		got := []int{c.ActiveViewSize, c.PassiveViewSize, c.ActiveRandomWalkLength,
			c.PassiveRandomWalkLength, c.ShuffleActive, c.ShufflePassive}
		if want := []int{5, 30, 6, 3, 3, 4}; !slices.Equal(got, want) {
			t.Errorf("HyParView parameters = %v, want %v", got, want)
		}
		if c.ProtocolVersion != ProtocolVersion2Compatible || c.UDPBufferSize != 1400 {
			t.Errorf("ProtocolVersion %d, UDPBufferSize %d", c.ProtocolVersion, c.UDPBufferSize)
		}
		// Keepalives follow the memberlist probe settings by default.
		if c.keepaliveInterval() != c.ProbeInterval || c.keepaliveTimeout() != c.ProbeTimeout {
			t.Errorf("keepalive %v/%v, probe %v/%v", c.keepaliveInterval(), c.keepaliveTimeout(), c.ProbeInterval, c.ProbeTimeout)
		}
		if c.GraftTimeout != c.ProbeTimeout || c.MessageCacheTTL != c.PushPullInterval {
			t.Errorf("GraftTimeout %v (probe timeout %v), MessageCacheTTL %v (push/pull %v)",
				c.GraftTimeout, c.ProbeTimeout, c.MessageCacheTTL, c.PushPullInterval)
		}
	}
	// memberlist's profile values where the fields mean the same.
	checks := []struct {
		name      string
		got, want time.Duration
	}{
		{"LAN ProbeInterval", lan.ProbeInterval, time.Second},
		{"LAN ProbeTimeout", lan.ProbeTimeout, 500 * time.Millisecond},
		{"LAN GossipInterval", lan.GossipInterval, 200 * time.Millisecond},
		{"LAN PushPullInterval", lan.PushPullInterval, 30 * time.Second},
		{"WAN ProbeInterval", wan.ProbeInterval, 5 * time.Second},
		{"WAN ProbeTimeout", wan.ProbeTimeout, 3 * time.Second},
		{"WAN TCPTimeout", wan.TCPTimeout, 30 * time.Second},
		{"Local ProbeTimeout", local.ProbeTimeout, 200 * time.Millisecond},
		{"Local TCPTimeout", local.TCPTimeout, time.Second},
		{"Local GossipInterval", local.GossipInterval, 100 * time.Millisecond},
		// The shuffle is a mixing period, not a round-trip allowance:
		// the local profile shuffles as the LAN one (session 11: at 15 s
		// it was a third of an idle local node's bytes).
		{"Local ShuffleInterval", local.ShuffleInterval, lan.ShuffleInterval},
		// Twice the push-pull period, memberlist's own from 33 to 64
		// nodes (session 14: at the push-pull period, a LAN node's
		// shuffles and their replies cost it more than memberlist's
		// whole idle traffic at 64 nodes).
		{"LAN ShuffleInterval", lan.ShuffleInterval, 2 * lan.PushPullInterval},
		{"WAN ShuffleInterval", wan.ShuffleInterval, 2 * wan.PushPullInterval},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// WAN is slower than LAN, Local faster, for every timer that scales
	// with the round trip.
	timers := func(c *Config) []time.Duration {
		return []time.Duration{c.ProbeTimeout, c.GraftTimeout, c.IHaveInterval, c.GossipInterval}
	}
	if !(lan.ShuffleInterval < wan.ShuffleInterval) {
		t.Errorf("ShuffleInterval: LAN %v, WAN %v not increasing", lan.ShuffleInterval, wan.ShuffleInterval)
	}
	for i, l := range timers(lan) {
		if w, lo := timers(wan)[i], timers(local)[i]; !(lo < l && l < w) {
			t.Errorf("timer %d: local %v, LAN %v, WAN %v not increasing", i, lo, l, w)
		}
	}
}

func TestValidateRules(t *testing.T) {
	tests := []struct {
		field  string
		mutate func(c *Config)
	}{
		{"Name", func(c *Config) { c.Name = "" }},
		{"Label", func(c *Config) { c.Label = strings.Repeat("x", LabelMaxSize+1) }},
		{"BindPort", func(c *Config) { c.BindPort = -1 }},
		{"BindPort", func(c *Config) { c.BindPort = 65536 }},
		{"AdvertisePort", func(c *Config) { c.AdvertisePort = 70000 }},
		{"ProtocolVersion", func(c *Config) { c.ProtocolVersion = ProtocolVersionMin - 1 }},
		{"ProtocolVersion", func(c *Config) { c.ProtocolVersion = ProtocolVersionMax + 1 }},
		{"TCPTimeout", func(c *Config) { c.TCPTimeout = 0 }},
		{"IndirectChecks", func(c *Config) { c.IndirectChecks = -1 }},
		{"RetransmitMult", func(c *Config) { c.RetransmitMult = -1 }},
		{"SuspicionMult", func(c *Config) { c.SuspicionMult = -1 }},
		{"SuspicionMaxTimeoutMult", func(c *Config) { c.SuspicionMaxTimeoutMult = -1 }},
		{"AwarenessMaxMultiplier", func(c *Config) { c.AwarenessMaxMultiplier = -1 }},
		{"GossipNodes", func(c *Config) { c.GossipNodes = -1 }},
		{"HandoffQueueDepth", func(c *Config) { c.HandoffQueueDepth = -1 }},
		{"PushPullInterval", func(c *Config) { c.PushPullInterval = -time.Second }},
		{"ProbeInterval", func(c *Config) { c.ProbeInterval = -time.Second }},
		{"ProbeTimeout", func(c *Config) { c.ProbeTimeout = -time.Second }},
		{"GossipInterval", func(c *Config) { c.GossipInterval = -time.Second }},
		{"GossipToTheDeadTime", func(c *Config) { c.GossipToTheDeadTime = -time.Second }},
		{"DeadNodeReclaimTime", func(c *Config) { c.DeadNodeReclaimTime = -time.Second }},
		{"QueueCheckInterval", func(c *Config) { c.QueueCheckInterval = -time.Second }},
		{"SecretKey", func(c *Config) { c.SecretKey = make([]byte, 15) }},
		{"LogOutput", func(c *Config) { c.LogOutput, c.Logger = io.Discard, log.New(io.Discard, "", 0) }},
		{"LogOutput", func(c *Config) { c.LogOutput, c.StructuredLogger = io.Discard, slog.Default() }},
		{"LogOutput", func(c *Config) { c.Logger, c.StructuredLogger = log.Default(), slog.Default() }},
		{"UDPBufferSize", func(c *Config) { c.UDPBufferSize = 0 }},
		{"ActiveViewSize", func(c *Config) { c.ActiveViewSize, c.ShuffleActive = 0, 0 }},
		{"PassiveViewSize", func(c *Config) { c.PassiveViewSize, c.ShufflePassive = 0, 0 }},
		{"ActiveRandomWalkLength", func(c *Config) { c.ActiveRandomWalkLength, c.PassiveRandomWalkLength = 0, 0 }},
		{"ActiveRandomWalkLength", func(c *Config) { c.ActiveRandomWalkLength = maxRandomWalkLength + 1 }},
		{"PassiveRandomWalkLength", func(c *Config) { c.PassiveRandomWalkLength = -1 }},
		{"PassiveRandomWalkLength", func(c *Config) { c.PassiveRandomWalkLength = c.ActiveRandomWalkLength + 1 }},
		{"ShuffleActive", func(c *Config) { c.ShuffleActive = -1 }},
		{"ShuffleActive", func(c *Config) { c.ShuffleActive = c.ActiveViewSize + 1 }},
		{"ShufflePassive", func(c *Config) { c.ShufflePassive = -1 }},
		{"ShufflePassive", func(c *Config) { c.ShufflePassive = c.PassiveViewSize + 1 }},
		{"ShuffleInterval", func(c *Config) { c.ShuffleInterval = 0 }},
		{"KeepaliveInterval", func(c *Config) { c.KeepaliveInterval = -time.Second }},
		{"KeepaliveTimeout", func(c *Config) { c.KeepaliveTimeout = -time.Second }},
		{"KeepaliveTimeout", func(c *Config) { c.KeepaliveTimeout, c.ProbeTimeout = 0, 0 }},
		{"IHaveInterval", func(c *Config) { c.IHaveInterval = 0 }},
		{"GraftTimeout", func(c *Config) { c.GraftTimeout = 0 }},
		{"GraftTimeoutMin", func(c *Config) { c.GraftTimeoutMin = -1 }},
		{"GraftTimeoutMin", func(c *Config) { c.GraftTimeoutMin = c.GraftTimeout + 1 }},
		{"MessageCacheTTL", func(c *Config) { c.MessageCacheTTL = c.IHaveInterval + c.GraftTimeout - 1 }},
		{"MessageCacheMaxBytes", func(c *Config) { c.MessageCacheMaxBytes = 0 }},
		{"BroadcastTrees", func(c *Config) { c.BroadcastTrees = -1 }},
		{"MaxFrameSize", func(c *Config) { c.MaxFrameSize = c.UDPBufferSize - 1 }},
		{"MaxFrameSize", func(c *Config) { c.MaxFrameSize = maxFrameSizeLimit + 1 }},
		{"PeerSendQueueDepth", func(c *Config) { c.PeerSendQueueDepth = 0 }},
		{"MaxConcurrentDialers", func(c *Config) { c.MaxConcurrentDialers = 0 }},
	}
	for _, tc := range tests {
		c := DefaultLANConfig()
		c.Name = "node"
		tc.mutate(c)
		err := c.validate()
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: Validate() = %v, want ErrInvalidConfig", tc.field, err)
			continue
		}
		if got := invalidFields(err); !slices.Equal(got, []string{tc.field}) {
			t.Errorf("%s: invalid fields = %q (%v)", tc.field, got, err)
		}
	}
}

func TestValidateAcceptsMemberlistZeroes(t *testing.T) {
	c := DefaultLANConfig()
	c.Name = "node"
	// Zeroes that memberlist gives a meaning to.
	c.PushPullInterval = 0 // no anti-entropy
	c.GossipInterval = 0   // pull broadcasts at the keepalive interval
	c.ProbeInterval = 0    // with KeepaliveInterval 0: keepalives off
	c.ProbeTimeout = 0
	c.RetransmitMult, c.SuspicionMult, c.IndirectChecks, c.GossipNodes = 0, 0, 0, 0
	c.HandoffQueueDepth = 0
	c.BindPort, c.AdvertisePort = 0, 0
	c.CIDRsAllowed = []net.IPNet{}
	c.SecretKey = make([]byte, 32)
	if err := c.validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if c.linkSilenceLimit() != 0 {
		t.Fatalf("keepalives not off: silence limit %v", c.linkSilenceLimit())
	}
}

func TestValidateReportsEveryProblemWithoutMutating(t *testing.T) {
	c := DefaultLANConfig()
	c.Name = ""
	c.ActiveViewSize = -1
	c.UDPBufferSize = 0
	before := *c
	err := c.validate()
	got := invalidFields(err)
	slices.Sort(got)
	want := []string{"ActiveViewSize", "Name", "ShuffleActive", "UDPBufferSize"}
	if !slices.Equal(got, want) {
		t.Fatalf("invalid fields = %q, want %q", got, want)
	}
	var ce *configError
	if !errors.As(err, &ce) || !errors.Is(ce, ErrInvalidConfig) {
		t.Fatalf("errors.As(*ConfigError) failed on %v", err)
	}
	if !reflect.DeepEqual(before, *c) {
		t.Fatal("Validate modified the config")
	}
}

func TestConfigClone(t *testing.T) {
	c := DefaultLANConfig()
	c.SecretKey = bytes.Repeat([]byte{1}, 16)
	c.Keyring, _ = NewKeyring(nil, c.SecretKey)
	c.CIDRsAllowed, _ = ParseCIDRs([]string{"10.0.0.0/8"})
	c.MetricLabels = []MetricLabel{{Name: "dc", Value: "a"}}
	c.Events = &ChannelEventDelegate{}

	cp := c.clone()
	if !reflect.DeepEqual(c, cp) {
		t.Fatal("clone differs from the original")
	}
	c.SecretKey[0] = 9
	c.CIDRsAllowed[0].IP[0] = 11
	c.CIDRsAllowed[0].Mask[1] = 0xff
	c.MetricLabels[0].Value = "b"
	c.Name = "changed"
	if cp.SecretKey[0] != 1 || cp.CIDRsAllowed[0].String() != "10.0.0.0/8" ||
		cp.MetricLabels[0].Value != "a" || cp.Name == "changed" {
		t.Fatalf("clone shares memory with the original: %+v", cp)
	}
	if cp.Keyring != c.Keyring || cp.Events != c.Events {
		t.Fatal("clone must share the Keyring and delegates")
	}
	if empty := (&Config{CIDRsAllowed: []net.IPNet{}}).clone(); empty.CIDRsAllowed == nil {
		t.Fatal("clone turned an empty CIDRsAllowed into nil")
	}
}

func TestEncryptionEnabled(t *testing.T) {
	c := DefaultLANConfig()
	if c.EncryptionEnabled() {
		t.Fatal("enabled without a keyring")
	}
	c.Keyring = &Keyring{}
	if c.EncryptionEnabled() {
		t.Fatal("enabled with an empty keyring")
	}
	if err := c.Keyring.AddKey(make([]byte, 16)); err != nil {
		t.Fatal(err)
	}
	if !c.EncryptionEnabled() {
		t.Fatal("not enabled with a key")
	}
}

func TestParseCIDRsAndIPAllowed(t *testing.T) {
	nets, err := ParseCIDRs(nil)
	if err != nil || nets == nil || len(nets) != 0 {
		t.Fatalf("ParseCIDRs(nil) = %v, %v; want empty, nil", nets, err)
	}
	nets, err = ParseCIDRs([]string{" 10.0.0.0/8 ", "bogus", "fd00::/8", "1.2.3.4"})
	var perEntry interface{ Unwrap() []error }
	if !errors.As(err, &perEntry) || len(perEntry.Unwrap()) != 2 {
		t.Fatalf("ParseCIDRs error = %v, want one error per bad entry (2)", err)
	}
	if len(nets) != 2 {
		t.Fatalf("ParseCIDRs kept %v", nets)
	}

	c := &Config{CIDRsAllowed: nets}
	if !c.IPMustBeChecked() {
		t.Fatal("IPMustBeChecked = false with networks")
	}
	for ip, allowed := range map[string]bool{"10.1.2.3": true, "fd00::1": true, "11.0.0.1": false, "::1": false} {
		err := c.IPAllowed(net.ParseIP(ip))
		if allowed != (err == nil) || (!allowed && !errors.Is(err, ErrNotAllowed)) {
			t.Errorf("IPAllowed(%s) = %v", ip, err)
		}
	}
	// Empty means allow all, as memberlist's code does.
	for _, c := range []*Config{{}, {CIDRsAllowed: []net.IPNet{}}} {
		if c.IPMustBeChecked() || c.IPAllowed(net.ParseIP("11.0.0.1")) != nil {
			t.Errorf("CIDRsAllowed %v does not allow all", c.CIDRsAllowed)
		}
	}
}

func TestBuildVsnArray(t *testing.T) {
	c := &Config{ProtocolVersion: 3, DelegateProtocolMin: 1, DelegateProtocolMax: 4, DelegateProtocolVersion: 2}
	want := []uint8{ProtocolVersionMin, ProtocolVersionMax, 3, 1, 4, 2}
	if got := c.BuildVsnArray(); !slices.Equal(got, want) {
		t.Fatalf("BuildVsnArray = %v, want %v", got, want)
	}
}

func TestEffectiveValues(t *testing.T) {
	c := DefaultLANConfig()
	if c.linkSilenceLimit() != 1500*time.Millisecond {
		t.Errorf("LAN link silence limit = %v, want 1.5s", c.linkSilenceLimit())
	}
	if c.broadcastPullInterval() != 200*time.Millisecond {
		t.Errorf("pull interval = %v", c.broadcastPullInterval())
	}
	c.KeepaliveInterval, c.KeepaliveTimeout = 300*time.Millisecond, 100*time.Millisecond
	c.GossipInterval = 0
	if c.linkSilenceLimit() != 400*time.Millisecond || c.broadcastPullInterval() != 300*time.Millisecond {
		t.Errorf("explicit keepalive: silence %v, pull %v", c.linkSilenceLimit(), c.broadcastPullInterval())
	}
}

func TestLoggerFormats(t *testing.T) {
	var buf bytes.Buffer
	c := &Config{LogOutput: &buf}
	l := c.logger().With("node", "a b").WithGroup("peer")
	l.Debug("dial failed", "addr", "10.0.0.1:7946", slog.Group("err", "kind", "timeout"))
	l.Error("boom")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 ||
		!strings.HasSuffix(lines[0], `[DEBUG] hyparlist: dial failed node="a b" peer.addr=10.0.0.1:7946 peer.err.kind=timeout`) ||
		!strings.HasSuffix(lines[1], "[ERR] hyparlist: boom node=\"a b\"") {
		t.Fatalf("log lines = %q", lines)
	}

	buf.Reset()
	c = &Config{Logger: log.New(&buf, "pfx ", 0)}
	c.logger().Warn("slow", "ms", 12)
	if got := buf.String(); got != "pfx [WARN] hyparlist: slow ms=12\n" {
		t.Fatalf("Logger line = %q", got)
	}

	s := slog.New(slog.NewTextHandler(io.Discard, nil))
	if (&Config{StructuredLogger: s}).logger() != s {
		t.Fatal("StructuredLogger not used as is")
	}
	if (&Config{}).logger() == nil {
		t.Fatal("no default logger")
	}
}
