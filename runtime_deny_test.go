package hyparlist

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// Tests of the deny list of vetoed nodes (runtime_deny.go); the veto
// scenarios are in runtime_delegates_test.go.

// TestDenyList: entries expire, can be lifted, and the list stays within
// maxDeniedPeers by dropping the expired entries, else the one that
// expires first.
func TestDenyList(t *testing.T) {
	var d denyList
	now := time.Unix(1000, 0)
	if d.denied("a", now) {
		t.Fatal("empty list denies")
	}
	d.add("a", now.Add(time.Minute), now)
	if !d.denied("a", now.Add(59*time.Second)) || d.denied("a", now.Add(time.Minute)) {
		t.Error("a not denied for exactly its minute")
	}
	if d.len() != 0 {
		t.Errorf("expired entry kept: %d entries", d.len())
	}
	d.add("b", now.Add(time.Minute), now)
	d.remove("b")
	if d.denied("b", now) {
		t.Error("removed entry still denied")
	}

	for i := range maxDeniedPeers {
		d.add(fmt.Sprintf("n%04d", i), now.Add(time.Hour+time.Duration(i)*time.Second), now)
	}
	d.add("late", now.Add(2*time.Hour), now)
	if d.len() != maxDeniedPeers || d.denied("n0000", now) || !d.denied("n0001", now) || !d.denied("late", now) {
		t.Errorf("full list: %d entries, n0000 %v, n0001 %v, late %v; want the first to expire evicted",
			d.len(), d.denied("n0000", now), d.denied("n0001", now), d.denied("late", now))
	}
	// Expired entries make room before live ones.
	later := now.Add(time.Hour + 10*time.Second + time.Millisecond) // n0001..n0010 expired
	d.add("new", later.Add(time.Minute), later)
	if d.len() != maxDeniedPeers-10+1 || !d.denied("n0011", later) || !d.denied("new", later) {
		t.Errorf("after expiry: %d entries, n0011 %v, new %v", d.len(), d.denied("n0011", later), d.denied("new", later))
	}
}

// onLoop runs f on m's loop goroutine and waits for it.
func onLoop(t *testing.T, m *Memberlist, f func(l *runLoop)) {
	t.Helper()
	done := make(chan struct{})
	if err := m.submit(loopFunc(func(l *runLoop) { f(l); close(done) })); err != nil {
		t.Fatal(err)
	}
	<-done
}

// TestRuntimeDenyScreen: messages from a denied node, and FORWARD_JOIN
// walks for one, are dropped; shuffles lose the denied peers and keep the
// others in order.
func TestRuntimeDenyScreen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 1, nil)
		defer c.shutdown()
		a, b, evil := Peer{Name: "a", Addr: "a:1"}, Peer{Name: "b", Addr: "b:1"}, Peer{Name: "evil", Addr: "e:1"}
		onLoop(t, c.nodes[0].ml, func(l *runLoop) {
			shuffle := []Peer{a, b}
			if in, ok := l.screen(inbound{from: a, msg: shuffleMsg{Origin: a, Peers: shuffle}}); !ok || &in.msg.(shuffleMsg).Peers[0] != &shuffle[0] {
				t.Errorf("empty deny list changed a shuffle")
			}
			l.m.deny.add(evil.Name, l.now.Add(time.Minute), l.now)
			cases := []struct {
				name string
				in   inbound
				ok   bool
				want Message
			}{
				{"from denied", inbound{from: evil, msg: keepaliveMsg{}}, false, nil},
				{"join from denied", inbound{from: evil, msg: joinMsg{}}, false, nil},
				{"walk for denied", inbound{from: a, msg: forwardJoinMsg{Joiner: evil, TTL: 3}}, false, nil},
				{"walk for another", inbound{from: a, msg: forwardJoinMsg{Joiner: b, TTL: 3}}, true, forwardJoinMsg{Joiner: b, TTL: 3}},
				{"shuffle", inbound{from: a, msg: shuffleMsg{Origin: a, TTL: 2, Peers: []Peer{a, evil, b}}}, true, shuffleMsg{Origin: a, TTL: 2, Peers: []Peer{a, b}}},
				{"shuffle reply of denied only", inbound{from: a, msg: shuffleReplyMsg{Peers: []Peer{evil}}}, true, shuffleReplyMsg{Peers: []Peer{}}},
				{"gossip", inbound{from: a, msg: pruneMsg{}}, true, pruneMsg{}},
			}
			for _, tc := range cases {
				in, ok := l.screen(tc.in)
				if ok != tc.ok || (ok && !reflect.DeepEqual(in.msg, tc.want)) {
					t.Errorf("%s: screen = %+v, %v; want %+v, %v", tc.name, in.msg, ok, tc.want, tc.ok)
				}
			}
			// HyParView's messages to a denied node are not sent: no link
			// is opened to it.
			l.feed(coreHyParView, JoinCluster{Contact: evil})
			l.feed(coreHyParView, JoinCluster{Contact: b})
			l.runQueue()
			if l.links[evil.Name] != nil || l.links[b.Name] == nil {
				t.Errorf("links after JOINs to evil and b: %v; want b's only", l.linkNames())
			}
		})
	})
}

// TestRuntimeDenyHandshakeAndJoin: a denied node's connections are refused
// at the handshake with RejectVetoed; an explicit Join through a denied
// node lifts its deny.
func TestRuntimeDenyHandshakeAndJoin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 2, nil)
		defer c.shutdown()
		a, b := c.nodes[0].ml, c.nodes[1].ml
		deny := func(m *Memberlist, name string) {
			onLoop(t, m, func(l *runLoop) { l.m.deny.add(name, l.now.Add(vetoDenyTime), l.now) })
		}
		deny(a, "node-01")
		_, err := b.Join([]string{a.LocalNode().Address()})
		var rej *rejectedError
		if !errors.As(err, &rej) || rej.reason != rejectVetoed {
			t.Fatalf("Join of a denied node = %v, want a RejectVetoed refusal", err)
		}
		onLoop(t, a, func(l *runLoop) { l.m.deny.remove("node-01") })

		deny(b, "node-00")
		if got, err := b.Join([]string{a.LocalNode().Address()}); got != 1 || err != nil {
			t.Fatalf("explicit Join through a denied node = %d, %v", got, err)
		}
		eventually(t, time.Minute, "the two nodes linked", func() bool {
			return slices.Equal(memberNames(a.Neighbors()), []string{"node-01"}) && allSee(c.nodes, 2)
		})
		// After vetoDenyTime the deny lapses by itself.
		deny(a, "node-09")
		time.Sleep(vetoDenyTime)
		onLoop(t, a, func(l *runLoop) {
			if l.denied("node-09") {
				t.Errorf("deny still in force after vetoDenyTime")
			}
		})
	})
}
