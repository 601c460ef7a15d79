// Tests of signed broadcasts in the runtime: forged origins refused,
// keys bound on first use, restarts with a new key, old peers refused.

package hyparlist

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"net"
	"slices"
	"strconv"
	"testing"
	"testing/synctest"
	"time"
)

// acceptUnsigned is a Config tweak for tests of peers older than wire
// version 6, which cannot sign broadcasts.
func acceptUnsigned(c *Config) { c.AcceptUnsignedBroadcasts = true }

// forgerStream opens a stream to node from a transport of its own and
// completes a handshake of wire version 6 as "forger"; the node answers
// with its broadcast key.
func forgerStream(t *testing.T, c *testCluster, node *Memberlist) net.Conn {
	t.Helper()
	tr := c.net.NewTransport("forger")
	t.Cleanup(func() { _ = tr.Shutdown() })
	ip, port, _ := tr.FinalAdvertiseAddr("", 0)
	lim := defaultWireLimits()
	conn, err := tr.DialAddressTimeout(Address{Addr: node.LocalNode().Address()}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	hello := helloMsg{VersionMin: 1, VersionMax: wireVersion, Name: "forger", Addr: net.JoinHostPort(ip.String(), strconv.Itoa(port))}
	if err := writeMessageFrame(conn, hello, lim); err != nil {
		t.Fatal(err)
	}
	msg, err := readMessageFrame(conn, lim)
	a, ok := msg.(helloAcceptMsg)
	if err != nil || !ok || a.Version != wireVersion || a.Key != publicKey(node.signKey) {
		t.Fatalf("handshake answer %+v, %v; want version %d with the node's key", msg, err, wireVersion)
	}
	return conn
}

// signedGossip returns a GOSSIP of payload from origin signed with key.
func signedGossip(key ed25519.PrivateKey, origin string, seq uint64, class Class, payload []byte) gossipMsg {
	id := MessageID{Origin: origin, Seq: seq}
	return gossipMsg{ID: id, Class: class, Payload: payload, Sig: signBroadcast(key, id, class, payload)}
}

// delivered reports whether any node of c delivered payload.
func deliveredAnywhere(c *testCluster, payload []byte) []string {
	var out []string
	for _, n := range c.nodes {
		if n.rec.count(payload) > 0 {
			out = append(out, n.rec.name)
		}
	}
	return out
}

// TestRuntimeForgedBroadcastRefused: a node with a stream sends broadcasts
// in another member's name — signed with its own key, unsigned, and with
// a signature that does not match the payload — then one in its own name.
// Only its own is delivered (it is the FIFO stream's last frame, so the
// others were judged before it); each forgery is counted by reason. On
// wire version 5 every one of them was delivered to every node (issue 14,
// finding 4).
func TestRuntimeForgedBroadcastRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := joinedClusterWithSink(t, 3, verifyUser, sink)
		if err := c.nodes[1].ml.Broadcast([]byte("real")); err != nil {
			t.Fatal(err)
		}
		waitDeliveredOnce(t, c.nodes[0].rec, [][]byte{[]byte("real")})

		conn := forgerStream(t, c, c.nodes[0].ml)
		_, key, _ := ed25519.GenerateKey(nil)
		lim := defaultWireLimits()
		otherKey := signedGossip(key, "node-01", 1<<40, ClassUser, []byte("forged-other-key"))
		unsigned := gossipMsg{ID: MessageID{Origin: "node-01", Seq: 1<<40 + 1}, Class: ClassUser, Payload: []byte("forged-unsigned")}
		badSig := signedGossip(key, "node-01", 1<<40+2, ClassUser, []byte("signed-payload"))
		badSig.Payload = []byte("forged-bad-signature")
		// Above node-01's window (its numbers start at its clock): a
		// number the window would refuse is refused before the check
		// (seq_too_old, runtime_sign_check.go), and this one is for the
		// check to catch.
		self := signedGossip(c.nodes[1].ml.signKey, "node-01", 1<<62, ClassUser, []byte("signed-then-altered"))
		self.Payload = []byte("forged-altered")
		marker := signedGossip(key, "forger", 1, ClassUser, []byte("marker"))
		for _, g := range []gossipMsg{otherKey, unsigned, badSig, self, marker} {
			if err := writeMessageFrame(conn, g, lim); err != nil {
				t.Fatal(err)
			}
		}
		eventually(t, time.Minute, "the forger's own broadcast delivered everywhere", func() bool {
			return len(deliveredAnywhere(c, []byte("marker"))) == 3
		})
		time.Sleep(time.Second)
		synctest.Wait()
		for _, p := range []string{"forged-other-key", "forged-unsigned", "forged-bad-signature", "forged-altered"} {
			if got := deliveredAnywhere(c, []byte(p)); len(got) != 0 {
				t.Errorf("%q delivered at %v", p, got)
			}
		}
		for reason, want := range map[string]float64{refusedOriginKey: 1, refusedUnsigned: 1, refusedSignature: 2} {
			if got := counterSum(sink, "hyparlist.msg.refused;reason="+reason); got != want {
				t.Errorf("refused for %s: %v, want %v", reason, got, want)
			}
		}
		// The key check found node-01's own key at its address: nothing
		// was rebound.
		eventually(t, time.Minute, "one key check started and done", func() bool {
			var done bool
			onLoop(t, c.nodes[0].ml, func(l *runLoop) { done = l.origins.running == 0 && len(l.origins.checked) == 1 })
			return done
		})
		if got := counterSum(sink, "hyparlist.origin.rebound"); got != 0 {
			t.Errorf("%v keys rebound after forgeries", got)
		}
	})
}

