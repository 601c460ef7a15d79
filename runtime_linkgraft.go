// Runtime: a GRAFT for missing messages joins the one still waiting at the
// tail of a link's control queue instead of taking a frame of its own.

package hyparlist

// This file owns the coalescing of GRAFT frames on a link. Plumtree sends
// one GRAFT per graft timer and neighbour (plumtree.go, graftTimerFired),
// and a node that misses many messages holds many timers: one per IHAVE
// that announced them, and per backoff step. Timers due together fire in
// one loop iteration, before the link's writer runs
// (runtime_writebatch.go), so each queued its own small GRAFT on the same
// link. In TestRuntimeBurstsDeliverAll (three nodes, PeerSendQueueDepth
// 16, 2,000 payloads each), traced in session 15, a node that missed a
// few hundred payloads queued 17 GRAFT frames of 3 to 90 IDs at once, the
// 17th found the control queue full and failed the link; HyParView linked
// the node again, the timers, due together again, failed the new link,
// and so on for 5 minutes: the payloads, cached by both neighbours, were
// never fetched.
//
// A GRAFT of message IDs (a GRAFT with no ID moves a link from lazy to
// eager and is left alone) is therefore appended to the GRAFT of IDs at
// the tail of the control queue, when the writer has not taken it yet and
// the two hold at most graftMergeMax IDs. Nothing is queued between them,
// so the receiver sees the same requests in the same order; it answers
// each ID of one GRAFT as of several (receiveGraft). Not in the papers,
// whose links do not fall behind.

// graftMergeMax bounds the IDs of a GRAFT that coalescing makes: the
// default PlumtreeConfig.IHaveMaxEntries, the size of the GRAFTs Plumtree
// sends itself, well under the default WireLimits.MaxGraftIDs (1,024).
const graftMergeMax = 256

// mergeGraft appends the IDs of f, a GRAFT of message IDs, to the GRAFT of
// IDs at the tail of the control queue, and reports whether it did. Call
// it with the queue's lock held, for a frame bound for the control queue.
func (q *linkQueues) mergeGraft(f outFrame) bool {
	g, ok := graftOfIDs(f)
	if !ok {
		return false
	}
	tail := q.ctrl.last()
	if tail == nil {
		return false
	}
	t, ok := graftOfIDs(*tail)
	if !ok || len(t.IDs)+len(g.IDs) > graftMergeMax {
		return false
	}
	// A new array: the core may still hold the tail's.
	t.IDs = append(t.IDs[:len(t.IDs):len(t.IDs)], g.IDs...)
	tail.msg = t
	q.prunes.record(&f) // as a GRAFT queued: PRUNEs waiting before it may be sent again
	cost := frameCost(f) - frameCostBase
	tail.cost += cost
	q.ctrlBytes.Add(int64(cost))
	return true
}

// graftOfIDs returns f's message when it is a GRAFT of message IDs in the
// control queue, one that coalescing may extend.
func graftOfIDs(f outFrame) (graftMsg, bool) {
	g, ok := f.msg.(graftMsg)
	if !ok || f.inUser || len(g.IDs) == 0 || g.Root != "" || g.Shared {
		return graftMsg{}, false
	}
	return g, true
}
