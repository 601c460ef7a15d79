package hyparlist

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// This file tests the memberlist-API broadcast path end to end: a
// TransmitLimitedQueue behind Delegate.GetBroadcasts, re-queued into by
// NotifyMsg as Serf does.

// serfCluster joins n nodes whose recorders re-queue every received
// payload into a TransmitLimitedQueue (RetransmitMult 4, scaled by the
// member count) that GetBroadcasts drains.
func serfCluster(t *testing.T, n int, tweak func(*Config)) *testCluster {
	t.Helper()
	c := joinedCluster(t, n, tweak)
	for _, nd := range c.nodes {
		q := &TransmitLimitedQueue{NumNodes: nd.ml.NumMembers, RetransmitMult: 4}
		nd.rec.update(func(r *recorder) { r.tlq, r.requeue = q, true })
	}
	return c
}

// sizedPayload returns a payload of size bytes that starts with a
// readable, unique label.
func sizedPayload(size int, format string, args ...any) []byte {
	p := fmt.Appendf(nil, format, args...)
	return append(p, bytes.Repeat([]byte{'.'}, max(size-len(p), 0))...)
}

// checkDeliveredOnce fails unless every node but the origin delivered each
// payload of origins[i] exactly once, and nothing else.
func checkDeliveredOnce(t *testing.T, c *testCluster, sent map[int][][]byte) {
	t.Helper()
	total := 0
	for _, ps := range sent {
		total += len(ps)
	}
	for i, nd := range c.nodes {
		want := total - len(sent[i])
		dups := 0
		for origin, ps := range sent {
			for _, p := range ps {
				w := 1
				if origin == i {
					w = 0
				}
				if got := nd.rec.count(p); got != w {
					dups += max(got-w, 0)
					if got < w {
						t.Errorf("node %d delivered %.20q %d times, want %d", i, p, got, w)
					}
				}
			}
		}
		if dups > 0 {
			t.Errorf("node %d: %d duplicate NotifyMsg calls", i, dups)
		}
		if got := len(nd.rec.messages()); got != want+dups {
			t.Errorf("node %d delivered %d messages, want %d", i, got, want)
		}
	}
}

// TestRuntimeQueueBacklogExactlyOnce queues more 1 KiB broadcasts at once
// than one UDP-sized pull per GossipInterval can hand out within
// MessageCacheTTL (1s here), on a cluster whose applications re-queue what
// they receive: every queue backs up with the re-queued payloads, which
// the TransmitLimitedQueue hands out RetransmitMult×ceil(log10(N+1)) = 8
// times each. Every payload must still be delivered exactly once
// everywhere, however late the queues hand their payloads out again.
func TestRuntimeQueueBacklogExactlyOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n, origins, each = 10, 3, 40
		c := serfCluster(t, n, func(c *Config) {
			c.MessageCacheTTL = time.Second
		})
		sent := make(map[int][][]byte)
		for o := range origins {
			nd := c.nodes[o*3]
			var q *TransmitLimitedQueue
			nd.rec.update(func(r *recorder) { q = r.tlq })
			for s := range each {
				p := sizedPayload(1<<10, "origin %d seq %d ", o*3, s)
				sent[o*3] = append(sent[o*3], p)
				q.QueueBroadcast(&testBroadcast{msg: p})
			}
		}
		eventually(t, 5*time.Minute, "every broadcast everywhere", func() bool {
			for i, nd := range c.nodes {
				if len(nd.rec.messages()) < origins*each-len(sent[i]) {
					return false
				}
			}
			return true
		})
		// Let every queue hand out every retransmission and re-queued
		// payload: nothing more may arrive.
		time.Sleep(time.Minute)
		for i, nd := range c.nodes {
			var q *TransmitLimitedQueue
			nd.rec.update(func(r *recorder) { q = r.tlq })
			if k := q.NumQueued(); k != 0 {
				t.Errorf("node %d still has %d queued broadcasts", i, k)
			}
		}
		checkDeliveredOnce(t, c, sent)
	})
}

