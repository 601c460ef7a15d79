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
// the tail of the control queue, when the writer has not taken it yet: as
// many of its IDs as fill the tail up to graftMergeMax, the rest queued as
// a frame of their own (session 15's review: all or nothing left frames
// half full, and 17 GRAFTs of 129 IDs took 17 frames). Nothing is queued
// between them, so the receiver sees the same requests in the same order;
// it answers each ID of one GRAFT as of several (receiveGraft). The merge
// keeps the queue's byte bound as push does (the IDs moved must fit).
//
// A GRAFT of IDs that still finds the control queue full is dropped
// (hyparlist.link.graft_dropped), not a reason to fail the link
// (runLoop.send): the graft timers of its IDs fire again (Plumtree's
// second stage, plumtree.go) and ask again, of this neighbour or another
// announcer, while failing the link would drop the announcers with it.
// Full GRAFTs of graftMergeMax IDs never merge, and Plumtree can emit up
// to MissingMax / IHaveMaxEntries of them at once (graftAnnounced), so
// this is a case that happens. Not in the papers, whose links do not fall
// behind.

// graftMergeMax bounds the IDs of a GRAFT that coalescing makes: the
// default PlumtreeConfig.IHaveMaxEntries, the size of the GRAFTs Plumtree
// sends itself, well under the default WireLimits.MaxGraftIDs (1,024).
const graftMergeMax = 256

// mergeGraft moves IDs of f, a GRAFT of message IDs, into the GRAFT of IDs
// at the tail of the control queue, as many as fit in graftMergeMax and
// the queue's byte bound. It returns the frame left to queue (f with the
// IDs not moved) and false when every ID was moved. Call it with the
// queue's lock held, for a frame bound for the control queue.
func (q *linkQueues) mergeGraft(f outFrame) (outFrame, bool) {
	g, ok := graftOfIDs(f)
	if !ok {
		return f, true
	}
	tail := q.ctrl.last()
	if tail == nil {
		return f, true
	}
	t, ok := graftOfIDs(*tail)
	if !ok || len(t.IDs) >= graftMergeMax {
		return f, true
	}
	n := min(len(g.IDs), graftMergeMax-len(t.IDs))
	moved := graftMsg{IDs: g.IDs[:n:n]}
	cost := frameCost(outFrame{msg: moved}) - frameCostBase
	if q.ctrlBytes.Load()+int64(cost) > int64(q.maxBytes) {
		return f, true
	}
	// A new array: the core may still hold the tail's.
	t.IDs = append(t.IDs[:len(t.IDs):len(t.IDs)], moved.IDs...)
	tail.msg = t
	q.prunes.record(&f) // as a GRAFT queued: PRUNEs waiting before it may be sent again
	tail.cost += cost
	q.ctrlBytes.Add(int64(cost))
	if n == len(g.IDs) {
		return outFrame{}, false
	}
	g.IDs = g.IDs[n:]
	f.msg = g
	f.cost = frameCost(f)
	return f, true
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

// dropGraft reports whether msg, refused by a full control queue, is a
// GRAFT of message IDs, which is dropped rather than failing the link (see
// above); it counts it.
func (l *runLoop) dropGraft(msg Message) bool {
	if _, ok := graftOfIDs(outFrame{msg: msg}); !ok {
		return false
	}
	l.m.metrics.graftDropped()
	return true
}
