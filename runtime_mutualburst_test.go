// Runtime: two neighbours that broadcast bursts at each other at once.

package hyparlist

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// TestRuntimeMutualBursts: two neighbours broadcast bursts of small
// payloads at once, each node's backlog full of its own broadcasts queued
// for the other. No link may fail, and the pair must stay linked and
// deliver every payload.
//
// Written by session 12's review against a design taken out at the merge
// (branch bp12: a stream reader held each received payload back, up to a
// quarter of the keepalive timeout, while the node's backlog was full).
// With it both links failed with reason=write and about 3 in 4 payloads
// were not delivered 30 s after the bursts returned (Broadcast had
// returned nil for all of them): consecutive holds on one stream kept the
// other side's writer blocked past TCPTimeout. Any future hold in the
// readers must pass this test.
func TestRuntimeMutualBursts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sinkA := newInmemSink(time.Hour, time.Hour)
		sinkB := newInmemSink(time.Hour, time.Hour)
		c := newMockCluster(t, 0, nil)
		defer c.shutdown()
		a := c.addWithSink("node-00", stallConfig, sinkA)
		b := c.addWithSink("node-01", stallConfig, sinkB)
		c.joinAll()
		eventually(t, time.Minute, "the pair", func() bool {
			return allSee(c.nodes, 2) && len(a.ml.Neighbors()) == 1 && len(b.ml.Neighbors()) == 1
		})
		pa := stallPayloads("from-a", 1000, 1<<10)
		pb := stallPayloads("from-b", 1000, 1<<10)
		errA := burst(a.ml, pa)
		errB := burst(b.ml, pb)
		if err := result(t, errA); err != nil {
			t.Fatal(err)
		}
		if err := result(t, errB); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Second)
		t.Logf("neighbours a %v b %v", a.ml.Neighbors(), b.ml.Neighbors())
		for _, x := range []struct {
			rec      *recorder
			payloads [][]byte
		}{{b.rec, pa}, {a.rec, pb}} {
			missing := 0
			for _, p := range x.payloads {
				if x.rec.count(p) == 0 {
					missing++
				}
			}
			if missing > 0 {
				t.Errorf("%s: %d of %d payloads not delivered", x.rec.name, missing, len(x.payloads))
			}
		}
		for _, s := range []*inmemSink{sinkA, sinkB} {
			if keys := counterKeys(s, "hyparlist.link.failed"); len(keys) != 0 {
				t.Errorf("links failed: %v", keys)
			}
		}
	})
}

// TestRuntimeBurstsDeliverAll: three nodes, with the back-pressure tests'
// small send queues and no signature checks, burst 2,000 1-KiB payloads
// each at once; every node must deliver every other node's payloads.
// MessageCacheTTL is 5 minutes and the test waits 5 virtual minutes, so a
// payload still missing then is lost, not late: every origin still caches
// it.
//
// Until session 15 (branch loss15b) it failed about 1 run in 100 after
// the GRAFT fix below: one node missed the last 18 to 254 payloads of one
// origin's burst. Probes showed a node behind by up to 1,700 payloads of
// that origin, announced by both neighbours, grafting them in GRAFTs of
// 256: each neighbour queued the first 16 answers (its user queue to the
// node, PeerSendQueueDepth 16) and announced the rest again, the head of
// the missing range moved 32 payloads per round, and the rounds had
// backed off to 6.4 s, since only a message with one announcer was grafted
// again after such an announcement: hundreds still missing when the test
// ended. Fixed by renewing from any announcer (plumtree_reannounce.go,
// TestPlumtreeReannouncedRenewedWithOtherAnnouncers): on that branch 1
// failure in 600 runs, of another pattern, not traced (node 0 missed
// 1,233 and 1,776 payloads of the two other origins, from #128 and #84;
// perhaps link failures). At the merge a GRAFT that finds the control
// queue full is dropped instead of failing the link
// (TestRuntimeFullGraftsDropped), and the merged code (383c1d2) passed
// 600 runs of 600 (`-count 600`, 19:40–19:44 UTC); so the test runs
// again. A failure here is a payload accepted and lost (issue 10).
//
// Before session 15 it failed about 1 run in 6 to 15 (2 of 30 on main
// 19337af), with one node missing 16 to 1,865 payloads of one origin.
// Traced (session 15): that node missed payloads from several IHAVEs, so
// it held many graft timers, which came due together and each queued its
// own small GRAFT on the same link in one loop iteration; the 17th found
// the control queue (PeerSendQueueDepth 16) full and failed the link
// (reason queue_full). HyParView linked the node again, its timers, due
// together again, failed the new link within a second, and so on for 5
// minutes: its GRAFTs were never written, though both neighbours cached
// the payloads. Fixed by runtime_linkgraft.go (such GRAFTs join one
// frame; TestRuntimeGraftsCoalesce). Issue 10 ("nothing accepted is
// lost").
func TestRuntimeBurstsDeliverAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n, each = 3, 2000
		c := newMockCluster(t, n, func(conf *Config) {
			stallConfig(conf)
			conf.MessageCacheTTL = 5 * time.Minute
		})
		defer c.shutdown()
		c.joinAll()
		eventually(t, time.Minute, "full membership", func() bool { return allSee(c.nodes, n) })
		sent := burstEach(t, c, each)
		time.Sleep(5 * time.Minute)
		for i, nd := range c.nodes {
			for j, p := range sent {
				if i == j {
					continue
				}
				missing, first := 0, -1
				for k, x := range p {
					if nd.rec.count(x) == 0 {
						missing++
						if first < 0 {
							first = k
						}
					}
				}
				if missing > 0 {
					t.Errorf("node %d: %d of origin %d's %d payloads never delivered (first #%d)", i, missing, j, each, first)
				}
			}
		}
	})
}

// burstEach has every node of c broadcast each 1-KiB payloads of its own
// (origin "o<i>"), all nodes at once, and returns them per node once every
// Broadcast has returned.
func burstEach(t *testing.T, c *testCluster, each int) [][][]byte {
	t.Helper()
	var errs []<-chan error
	var sent [][][]byte
	for i, nd := range c.nodes {
		p := stallPayloads(fmt.Sprint("o", i), each, 1<<10)
		sent = append(sent, p)
		errs = append(errs, burst(nd.ml, p))
	}
	for _, e := range errs {
		if err := result(t, e); err != nil {
			t.Fatal(err)
		}
	}
	return sent
}