// TestRuntimeForgedRecordsRefused: a node with a stream announces, in its
// own name, that a live member left; and, in that member's name but with
// its own key, that the member is alive at a higher incarnation with
// other metadata. Neither takes: no NotifyLeave, no NotifyUpdate, the
// member keeps its record; a ghost in the same announcement (its own
// word about a name nobody holds) is listed, which shows the announcement
// was merged. On wire version 5 the leave fired NotifyLeave and the
// metadata was taken.
func TestRuntimeForgedRecordsRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := newMockClusterWithSink(t, 3, nil, sink)
		defer c.shutdown()
		c.joinAll()
		eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, 3) })
		victim := c.nodes[0]
		var held Member
		onLoop(t, victim.ml, func(l *runLoop) { held, _ = l.ms.Member("node-01") })

		conn := forgerStream(t, c, victim.ml)
		_, key, _ := ed25519.GenerateKey(nil)
		lim := defaultWireLimits()
		evil := memberRecord{Name: "node-01", Addr: held.Addr, Meta: []byte("evil"), Incarnation: held.Incarnation + 10, State: memberStateAlive}
		inName, err := appendAnnouncement(nil, []memberRecord{evil})
		if err != nil {
			t.Fatal(err)
		}
		left := memberRecord{Name: "node-01", Addr: held.Addr, Incarnation: held.Incarnation, State: memberStateLeft}
		ghost := memberRecord{Name: "ghost", Addr: "10.99.0.1:1", State: memberStateAlive}
		own, err := appendAnnouncement(nil, []memberRecord{left, ghost})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range []gossipMsg{
			signedGossip(key, "node-01", 1<<40, ClassMembership, inName),
			signedGossip(key, "forger", 1, ClassMembership, own),
		} {
			if err := writeMessageFrame(conn, g, lim); err != nil {
				t.Fatal(err)
			}
		}
		eventually(t, time.Minute, "the ghost listed", func() bool {
			return slices.Contains(memberNames(victim.ml.Members()), "ghost")
		})
		synctest.Wait()
		var now Member
		onLoop(t, victim.ml, func(l *runLoop) { now, _ = l.ms.Member("node-01") })
		// node-01 got the relayed leave too and refuted it (one
		// incarnation up): the forged record of ten up did not take.
		if now.State != memberStateAlive || now.Incarnation > held.Incarnation+1 || !bytes.Equal(now.Meta, held.Meta) {
			t.Errorf("node-01 held as %v at %d meta %q, want alive at %d or %d meta %q", now.State, now.Incarnation, now.Meta,
				held.Incarnation, held.Incarnation+1, held.Meta)
		}
		if got := victim.rec.leftNames(StateLeft); slices.Contains(got, "node-01") {
			t.Errorf("NotifyLeave for node-01 after a forged leave")
		}
		if meta, ok := victim.rec.lastUpdate("node-01"); ok && string(meta) == "evil" {
			t.Errorf("NotifyUpdate with the forged metadata")
		}
		if got := counterSum(sink, "hyparlist.msg.refused;reason="+refusedOriginKey); got != 1 {
			t.Errorf("refused for origin_key: %v, want 1", got)
		}
		eventually(t, time.Minute, "the refused left record counted", func() bool {
			return counterSum(sink, "hyparlist.msg.refused;reason="+refusedForeignLeft) >= 1
		})
	})
}

