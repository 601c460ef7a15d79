package hyparlist

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// openStreams returns how many streams of the network have both ends
// open.
func (n *MockNetwork) openStreams() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	count := 0
	for s := range n.streams {
		if s.closed == 0 {
			count++
		}
	}
	return count
}

// TestRuntimeSharedLinkOneStream: two neighbours of wire version 7 hold
// one stream between them, which carries each one's link, and broadcasts
// from either reach the other over it. Before version 7 they held two,
// one dialled by each (runtime_shared.go).
func TestRuntimeSharedLinkOneStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := joinedCluster(t, 2, nil)
		a, b := c.nodes[0], c.nodes[1]
		eventually(t, time.Minute, "neighbours both ways", func() bool {
			return slices.Contains(memberNames(a.ml.Neighbors()), b.rec.name) &&
				slices.Contains(memberNames(b.ml.Neighbors()), a.rec.name)
		})
		time.Sleep(3 * transientLinkLinger) // transient links closed
		if got := c.net.openStreams(); got != 1 {
			t.Errorf("%d streams open between two neighbours, want 1", got)
		}
		var fromA, fromB [][]byte
		for i := range 5 {
			fromA = append(fromA, fmt.Appendf(nil, "from-a-%d", i))
			fromB = append(fromB, fmt.Appendf(nil, "from-b-%d", i))
		}
		for i := range fromA {
			if err := a.ml.Broadcast(fromA[i]); err != nil {
				t.Fatal(err)
			}
			if err := b.ml.Broadcast(fromB[i]); err != nil {
				t.Fatal(err)
			}
		}
		waitDeliveredOnce(t, b.rec, fromA)
		waitDeliveredOnce(t, a.rec, fromB)
		if got := c.net.openStreams(); got != 1 {
			t.Errorf("%d streams open after broadcasts both ways, want 1", got)
		}
	})
}

// TestRuntimeSharedSimultaneousLinks: two nodes that open links to each
// other in the same instant, before either stream carried a frame, keep
// both streams (each written one way), lose none of the frames sent on
// them, and close both once the links end: each direction's streamEndMsg
// is answered, so no stream is left open.
func TestRuntimeSharedSimultaneousLinks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 2, nil)
		defer c.shutdown()
		a, b := c.nodes[0], c.nodes[1]
		_, key, _ := ed25519.GenerateKey(nil)
		var toA, toB [][]byte
		send := func(from, to *testNode, prefix string) [][]byte {
			var ps [][]byte
			for i := range 10 {
				ps = append(ps, fmt.Appendf(nil, "%s-%d", prefix, i))
			}
			if err := from.ml.submit(loopFunc(func(l *runLoop) {
				for i, p := range ps {
					id := MessageID{Origin: "elsewhere", Seq: uint64(i + 1)}
					if prefix == "to-a" {
						id.Seq += 100
					}
					l.send(to.ml.self, gossipMsg{ID: id, Class: ClassUser, Payload: p, Sig: signBroadcast(key, id, ClassUser, p)})
				}
			})); err != nil {
				t.Fatal(err)
			}
			return ps
		}
		toB = send(a, b, "to-b")
		toA = send(b, a, "to-a")
		synctest.Wait()
		if got := c.net.openStreams(); got != 2 {
			t.Errorf("%d streams open after simultaneous links, want 2", got)
		}
		waitDeliveredOnce(t, b.rec, toB) // then 10 s: both links linger 2 s
		waitDeliveredOnce(t, a.rec, toA)
		synctest.Wait()
		if got := c.net.openStreams(); got != 0 {
			t.Errorf("%d streams open after both links closed, want 0", got)
		}
	})
}

// TestRuntimeSharedNotWithOldPeer: a peer that speaks wire version 6 at
// most gets the node's link on a stream the node dials to it, never on the
// stream the peer dialled (which it does not read), as before version 7.
func TestRuntimeSharedNotWithOldPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := pingCluster(t, 1, acceptUnsigned)
		node := c.nodes[0].ml
		lim := defaultWireLimits()
		old, self, link := joinAsOldPeer(t, c, node, 6, lim)
		got := make(chan Message, 100)
		go serveOldPeerLink(old, self, 6, lim, func(_ byte, msg Message) {
			select {
			case got <- msg:
			default:
			}
		})
		time.Sleep(time.Second)
		if names := memberNames(node.Neighbors()); !slices.Equal(names, []string{"old"}) {
			t.Fatalf("neighbours %v, want the version-6 peer", names)
		}
		if len(got) == 0 {
			t.Error("no frame on the stream the node dialled back to the version-6 peer")
		}
		if err := link.SetReadDeadline(time.Now().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		var b [1]byte
		if _, err := link.Read(b[:]); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("read on the version-6 peer's own stream: %v; want nothing (deadline)", err)
		}
	})
}

// TestRuntimeSharedWithNewPeer: a peer that speaks wire version 7 and
// joins gets the node's link on the stream it dialled; the node dials
// nothing back.
func TestRuntimeSharedWithNewPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := pingCluster(t, 1, acceptUnsigned)
		node := c.nodes[0].ml
		lim := defaultWireLimits()
		old, _, link := joinAsOldPeer(t, c, node, wireVersionShared, lim)
		if err := link.SetReadDeadline(time.Now().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := readMessageFrame(link, lim); err != nil {
			t.Errorf("no frame from the node on the version-7 peer's stream: %v", err)
		}
		select {
		case s := <-old.StreamCh():
			_ = s.Close()
			t.Error("the node dialled the version-7 peer instead of writing on its stream")
		default:
		}
	})
}
