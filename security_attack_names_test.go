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
	names, lostNeighbour := victimNeighbours(t, victim)
	target := victim.ml.LocalNode().Address()
	sent := 0
	for _, name := range names {
		for _, alive := range []bool{false, true} {
			c := dialAsNeighbour(t, target, name)
			var plain frameCrypto
			if err := plain.writeFrame(c, disconnectMsg{Alive: alive}, defaultWireLimits(), ""); err != nil {
				t.Fatalf("write: %v", err)
			}
			sent++
			defer c.Close()
		}
	}
	attackWaitFor(t, "every forged DISCONNECT refused, or a neighbour lost", func() bool {
		return len(lostNeighbour()) > 0 || counterSum(victim.sink, "hyparlist.msg.refused;reason=not_link") >= float64(sent)
	})
	if lost := lostNeighbour(); len(lost) > 0 {
		t.Fatalf("forged DISCONNECTs removed neighbours %v of %v", lost, names)
	}
	wantBroadcasts(t, nodes, "after forged disconnects")
	wantHeapUnder(t)
}

// TestAttackForgedLinkEnd: an outsider completes a plain handshake under
// the name of each of a node's neighbours, sends the Keepalive that marks
// a neighbour's link stream, and ends the stream (a close, then a reset).
// The node fails none of those links (runtime_linkend.go: the outsider's
// stream does not own the name, and the neighbour still reads the node's
// own stream), counts each forged end in hyparlist.msg.refused (reason
// not_link_end), and the cluster keeps delivering.
func TestAttackForgedLinkEnd(t *testing.T) {
	nodes := attackCluster(t, 4, nil)
	victim := nodes[0]
	names, lostNeighbour := victimNeighbours(t, victim)
	target := victim.ml.LocalNode().Address()
	sent := 0
	for _, name := range names {
		for _, reset := range []bool{false, true} {
			sent++
			c := dialAsNeighbour(t, target, name)
			var plain frameCrypto
			if err := plain.writeFrame(c, keepaliveMsg{}, defaultWireLimits(), ""); err != nil {
				t.Fatalf("write: %v", err)
			}
			if tc, ok := c.(*net.TCPConn); ok && reset {
				_ = tc.SetLinger(0) // Close sends a reset
			}
			_ = c.Close()
		}
	}
	// A failure would come within a moment (the check reads a stream
	// whose end is already closed): wait for every end to be refused, or
	// for a failure.
	attackWaitFor(t, "every forged stream end refused, or a link failed", func() bool {
		return len(lostNeighbour()) > 0 || counterSum(victim.sink, "hyparlist.link.failed;reason="+linkFailedEnded) > 0 ||
			counterSum(victim.sink, "hyparlist.msg.refused;reason="+refusedNotLinkEnd) >= float64(sent)
	})
	wantBroadcasts(t, nodes, "after forged link ends")
	wantHeapUnder(t)
	if lost := lostNeighbour(); len(lost) > 0 {
		t.Errorf("forged stream ends removed neighbours %v of %v", lost, names)
	}
	if got := counterSum(victim.sink, "hyparlist.link.failed;reason="+linkFailedEnded); got != 0 {
		t.Errorf("%v links failed as ended after forged stream ends", got)
	}
	if got := counterSum(victim.sink, "hyparlist.msg.refused;reason="+refusedNotLinkEnd); got != float64(sent) {
		t.Errorf("%v forged stream ends counted as refused, want %d", got, sent)
	}
}

// victimNeighbours waits for victim to have neighbours and returns their
// names, and a function that lists those of them it has lost since.
func victimNeighbours(t *testing.T, victim *attackNode) (names []string, lost func() []string) {
	t.Helper()
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
	return names, func() []string {
		victim.rec.mu.Lock()
		defer victim.rec.mu.Unlock()
		var out []string
		for _, d := range victim.rec.downs[downsBefore:] {
			if slices.Contains(names, d) {
				out = append(out, d)
			}
		}
		return out
	}
}

// dialAsNeighbour dials target from the attacker's address and completes
// a plain handshake under name.
func dialAsNeighbour(t *testing.T, target, name string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(attackerAddr)}}
	c, err := d.Dial("tcp", target)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if !plainHandshake(t, c, name) {
		_ = c.Close()
		t.Fatalf("handshake as %s refused", name)
	}
	return c
}