// TestRuntimeRestartKeys: a node shut down and restarted at its address.
// With the same Config.SigningKey its broadcasts are delivered and none is
// refused. With a new key its first broadcasts are refused where the old
// key is bound (the member is still alive there); each such node checks
// the key at the member's address, binds the new one, and delivers the
// restarted node's later broadcasts.
func TestRuntimeRestartKeys(t *testing.T) {
	for _, keep := range []bool{true, false} {
		t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sink := newInmemSink(time.Hour, time.Hour)
				_, key, _ := ed25519.GenerateKey(nil)
				c := newMockClusterWithSink(t, 3, func(conf *Config) {
					conf.VerifyUserBroadcasts = true
					if conf.Name == "node-02" {
						conf.SigningKey = key
					}
				}, sink)
				defer c.shutdown()
				c.joinAll()
				eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, 3) })
				old := c.nodes[2]
				if err := old.ml.Broadcast([]byte("before")); err != nil {
					t.Fatal(err)
				}
				for _, n := range c.nodes[:2] {
					waitDeliveredOnce(t, n.rec, [][]byte{[]byte("before")})
				}
				addr := old.ml.LocalNode().Address()
				if err := old.ml.Shutdown(); err != nil {
					t.Fatal(err)
				}
				rec := &recorder{name: "node-02"}
				conf := mockConfig("node-02", nil)
				conf.Transport = restartTransport(c.net, "node-02", addr)
				conf.Delegate, conf.Events = rec, rec
				if keep {
					conf.SigningKey = key
				}
				n2, err := create(conf, sink)
				if err != nil {
					t.Fatal(err)
				}
				defer n2.Shutdown()
				if _, err := n2.Join([]string{c.nodes[0].ml.LocalNode().Address()}); err != nil {
					t.Fatalf("rejoin: %v", err)
				}
				var sent [][]byte
				eventually(t, 2*time.Minute, "a broadcast of the restarted node delivered by both others", func() bool {
					p := []byte(fmt.Sprintf("after-%d", len(sent)))
					sent = append(sent, p)
					if err := n2.Broadcast(p); err != nil {
						t.Fatal(err)
					}
					time.Sleep(time.Second)
					for _, n := range c.nodes[:2] {
						if !slices.ContainsFunc(sent, func(p []byte) bool { return n.rec.count(p) > 0 }) {
							return false
						}
					}
					return true
				})
				refused := counterSum(sink, "hyparlist.msg.refused;reason="+refusedOriginKey)
				rebound := counterSum(sink, "hyparlist.origin.rebound")
				t.Logf("%d broadcasts sent, %v refused for the old key, %v names rebound", len(sent), refused, rebound)
				if keep && (refused != 0 || rebound != 0) {
					t.Errorf("same key: %v refused, %v rebound; want none", refused, rebound)
				}
				if !keep && rebound == 0 {
					t.Errorf("new key: no name rebound")
				}
			})
		})
	}
}

