//go:build linux

package hyparlist

import (
	"net"
	"slices"
	"testing"
	"time"
)

// TestAttackForgedDisconnect: an outsider completes a plain handshake
// under the name of each of a node's neighbours and sends DISCONNECT (not
// alive, then alive). The node keeps every neighbour (on main, one frame
// per neighbour emptied its active view), counts the refusals, and the
// cluster keeps delivering.
func TestAttackForgedDisconnect(t *testing.T) {
	nodes := attackCluster(t, 4, nil)
	victim := nodes[0]
	var names []string
	attackWaitFor(t, "the victim's neighbours", func() bool {
		names = names[:0]
		for _, n := range victim.ml.Neighbors() {
			names = append(names, n.Name)
		}
		return len(names) > 0
	})
	victim.rec.mu.Lock()
	downsBefore := len(victim.rec.downs)
	victim.rec.mu.Unlock()
	target := victim.ml.LocalNode().Address()
	sent := 0
	for _, name := range names {
		for _, alive := range []bool{false, true} {
			d := net.Dialer{Timeout: time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(attackerAddr)}}
			c, err := d.Dial("tcp", target)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			if !plainHandshake(t, c, name) {
				_ = c.Close()
				t.Fatalf("handshake as %s refused", name)
			}
			var plain frameCrypto
			if err := plain.writeFrame(c, disconnectMsg{Alive: alive}, DefaultWireLimits(), ""); err != nil {
				t.Fatalf("write: %v", err)
			}
			sent++
			defer c.Close()
		}
	}
	lostNeighbour := func() []string {
		victim.rec.mu.Lock()
		defer victim.rec.mu.Unlock()
		var lost []string
		for _, d := range victim.rec.downs[downsBefore:] {
			if slices.Contains(names, d) {
				lost = append(lost, d)
			}
		}
		return lost
	}
	attackWaitFor(t, "every forged DISCONNECT refused, or a neighbour lost", func() bool {
		return len(lostNeighbour()) > 0 || counterSum(victim.sink, "hyparlist.msg.refused;reason=not_link") >= float64(sent)
	})
	if lost := lostNeighbour(); len(lost) > 0 {
		t.Fatalf("forged DISCONNECTs removed neighbours %v of %v", lost, names)
	}
	wantBroadcasts(t, nodes, "after forged disconnects")
}
