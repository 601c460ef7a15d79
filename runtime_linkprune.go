// Runtime: a PRUNE already waiting in a link's queue makes an equal one
// redundant: it is not queued again.

package hyparlist

// This file owns the coalescing of PRUNE frames on a link. Plumtree
// answers every duplicate payload with a PRUNE to its sender (plumtree.go,
// receiveGossip), and the sender stops pushing on that tree once the
// PRUNE arrives. While the link is backed up (the neighbour's loop is
// behind, or the link carries a burst), the sender's pushes keep arriving
// as duplicates before the first PRUNE has left this node, and each one
// queued another PRUNE: under overload (N=32, 1 KiB, 20,000 broadcasts/s
// offered) 25 PRUNE frames per broadcast, which filled the control queue
// to its depth (970 to 1,023 of its 1,024 frames were PRUNEs) and failed
// 59 to 131 healthy links a run (BENCHMARKS.md, session 7).
//
// A PRUNE for tree root R (on R's own tree, or with Shared set on the
// shared tree: two different trees) is therefore not queued while an
// equal PRUNE waits in the link's queues with no GRAFT queued after it: it would do
// exactly what the waiting one does (move this node to the neighbour's
// lazy set of R), and frames on one link arrive in order. A GRAFT of any
// root (on a link of wire version 1 or 2 a GRAFT applies to every tree)
// ends the waiting PRUNEs' claim, so that a PRUNE after it is sent. The
// record of waiting PRUNEs holds at most one entry per tree root with a
// PRUNE in the queue, so it is bounded by the queue's depth, and is
// released when it empties. Not in the papers, which assume links that do
// not fall behind.

// pendingPrunes records, per tree (root and Shared flag), the PRUNE that
// waits in a link's queues: its sequence number (outFrame.pruneSeq).
// Guarded by the linkQueues' mu.
type pendingPrunes struct {
	byRoot map[pruneMsg]uint64
	seq    uint64
}

// redundant reports whether f is a PRUNE made redundant by a waiting one:
// push then drops it, as if written, even when the queue is full. Call it
// with the queue's lock held.
func (p *pendingPrunes) redundant(f outFrame) bool {
	m, ok := f.msg.(pruneMsg)
	if !ok {
		return false
	}
	_, waiting := p.byRoot[m]
	return waiting
}

// record is called by push, with the queue's lock held, for a frame it
// queues: it records a PRUNE as waiting, and a GRAFT ends the claim of
// every waiting PRUNE.
func (p *pendingPrunes) record(f *outFrame) {
	switch m := f.msg.(type) {
	case pruneMsg:
		if p.byRoot == nil {
			p.byRoot = make(map[pruneMsg]uint64)
		}
		p.seq++
		f.pruneSeq = p.seq
		p.byRoot[m] = p.seq
	case graftMsg:
		p.byRoot = nil
	}
}

// taken is called, with the queue's lock held, for a frame that left the
// queue (written or discarded): a recorded PRUNE no longer waits.
func (p *pendingPrunes) taken(f outFrame) {
	if f.pruneSeq == 0 {
		return
	}
	tree := f.msg.(pruneMsg)
	if p.byRoot[tree] == f.pruneSeq {
		delete(p.byRoot, tree)
		if len(p.byRoot) == 0 {
			p.byRoot = nil
		}
	}
}
