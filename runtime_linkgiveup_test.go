// Runtime tests: a neighbour's link that went down before its stream
// opened keeps the frames its peer needs and gives up its dial when none
// is left (runtime_linkgiveup.go).

package hyparlist

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// holdDialers takes every free dialer slot of m and returns a function
// that gives them back.
func holdDialers(m *Memberlist) (release func()) {
	held := 0
	for m.dialers.tryAcquire() {
		held++
	}
	return func() {
		for range held {
			m.dialers.release()
		}
	}
}

// downLinkCase is a link from a to b, opened and then gone down while a
// had no free dialer slot (the storm's case): up makes a (and perhaps b)
// count the other as a neighbour, down makes a drop b.
type downLinkCase struct {
	name     string
	up, down func(t *testing.T, a, b, x *Memberlist)
	// givenUp: the link ends without a dial; peerCounts: b still counts a
	// at the end (it must not whenever a dropped it).
	givenUp bool
	// settled: a already has a neighbour y (active view of 2) when b comes
	// up, so that b is not its first: a neither announces itself to b nor
	// starts its join exchange with it (membership_neighbors.go), both of
	// which a down link keeps.
	settled bool
}

// TestRuntimeDownLinkFrames: with a's dialer slots all taken, a accepts
// b's high-priority NEIGHBOR (b counts a) and then evicts b for another
// node: its link to b has not dialled yet. b needs the DISCONNECT, or it
// keeps a neighbour only it counts until that link fails as silent. So
// the link keeps the DISCONNECT and dials once a slot frees. Fails on
// session 15's storm15 branch (a2ecc97), which gave such a link up with
// every frame: b still counted a. Where b cannot count a the DISCONNECT
// is dropped, but b, a's first neighbour, still gets a's announcement and
// join exchange: the link dials. Where b dropped a first and b was not
// a's first neighbour, nothing is left and the dial is given up at once
// (the give-up itself; fails without closeDownLink: the writer waits for
// a slot).
func TestRuntimeDownLinkFrames(t *testing.T) {
	evict := func(t *testing.T, a, b, x *Memberlist) {
		// A high-priority NEIGHBOR from x fills a's view of one: b is
		// evicted and told DISCONNECT.
		onLoop(t, a, func(l *runLoop) {
			l.onInbound(inbound{from: x.self, msg: neighborMsg{HighPriority: true}})
		})
		// x counts a, as after its own request, so that a's answer
		// does not make x disconnect a, and a stays busy with x.
		onLoop(t, x, func(l *runLoop) {
			l.onInbound(inbound{from: a.self, msg: neighborMsg{HighPriority: true}})
		})
	}
	cases := []downLinkCase{{
		name: "b asked, a evicts b",
		up: func(t *testing.T, a, b, x *Memberlist) {
			onLoop(t, a, func(l *runLoop) {
				l.onInbound(inbound{from: b.self, msg: neighborMsg{HighPriority: true}})
			})
			// b counts a, as after its own high-priority request.
			onLoop(t, b, func(l *runLoop) {
				l.onInbound(inbound{from: a.self, msg: neighborMsg{HighPriority: true}})
			})
		},
		down: evict,
	}, {
		name: "a asked, a evicts b before asking reached it",
		up: func(t *testing.T, a, b, x *Memberlist) {
			// A join walk from x ends at a: a adds b and asks it with
			// high priority.
			onLoop(t, a, func(l *runLoop) {
				l.onInbound(inbound{from: x.self, msg: forwardJoinMsg{Joiner: b.self, TTL: 0}})
			})
		},
		down: evict,
	}, {
		name: "b asked, b drops a first",
		up: func(t *testing.T, a, b, x *Memberlist) {
			onLoop(t, a, func(l *runLoop) {
				l.onInbound(inbound{from: b.self, msg: neighborMsg{HighPriority: true}})
			})
		},
		down: func(t *testing.T, a, b, x *Memberlist) {
			onLoop(t, a, func(l *runLoop) {
				l.onInbound(inbound{from: b.self, msg: disconnectMsg{Alive: true}})
			})
		},
		givenUp: true,
		settled: true,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sink := newInmemSink(time.Hour, time.Hour)
				view := 1
				if tc.settled {
					view = 2
				}
				c := newMockClusterWithSink(t, 4, func(c *Config) { c.ActiveViewSize, c.ShuffleActive = view, 1 }, sink)
				defer c.shutdown()
				a, b, x, y := c.nodes[0].ml, c.nodes[1].ml, c.nodes[2].ml, c.nodes[3].ml
				if tc.settled {
					// a dials y only once both count each other: an
					// accepted reply from a that reached y first would be
					// one y never asked for, which y answers with a
					// DISCONNECT (hyparview_repair.go), and a would lose y
					// (6 of 40 runs before).
					holdA := holdDialers(a)
					onLoop(t, a, func(l *runLoop) {
						l.onInbound(inbound{from: y.self, msg: neighborMsg{HighPriority: true}})
					})
					onLoop(t, y, func(l *runLoop) {
						l.onInbound(inbound{from: a.self, msg: neighborMsg{HighPriority: true}})
					})
					holdA()
					// Let a's link to y finish its dial and give its
					// slot back, so that b's link finds none.
					for synctest.Wait(); a.dialers.inUse() > 0; synctest.Wait() {
						time.Sleep(time.Millisecond)
					}
				}
				release := holdDialers(a)
				tc.up(t, a, b, x)
				synctest.Wait()
				var k *outLink
				onLoop(t, a, func(l *runLoop) {
					if !l.hv.isActive(b.self.Name) {
						t.Fatal("a does not count b")
					}
					k = l.links[b.self.Name]
				})
				if k == nil {
					t.Fatal("a has no link to b")
				}
				tc.down(t, a, b, x)
				synctest.Wait()
				onLoop(t, a, func(l *runLoop) {
					if l.hv.isActive(b.self.Name) {
						t.Fatal("a still counts b")
					}
				})
				select {
				case <-k.done:
					if !tc.givenUp {
						t.Error("the link ended without a slot, dropping what b needs")
					}
				default:
					if tc.givenUp {
						t.Error("the link still waits for a slot with nothing b needs")
					}
				}
				if n := counterSum(sink, "hyparlist.link.down_unsent"); (n == 1) != tc.givenUp {
					t.Errorf("link.down_unsent = %v, given up %v", n, tc.givenUp)
				}
				release()
				<-k.done
				synctest.Wait()
				onLoop(t, b, func(l *runLoop) {
					if l.hv.isActive(a.self.Name) {
						t.Error("b still counts a, which dropped it: the DISCONNECT never came")
					}
				})
				if n := a.dialers.inUse(); n != 0 {
					t.Errorf("%d slots in use at the end, want 0", n)
				}
			})
		})
	}
}

