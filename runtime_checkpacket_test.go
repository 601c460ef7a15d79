package hyparlist

import (
	"net"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// dialCounter is a MockTransport that counts its dials.
type dialCounter struct {
	*MockTransport
	dials atomic.Int32
}

func (d *dialCounter) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	d.dials.Add(1)
	return d.MockTransport.DialTimeout(addr, timeout)
}

func (d *dialCounter) DialAddressTimeout(a Address, timeout time.Duration) (net.Conn, error) {
	d.dials.Add(1)
	return d.MockTransport.DialAddressTimeout(a, timeout)
}

// checkPair creates node a, whose dials are counted, and node b, not
// joined; tweak applies to both, then tweakA to a.
func checkPair(t *testing.T, sink *inmemSink, tweak, tweakA func(*Config)) (c *testCluster, a, b *testNode, dials *dialCounter) {
	t.Helper()
	c = newMockClusterWithSink(t, 0, nil, sink)
	dials = &dialCounter{MockTransport: c.net.NewTransport("a")}
	a = c.addWithSink("a", func(conf *Config) {
		conf.Transport = dials
		for _, f := range []func(*Config){tweak, tweakA} {
			if f != nil {
				f(conf)
			}
		}
	}, sink)
	b = c.addWithSink("b", tweak, sink)
	return c, a, b, dials
}

// probeViaLoop starts a liveness probe of p on m's loop (runLoop.probe:
// a packet first, a dial when no answer comes) and lets everything run
// until the probe is waiting or done.
func probeViaLoop(t *testing.T, m *Memberlist, p Peer) {
	t.Helper()
	onLoop(t, m, func(l *runLoop) { l.probe(ProbeMember{Peer: p}) })
	synctest.Wait()
}

// TestProbeAnsweredByPacket: a check of a live member is answered in a
// packet, with no stream dialled, with and without encryption. On main
// (before runtime_checkpacket.go) every check dials.
func TestProbeAnsweredByPacket(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tweak func(*Config)
	}{
		{"plain", nil},
		{"encrypted", func(c *Config) { c.SecretKey = []byte("0123456789abcdef") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sink := newInmemSink(time.Hour, time.Hour)
				c, a, b, dials := checkPair(t, sink, tc.tweak, nil)
				defer c.shutdown()
				probeViaLoop(t, a.ml, Peer{Name: "b", Addr: b.ml.LocalNode().Address()})
				if n := dials.dials.Load(); n != 0 {
					t.Errorf("%d dials for a check of a live member, want 0", n)
				}
				if got := counterSum(sink, "hyparlist.member.check_packets;kind=answered"); got != 1 {
					t.Errorf("check_packets answered = %v, want 1", got)
				}
			})
		})
	}
}

// TestProbeFallsBackToStream: a check that gets no answer in a packet (b
// cannot open a's sealed packet: another key) dials the stream after
// checkPacketWait, not before, and its failure is reported as before
// (the probe's link failed); a node asked for
// another name, or by a node it denies (a veto), stays silent; and under TLS no packet is sent.
func TestProbeFallsBackToStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c, a, b, dials := checkPair(t, sink, nil, func(c *Config) { c.SecretKey = []byte("0123456789abcdef") })
		defer c.shutdown()
		probeViaLoop(t, a.ml, Peer{Name: "b", Addr: b.ml.LocalNode().Address()})
		if n := dials.dials.Load(); n != 0 {
			t.Errorf("%d dials before checkPacketWait, want 0", n)
		}
		time.Sleep(a.ml.checkPacketWait())
		synctest.Wait()
		if n := dials.dials.Load(); n != 1 {
			t.Errorf("%d dials after an unanswered packet, want 1", n)
		}
		if got := counterSum(sink, "hyparlist.link.failed;reason=probe"); got != 1 {
			t.Errorf("link failed (probe) = %v, want 1: the stream's failure was not reported", got)
		}
		if got := counterSum(sink, "hyparlist.member.check_packets;kind=unanswered"); got != 1 {
			t.Errorf("check_packets unanswered = %v, want 1", got)
		}
		b.ml.onCheckPing(checkPingMsg{Nonce: 1, Name: "c"}, a.ml.transport.(*dialCounter).addr)
		if got := counterSum(sink, "hyparlist.packet.dropped;reason=check_name"); got != 1 {
			t.Errorf("b dropped %v checks for another name, want 1", got)
		}
		b.ml.deny.add("a", time.Now().Add(time.Minute), time.Now())
		b.ml.onCheckPing(checkPingMsg{Nonce: 2, Name: "b", From: "a"}, a.ml.transport.(*dialCounter).addr)
		if got := counterSum(sink, "hyparlist.packet.dropped;reason=check_denied"); got != 1 {
			t.Errorf("b dropped %v checks from a node it denies, want 1", got)
		}
	})
	if (&Memberlist{tls: &tlsState{}}).packetCheckUsable() {
		t.Errorf("a check under TLS would be asked in a packet")
	}
}

// TestPacketChecksAnswerOnce: an answer wakes only the check of its
// nonce, once; a late, repeated or unknown one is ignored.
func TestPacketChecksAnswerOnce(t *testing.T) {
	var c packetChecks
	ch := c.add(7)
	if c.answer(8) {
		t.Errorf("an unknown nonce was taken as an answer")
	}
	if !c.answer(7) {
		t.Fatalf("the waiting nonce was not answered")
	}
	<-ch
	if c.answer(7) {
		t.Errorf("a repeated answer was taken")
	}
	c.add(9)
	c.remove(9)
	if c.answer(9) || len(c.waiting) != 0 {
		t.Errorf("an answer after the check gave up was taken, or entries were left: %d", len(c.waiting))
	}
}

// TestCheckPacketWaitScales: the wait for a packet's answer is twice
// ProbeTimeout times the health multiplier, at most TCPTimeout.
func TestCheckPacketWaitScales(t *testing.T) {
	m := &Memberlist{config: &Config{ProbeTimeout: 500 * time.Millisecond, TCPTimeout: 10 * time.Second}}
	for _, tc := range []struct {
		score int32
		want  time.Duration
	}{{0, time.Second}, {2, 3 * time.Second}, {7, 8 * time.Second}, {20, 10 * time.Second}} {
		m.health.Store(tc.score)
		if got := m.checkPacketWait(); got != tc.want {
			t.Errorf("score %d: wait %v, want %v", tc.score, got, tc.want)
		}
	}
	m.config.ProbeTimeout = 0
	if got := m.checkPacketWait(); got != m.config.TCPTimeout {
		t.Errorf("zero ProbeTimeout: wait %v, want TCPTimeout", got)
	}
}
