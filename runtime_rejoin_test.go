package hyparlist

import (
	"crypto/ed25519"
	"fmt"
	"net"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// restartTransport gives name a new transport at addr, as a restarted
// process binding its old address gets.
func restartTransport(n *MockNetwork, name, addr string) *MockTransport {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.addTransportLocked(name, addr)
}

// TestRuntimeRestartSameAddress: a node shut down and restarted at once
// with the same name and address and new metadata, before its contact
// noticed, gets back in at once: the contact reports an update with the
// new metadata, never a leave (serf's TestSerf_update; with serf's short
// test timeouts the contact used to fail the new node on the old link).
//
// Skipped in session 12 as intermittent (19 of 100 runs with
// GOMAXPROCS=1 failed, 8 of 60 with -race): the contact suspected the old
// run when its streams ended, refused the new node's announcements, signed
// with a new key, until its key check bound that key (origin_key), and
// when the new node's refutation arrived before the check ended it was
// lost; the suspicion (SuspicionMult 1, ProbeInterval 50 ms, as in serf's
// test config) then expired and the contact reported a leave. Fixed in
// session 13: those announcements are held until the check ends
// (runtime_sign_hold.go; TestRuntimeNewKeyAnnouncementHeld is the
// deterministic test of the lost announcement).
func TestRuntimeRestartSameAddress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tweak := func(conf *Config) {
			conf.ProbeInterval = 50 * time.Millisecond
			conf.ProbeTimeout = 25 * time.Millisecond
			conf.SuspicionMult = 1
		}
		c := joinedCluster(t, 2, tweak)
		a, b := c.nodes[0], c.nodes[1]
		addr := b.ml.LocalNode().Address()
		if err := b.ml.Shutdown(); err != nil {
			t.Fatal(err)
		}
		rec := &recorder{name: "node-01", meta: []byte("v2")}
		conf := mockConfig("node-01", tweak)
		conf.Transport = restartTransport(c.net, "node-01", addr)
		conf.Delegate, conf.Events = rec, rec
		b2, err := Create(conf)
		if err != nil {
			t.Fatal(err)
		}
		defer b2.Shutdown()
		if _, err := b2.Join([]string{a.ml.LocalNode().Address()}); err != nil {
			t.Fatalf("rejoin: %v", err)
		}
		eventually(t, time.Minute, "the new metadata at the contact", func() bool {
			i := slices.IndexFunc(a.ml.Members(), func(n *Node) bool { return n.Name == "node-01" })
			return i >= 0 && string(a.ml.Members()[i].Meta) == "v2"
		})
		time.Sleep(10 * time.Second)
		synctest.Wait()
		var leaves []string
		var updates int
		a.rec.update(func(r *recorder) {
			for _, n := range r.leaves {
				leaves = append(leaves, n.Name)
			}
			updates = len(r.updates)
		})
		if len(leaves) != 0 || updates == 0 {
			t.Errorf("contact saw leaves %v and %d updates, want no leave and an update", leaves, updates)
		}
		if got := memberNames(a.ml.Members()); !slices.Equal(got, []string{"node-00", "node-01"}) {
			t.Errorf("contact lists %v", got)
		}
	})
}

// pairOneDown starts two joined nodes with tweak and sink, and shuts
// node-01 down; it returns the cluster (shut down when the test ends),
// node-00, and node-01's address.
func pairOneDown(t *testing.T, tweak func(*Config), sink metricSink) (*testCluster, *testNode, string) {
	t.Helper()
	c := newMockClusterWithSink(t, 2, tweak, sink)
	t.Cleanup(c.shutdown)
	c.joinAll()
	eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, 2) })
	addr := c.nodes[1].ml.LocalNode().Address()
	if err := c.nodes[1].ml.Shutdown(); err != nil {
		t.Fatal(err)
	}
	return c, c.nodes[0], addr
}

// serveKeyAt answers every stream dialled to tr as the node called name
// restarted with key would in its handshake (a HelloAccept with that key),
// then closes it: enough for a key check, nothing more. It answers each
// only once release is closed (nil: at once). It stops, and shuts tr
// down, when the test ends.
func serveKeyAt(t *testing.T, tr *MockTransport, name, addr string, key ed25519.PrivateKey, release <-chan struct{}) {
	t.Helper()
	if release == nil {
		open := make(chan struct{})
		close(open)
		release = open
	}
	done, stop := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(stop); _ = tr.Shutdown(); <-done })
	go func() {
		defer close(done)
		lim := defaultWireLimits()
		for {
			var c net.Conn
			select {
			case c = <-tr.StreamCh():
			case <-stop:
				return
			}
			if _, err := readMessageFrame(c, lim); err == nil {
				select {
				case <-release:
				case <-stop:
					_ = c.Close()
					return
				}
				accept := helloAcceptMsg{Version: wireVersion, Name: name, Addr: addr, Key: publicKey(key)}
				_ = writeMessageFrame(c, accept, lim)
			}
			_ = c.Close()
		}
	}()
}

