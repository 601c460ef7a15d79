package hyparlist

import (
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimeVersion3PeerGetsLayout1Announcements: on a link negotiated at
// wire version 3, the node's membership announcements travel in layout 1
// and its member records without versions (no frame of version 4), and a
// layout-1 announcement the older peer relays is read and merged.
func TestRuntimeVersion3PeerGetsLayout1Announcements(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := pingCluster(t, 1, acceptUnsigned)
		node := c.nodes[0].ml
		lim := defaultWireLimits()
		old, self, link := joinAsOldPeer(t, c, node, 3, lim)
		var mu sync.Mutex
		var announcements, bad int
		versions := map[byte]int{}
		go serveOldPeerLink(old, self, 3, lim, func(v byte, msg Message) {
			mu.Lock()
			defer mu.Unlock()
			versions[v]++
			if g, ok := msg.(gossipMsg); ok && g.Class == ClassMembership {
				announcements++
				if recs, err := decodeAnnouncementV1(g.Payload); err != nil || len(recs) == 0 {
					bad++
				}
			}
		})
		time.Sleep(time.Second)
		if got := memberNames(node.Neighbors()); !slices.Equal(got, []string{"old"}) {
			t.Fatalf("neighbours %v, want the version-3 peer", got)
		}
		// The node announces a metadata change: the peer gets it in layout 1.
		if err := node.UpdateNode(time.Second); err != nil {
			t.Fatal(err)
		}
		payload, err := appendAnnouncementV1(nil, []memberRecord{{Name: "relayed", Addr: "10.9.9.9:7946", Incarnation: 1}})
		if err != nil {
			t.Fatal(err)
		}
		g := gossipMsg{ID: MessageID{Origin: "old", Seq: 1}, Class: ClassMembership, Payload: payload}
		if err := writeMessageFrame(link, g, lim); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "the relayed layout-1 record listed", func() bool {
			return slices.Contains(memberNames(node.Members()), "relayed")
		})
		time.Sleep(time.Second)
		mu.Lock()
		defer mu.Unlock()
		if announcements == 0 || bad != 0 {
			t.Errorf("%d announcements on a version-3 link, %d not in layout 1", announcements, bad)
		}
		if versions[4] != 0 {
			t.Errorf("frame versions on a version-3 link: %v; want none of version 4", versions)
		}
	})
}
