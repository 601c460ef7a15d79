// Tests: under TLS, application broadcasts are checked whatever
// Config.VerifyUserBroadcasts says (Memberlist.checksClass).

package hyparlist

import (
	"crypto/ed25519"
	"testing"
	"time"
)

// TestTLSUserBroadcastsAlwaysVerified: under TLS with
// VerifyUserBroadcasts false, a node with a valid certificate of its own
// sends application broadcasts in the name of a cluster member (signed
// with its own key) and in a made-up name. Neither is delivered; they are
// counted as refused (origin_key, origin_unverified), while the member's
// own broadcasts are delivered. With the check tied to
// VerifyUserBroadcasts alone, both forgeries were delivered unchecked.
func TestTLSUserBroadcastsAlwaysVerified(t *testing.T) {
	if testing.Short() {
		t.Skip("real sockets")
	}
	ca := newTestCA(t, "test ca")
	noVerify := func(c *Config) { c.VerifyUserBroadcasts = false }
	seed, sink := newTLSNode(t, "seed", ca.tlsConfig(ca.issue(t, certSpec{dns: []string{"seed"}})), noVerify)
	member, _ := newTLSNode(t, "member", ca.tlsConfig(ca.issue(t, certSpec{dns: []string{"member"}})), noVerify)
	if _, err := member.ml.Join([]string{seed.ml.LocalNode().Address()}); err != nil {
		t.Fatalf("join: %v", err)
	}
	sent := 0
	pollUntil(t, "a broadcast of the member delivered", func() bool {
		if seed.rec.count([]byte("real")) > 0 {
			return true
		}
		if sent < 50 {
			sent++
			if err := member.ml.Broadcast([]byte("real")); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(50 * time.Millisecond)
		return false
	})
	conn := tlsForgerStream(t, seed.ml, ca.issue(t, certSpec{dns: []string{"forger"}}), "forger")
	_, key, _ := ed25519.GenerateKey(nil)
	lim := defaultWireLimits()
	for _, g := range []gossipMsg{
		signedGossip(key, "member", 1<<62, ClassUser, []byte("in-member's-name")),
		signedGossip(key, "made-up", 1, ClassUser, []byte("in-a-made-up-name")),
	} {
		if err := writeMessageFrame(conn, g, lim); err != nil {
			t.Fatal(err)
		}
	}
	refused := func(reason string) float64 { return counterSum(sink, "hyparlist.msg.refused;reason="+reason) }
	pollUntil(t, "both forgeries judged", func() bool {
		return refused(refusedOriginKey) >= 1 && refused(refusedOriginUnverified) >= 1 ||
			seed.rec.count([]byte("in-member's-name")) > 0 || seed.rec.count([]byte("in-a-made-up-name")) > 0
	})
	for _, p := range []string{"in-member's-name", "in-a-made-up-name"} {
		if n := seed.rec.count([]byte(p)); n != 0 {
			t.Errorf("forged broadcast %q delivered %d times", p, n)
		}
	}
	if n := refused(refusedOriginKey); n != 1 {
		t.Errorf("%v refused as origin_key, want 1", n)
	}
	if n := refused(refusedOriginUnverified); n != 1 {
		t.Errorf("%v refused as origin_unverified, want 1", n)
	}
}
