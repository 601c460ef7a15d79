// Tests of signed broadcasts under mutual TLS: names are bound to keys
// only by authenticated key checks, never on first use.

package hyparlist

import (
	"crypto/ed25519"
	"crypto/tls"
	"net"
	"testing"
	"time"
)

// tlsForgerStream completes a TLS handshake with node using cert (a valid
// certificate of the cluster's CA), then a Hello as name, and returns the
// stream, ready for frames.
func tlsForgerStream(t *testing.T, node *Memberlist, cert tls.Certificate, name string) net.Conn {
	t.Helper()
	return tlsStreamFrom(t, node, cert, name, "127.0.0.1:1")
}

// tlsStreamFrom is tlsForgerStream with addr as the address in the Hello.
func tlsStreamFrom(t *testing.T, node *Memberlist, cert tls.Certificate, name, addr string) net.Conn {
	t.Helper()
	raw, err := net.DialTimeout("tcp", node.LocalNode().Address(), 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// The forger does not care who answers.
	conn := tls.Client(raw, &tls.Config{Certificates: []tls.Certificate{cert}, InsecureSkipVerify: true}) //nolint:gosec // test attacker
	t.Cleanup(func() { _ = conn.Close() })
	lim := defaultWireLimits()
	hello := helloMsg{VersionMin: 1, VersionMax: wireVersion, Name: name, Addr: addr}
	if err := writeMessageFrame(conn, hello, lim); err != nil {
		t.Fatal(err)
	}
	msg, err := readMessageFrame(conn, lim)
	if a, ok := msg.(helloAcceptMsg); err != nil || !ok || a.Version != wireVersion {
		t.Fatalf("handshake answer %+v, %v; want an accept of version %d", msg, err, wireVersion)
	}
	return conn
}

// boundKey returns the key node has bound to name, if any.
func boundKey(t *testing.T, node *Memberlist, name string) (originKey, bool) {
	var k originKey
	var ok bool
	onLoop(t, node, func(l *runLoop) {
		var b originBinding
		b, ok = l.origins.keys[name]
		k = b.key
	})
	return k, ok
}

// TestTLSMadeUpNameBindsNothing: under TLS, a node with a valid
// certificate of its own sends a signed broadcast in a made-up name, and
// then a membership announcement of that name at an address where nothing
// listens. Neither is delivered, both are counted (origin_unverified),
// and the name is bound to no key. With trust on first use, the first was
// delivered and the name bound to the forger's key.
func TestTLSMadeUpNameBindsNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("real sockets")
	}
	ca := newTestCA(t, "test ca")
	verify := func(c *Config) { c.VerifyUserBroadcasts = true }
	seed, sink := newTLSNode(t, "seed", ca.tlsConfig(ca.issue(t, certSpec{dns: []string{"seed"}})), verify)
	conn := tlsForgerStream(t, seed.ml, ca.issue(t, certSpec{dns: []string{"forger"}}), "forger")
	_, key, _ := ed25519.GenerateKey(nil)
	lim := defaultWireLimits()
	ghost := memberRecord{Name: "ghost", Addr: "127.0.0.1:1", State: memberStateAlive, Incarnation: 1}
	ann, err := appendAnnouncement(nil, []memberRecord{ghost})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []gossipMsg{
		signedGossip(key, "ghost", 1, ClassUser, []byte("made-up")),
		signedGossip(key, "ghost", 2, ClassMembership, ann),
	} {
		if err := writeMessageFrame(conn, g, lim); err != nil {
			t.Fatal(err)
		}
	}
	pollUntil(t, "both judged", func() bool {
		return counterSum(sink, "hyparlist.msg.refused;reason="+refusedOriginUnverified) == 2 || seed.rec.count([]byte("made-up")) > 0
	})
	time.Sleep(200 * time.Millisecond) // the key check of ghost's address fails
	if n := counterSum(sink, "hyparlist.msg.refused;reason="+refusedOriginUnverified); n != 2 {
		t.Errorf("%v refused as origin_unverified, want 2", n)
	}
	if n := seed.rec.count([]byte("made-up")); n != 0 {
		t.Errorf("made-up name's broadcast delivered %d times", n)
	}
	if _, ok := boundKey(t, seed.ml, "ghost"); ok {
		t.Error("the made-up name is bound to a key")
	}
	if n := seed.ml.NumMembers(); n != 1 {
		t.Errorf("seed lists %d members, want 1", n)
	}
}

// TestTLSForgerCannotSpeakForAnother: under TLS, a node with a valid
// certificate for its own name broadcasts in the name of a node that has
// not joined yet, signed with its own key; then that node joins and
// broadcasts; then the forger tries again. The real node's broadcast is
// delivered, neither forgery is; the name is bound to the real node's key
// (by a key check at its address); the refusals are counted. With trust
// on first use, the first forgery was delivered (the name bound to the
// forger's key, as nobody listed it yet).
func TestTLSForgerCannotSpeakForAnother(t *testing.T) {
	if testing.Short() {
		t.Skip("real sockets")
	}
	ca := newTestCA(t, "test ca")
	verify := func(c *Config) { c.VerifyUserBroadcasts = true }
	seed, sink := newTLSNode(t, "seed", ca.tlsConfig(ca.issue(t, certSpec{dns: []string{"seed"}})), verify)
	conn := tlsForgerStream(t, seed.ml, ca.issue(t, certSpec{dns: []string{"forger"}}), "forger")
	_, key, _ := ed25519.GenerateKey(nil)
	lim := defaultWireLimits()
	if err := writeMessageFrame(conn, signedGossip(key, "victim", 1, ClassUser, []byte("forged-first")), lim); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "the first forgery judged", func() bool {
		return counterSum(sink, "hyparlist.msg.refused;reason="+refusedOriginUnverified) >= 1 || seed.rec.count([]byte("forged-first")) > 0
	})

	victim, _ := newTLSNode(t, "victim", ca.tlsConfig(ca.issue(t, certSpec{dns: []string{"victim"}})), verify)
	if _, err := victim.ml.Join([]string{seed.ml.LocalNode().Address()}); err != nil {
		t.Fatalf("join: %v", err)
	}
	// The victim's first broadcasts may be refused until the seed's key
	// check of its name is done; it sends until one arrives.
	sent := 0
	pollUntil(t, "a broadcast of the victim delivered", func() bool {
		if seed.rec.count([]byte("real")) > 0 {
			return true
		}
		if sent < 50 {
			sent++
			if err := victim.ml.Broadcast([]byte("real")); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(50 * time.Millisecond)
		return false
	})
	if k, ok := boundKey(t, seed.ml, "victim"); !ok || k != publicKey(victim.ml.signKey) {
		t.Errorf("victim bound to %x (%v), want its own key", k, ok)
	}
	if err := writeMessageFrame(conn, signedGossip(key, "victim", 1<<62, ClassUser, []byte("forged-again")), lim); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "the second forgery judged", func() bool {
		return counterSum(sink, "hyparlist.msg.refused;reason="+refusedOriginKey) >= 1 || seed.rec.count([]byte("forged-again")) > 0
	})
	for _, p := range []string{"forged-first", "forged-again"} {
		if n := seed.rec.count([]byte(p)); n != 0 {
			t.Errorf("%q delivered %d times", p, n)
		}
	}
	if n := counterSum(sink, "hyparlist.origin.verified"); n < 1 {
		t.Errorf("%v names verified by a key check, want at least 1", n)
	}
}