// TestRuntimeDownLinkKeepsNeeded: of the frames queued on a link gone
// down before its stream opened, only the DISCONNECT (unless the link
// still holds this node's own high-priority NEIGHBOR and no accepted
// reply), the walks, ClassMembership gossip and the member list's
// exchanges stay, and a link that keeps a DISCONNECT dials
// ahead of others; an opened link keeps everything.
func TestRuntimeDownLinkKeepsNeeded(t *testing.T) {
	frames := func(k *outLink) []MessageType {
		var got []MessageType
		for f, ok := k.take(); ok; f, ok = k.take() {
			if f.msg != nil {
				got = append(got, f.msg.Type())
			}
		}
		return got
	}
	p := Peer{Name: "p", Addr: "p:1"}
	cases := []struct {
		name string
		msgs []Message
		want []MessageType
	}{
		{"accepted then evicted", []Message{neighborReplyMsg{Accepted: true}, ihaveMsg{}, keepaliveMsg{}, disconnectMsg{Alive: true}},
			[]MessageType{typeDisconnect}},
		{"own request then evicted", []Message{neighborMsg{HighPriority: true}, pruneMsg{}, disconnectMsg{Alive: true}}, nil},
		{"own request crossed with the peer's", []Message{neighborMsg{HighPriority: true}, neighborReplyMsg{Accepted: true}, disconnectMsg{Alive: true}},
			[]MessageType{typeDisconnect}},
		{"walks", []Message{forwardJoinMsg{Joiner: p}, shuffleMsg{Origin: p}, gossipMsg{Class: ClassUser}, graftMsg{}},
			[]MessageType{typeForwardJoin, typeShuffle}},
		{"member list", []Message{pingMsg{}, gossipMsg{Class: ClassMembership}, memberDigestMsg{Join: true}, memberBucketsMsg{},
			memberRecordsMsg{}, memberUserStateMsg{}, gossipMsg{Class: ClassUser}, linkPingMsg{}},
			[]MessageType{typeGossip, typeMemberDigest, typeMemberBuckets, typeMemberRecords, typeMemberUserState}},
	}
	for _, tc := range cases {
		k := newOutLink(p, 16, 1<<20)
		for _, m := range tc.msgs {
			if ok, _ := k.push(outFrame{msg: m}); !ok {
				t.Fatalf("%s: queue full", tc.name)
			}
		}
		dropped, left, unopened := k.keepNeeded()
		if urgent := slices.Contains(tc.want, typeDisconnect); k.dialUrgent() != urgent {
			t.Errorf("%s: dial urgent %v, want %v (a DISCONNECT kept)", tc.name, k.dialUrgent(), urgent)
		}
		got := frames(k)
		if !unopened || left != len(tc.want) || dropped != len(tc.msgs)-len(tc.want) || !slices.Equal(got, tc.want) {
			t.Errorf("%s: kept %v (left %d, dropped %d, unopened %v), want %v", tc.name, got, left, dropped, unopened, tc.want)
		}
	}
	k := newOutLink(p, 16, 1<<20)
	k.conn = &mockConn{}
	k.push(outFrame{msg: ihaveMsg{}})
	if dropped, _, unopened := k.keepNeeded(); unopened || dropped != 0 {
		t.Errorf("an open link dropped %d frames (unopened %v)", dropped, unopened)
	}
	// A link whose dial failed before the loop learnt of it has no dial
	// to give up: not counted in down_unsent (unopened true before).
	k = newOutLink(p, 16, 1<<20)
	k.finish()
	k.push(outFrame{msg: ihaveMsg{}})
	if dropped, _, unopened := k.keepNeeded(); unopened || dropped != 0 {
		t.Errorf("a link whose writer ended dropped %d frames (unopened %v)", dropped, unopened)
	}
}

