package hyparlist

import (
	"errors"
	"fmt"
	"math"
	"net"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestValidateUpperBounds: every size, depth and count field the node
// allocates by is accepted at its documented maximum and refused, naming
// the field, one above it.
func TestValidateUpperBounds(t *testing.T) {
	tests := []struct {
		field string
		set   func(c *Config, v int)
		max   int
	}{
		{"HandoffQueueDepth", func(c *Config, v int) { c.HandoffQueueDepth = v }, maxHandoffQueueDepth},
		{"PeerSendQueueDepth", func(c *Config, v int) { c.PeerSendQueueDepth = v }, maxPeerSendQueueDepth},
		{"MaxConcurrentDialers", func(c *Config, v int) { c.MaxConcurrentDialers = v }, maxConcurrentDialers},
		{"MessageCacheMaxBytes", func(c *Config, v int) { c.MessageCacheMaxBytes = v }, maxMessageCacheBytes},
		{"BroadcastTrees", func(c *Config, v int) { c.BroadcastTrees = v }, maxBroadcastTrees},
	}
	for _, tc := range tests {
		for _, v := range []int{tc.max, tc.max + 1, math.MaxInt} {
			c := DefaultLANConfig()
			c.Name = "node"
			tc.set(c, v)
			err := c.validate()
			if v == tc.max {
				if err != nil {
					t.Errorf("%s = %d (the maximum): %v", tc.field, v, err)
				}
				continue
			}
			wantOnlyInvalid(t, fmt.Sprintf("%s = %d", tc.field, v), err, tc.field)
		}
	}
}

// wantOnlyInvalid checks that err reports field, and only field, as
// invalid.
func wantOnlyInvalid(t *testing.T, desc string, err error, field string) {
	t.Helper()
	if got := invalidFields(err); len(got) != 1 || got[0] != field {
		t.Errorf("%s: invalid fields %q (%v), want [%s]", desc, got, err, field)
	}
}

// TestCreateRefusesHugeQueues: queue depths that would make a channel
// allocation panic (in Create, or later on the loop goroutine) are
// refused by Create with ErrInvalidConfig.
func TestCreateRefusesHugeQueues(t *testing.T) {
	for _, tc := range []struct {
		field string
		set   func(c *Config)
	}{
		{"HandoffQueueDepth", func(c *Config) { c.HandoffQueueDepth = math.MaxInt }},
		{"PeerSendQueueDepth", func(c *Config) { c.PeerSendQueueDepth = math.MaxInt }},
		{"MaxConcurrentDialers", func(c *Config) { c.MaxConcurrentDialers = math.MaxInt }},
	} {
		t.Run(tc.field, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				conf := mockConfig("node", tc.set)
				conf.Transport = newMockNetwork(nil).NewTransport("node")
				var ml *Memberlist
				err := callNoPanic(t, "Create with huge "+tc.field, func() (err error) {
					ml, err = Create(conf)
					return err
				})
				if ml != nil {
					_ = ml.Shutdown()
				}
				if !errors.Is(err, ErrInvalidConfig) {
					t.Errorf("Create with %s = MaxInt: %v, want ErrInvalidConfig", tc.field, err)
				}
			})
		})
	}
}

// TestCreateFailureClosesTransport: when Create fails after it opened its
// NetTransport, the port is released.
func TestCreateFailureClosesTransport(t *testing.T) {
	conf := DefaultLocalConfig()
	conf.Name = "node"
	conf.LogOutput = testLogOutput()
	conf.BindAddr, conf.BindPort = "127.0.0.1", 0
	conf.AdvertiseAddr = "not-an-ip"
	ml, err := Create(conf)
	if err == nil {
		_ = ml.Shutdown()
		t.Fatal("Create with an invalid AdvertiseAddr succeeded")
	}
	if conf.BindPort == 0 {
		t.Fatalf("Create did not open its transport (%v): the test checks nothing", err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(conf.BindPort))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("TCP port still held after the failed Create: %v", err)
	}
	l.Close()
	p, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatalf("UDP port still held after the failed Create: %v", err)
	}
	p.Close()
}

// TestValidateSuspicionTimeout: Config.validate refuses, naming
// SuspicionMult, settings whose longest suspicion timeout exceeds
// maxSuspicionTimeout, and accepts memberlist's profiles.
func TestValidateSuspicionTimeout(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(c *Config)
		ok   bool
	}{
		{"LAN", func(c *Config) {}, true},
		{"WAN profile", func(c *Config) { *c = *DefaultWANConfig(); c.Name = "node" }, true},
		{"SuspicionMult 0", func(c *Config) { c.SuspicionMult = 0; c.ProbeInterval = math.MaxInt64 }, true},
		{"SuspicionMult 1e10", func(c *Config) { c.SuspicionMult = 1e10 }, false},
		{"SuspicionMaxTimeoutMult MaxInt", func(c *Config) { c.SuspicionMaxTimeoutMult = math.MaxInt }, false},
		{"ProbeInterval MaxInt64", func(c *Config) { c.ProbeInterval = math.MaxInt64 }, false},
		{"ProbeInterval 1h", func(c *Config) { c.ProbeInterval = time.Hour }, false},
	} {
		c := DefaultLANConfig()
		c.Name = "node"
		tc.set(c)
		err := c.validate()
		if tc.ok {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		wantOnlyInvalid(t, tc.name, err, "SuspicionMult")
	}
}

