package hyparlist

import (
	"errors"
	"net"
	"testing"
	"time"
)

// TestReplayWindow: a sender's sequence numbers are accepted once each,
// in any order within the window; older ones, stale or future send
// times, and senders beyond maxPacketSenders are refused.
func TestReplayWindow(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	sender, receiver := newPacketReplay(time.Time{}), newPacketReplay(time.Time{})
	packet := func(seq uint64, at time.Time) []byte {
		sender.seq.Store(seq - 1)
		return append(sender.appendHeader(nil, at), "frame"...)
	}
	for _, tc := range []struct {
		seq  uint64
		at   time.Time
		want error
	}{
		{1, now, nil},
		{3, now, nil},
		{2, now, nil},
		{2, now, errReplayed},
		{3, now, errReplayed},
		{100, now, nil},
		{37, now, nil}, // 63 below the top: still in the window
		{36, now, errReplayed},
		{99, now, nil},
		{99, now, errReplayed},
		{101, now.Add(-packetMaxAge - time.Second), errStalePacket},
		{102, now.Add(packetMaxAge + time.Second), errStalePacket},
		{103, now.Add(-packetMaxAge + time.Second), nil},
	} {
		frame, err := receiver.accept(packet(tc.seq, tc.at), now)
		if !errors.Is(err, tc.want) {
			t.Fatalf("seq %d at %v: %v, want %v", tc.seq, tc.at.Sub(now), err, tc.want)
		}
		if err == nil && string(frame) != "frame" {
			t.Fatalf("seq %d: frame %q", tc.seq, frame)
		}
	}
	if _, err := receiver.accept([]byte("short"), now); !errors.Is(err, errNoMatchingKey) {
		t.Errorf("short packet: %v", err)
	}

	// The windows are bounded; an expired one makes room.
	full := newPacketReplay(time.Time{})
	for i := range maxPacketSenders {
		s := newPacketReplay(time.Time{})
		if _, err := full.accept(s.appendHeader(nil, now), now.Add(time.Duration(i)*time.Millisecond)); err != nil {
			t.Fatalf("sender %d: %v", i, err)
		}
	}
	late := now.Add(time.Duration(maxPacketSenders) * time.Millisecond)
	if _, err := full.accept(newPacketReplay(time.Time{}).appendHeader(nil, late), late); !errors.Is(err, errSendersFull) {
		t.Fatalf("sender beyond the bound: %v, want errSendersFull", err)
	}
	later := now.Add(packetMaxAge + time.Second)
	if _, err := full.accept(newPacketReplay(time.Time{}).appendHeader(nil, later), later); err != nil {
		t.Fatalf("sender after expiry: %v", err)
	}
}

// TestBoundStreamVersions: a node with keys and GossipVerifyIncoming
// refuses a Hello offering only wire versions before 4 (its streams could
// be replayed); with GossipVerifyIncoming off it accepts it, unbound.
func TestBoundStreamVersions(t *testing.T) {
	key := testKey(3, 16)
	strict, _ := newKeyedTCPNode(t, "strict", key)
	lenient, _ := newKeyedTCPNode(t, "lenient", key, func(c *Config) {
		c.GossipVerifyIncoming = false
		c.AcceptUnsignedBroadcasts = true // a version-3 peer cannot sign (runtime_sign.go)
	})
	c := frameCrypto{keyring: mustKeyring(t, key), verifyIncoming: true, verifyOutgoing: true}
	hello := func(n *testNode) Message {
		t.Helper()
		conn, err := net.Dial("tcp", n.ml.LocalNode().Address())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(e2eWait))
		if err := c.writeFrame(conn, helloMsg{VersionMin: 1, VersionMax: 3, Name: "old", Addr: "127.0.0.1:1"}, defaultWireLimits(), ""); err != nil {
			t.Fatal(err)
		}
		msg, err := c.readFrame(conn, defaultWireLimits(), "")
		if err != nil {
			t.Fatalf("answer from %s: %v", n.rec.name, err)
		}
		return msg
	}
	if r, ok := hello(strict).(helloRejectMsg); !ok || r.Reason != rejectVersion || r.VersionMin != wireVersionBound {
		t.Errorf("strict node answered %#v, want HelloReject{RejectVersion, VersionMin %d}", hello(strict), wireVersionBound)
	}
	if a, ok := hello(lenient).(helloAcceptMsg); !ok || a.Version != 3 {
		t.Errorf("lenient node answered %#v, want HelloAccept{Version 3}", a)
	}
}

// TestBoundKeys: the two sides of a bound stream seal with each other's
// receive keys, the directions differ, and an unbound stream uses the
// label both ways.
func TestBoundKeys(t *testing.T) {
	nd, na := []byte("dialler-nonc"), []byte("acceptor-non")
	d := streamBinding{version: wireVersionBound, sent: nd, got: na}.keys("L", true)
	a := streamBinding{version: wireVersionBound, sent: na, got: nd}.keys("L", false)
	if d.send != a.recv || d.recv != a.send || d.send == d.recv {
		t.Fatalf("dialler %q, acceptor %q", d, a)
	}
	for _, b := range []streamBinding{{version: 3, sent: nd, got: na}, {version: 4, got: na}, {version: 4, sent: nd}} {
		if k := b.keys("L", true); k != unboundKeys("L") {
			t.Errorf("%+v: keys %q, want unbound", b, k)
		}
	}
}

// TestReplayAfterRestart: a node's new run refuses a packet captured
// before it started (its windows are gone), within packetMaxAge too, and
// accepts packets sent since, or up to packetStartSkew before its start
// by a sender whose clock is behind.
func TestReplayAfterRestart(t *testing.T) {
	before := time.Unix(1_000_000, 0)
	sender := newPacketReplay(before.Add(-time.Hour))
	captured := append(sender.appendHeader(nil, before), "frame"...)

	first := newPacketReplay(before.Add(-time.Minute))
	if _, err := first.accept(captured, before); err != nil {
		t.Fatalf("first run, fresh packet: %v", err)
	}
	if _, err := first.accept(captured, before.Add(time.Second)); !errors.Is(err, errReplayed) {
		t.Fatalf("first run, replay: %v, want %v", err, errReplayed)
	}

	started := before.Add(10 * time.Second) // restarted 10 s later
	second := newPacketReplay(started)
	_, err := second.accept(captured, started.Add(time.Second))
	if !errors.Is(err, errBeforeStart) || !errors.Is(err, errStalePacket) {
		t.Fatalf("new run, replay of a packet from before the restart: %v, want %v", err, errBeforeStart)
	}
	for _, sent := range []time.Time{started.Add(-packetStartSkew), started, started.Add(time.Second)} {
		p := append(sender.appendHeader(nil, sent), "frame"...)
		if _, err := second.accept(p, started.Add(2*time.Second)); err != nil {
			t.Errorf("new run, packet sent %v after its start: %v", sent.Sub(started), err)
		}
	}
	late := append(sender.appendHeader(nil, started.Add(-packetStartSkew-time.Millisecond)), "frame"...)
	if _, err := second.accept(late, started.Add(2*time.Second)); !errors.Is(err, errBeforeStart) {
		t.Errorf("new run, packet sent just over packetStartSkew before its start: %v", err)
	}
}
