package hyparlist

import (
	"bytes"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// withKeys returns a config tweak giving a node its own keyring holding
// keys, the first one primary, and the two GossipVerify settings.
func withKeys(t *testing.T, verifyIn, verifyOut bool, keys ...[]byte) func(*Config) {
	return func(c *Config) {
		if len(keys) > 0 {
			c.Keyring = mustKeyring(t, keys...)
		}
		c.GossipVerifyIncoming, c.GossipVerifyOutgoing = verifyIn, verifyOut
	}
}

// checkTraffic has every node of nodes broadcast, and send to every other
// node with SendReliable, SendBestEffort and Ping, and waits until all of
// it has arrived. tag makes the payloads of one call unique.
func checkTraffic(t *testing.T, tag string, nodes ...*testNode) {
	t.Helper()
	for _, from := range nodes {
		if err := from.ml.Broadcast([]byte(tag + " broadcast from " + from.rec.name)); err != nil {
			t.Fatalf("%s: broadcast: %v", from.rec.name, err)
		}
		for _, to := range nodes {
			if to == from {
				continue
			}
			target := to.ml.LocalNode()
			if err := from.ml.SendReliable(target, []byte(tag+" reliable "+from.rec.name)); err != nil {
				t.Fatalf("%s: SendReliable to %s: %v", from.rec.name, to.rec.name, err)
			}
			if err := from.ml.SendBestEffort(target, []byte(tag+" packet "+from.rec.name)); err != nil {
				t.Fatalf("%s: SendBestEffort to %s: %v", from.rec.name, to.rec.name, err)
			}
			if _, err := from.ml.Ping(target.Name, mockAddr(target.Address())); err != nil {
				t.Fatalf("%s: Ping %s: %v", from.rec.name, to.rec.name, err)
			}
		}
	}
	for _, to := range nodes {
		for _, from := range nodes {
			if to == from {
				continue
			}
			for _, kind := range []string{"broadcast from", "reliable", "packet"} {
				p := []byte(tag + " " + kind + " " + from.rec.name)
				eventually(t, time.Minute, fmt.Sprintf("%s to receive %q", to.rec.name, p), func() bool { return to.rec.count(p) == 1 })
			}
		}
	}
}

// checkRefused checks that outsider cannot join through member, and that
// neither side lists the other afterwards.
func checkRefused(t *testing.T, outsider, member *testNode) {
	t.Helper()
	n, err := outsider.ml.Join([]string{member.ml.LocalNode().Address()})
	if n != 0 || err == nil {
		t.Fatalf("%s joined through %s: Join = %d, %v", outsider.rec.name, member.rec.name, n, err)
	}
	time.Sleep(10 * time.Second) // let anything that got through spread
	synctest.Wait()
	if names := memberNames(member.ml.Members()); slices.Contains(names, outsider.rec.name) {
		t.Errorf("%s lists the refused %s: %v", member.rec.name, outsider.rec.name, names)
	}
	if names := memberNames(outsider.ml.Members()); !slices.Equal(names, []string{outsider.rec.name}) {
		t.Errorf("the refused %s lists %v", outsider.rec.name, names)
	}
}

// TestRuntimeEncryptedCluster runs nodes that share a SecretKey: joins,
// broadcasts and direct messages work; a node with another key, or with
// none, cannot join and its packets are dropped; the failures are counted.
func TestRuntimeEncryptedCluster(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		key := testKey(0x42, 32)
		sink := newInmemSink(time.Hour, time.Hour)
		c := newMockClusterWithSink(t, 3, func(conf *Config) { conf.SecretKey = key }, sink)
		defer c.shutdown()
		for _, n := range c.nodes {
			if kr := n.ml.config.Keyring; kr == nil || !slices.EqualFunc(kr.GetKeys(), [][]byte{key}, bytesEqual) {
				t.Fatalf("%s: keyring not built from SecretKey", n.rec.name)
			}
		}
		c.joinAll()
		eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, 3) })
		checkTraffic(t, "shared key", c.nodes...)

		intruder := c.addWithSink("intruder", func(conf *Config) { conf.SecretKey = testKey(0x43, 32) }, sink)
		plain := c.addWithSink("plain", nil, sink)
		for _, outsider := range []*testNode{intruder, plain} {
			checkRefused(t, outsider, c.nodes[0])
			target := c.nodes[1]
			if err := outsider.ml.SendBestEffort(target.ml.LocalNode(), []byte("from "+outsider.rec.name)); err != nil {
				t.Fatal(err)
			}
			if err := outsider.ml.SendReliable(target.ml.LocalNode(), []byte("from "+outsider.rec.name)); err == nil {
				t.Errorf("%s: SendReliable to an encrypted node succeeded", outsider.rec.name)
			}
			synctest.Wait()
			if got := target.rec.count([]byte("from " + outsider.rec.name)); got != 0 {
				t.Errorf("%s: %d messages delivered", outsider.rec.name, got)
			}
		}
		// The plain node cannot read what the encrypted nodes send either.
		if n, err := c.nodes[2].ml.Join([]string{plain.ml.LocalNode().Address()}); n != 0 || err == nil {
			t.Errorf("an encrypted node joined a plain one: %d, %v", n, err)
		}
		if err := c.nodes[2].ml.SendBestEffort(plain.ml.LocalNode(), []byte("sealed")); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := plain.rec.count([]byte("sealed")); got != 0 {
			t.Errorf("a plain node delivered a sealed packet")
		}
		for _, reason := range []string{"no_matching_key", "unencrypted", "not_configured"} {
			if keys := counterKeys(sink, "hyparlist.msg.decrypt_failed"); !slices.ContainsFunc(keys, func(k string) bool { return strings.Contains(k, reason) }) {
				t.Errorf("no decrypt_failed counter for %s; have %v", reason, keys)
			}
		}
	})
}