// TestValidConfigsCreate sets each numeric Config field, one at a time, to
// extreme values, and checks that whatever Validate accepts the cores
// accept too and Create starts without a panic: Create never refuses a
// valid Config with a core's internal wording (review s3 L1).
func TestValidConfigsCreate(t *testing.T) {
	ints := []int64{-1, 0, 1, 255, 256, 1 << 12, 1 << 16, 1 << 20, 1 << 31, math.MaxInt32, math.MaxInt64}
	durations := []int64{-1, 0, 1, int64(time.Hour), int64(100 * 365 * 24 * time.Hour), math.MaxInt64}
	typ := reflect.TypeFor[Config]()
	accepted := 0
	for i := range typ.NumField() {
		f := typ.Field(i)
		var values []int64
		switch {
		case f.Type == reflect.TypeFor[time.Duration]():
			values = durations
		case f.Type.Kind() == reflect.Int, f.Type.Kind() == reflect.Uint8:
			values = ints
		case f.Type.Kind() == reflect.String && f.Name == "Name":
		default:
			continue
		}
		try := func(desc string, set func(v reflect.Value)) {
			conf := mockConfig("node", nil)
			set(reflect.ValueOf(conf).Elem().Field(i))
			if conf.validate() == nil {
				accepted++
				checkValidConfigCreates(t, desc, conf)
			}
		}
		if f.Name == "Name" {
			for _, n := range []int{1, maxMemberNameLen, maxMemberNameLen + 1, 1 << 16} {
				try(fmt.Sprintf("Name of %d bytes", n), func(v reflect.Value) { v.SetString(strings.Repeat("n", n)) })
			}
			continue
		}
		for _, x := range values {
			desc := fmt.Sprintf("%s = %d", f.Name, x)
			try(desc, func(v reflect.Value) {
				if v.Kind() == reflect.Uint8 {
					v.SetUint(uint64(uint8(x)))
					return
				}
				v.SetInt(x)
			})
		}
	}
	if accepted < 100 {
		t.Errorf("only %d configurations were valid: the test checks little", accepted)
	}
}

// checkValidConfigCreates checks that the cores accept their part of the
// valid conf and that Create starts a node with it, on a mock transport.
func checkValidConfigCreates(t *testing.T, desc string, conf *Config) {
	t.Helper()
	cc := conf.coreConfigs()
	for _, err := range []error{cc.hyparview.Validate(), cc.plumtree.Validate(), cc.membership.Validate(), conf.wireLimits().validate()} {
		if err != nil {
			t.Errorf("%s: Validate accepts, a core refuses: %v", desc, err)
		}
	}
	conf.Transport = newMockNetwork(nil).NewTransport(conf.Name)
	var ml *Memberlist
	err := callNoPanic(t, desc, func() (err error) {
		ml, err = Create(conf)
		return err
	})
	if err != nil {
		t.Errorf("%s: Validate accepts, Create refuses: %v", desc, err)
		return
	}
	if err := ml.Shutdown(); err != nil {
		t.Errorf("%s: Shutdown: %v", desc, err)
	}
}

// TestValidateCoreBounds: the cores' own bounds, and limits that involve
// two fields, are checked by Config.validate under Config field names; a
// configuration at those bounds starts.
func TestValidateCoreBounds(t *testing.T) {
	big := func(c *Config) {
		c.ActiveViewSize, c.ShuffleActive = maxHyParViewActive, maxHyParViewActive
		c.PassiveViewSize = maxHyParViewPassive
	}
	for _, tc := range []struct {
		name  string
		set   func(c *Config)
		field string // "" when valid
	}{
		{"longest name", func(c *Config) { c.Name = strings.Repeat("n", maxMemberNameLen) }, ""},
		{"name too long", func(c *Config) { c.Name = strings.Repeat("n", maxMemberNameLen+1) }, "Name"},
		{"largest views", big, ""},
		{"active view too large", func(c *Config) { c.ActiveViewSize = maxHyParViewActive + 1 }, "ActiveViewSize"},
		{"passive view too large", func(c *Config) { c.PassiveViewSize = maxHyParViewPassive + 1 }, "PassiveViewSize"},
		{"largest shuffle", func(c *Config) { big(c); c.ShufflePassive = defaultWireLimits().MaxPeers - 1 - c.ShuffleActive }, ""},
		{"shuffle too large", func(c *Config) { big(c); c.ShufflePassive = defaultWireLimits().MaxPeers - c.ShuffleActive }, "ShufflePassive"},
		{"IHaveInterval + GraftTimeout overflows", func(c *Config) {
			c.IHaveInterval, c.GraftTimeout = math.MaxInt64/2+1, math.MaxInt64/2+1
		}, "MessageCacheTTL"},
		{"longest cache TTL", func(c *Config) {
			c.IHaveInterval, c.GraftTimeout, c.MessageCacheTTL = math.MaxInt64/2+1, math.MaxInt64/2+1, math.MaxInt64
		}, ""},
	} {
		conf := mockConfig("node", tc.set)
		err := conf.validate()
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				continue
			}
			checkValidConfigCreates(t, tc.name, conf)
			continue
		}
		wantOnlyInvalid(t, tc.name, err, tc.field)
	}
}

// TestLinkSilenceLimitSaturates: keepalive settings whose sum overflows
// still give a positive silence limit (keepalives stay on).
func TestLinkSilenceLimitSaturates(t *testing.T) {
	c := mockConfig("node", func(c *Config) {
		c.KeepaliveInterval, c.KeepaliveTimeout = math.MaxInt64/2+1, math.MaxInt64/2+1
	})
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	if got := c.linkSilenceLimit(); got != math.MaxInt64 {
		t.Errorf("linkSilenceLimit = %v, want the longest duration", got)
	}
}
