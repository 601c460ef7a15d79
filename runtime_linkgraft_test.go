// Runtime: GRAFTs of message IDs queued together on a link share a frame.

package hyparlist

import (
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
)

// TestRuntimeGraftsCoalesce: the loop sends more GRAFTs of message IDs to a
// peer than its control queue has frames, in one iteration (graft timers
// due together, each with its own GRAFT), while the writer takes nothing
// (the peer's handshake hangs). They must join one frame, in order, and
// the link must stay up. Before runtime_linkgraft.go the send after the
// PeerSendQueueDepth-th GRAFT failed the link (reason queue_full) every
// time: the loop of link failures that lost payloads for good in
// TestRuntimeBurstsDeliverAll (session 15).
func TestRuntimeGraftsCoalesce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const depth = 4
		a, peer, sink := muteSetup(t, func(conf *Config) { conf.PeerSendQueueDepth = depth })

		type result struct {
			open   bool
			frames []outFrame
		}
		reply := make(chan result, 1)
		var want []MessageID
		if err := a.ml.submit(loopFunc(func(l *runLoop) {
			k := l.link(peer)
			for i := range 3 * depth {
				ids := []MessageID{{Origin: "o", Seq: uint64(2 * i)}, {Origin: "o", Seq: uint64(2*i + 1)}}
				want = append(want, ids...)
				l.send(peer, graftMsg{IDs: ids})
			}
			var r result
			r.open = l.links[peer.Name] == k
			for f, ok := k.takeCtrl(); ok; f, ok = k.takeCtrl() {
				r.frames = append(r.frames, f)
			}
			reply <- r
		})); err != nil {
			t.Fatal(err)
		}
		r := <-reply
		if !r.open {
			t.Fatal("the link failed")
		}
		if got := counterSum(sink, "hyparlist.link.failed"); got != 0 {
			t.Errorf("%v link failures, want 0", got)
		}
		if len(r.frames) != 1 {
			t.Fatalf("%d control frames queued, want 1 GRAFT", len(r.frames))
		}
		g, _ := r.frames[0].msg.(graftMsg)
		if !slices.Equal(g.IDs, want) {
			t.Errorf("GRAFT IDs %v, want %v", g.IDs, want)
		}
		if got, want := r.frames[0].cost, frameCost(outFrame{msg: g}); got != want {
			t.Errorf("frame cost %d, want %d", got, want)
		}
	})
}

// TestMergeGraftBounds: only a GRAFT of message IDs joins only a GRAFT of
// message IDs at the tail of the control queue, up to graftMergeMax IDs;
// the queue's byte count follows.
func TestMergeGraftBounds(t *testing.T) {
	ids := func(from, n int) []MessageID {
		out := make([]MessageID, n)
		for i := range out {
			out[i] = MessageID{Origin: fmt.Sprint("o", from+i), Seq: uint64(from + i)}
		}
		return out
	}
	for _, c := range []struct {
		name   string
		first  Message
		second Message
		frames int
	}{
		{"ids+ids", graftMsg{IDs: ids(0, 3)}, graftMsg{IDs: ids(3, 2)}, 1},
		{"at the bound", graftMsg{IDs: ids(0, graftMergeMax-2)}, graftMsg{IDs: ids(graftMergeMax, 2)}, 1},
		{"over the bound", graftMsg{IDs: ids(0, graftMergeMax-1)}, graftMsg{IDs: ids(graftMergeMax, 2)}, 2},
		{"tree graft first", graftMsg{Root: "r"}, graftMsg{IDs: ids(0, 1)}, 2},
		{"tree graft second", graftMsg{IDs: ids(0, 1)}, graftMsg{Root: "r"}, 2},
		{"empty graft second", graftMsg{IDs: ids(0, 1)}, graftMsg{}, 2},
		{"prune first", pruneMsg{Root: "r"}, graftMsg{IDs: ids(0, 1)}, 2},
		{"ihave first", ihaveMsg{Entries: []ihaveEntry{{ID: MessageID{Origin: "o"}}}}, graftMsg{IDs: ids(0, 1)}, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := newLinkQueues(8, 1<<20)
			for _, m := range []Message{c.first, c.second} {
				if ok, _ := q.push(outFrame{msg: m}); !ok {
					t.Fatalf("push %T refused", m)
				}
			}
			if got := q.ctrl.len(); got != c.frames {
				t.Errorf("%d frames, want %d", got, c.frames)
			}
			sum := 0
			for f, ok := q.takeCtrl(); ok; f, ok = q.takeCtrl() {
				sum += frameCost(f)
			}
			if got := q.ctrlBytes.Load(); got != 0 {
				t.Errorf("%d bytes left counted after taking every frame (%d taken)", got, sum)
			}
		})
	}
}
