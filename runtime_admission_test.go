package hyparlist

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// Tests of the per-source limits, the trusted sources and the idle limit
// (runtime_inbound.go, runtime_admission.go).

// TestInboundLimiterPerSource: once half the pool is taken, an untrusted
// source gets no more than its handshake and stream shares, while another
// source still gets in; below half, a burst from one source gets in; a
// trusted source is exempt and uses the reserved slots once the general
// pool is full; releasing gives every slot back.
func TestInboundLimiterPerSource(t *testing.T) {
	l := newInboundLimiter(200, 40, 8) // 128 handshake slots
	var held []inboundTicket
	admit := func(src string, trusted bool, want string) {
		t.Helper()
		tk, reason := l.admit(src, trusted)
		if reason != want {
			t.Fatalf("admit %s (trusted %v) with %d streams, %d handshaking: %q, want %q", src, trusted, l.streams, l.handshaking, reason, want)
		}
		if reason == "" {
			held = append(held, tk)
		}
	}
	// A burst from one source takes half the handshake slots, no more.
	for range 64 {
		admit("10.0.0.1", false, "")
	}
	admit("10.0.0.1", false, refusedSourceHandshakeLimit)
	for range 8 {
		admit("10.0.0.2", false, "")
	}
	admit("10.0.0.2", false, refusedSourceHandshakeLimit)
	for _, tk := range held {
		l.handshaken(tk)
	}
	handshaken := len(held)
	// 72 streams are open; 28 more from a third source reach half of 200.
	for range 28 {
		admit("10.0.0.3", false, "")
	}
	admit("10.0.0.1", false, refusedSourceLimit) // holds 64, over 40
	admit("10.0.0.2", false, "")                 // holds 8
	for i := range 99 {
		admit(fmt.Sprintf("10.0.1.%d", i), false, "")
	}
	admit("10.0.2.1", false, refusedLimit)
	admit("10.0.0.1", true, "")
	if tk := held[len(held)-1]; !tk.reserved {
		t.Errorf("trusted stream beyond the pool: %+v, want a reserved slot", tk)
	}
	if got := l.open(); got != 201 {
		t.Errorf("open = %d, want 201", got)
	}
	for i, tk := range held {
		if i >= handshaken {
			l.handshaken(tk)
		}
		l.release(tk)
	}
	if l.open() != 0 || l.handshaking != 0 || l.rHandshake != 0 || len(l.bySource) != 0 {
		t.Errorf("after release: open %d, handshaking %d+%d, %d sources tracked; want 0", l.open(), l.handshaking, l.rHandshake, len(l.bySource))
	}
}

// TestInboundLimiterReservedBound: the reserved slots are bounded too.
func TestInboundLimiterReservedBound(t *testing.T) {
	l := newInboundLimiter(1, 1, 1)
	if _, reason := l.admit("a", false); reason != "" {
		t.Fatal(reason)
	}
	for i := range reservedHandshakingStreams {
		if _, reason := l.admit("b", true); reason != "" {
			t.Fatalf("reserved %d: %s", i, reason)
		}
	}
	if _, reason := l.admit("b", true); reason == "" {
		t.Fatal("trusted stream admitted beyond the reserved handshake slots")
	}
}

// TestTrustedSources: view IPs are trusted; a dialled IP is trusted for
// dialledSourceTTL; the dialled set stays within maxDialledSources.
func TestTrustedSources(t *testing.T) {
	var s trustedSources
	now := time.Unix(1000, 0)
	s.setViews([]string{"10.0.0.1", "10.0.0.3"})
	if !s.trusted("10.0.0.3", now) || s.trusted("10.0.0.2", now) || s.trusted("", now) {
		t.Fatal("view membership wrong")
	}
	s.dialledNow("10.0.0.2", now)
	if !s.trusted("10.0.0.2", now.Add(dialledSourceTTL)) {
		t.Error("dialled IP not trusted within the TTL")
	}
	if s.trusted("10.0.0.2", now.Add(dialledSourceTTL+time.Second)) {
		t.Error("dialled IP still trusted after the TTL")
	}
	for i := range maxDialledSources + 10 {
		s.dialledNow(strings.Repeat("x", i%7)+string(rune(i)), now.Add(time.Duration(i)))
	}
	if len(s.dialled) > maxDialledSources {
		t.Errorf("%d dialled sources kept, at most %d", len(s.dialled), maxDialledSources)
	}
	if got := addrSource("[::ffff:10.0.0.1]:7946"); got != "10.0.0.1" {
		t.Errorf("addrSource of a v4-mapped address = %q", got)
	}
}

