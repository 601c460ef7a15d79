package hyparlist

import (
	"errors"
	"math"
	"net"
	"strconv"
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
	}
	for _, tc := range tests {
		for _, v := range []int{tc.max, tc.max + 1, math.MaxInt} {
			c := DefaultLANConfig()
			c.Name = "node"
			tc.set(c, v)
			err := c.Validate()
			if v == tc.max {
				if err != nil {
					t.Errorf("%s = %d (the maximum): %v", tc.field, v, err)
				}
				continue
			}
			if got := invalidFields(err); len(got) != 1 || got[0] != tc.field {
				t.Errorf("%s = %d: invalid fields %q (%v), want [%s]", tc.field, v, got, err, tc.field)
			}
		}
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
				conf.Transport = NewMockNetwork(nil).NewTransport("node")
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

// TestValidateSuspicionTimeout: Config.Validate refuses, naming
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
		err := c.Validate()
		if tc.ok {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if got := invalidFields(err); len(got) != 1 || got[0] != "SuspicionMult" {
			t.Errorf("%s: invalid fields %q (%v), want [SuspicionMult]", tc.name, got, err)
		}
	}
}