// TestRuntimeKeyRotation rotates the key of a running cluster the way
// memberlist documents it: install the new key everywhere, make it primary
// everywhere, remove the old one everywhere. Traffic flows at every step;
// at the end a node holding only the old key is refused.
func TestRuntimeKeyRotation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		oldKey, newKey := testKey(1, 16), testKey(2, 24)
		c := newMockCluster(t, 3, withKeys(t, true, true, oldKey))
		defer c.shutdown()
		c.joinAll()
		eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, 3) })
		checkTraffic(t, "old key", c.nodes...)

		step := func(name string, f func(*Keyring) error) {
			t.Helper()
			for i, n := range c.nodes {
				if err := f(n.ml.config.Keyring); err != nil {
					t.Fatalf("%s on %s: %v", name, n.rec.name, err)
				}
				// Mixed states, one node ahead of the others, must work.
				checkTraffic(t, fmt.Sprintf("%s %d", name, i), c.nodes...)
			}
		}
		step("AddKey", func(k *Keyring) error { return k.AddKey(newKey) })
		step("UseKey", func(k *Keyring) error { return k.UseKey(newKey) })
		step("RemoveKey", func(k *Keyring) error { return k.RemoveKey(oldKey) })
		if !allSee(c.nodes, 3) {
			t.Fatal("the rotation cost members")
		}

		stale := c.add("stale", withKeys(t, true, true, oldKey))
		checkRefused(t, stale, c.nodes[1])
		fresh := c.add("fresh", withKeys(t, true, true, newKey))
		if n, err := fresh.ml.Join([]string{c.nodes[1].ml.LocalNode().Address()}); n != 1 || err != nil {
			t.Fatalf("a node with the new key: Join = %d, %v", n, err)
		}
		eventually(t, time.Minute, "the new node to be listed", func() bool {
			return allSee(append(slices.Clone(c.nodes[:3]), fresh), 4)
		})
	})
}

// TestRuntimeEncryptionMigration moves to encryption as memberlist
// documents it: nodes first get the key with GossipVerifyIncoming and
// GossipVerifyOutgoing off, then turn GossipVerifyOutgoing on, then
// GossipVerifyIncoming. Each pair of neighbouring stages must talk; a
// strict node refuses a plain one.
func TestRuntimeEncryptionMigration(t *testing.T) {
	key := testKey(9, 32)
	plain := withKeys(t, true, true)
	keyed := withKeys(t, false, false, key)  // stage 1
	sending := withKeys(t, false, true, key) // stage 2
	strict := withKeys(t, true, true, key)   // stage 3
	for _, tc := range []struct {
		name string
		a, b func(*Config)
	}{
		{"plain and keyed", plain, keyed},
		{"keyed and sending", keyed, sending},
		{"sending and strict", sending, strict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newMockCluster(t, 0, nil)
				defer c.shutdown()
				a, b := c.add("a", tc.a), c.add("b", tc.b)
				if n, err := a.ml.Join([]string{b.ml.LocalNode().Address()}); n != 1 || err != nil {
					t.Fatalf("Join = %d, %v", n, err)
				}
				eventually(t, time.Minute, "membership", func() bool { return allSee(c.nodes, 2) })
				checkTraffic(t, tc.name, a, b)
			})
		})
	}
	t.Run("plain and strict", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := newMockCluster(t, 0, nil)
			defer c.shutdown()
			p, s := c.add("p", plain), c.add("s", strict)
			checkRefused(t, p, s)
			checkRefused(t, s, p)
		})
	})
}