// streamAs opens a stream from tr to node and completes a handshake as the
// node called name at addr.
func streamAs(t *testing.T, tr *MockTransport, node *Memberlist, name, addr string) net.Conn {
	t.Helper()
	lim := defaultWireLimits()
	conn, err := tr.DialAddressTimeout(Address{Addr: node.LocalNode().Address()}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	hello := helloMsg{VersionMin: 1, VersionMax: wireVersion, Name: name, Addr: addr}
	if err := writeMessageFrame(conn, hello, lim); err != nil {
		t.Fatal(err)
	}
	if msg, err := readMessageFrame(conn, lim); err != nil {
		t.Fatalf("handshake answer %+v: %v", msg, err)
	}
	return conn
}

// TestRuntimeNewKeyAnnouncementHeld: without TLS, a member restarted at
// its address with a new key sends its contact, which still binds the old
// key and lists the member alive, one announcement: alive one incarnation
// higher with new metadata. The contact holds it while its key check of
// the member runs, and when the address answers with the same new key it
// merges it (hyparlist.origin.held reason delivered); when the address
// answers with another key (the announcement was forged), it refuses it
// (reason origin_key) and keeps the record it had. No anti-entropy runs
// (PushPullInterval an hour), so the announcement is the only way the
// record can come. Before session 13 nothing was held without TLS: the
// announcement was refused and lost whatever the check found, which is
// the restart race of TestRuntimeRestartSameAddress made deterministic
// (there the restarted node's refutation was lost the same way whenever
// it reached the contact before the check had bound its key).
func TestRuntimeNewKeyAnnouncementHeld(t *testing.T) {
	for _, genuine := range []bool{true, false} {
		t.Run(fmt.Sprintf("genuine=%v", genuine), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sink := newInmemSink(time.Hour, time.Hour)
				c, a, addr := pairOneDown(t, func(conf *Config) { conf.PushPullInterval = time.Hour }, sink)
				_, key, _ := ed25519.GenerateKey(nil)
				answer := key
				if !genuine {
					_, answer, _ = ed25519.GenerateKey(nil)
				}
				holder := restartTransport(c.net, "node-01", addr)
				conn := streamAs(t, holder, a.ml, "node-01", addr)
				serveKeyAt(t, holder, "node-01", addr, answer, nil)
				rec := memberRecord{Name: "node-01", Addr: addr, Meta: []byte("v2"), State: memberStateAlive, Incarnation: 1}
				ann, err := appendAnnouncement(nil, []memberRecord{rec})
				if err != nil {
					t.Fatal(err)
				}
				g := signedGossip(key, "node-01", startSequence(time.Now()), ClassMembership, ann)
				if err := writeMessageFrame(conn, g, defaultWireLimits()); err != nil {
					t.Fatal(err)
				}
				eventually(t, time.Minute, "the announcement judged", func() bool {
					return counterSum(sink, "hyparlist.origin.held;reason=") > 0 ||
						counterSum(sink, "hyparlist.msg.refused;reason="+refusedOriginKey) > 0
				})
				synctest.Wait()
				var meta string
				if i := slices.IndexFunc(a.ml.Members(), func(n *Node) bool { return n.Name == "node-01" }); i >= 0 {
					meta = string(a.ml.Members()[i].Meta)
				}
				if genuine && meta != "v2" {
					t.Errorf("contact lists node-01 with metadata %q, want the announced v2", meta)
				}
				if !genuine && meta == "v2" {
					t.Error("contact took the forged announcement")
				}
				want := heldDelivered
				if !genuine {
					want = heldRefused
				}
				if n := counterSum(sink, "hyparlist.origin.held;reason="+want); n != 1 {
					t.Errorf("%v held broadcasts %s, want 1", n, want)
				}
				if n := heldCount(t, a.ml); n != 0 {
					t.Errorf("%d still held", n)
				}
			})
		})
	}
}
