//go:build linux

// Attack suite: a flood of forged member records (issue 14, finding 3:
// 100,000 forged alive records filled every node's table).

package hyparlist

import (
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"
)

// TestAttackMemberFlood: an outsider completes a plain handshake with
// node-0 and sends 100,000 forged alive records of nodes that do not
// exist, in 391 signed announcements of its own. Each node admits at most
// NewMembersBurst new names from one relaying neighbour, then
// MaxNewMembersPerSecond, and counts the rest in
// hyparlist.member.new_dropped; the cluster keeps delivering, a node on
// another address still joins, and the heap stays bounded. With the rate
// limit off (MaxNewMembersPerSecond 0) the test fails: nothing is dropped.
func TestAttackMemberFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("real sockets")
	}
	const records = 100_000
	var rate, burst int
	nodes := attackCluster(t, 3, func(c *Config) {
		c.QueueCheckInterval = 100 * time.Millisecond
		rate, burst = c.MaxNewMembersPerSecond, c.NewMembersBurst
	})
	victim := nodes[0]
	c := dialAsNeighbour(t, victim.ml.LocalNode().Address(), "forger")
	defer c.Close()
	_, key, _ := ed25519.GenerateKey(nil)
	lim := defaultWireLimits()
	start := time.Now()
	batch := make([]memberRecord, 0, maxAnnouncementRecords)
	seq := uint64(0)
	for i := range records {
		// Loopback ports where nothing listens: a check is refused at once.
		batch = append(batch, memberRecord{Name: fmt.Sprintf("flood-%06d", i), Addr: fmt.Sprintf("%s:%d", attackerAddr, 20000+i%10000), State: memberStateAlive, Incarnation: 1})
		if len(batch) < maxAnnouncementRecords && i < records-1 {
			continue
		}
		payload, err := appendAnnouncement(nil, batch)
		if err != nil {
			t.Fatal(err)
		}
		seq++
		if err := writeMessageFrame(c, signedGossip(key, "forger", seq, ClassMembership, payload), lim); err != nil {
			t.Fatalf("announcement %d: %v", seq, err)
		}
		batch = batch[:0]
	}
	attackWaitFor(t, "the flood's records dropped and counted", func() bool {
		return counterSum(victim.sink, "hyparlist.member.new_dropped") > 0
	})
	bound := func() int {
		return len(nodes) + 2 + burst + int(float64(rate)*(time.Since(start).Seconds()+1))
	}
	for _, n := range nodes {
		if got, max := n.ml.NumMembers(), bound(); got > max {
			t.Errorf("%s lists %d members %v after the flood began, want at most %d", n.rec.name, got, time.Since(start).Round(time.Millisecond), max)
		}
	}
	joiner := newAttackNode(t, "joiner", "127.0.0.3", nil)
	if got, err := joiner.ml.Join([]string{victim.ml.LocalNode().Address()}); got != 1 || err != nil {
		t.Fatalf("join during the flood: %d, %v", got, err)
	}
	nodes = append(nodes, joiner)
	wantBroadcasts(t, nodes, "flooded")
	wantHeapUnder(t)
	t.Logf("%d announcements sent; node-0 lists %d members, dropped %v new records, %v after the flood began",
		seq, victim.ml.NumMembers(), counterSum(victim.sink, "hyparlist.member.new_dropped"), time.Since(start).Round(time.Millisecond))
}

// TestAttackIHaveFlood: an outsider completes a plain handshake with
// node-0 and announces 100,000 messages that do not exist, in IHAVEs of
// 1,000 entries. node-0 records at most MissingMax of them and counts the
// rest in hyparlist.plumtree.missing_dropped; the outsider is not a
// neighbour, so node-0's GRAFTs for them go to its real neighbours (with
// backoff, until CacheTTL), which do not have them. The cluster keeps
// delivering and the heap stays bounded.
func TestAttackIHaveFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("real sockets")
	}
	const ids = 100_000
	nodes := attackCluster(t, 3, func(c *Config) { c.QueueCheckInterval = 100 * time.Millisecond })
	victim := nodes[0]
	c := dialAsNeighbour(t, victim.ml.LocalNode().Address(), "flooder")
	defer c.Close()
	lim := defaultWireLimits()
	ih := ihaveMsg{Entries: make([]ihaveEntry, 0, 1000)}
	for i := range ids {
		ih.Entries = append(ih.Entries, ihaveEntry{ID: MessageID{Origin: "nobody", Seq: uint64(i + 1)}, Round: 1})
		if len(ih.Entries) < cap(ih.Entries) {
			continue
		}
		if err := writeMessageFrame(c, ih, lim); err != nil {
			t.Fatalf("IHAVE %d: %v", i, err)
		}
		ih.Entries = ih.Entries[:0]
	}
	attackWaitFor(t, "the flood counted", func() bool {
		return counterSum(victim.sink, "hyparlist.plumtree.missing_dropped") > 0
	})
	wantBroadcasts(t, nodes, "ihave flood")
	wantHeapUnder(t)
	t.Logf("%v announced IDs dropped", counterSum(victim.sink, "hyparlist.plumtree.missing_dropped"))
}
