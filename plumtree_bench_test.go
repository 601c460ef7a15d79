package hyparlist

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// Benchmarks of the Plumtree hot paths, on a node with HyParView's active
// view of 5: the parent p0 and child p1 eager, p2–p4 lazy. Payloads are
// 256 bytes. Building the Receive event in the loop costs the benchmark
// itself two allocations (boxing the message and the event) in the
// ReceiveGossipNew benchmark; the others reuse prebuilt events.

func newPtBenchNode(b *testing.B) *Plumtree {
	b.Helper()
	pt, err := NewPlumtree(Peer{Name: "me", Addr: "me:1"}, DefaultPlumtreeConfig(), rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []string{"p0", "p1", "p2", "p3", "p4"} {
		pt.Step(ptEpoch, NeighborUp{Peer: Peer{Name: n, Addr: n + ":1"}})
	}
	for _, n := range []string{"p2", "p3", "p4"} {
		pt.Step(ptEpoch, Receive{From: Peer{Name: n, Addr: n + ":1"}, Msg: pruneMsg{}})
	}
	pt.Drain()
	return pt
}

// BenchmarkPlumtreeReceiveGossipNew: a new payload from the eager parent
// is delivered, cached, pushed to the eager child and queued for three lazy
// peers; the IHAVE window is flushed every 64 messages. The cost of expiry,
// eviction and flushing is included. Two message rates:
//   - rate=10ps: virtual time advances 100ms per message, so the node holds
//     about 300 cached payloads and 900 seen IDs (a busy cluster);
//   - rate=100kps: 10µs per message; the seen set (65536) and the cache
//     (16 MiB) are full, every message evicts, and the tables no longer
//     fit in the CPU caches.
func BenchmarkPlumtreeReceiveGossipNew(b *testing.B) {
	for _, bc := range []struct {
		name string
		gap  time.Duration
	}{{"rate=10ps", 100 * time.Millisecond}, {"rate=100kps", 10 * time.Microsecond}} {
		b.Run(bc.name, func(b *testing.B) {
			receiveNewEach(b, newPtBenchNode(b), 0, bc.gap)
		})
	}
}

// BenchmarkPlumtreeReceiveGossipDuplicate: a payload already delivered
// arrives again from a lazy peer and is answered with PRUNE.
func BenchmarkPlumtreeReceiveGossipDuplicate(b *testing.B) {
	pt := newPtBenchNode(b)
	g := gossipMsg{ID: MessageID{Origin: "origin", Seq: 1}, Round: 3, Payload: make([]byte, 256)}
	pt.Step(ptEpoch, Receive{From: Peer{Name: "p0", Addr: "p0:1"}, Msg: g})
	pt.Drain()
	var dup Event = Receive{From: Peer{Name: "p2", Addr: "p2:1"}, Msg: g}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		pt.Step(ptEpoch, dup)
		pt.Drain()
	}
}