// TestRuntimeUnsignedPeerRefused: a peer that offers wire version 5 at
// most (it cannot sign) is refused with reason version and the lowest
// version accepted, 6; with AcceptUnsignedBroadcasts it is accepted at 5.
func TestRuntimeUnsignedPeerRefused(t *testing.T) {
	for _, accept := range []bool{false, true} {
		t.Run(fmt.Sprintf("accept=%v", accept), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var tweak func(*Config)
				if accept {
					tweak = acceptUnsigned
				}
				c := newMockCluster(t, 1, tweak)
				defer c.shutdown()
				node := c.nodes[0].ml
				tr := c.net.NewTransport("old")
				defer tr.Shutdown()
				conn, err := tr.DialAddressTimeout(Address{Addr: node.LocalNode().Address()}, time.Second)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				lim := defaultWireLimits()
				if err := writeMessageFrame(conn, helloMsg{VersionMin: 1, VersionMax: 5, Name: "old", Addr: "10.9.9.9:1"}, lim); err != nil {
					t.Fatal(err)
				}
				msg, err := readMessageFrame(conn, lim)
				if err != nil {
					t.Fatal(err)
				}
				want := Message(helloRejectMsg{Reason: rejectVersion, VersionMin: wireVersionSigned, VersionMax: wireVersion})
				if accept {
					want = helloAcceptMsg{Version: 5, Name: node.LocalNode().Name, Addr: node.LocalNode().Address()}
				}
				if msg != want {
					t.Errorf("answer %+v, want %+v", msg, want)
				}
			})
		})
	}
}

// TestRuntimeVerifyUserBroadcastsOff: a node with VerifyUserBroadcasts
// off delivers an application broadcast in another member's name
// unchecked (what the setting gives up), but still refuses a membership
// announcement in that name signed by another key.
func TestRuntimeVerifyUserBroadcastsOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := newMockClusterWithSink(t, 2, func(conf *Config) { conf.VerifyUserBroadcasts = false }, sink)
		defer c.shutdown()
		c.joinAll()
		eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, 2) })
		victim := c.nodes[0]
		var held Member
		onLoop(t, victim.ml, func(l *runLoop) { held, _ = l.ms.Member("node-01") })
		conn := forgerStream(t, c, victim.ml)
		_, key, _ := ed25519.GenerateKey(nil)
		evil := memberRecord{Name: "node-01", Addr: held.Addr, Meta: []byte("evil"), Incarnation: held.Incarnation + 10, State: memberStateAlive}
		ann, err := appendAnnouncement(nil, []memberRecord{evil})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range []gossipMsg{
			signedGossip(key, "node-01", 1<<40, ClassMembership, ann),
			{ID: MessageID{Origin: "node-01", Seq: 1<<40 + 1}, Class: ClassUser, Payload: []byte("unchecked")},
		} {
			if err := writeMessageFrame(conn, g, defaultWireLimits()); err != nil {
				t.Fatal(err)
			}
		}
		waitDeliveredOnce(t, victim.rec, [][]byte{[]byte("unchecked")})
		var now Member
		onLoop(t, victim.ml, func(l *runLoop) { now, _ = l.ms.Member("node-01") })
		if now.Incarnation >= evil.Incarnation || string(now.Meta) == "evil" {
			t.Errorf("the forged announcement took: node-01 at %d meta %q", now.Incarnation, now.Meta)
		}
		if got := counterSum(sink, "hyparlist.msg.refused;reason="+refusedOriginKey); got != 1 {
			t.Errorf("refused for origin_key: %v, want 1", got)
		}
	})
}