// queuedMembershipGossip returns the IDs of the ClassMembership gossip
// queued on k, leaving its queues as they were.
func queuedMembershipGossip(k *outLink) []MessageID {
	q := &k.linkQueues
	q.mu.Lock()
	defer q.mu.Unlock()
	var ids []MessageID
	for _, fifo := range [2]*frameFIFO{&q.ctrl, &q.user} {
		var fs []outFrame
		for f, ok := fifo.pop(); ok; f, ok = fifo.pop() {
			fs = append(fs, f)
		}
		for _, f := range fs {
			if g, ok := f.msg.(gossipMsg); ok && g.Class == ClassMembership {
				ids = append(ids, g.ID)
			}
			fifo.push(f)
		}
	}
	return ids
}

// TestRuntimeDownLinkKeepsAnnouncement: with a's dialer slots all taken,
// a accepts b's high-priority NEIGHBOR, its first neighbour, and
// announces its own record: the Plumtree broadcast goes eagerly to b
// alone, with no IHAVE elsewhere. a then evicts b before the link has
// dialled. The announcement (as a refutation would) must still reach b:
// it is lost for good otherwise, and a live member's suspicion could
// expire. Fails on 695cdeb, which dropped every gossip of a down link:
// b never saw the announcement.
func TestRuntimeDownLinkKeepsAnnouncement(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 3, func(c *Config) { c.ActiveViewSize, c.ShuffleActive = 1, 1 })
		defer c.shutdown()
		a, b, x := c.nodes[0].ml, c.nodes[1].ml, c.nodes[2].ml
		release := holdDialers(a)
		onLoop(t, a, func(l *runLoop) {
			l.onInbound(inbound{from: b.self, msg: neighborMsg{HighPriority: true}})
		})
		onLoop(t, b, func(l *runLoop) {
			l.onInbound(inbound{from: a.self, msg: neighborMsg{HighPriority: true}})
		})
		synctest.Wait()
		var k *outLink
		onLoop(t, a, func(l *runLoop) { k = l.links[b.self.Name] })
		if k == nil {
			t.Fatal("a has no link to b")
		}
		ids := queuedMembershipGossip(k)
		if len(ids) == 0 {
			t.Fatal("a's announcement is not queued for b")
		}
		// A high-priority NEIGHBOR from x evicts b.
		onLoop(t, a, func(l *runLoop) {
			l.onInbound(inbound{from: x.self, msg: neighborMsg{HighPriority: true}})
		})
		onLoop(t, x, func(l *runLoop) {
			l.onInbound(inbound{from: a.self, msg: neighborMsg{HighPriority: true}})
		})
		synctest.Wait()
		onLoop(t, a, func(l *runLoop) {
			if l.hv.isActive(b.self.Name) {
				t.Fatal("a still counts b")
			}
		})
		release()
		<-k.done
		synctest.Wait()
		onLoop(t, b, func(l *runLoop) {
			for _, id := range ids {
				if !l.pt.known(id) {
					t.Errorf("b never got a's announcement %v", id)
				}
			}
		})
	})
}