// TestRuntimeInboundSourceLimit: over the MockNetwork (every transport on
// 127.0.0.1), an untrusted probe gets half the handshake slots (4 of 8)
// while it holds more than MaxHandshakesPerIP; the next stream waits
// handshakeSlotWait for one of them to end, then is refused and counted.
func TestRuntimeInboundSourceLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		a := c.addWithSink("a", func(conf *Config) {
			conf.MaxInboundStreams = 8
			conf.MaxHandshakesPerIP = 3
		}, sink)
		p := &inboundProbe{t: t, from: c.net.NewTransport("probe"), to: a.ml.LocalNode().Address()}
		for range 4 {
			p.open()
		}
		start := time.Now()
		wait := a.ml.slotWait()
		wantClosed(t, p.open(), wait+time.Second)
		if waited := time.Since(start); waited < wait {
			t.Errorf("refused after %v, want a wait of %v for a slot", waited, wait)
		}
		if got := counterSum(sink, "hyparlist.stream.refused;reason="+refusedSourceHandshakeLimit); got != 1 {
			t.Errorf("%v streams refused for the source handshake limit, want 1", got)
		}
	})
}

// TestRuntimeInboundIdleAcks: a stream that completed its handshake and
// then sends only Acks is closed after readIdleTimeout and counted.
func TestRuntimeInboundIdleAcks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		a := c.addWithSink("a", nil, sink)
		p := &inboundProbe{t: t, from: c.net.NewTransport("probe"), to: a.ml.LocalNode().Address()}
		conn := p.wantAccepted()
		idle := a.ml.readIdleTimeout()
		start := time.Now()
		var plain frameCrypto
		for time.Since(start) < 3*idle {
			if err := plain.writeFrame(conn, ackMsg{}, defaultWireLimits(), ""); err != nil {
				break // closed, as wanted
			}
			time.Sleep(idle / 4)
		}
		if time.Since(start) >= 3*idle {
			t.Fatalf("a stream of Acks stayed open for %v, idle limit %v", time.Since(start), idle)
		}
		synctest.Wait()
		if got := counterSum(sink, "hyparlist.stream.refused;reason="+refusedIdle); got != 1 {
			t.Errorf("%v streams closed as idle, want 1", got)
		}
	})
}

// TestConfigPerIPBounds: Validate rejects per-IP limits and MaxMembers
// out of range.
func TestConfigPerIPBounds(t *testing.T) {
	for name, set := range map[string]func(*Config){
		"MaxInboundStreamsPerIP": func(c *Config) { c.MaxInboundStreamsPerIP = 0 },
		"MaxHandshakesPerIP":     func(c *Config) { c.MaxHandshakesPerIP = maxHandshakingStreams + 1 },
		"MaxMembers":             func(c *Config) { c.MaxMembers = 0 },
	} {
		c := DefaultLANConfig()
		set(c)
		if err := c.validate(); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), name) {
			t.Errorf("Validate with %s out of range = %v", name, err)
		}
	}
}

// TestRuntimeMaxMembers: Config.MaxMembers reaches the membership core;
// four nodes whose tables hold three members each never list a fourth.
func TestRuntimeMaxMembers(t *testing.T) {
	c := DefaultLANConfig()
	c.MaxMembers = 3
	if got := c.membershipConfig().MaxMembers; got != 3 {
		t.Fatalf("membershipConfig().MaxMembers = %d, want 3", got)
	}
	synctest.Test(t, func(t *testing.T) {
		cl := newMockCluster(t, 4, func(conf *Config) { conf.MaxMembers = 3 })
		defer cl.shutdown()
		cl.joinAll()
		eventually(t, time.Minute, "three members everywhere", func() bool { return allSee(cl.nodes, 3) })
		time.Sleep(time.Minute) // anti-entropy rounds
		for _, nd := range cl.nodes {
			if got := nd.ml.NumMembers(); got > 3 {
				t.Errorf("%s lists %d members, MaxMembers 3", nd.rec.name, got)
			}
		}
	})
}
