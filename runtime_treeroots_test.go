package hyparlist

import (
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimeVersion2PeerGetsRootlessPrune: on a link negotiated at wire
// version 2, the PRUNE the node answers a duplicate payload with travels
// without its tree root (a version 2 frame the peer reads), although the
// core names the root.
func TestRuntimeVersion2PeerGetsRootlessPrune(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := pingCluster(t, 1, acceptUnsigned)
		node := c.nodes[0].ml
		lim := defaultWireLimits()
		old, self, link := joinAsOldPeer(t, c, node, 2, lim)
		var mu sync.Mutex
		var prunes []pruneMsg
		versions := map[byte]int{}
		go serveOldPeerLink(old, self, 2, lim, func(v byte, msg Message) {
			mu.Lock()
			versions[v]++
			if p, ok := msg.(pruneMsg); ok {
				prunes = append(prunes, p)
			}
			mu.Unlock()
		})
		time.Sleep(time.Second)
		if got := memberNames(node.Neighbors()); !slices.Equal(got, []string{"old"}) {
			t.Fatalf("neighbours %v, want the version-2 peer", got)
		}
		g := gossipMsg{ID: MessageID{Origin: "origin", Seq: 1}, Class: ClassUser, Payload: []byte("p")}
		for range 2 {
			if err := writeMessageFrame(link, g, lim); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(time.Second)
		mu.Lock()
		defer mu.Unlock()
		if len(prunes) == 0 || prunes[0] != (pruneMsg{}) {
			t.Errorf("prunes on a version-2 link: %+v; want one without a root", prunes)
		}
		if versions[3] != 0 {
			t.Errorf("frame versions on a version-2 link: %v; want none of version 3", versions)
		}
	})
}