// BenchmarkPlumtreeIHaveBatch: one op handles an IHAVE of 32
// announcements from a lazy peer.
//   - unseen: the messages are missing; the op also fires the graft timer
//     (one batched GRAFT) and the second timer CacheTTL later (the
//     entries expire and are forgotten), so the table does not grow.
//   - seen: the messages were delivered already (the common case); each
//     entry costs a lookup and the optimisation test.
//   - flush: the sending side; 32 announcements are queued for each of
//     the three lazy peers and the window closes: three IHAVEs.
func BenchmarkPlumtreeIHaveBatch(b *testing.B) {
	const batch = 32
	lazy := Peer{Name: "p2", Addr: "p2:1"}

	b.Run("unseen", func(b *testing.B) {
		pt := newPtBenchNode(b)
		ihaves := make([]Event, 64)
		for k := range ihaves {
			ih := ihaveMsg{Entries: make([]ihaveEntry, batch)}
			for j := range ih.Entries {
				ih.Entries[j] = ihaveEntry{ID: MessageID{Origin: "origin", Seq: uint64(k*batch + j)}, Round: 2}
			}
			ihaves[k] = Receive{From: lazy, Msg: ih}
		}
		ttl := DefaultPlumtreeConfig().CacheTTL
		now := ptEpoch
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			pt.Step(now, ihaves[i%len(ihaves)])
			t1 := pt.Drain()[0].(SetTimer).Timer
			pt.Step(now, TimerFired{Timer: t1})
			acts := pt.Drain()
			t2 := acts[len(acts)-1].(SetTimer).Timer
			now = now.Add(ttl) // the entries expire at the second timer
			pt.Step(now, TimerFired{Timer: t2})
			pt.Drain()
		}
		if len(pt.missing.m) != 0 {
			b.Fatalf("missing table grew to %d", len(pt.missing.m))
		}
	})

	b.Run("seen", func(b *testing.B) {
		pt := newPtBenchNode(b)
		ih := ihaveMsg{Entries: make([]ihaveEntry, batch)}
		for j := range ih.Entries {
			id := MessageID{Origin: "origin", Seq: uint64(j)}
			ih.Entries[j] = ihaveEntry{ID: id, Round: 2}
			pt.Step(ptEpoch, Receive{From: Peer{Name: "p0", Addr: "p0:1"}, Msg: gossipMsg{ID: id, Round: 3}})
		}
		pt.Drain()
		var ev Event = Receive{From: lazy, Msg: ih}
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			pt.Step(ptEpoch, ev)
			pt.Drain()
		}
	})

	b.Run("flush", func(b *testing.B) {
		pt := newPtBenchNode(b)
		entries := make([]ihaveEntry, batch)
		for j := range entries {
			entries[j] = ihaveEntry{ID: MessageID{Origin: "origin", Seq: uint64(j)}, Round: 3}
		}
		flush := TimerFired{Timer: pt.flushTimer}
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			for i := range pt.peers.list {
				if !pt.peers.list[i].eager {
					for _, e := range entries {
						pt.lazyPush(i, e)
					}
				}
			}
			pt.Step(ptEpoch, flush)
			pt.Drain()
		}
	})
}

// BenchmarkPlumtreeReceiveGossipGapCheck: a new payload of root "origin"
// from its eager parent, with per-root trees on and 64 messages of other
// roots missing (announced, not yet received), so that each payload looks
// up the 16 numbers behind it, on its root's own tree and on the shared
// tree, for a gap to graft (plumtree_gap.go) and finds none. Virtual time
// advances 1 ms per message.
func BenchmarkPlumtreeReceiveGossipGapCheck(b *testing.B) {
	cfg := DefaultPlumtreeConfig()
	cfg.MaxTrees = 1024
	pt, err := NewPlumtree(Peer{Name: "me", Addr: "me:1"}, cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []string{"p0", "p1", "p2", "p3", "p4"} {
		pt.Step(ptEpoch, NeighborUp{Peer: Peer{Name: n, Addr: n + ":1"}})
	}
	from, lazy := Peer{Name: "p0", Addr: "p0:1"}, Peer{Name: "p2", Addr: "p2:1"}
	var ih ihaveMsg
	for k := range 64 {
		ih.Entries = append(ih.Entries, ihaveEntry{ID: MessageID{Origin: fmt.Sprintf("other-%02d", k), Seq: 1}, Round: 1})
	}
	pt.Step(ptEpoch, Receive{From: lazy, Msg: ih})
	payload := make([]byte, 256)
	pt.Step(ptEpoch, Receive{From: from, Msg: gossipMsg{ID: MessageID{Origin: "origin", Seq: 0}, Payload: payload}})
	pt.Drain()
	if len(pt.missing.m) != 64 || pt.trees.get("origin") == nil {
		b.Fatalf("set-up: %d missing, tree %v", len(pt.missing.m), pt.trees.get("origin") != nil)
	}
	receiveNewEach(b, pt, 1, time.Millisecond)
}

// receiveNewEach is the timed loop of the ReceiveGossip benchmarks: op i
// delivers the new 256-byte payload origin/first+i from the eager parent
// p0, gap of virtual time after the one before, and every 64th op flushes
// the IHAVE window.
func receiveNewEach(b *testing.B, pt *Plumtree, first uint64, gap time.Duration) {
	from := Peer{Name: "p0", Addr: "p0:1"}
	payload := make([]byte, 256)
	flush := TimerFired{Timer: pt.flushTimer}
	now := ptEpoch
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		now = now.Add(gap)
		pt.Step(now, Receive{From: from, Msg: gossipMsg{ID: MessageID{Origin: "origin", Seq: first + uint64(i)}, Round: 3, Payload: payload}})
		pt.Drain()
		if i%64 == 63 {
			pt.Step(now, flush)
			pt.Drain()
		}
	}
}