// TestRuntimeQueueStallExactlyOnce: a node whose backlog stays full for
// longer than MessageCacheTTL does not pull, so a payload it received and
// re-queued meanwhile is pulled only after the stall. It must still be
// recognised: the recognition set forgets nothing while the pump waits.
func TestRuntimeQueueStallExactlyOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const ttl = time.Second
		tweak := func(c *Config) {
			stallConfig(c)
			c.MessageCacheTTL = ttl
		}
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		from, to := c.add("node-00", tweak), c.add("node-01", tweak)
		c.joinAll()
		eventually(t, time.Minute, "the pair", func() bool { return allSee(c.nodes, 2) && len(from.ml.Neighbors()) == 1 })
		for _, nd := range c.nodes {
			q := &TransmitLimitedQueue{NumNodes: nd.ml.NumMembers, RetransmitMult: 4}
			nd.rec.update(func(r *recorder) { r.tlq, r.requeue = q, true })
		}
		if err := c.net.setDelay(from.rec.name, to.rec.name, stallFor); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		burst := stallPayloads("burst", 200, 1<<10)
		errc, _ := blockedBurst(t, from.ml, burst)

		// to → from is not stalled: from delivers x and re-queues it, but
		// its pump waits for room while the stall lasts.
		x := []byte("from node-01, re-queued during the stall")
		if err := to.ml.Broadcast(x); err != nil {
			t.Fatal(err)
		}
		eventually(t, time.Minute, "x at node-00", func() bool { return from.rec.count(x) == 1 })
		time.Sleep(3 * ttl / 2)
		if time.Since(start) >= stallFor {
			t.Fatal("the stall ended before the grace time of x passed")
		}
		var queued int
		from.rec.update(func(r *recorder) { queued = r.tlq.NumQueued() })
		if queued == 0 {
			t.Fatal("node-00's pump pulled x during the stall")
		}
		if err := result(t, errc); err != nil {
			t.Fatal(err)
		}
		waitDeliveredOnce(t, to.rec, burst)
		if n := from.rec.count(x); n != 1 {
			t.Errorf("node-00 delivered x %d times, want once", n)
		}
		from.rec.update(func(r *recorder) { queued = r.tlq.NumQueued() })
		if queued != 0 {
			t.Errorf("node-00 still has %d queued broadcasts", queued)
		}
	})
}

// pumpRounds groups a recorder's pulls by the instant they happened: a
// pump round runs without waiting when the backlog has room, so in a
// synctest bubble its pulls share one virtual instant.
func pumpRounds(rec *recorder) [][]pullRecord {
	var pulls []pullRecord
	rec.update(func(r *recorder) { pulls = slices.Clone(r.pulls) })
	var rounds [][]pullRecord
	for i, p := range pulls {
		if i == 0 || !p.at.Equal(pulls[i-1].at) {
			rounds = append(rounds, nil)
		}
		rounds[len(rounds)-1] = append(rounds[len(rounds)-1], p)
	}
	return rounds
}

// TestRuntimePumpDrainsByBudget: a round pulls until the queue is empty,
// each pull limited by the backlog's room rather than UDPBufferSize, so a
// TransmitLimitedQueue hands out every retransmission in one round; a
// round never takes much more than pumpRoundBytes nor makes more than
// pumpRoundPulls pulls, and what it leaves goes in the next rounds.
func TestRuntimePumpDrainsByBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := joinedCluster(t, 2, nil)
		from, to := c.nodes[0], c.nodes[1]
		q := &TransmitLimitedQueue{NumNodes: from.ml.NumMembers, RetransmitMult: 4}
		from.rec.update(func(r *recorder) { r.tlq = q })
		limit := retransmitLimit(4, 2)

		// A small burst: one round, limit transmits each, then empty.
		small := stallPayloads("small", 50, 1<<10)
		for _, p := range small {
			q.QueueBroadcast(&testBroadcast{msg: p})
		}
		waitDeliveredOnce(t, to.rec, small)
		rounds := pumpRounds(from.rec)
		var first []pullRecord
		for _, r := range rounds {
			if r[0].payloads > 0 {
				first = r
				break
			}
		}
		if len(first) != limit+1 || first[limit].payloads != 0 {
			t.Errorf("the burst took %d pulls in its round (last returned %d), want %d and an empty one", len(first), first[len(first)-1].payloads, limit+1)
		}
		if first[0].limit <= from.ml.config.UDPBufferSize || first[0].payloads != len(small) {
			t.Errorf("the first pull had limit %d and returned %d payloads", first[0].limit, first[0].payloads)
		}

		// A burst larger than a round's budget: rounds stay within it.
		big := stallPayloads("big", 3*pumpRoundBytes/(1<<10), 1<<10)
		from.rec.update(func(r *recorder) { r.pulls = nil })
		for _, p := range big {
			q.QueueBroadcast(&testBroadcast{msg: p})
		}
		eventually(t, time.Minute, "the big burst to drain", func() bool { return q.NumQueued() == 0 })
		rounds = pumpRounds(from.rec)
		if len(rounds) < 3 {
			t.Errorf("a burst of 3 budgets went in %d rounds", len(rounds))
		}
		for i, r := range rounds {
			bytes := 0
			for _, p := range r {
				bytes += p.bytes
				if p.limit > pumpRoundBytes {
					t.Errorf("round %d: a pull with limit %d above the budget", i, p.limit)
				}
			}
			if bytes > pumpRoundBytes || len(r) > pumpRoundPulls {
				t.Errorf("round %d took %d bytes in %d pulls", i, bytes, len(r))
			}
		}
		waitDeliveredOnce(t, to.rec, append(small, big...))
	})
}
