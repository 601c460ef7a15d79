//go:build linux

package hyparlist

import (
	"crypto/ed25519"
	"fmt"
	"net"
	"testing"
	"time"
)

// TestAttackForgedMembers: an outsider completes a plain handshake and
// pushes one membership broadcast of 50 alive records of nodes that do
// not exist (issue 14: they took 4.5 minutes to be cleared). Every node
// that got them checks them after ConfirmTimeout (5 s) with one dial,
// which is refused, and marks them dead without announcing (counted in
// hyparlist.member.unconfirmed_removed); the cluster keeps delivering. The wait fails after attackWait, far below the
// liveness probes' minutes; the time taken is logged.
func TestAttackForgedMembers(t *testing.T) {
	nodes := attackCluster(t, 4, func(c *Config) { c.QueueCheckInterval = 100 * time.Millisecond })
	victim := nodes[0]
	d := net.Dialer{Timeout: time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(attackerAddr)}}
	c, err := d.Dial("tcp", victim.ml.LocalNode().Address())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	if !plainHandshake(t, c, "forger") {
		t.Fatal("plain handshake refused")
	}
	ghosts := make([]memberRecord, 50)
	for i := range ghosts {
		// Loopback ports where nothing listens: a dial is refused at once.
		ghosts[i] = memberRecord{Name: fmt.Sprintf("ghost-%02d", i), Addr: fmt.Sprintf("%s:%d", attackerAddr, 20000+i), State: memberStateAlive}
	}
	payload, err := appendAnnouncement(nil, ghosts)
	if err != nil {
		t.Fatal(err)
	}
	var plain frameCrypto
	// The forger signs its announcement with its own key, as its own
	// (wire version 6): unsigned, it would be refused outright.
	_, key, _ := ed25519.GenerateKey(nil)
	id := MessageID{Origin: "forger", Seq: 1}
	msg := gossipMsg{ID: id, Class: ClassMembership, Payload: payload, Sig: signBroadcast(key, id, ClassMembership, payload)}
	if err := plain.writeFrame(c, msg, defaultWireLimits(), ""); err != nil {
		t.Fatalf("write: %v", err)
	}
	sent := time.Now()
	listed := func(n *attackNode) int {
		k := 0
		for _, m := range n.ml.Members() {
			if len(m.Name) > 6 && m.Name[:6] == "ghost-" {
				k++
			}
		}
		return k
	}
	attackWaitFor(t, "the forged members listed", func() bool { return listed(victim) == len(ghosts) })
	attackWaitFor(t, "every forged member gone from every node", func() bool {
		for _, n := range nodes {
			if listed(n) > 0 {
				return false
			}
		}
		return true
	})
	t.Logf("50 forged members listed and gone from all 4 nodes %v after they were sent", time.Since(sent).Round(100*time.Millisecond))
	// Each removal is counted where a check found it (a node may get a
	// ghost's tombstone by anti-entropy before its own check).
	attackWaitFor(t, "the removals counted", func() bool {
		var sum float64
		for _, n := range nodes {
			sum += counterSum(n.sink, "hyparlist.member.unconfirmed_removed")
		}
		return sum >= float64(len(ghosts))
	})
	for _, n := range nodes {
		if n.ml.NumMembers() != len(nodes) {
			t.Errorf("%s lists %d members, want %d", n.rec.name, n.ml.NumMembers(), len(nodes))
		}
	}
	wantBroadcasts(t, nodes, "after forged members")
	wantHeapUnder(t)
}