// TestCreateWritesKeyringBack checks that Create stores the keyring it
// builds from SecretKey in the caller's Config, as memberlist does, so
// that keys can be rotated through it.
func TestCreateWritesKeyringBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		network := newMockNetwork(nil)
		conf := mockConfig("n", nil)
		conf.Transport = network.NewTransport("n")
		conf.SecretKey = testKey(5, 16)
		m, err := Create(conf)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Shutdown()
		if conf.Keyring == nil || conf.Keyring != m.config.Keyring {
			t.Fatalf("conf.Keyring = %p, the node's %p", conf.Keyring, m.config.Keyring)
		}
		if !conf.EncryptionEnabled() {
			t.Fatal("encryption not enabled")
		}
		// An existing keyring gets SecretKey as its primary key.
		other := testKey(6, 32)
		conf2 := mockConfig("n2", nil)
		conf2.Transport = network.NewTransport("n2")
		conf2.Keyring = mustKeyring(t, other)
		conf2.SecretKey = testKey(5, 16)
		m2, err := Create(conf2)
		if err != nil {
			t.Fatal(err)
		}
		defer m2.Shutdown()
		if got := conf2.Keyring.GetKeys(); len(got) != 2 || !bytesEqual(got[0], conf2.SecretKey) || !bytesEqual(got[1], other) {
			t.Fatalf("keys %x", got)
		}
	})
}

// bytesEqual is bytes.Equal, for slices.EqualFunc.
func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

// tapTransport records every byte its node writes on the streams it dials
// and in the packets it sends.
type tapTransport struct {
	*MockTransport
	mu     sync.Mutex
	writes [][]byte
}

func (t *tapTransport) record(b []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writes = append(t.writes, bytes.Clone(b))
}

// recorded returns the writes so far.
func (t *tapTransport) recorded() [][]byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.writes)
}

func (t *tapTransport) DialAddressTimeout(a Address, d time.Duration) (net.Conn, error) {
	c, err := t.MockTransport.DialAddressTimeout(a, d)
	if err != nil {
		return nil, err
	}
	return &tapConn{Conn: c, tap: t}, nil
}

func (t *tapTransport) WriteToAddress(b []byte, a Address) (time.Time, error) {
	t.record(b)
	return t.MockTransport.WriteToAddress(b, a)
}

// tapConn is a stream whose writes a tapTransport records.
type tapConn struct {
	net.Conn
	tap *tapTransport
}

func (c *tapConn) Write(b []byte) (int, error) {
	c.tap.record(b)
	return c.Conn.Write(b)
}

// tweakLabel is the label of TestRuntimeEncryptedWire: it travels in the
// clear in packet headers only.
const tweakLabel = "label-in-the-clear-only-in-packets"

// TestRuntimeEncryptedWire looks at the bytes a node sends: with a key,
// every stream write (handshake included) and every packet is sealed, and
// neither the payloads nor the names nor the label show; without a key
// they do (which shows the tap sees the traffic).
func TestRuntimeEncryptedWire(t *testing.T) {
	for _, encrypted := range []bool{true, false} {
		t.Run(fmt.Sprintf("encrypted=%v", encrypted), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tweak := func(c *Config) {
					c.Label = tweakLabel
					if encrypted {
						c.SecretKey = testKey(8, 32)
					}
				}
				c := newMockCluster(t, 0, nil)
				defer c.shutdown()
				b := c.add("receiver-node", tweak)
				tap := &tapTransport{MockTransport: c.net.NewTransport("sender-node")}
				a := c.add("sender-node", func(conf *Config) {
					tweak(conf)
					conf.Transport = tap
				})
				if n, err := a.ml.Join([]string{b.ml.LocalNode().Address()}); n != 1 || err != nil {
					t.Fatalf("Join = %d, %v", n, err)
				}
				eventually(t, time.Minute, "membership", func() bool { return allSee(c.nodes, 2) })
				checkTraffic(t, "confidential", a, b)

				secrets := []string{"confidential", "receiver-node", "sender-node"}
				var streamWrites, packets int
				for _, w := range tap.recorded() {
					body, label, err := RemoveLabelHeaderFromPacket(w)
					if err != nil {
						t.Fatal(err)
					}
					if label != "" {
						packets++
					} else {
						streamWrites++
						body = w
					}
					leaked := slices.ContainsFunc(secrets, func(s string) bool { return bytes.Contains(body, []byte(s)) }) ||
						bytes.Contains(body, []byte(tweakLabel))
					if encrypted && (body[0] != sealedMarker && body[0] != freshMarker || leaked) {
						t.Fatalf("write not sealed or leaking: %q", w)
					}
					if !encrypted && body[0] == sealedMarker {
						t.Fatalf("sealed write without a key: %x", w)
					}
				}
				if streamWrites == 0 || packets == 0 {
					t.Fatalf("tapped %d stream writes and %d packets", streamWrites, packets)
				}
				if !encrypted && !slices.ContainsFunc(tap.recorded(), func(w []byte) bool { return bytes.Contains(w, []byte("confidential")) }) {
					t.Fatal("the tap did not see the plain payloads")
				}
			})
		})
	}
}
