package hyparlist

import (
	"fmt"
	"testing"
	"testing/synctest"
	"unsafe"
)

// TestRuntimeCallbackBudgetCountsRetained: a queued callback is counted in
// its dispatcher's byte budget at what it keeps alive, not at its metadata
// alone: a merge check of 256 records with no metadata holds 256 records
// and 256 Nodes (review s3, M7).
func TestRuntimeCallbackBudgetCountsRetained(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		filter := &filterDelegate{reject: func(*Node) bool { return false }}
		c := newMockCluster(t, 1, func(conf *Config) {
			conf.Alive = filter
			conf.Merge = filter
		})
		defer c.shutdown()
		nd := c.nodes[0]
		// Hold the event dispatcher in a NotifyJoin, so that the
		// callbacks queued next stay queued.
		release := make(chan struct{})
		nd.rec.setHooks(func(*Node) { <-release }, nil)
		defer close(release)

		records := make([]memberRecord, maxMemberRecordsPerMessage)
		for i := range records {
			records[i] = memberRecord{Name: fmt.Sprintf("m%03d", i), Addr: "127.0.0.1:1", State: memberStateAlive}
		}
		node := &Node{Name: "blocker"}
		onLoop(t, nd.ml, func(l *runLoop) { l.notifyMember(NodeJoin, node) })
		synctest.Wait() // the dispatcher is inside NotifyJoin
		_, before := nd.ml.eventQueue.queued()
		onLoop(t, nd.ml, func(l *runLoop) {
			l.askMerge(mergeCheck{From: Peer{Name: "m000", Addr: "127.0.0.1:1"}, Records: records})
			l.askAlive(aliveCheck{Record: records[0]})
			l.notifyMember(NodeUpdate, node)
		})
		synctest.Wait() // the loop has handed them to the dispatcher
		_, after := nd.ml.eventQueue.queued()

		rec, n := int(unsafe.Sizeof(memberRecord{})), int(unsafe.Sizeof(Node{}))
		want := len(records)*(rec+n) + (rec + n) + n
		if got := after - before; got < want {
			t.Errorf("3 queued callbacks holding %d records and %d nodes counted as %d bytes, want at least %d",
				len(records)+1, len(records)+2, got, want)
		}
	})
}
