// Runtime: a link's two bounded send queues (user broadcasts, everything
// else).

package hyparlist

import (
	"sync"
	"sync/atomic"
)

// This file owns a link's send queues. Each link has two bounded FIFO
// queues, and its writer takes from them in turn (one frame each while
// both have frames), so that neither kind of traffic can hold the other
// back on a link:
//
//   - the user queue holds Plumtree Gossip of class ClassUser: the
//     application's broadcasts;
//   - the control queue holds everything else: membership announcements
//     (Gossip of ClassMembership), membership anti-entropy, Plumtree's
//     IHAVE/GRAFT/PRUNE, HyParView's messages, keepalives, and the flush
//     and close markers.
//
// A burst of application broadcasts therefore delays a membership
// announcement or a keepalive by at most one user frame per control frame
// (rather than by the whole backlog, which could make a live neighbour
// look silent), and a burst of membership traffic (an anti-entropy round
// after a partition heals) cannot stall broadcasts either. Not in the
// papers, which leave link scheduling to the transport.
//
// Order is kept within each queue, not across them: Plumtree and
// membership do not depend on the order of a user payload relative to
// control messages. Applications may: a leaving node's frames are marked
// afterUser and queued behind its user frames, so that a broadcast made
// before Leave (Serf's leave intent) arrives before the node's "left". A flush marker (in the control queue) therefore
// reports that the control frames queued before it are written — what
// UpdateNode and Leave wait for: their announcements are control frames.
// A close marker first writes what the user queue holds.

//
// Each queue is bounded twice: by frames (Config.PeerSendQueueDepth) and
// by bytes (Config.PeerSendQueueBytes, estimated by frameCost), so that
// large frames cannot pile up to depth × MaxFrameSize. A frame larger than
// the byte bound is still accepted by an empty queue, so that every frame
// Config.MaxFrameSize allows can be sent; a queue therefore holds at most
// max(PeerSendQueueBytes, MaxFrameSize) bytes.
//
// A queue's storage grows with what it holds (frameFIFO,
// runtime_fifo.go) and is released when it empties, so an idle link
// costs no queue memory however large the bounds (a channel of
// PeerSendQueueDepth frames cost 40 KiB per queue, 80 KiB per link, at
// the default of 1,024).
//
// A PRUNE equal to one still waiting is not queued (runtime_linkprune.go),
// and a GRAFT of message IDs joins one at the tail of the control queue
// (runtime_linkgraft.go).
// A full user queue does not fail the link (runtime_backpressure.go), and
// the user queues' frames also count in the node's broadcast backlog
// (runtime_backlog.go), which local broadcasts wait on.

// frameCostBase is frameCost's allowance for a frame's header and fixed
// fields, and for each record of a memberRecordsMsg.
const frameCostBase = 32

// linkQueues are the two send queues of a link, each of the link's
// depth (Config.PeerSendQueueDepth) and byte bound
// (Config.PeerSendQueueBytes).
type linkQueues struct {
	mu         sync.Mutex
	ctrl, user frameFIFO
	// maxFrames bounds the frames of each queue.
	maxFrames int
	// writer is the state of the link's writer goroutine
	// (runtime_writer.go). Guarded by mu.
	writer writerState
	// wake starts a writer goroutine; enqueue calls it when it queues a
	// frame while the writer is idle. Set before use.
	wake func()
	// maxBytes bounds the frameCost of the frames in each queue.
	maxBytes int
	// ctrlBytes and userBytes are the frameCost queued in each queue:
	// added by the loop, subtracted by whoever takes a frame.
	ctrlBytes, userBytes atomic.Int64
	// userNext is the writer's turn: take from the user queue first.
	// Guarded by mu.
	userNext bool
	// backlog is the node's backlog, which counts the user queue's
	// frames too (runtime_backlog.go); nil for none. Set before use.
	backlog *userBacklog
	// prunes are the PRUNEs waiting in the queues
	// (runtime_linkprune.go). Guarded by mu.
	prunes pendingPrunes
	// disconnect is set once a DISCONNECT is queued: the link's first
	// dial goes ahead of others (outLink.dialUrgent,
	// runtime_linkgiveup.go).
	disconnect atomic.Bool
}

func newLinkQueues(depth, maxBytes int) linkQueues {
	return linkQueues{maxFrames: max(depth, 1), maxBytes: maxBytes}
}

// frameCost estimates the bytes a frame takes on the wire, from what its
// message carries: payloads, names, records. It need not be exact, only
// grow with the message; flush and close markers cost nothing.
func frameCost(f outFrame) int {
	if f.msg == nil {
		return 0
	}
	n := frameCostBase
	switch v := f.msg.(type) {
	case gossipMsg:
		n += len(v.Payload) + len(v.ID.Origin)
	case ihaveMsg:
		for _, e := range v.Entries {
			n += 16 + len(e.ID.Origin)
		}
	case graftMsg:
		for _, id := range v.IDs {
			n += 16 + len(id.Origin)
		}
	case forwardJoinMsg:
		n += len(v.Joiner.Name) + len(v.Joiner.Addr)
	case shuffleMsg:
		n += len(v.Origin.Name) + len(v.Origin.Addr) + peersCost(v.Peers)
	case shuffleReplyMsg:
		n += peersCost(v.Peers)
	case memberBucketsMsg:
		n += 8 * len(v.Hashes)
	case memberRecordsMsg:
		n += 2 * len(v.Want)
		for _, r := range v.Records {
			n += frameCostBase + len(r.Name) + len(r.Addr) + len(r.Meta)
		}
	case memberUserStateMsg:
		n += len(v.State)
	}
	return n
}

// peersCost is the part of frameCost for a list of peers.
func peersCost(peers []Peer) int {
	n := 0
	for _, p := range peers {
		n += 4 + len(p.Name) + len(p.Addr)
	}
	return n
}

// isUserFrame reports whether f belongs in the user queue.
func isUserFrame(f outFrame) bool {
	g, ok := f.msg.(gossipMsg)
	return ok && g.Class == ClassUser
}

// enqueue adds f to its queue without waiting, and starts the writer if it
// is idle; it reports false when that queue is full: it holds depth
// frames, or f would take it over its byte bound (unless it is empty).
func (q *linkQueues) enqueue(f outFrame) bool {
	ok, wake := q.push(f)
	if wake {
		q.wake()
	}
	return ok
}

// push is enqueue without starting the writer: wake reports that the
// writer was idle and is now marked running, so the caller must call
// q.wake (the loop does so once per iteration for every link it queued
// on, runtime_writebatch.go). Until then no other enqueue starts one.
func (q *linkQueues) push(f outFrame) (ok, wake bool) {
	user := isUserFrame(f)
	f.cost = frameCost(f)
	q.mu.Lock()
	// A control frame marked afterUser goes behind the user frames, unless
	// the user queue is full: order then yields to delivery.
	f.inUser = user || f.afterUser && q.user.len() < q.maxFrames
	fifo, bytes := &q.ctrl, &q.ctrlBytes
	if f.inUser {
		fifo, bytes = &q.user, &q.userBytes
	}
	if q.prunes.redundant(f) {
		q.mu.Unlock()
		return true, false // an equal PRUNE waits already
	}
	if !f.inUser {
		var rest bool
		if f, rest = q.mergeGraft(f); !rest {
			q.mu.Unlock()
			return true, false // joined the GRAFT at the tail (runtime_linkgraft.go)
		}
	}
	if fifo.len() >= q.maxFrames {
		q.mu.Unlock()
		return false, false
	}
	if b := bytes.Load(); b > 0 && b+int64(f.cost) > int64(q.maxBytes) {
		q.mu.Unlock()
		return false, false
	}
	q.prunes.record(&f)
	if _, ok := f.msg.(disconnectMsg); ok {
		q.disconnect.Store(true)
	}
	bytes.Add(int64(f.cost))
	if user {
		q.backlog.add(f.cost)
	}
	fifo.push(f)
	wake = q.writer == writerIdle
	if wake {
		q.writer = writerRunning
	}
	q.mu.Unlock()
	return true, wake
}

// taken records that f left its queue. Call it with mu held.
func (q *linkQueues) taken(f outFrame) {
	q.prunes.taken(f)
	if f.inUser {
		q.userBytes.Add(-int64(f.cost))
	} else {
		q.ctrlBytes.Add(-int64(f.cost))
	}
	if isUserFrame(f) {
		q.backlog.remove(f.cost)
	}
}

// discard drops every frame queued (a failed link's leftovers), so that
// they leave the node's backlog, and returns how many it dropped. Safe
// while the writer runs: each frame is taken once.
func (q *linkQueues) discard() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, fifo := range [2]*frameFIFO{&q.ctrl, &q.user} {
		for f, ok := fifo.pop(); ok; f, ok = fifo.pop() {
			q.taken(f)
			n++
		}
	}
	return n
}

// take returns the next frame without waiting, alternating between the
// queues while both have frames; false when both are empty.
func (q *linkQueues) take() (outFrame, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	first, second := &q.ctrl, &q.user
	if q.userNext {
		first, second = second, first
	}
	for _, fifo := range [2]*frameFIFO{first, second} {
		if f, ok := fifo.pop(); ok {
			q.userNext = fifo == &q.ctrl
			q.taken(f)
			return f, true
		}
	}
	return outFrame{}, false
}

// takeUser returns a frame of the user queue without waiting; false when
// it is empty.
func (q *linkQueues) takeUser() (outFrame, bool) {
	return q.takeFrom(&q.user)
}

// takeCtrl returns a frame of the control queue without waiting; false
// when it is empty.
func (q *linkQueues) takeCtrl() (outFrame, bool) {
	return q.takeFrom(&q.ctrl)
}

// takeFrom returns the next frame of fifo, one of q's queues.
func (q *linkQueues) takeFrom(fifo *frameFIFO) (outFrame, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	f, ok := fifo.pop()
	if ok {
		q.taken(f)
	}
	return f, ok
}

// ctrlLen returns the number of frames in the control queue.
func (q *linkQueues) ctrlLen() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.ctrl.len()
}

// depth returns the number of frames queued and the capacity of one
// queue.
func (q *linkQueues) depth() (queued, capacity int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.ctrl.len() + q.user.len(), q.maxFrames
}

// queuedBytes returns the frameCost queued in both queues.
func (q *linkQueues) queuedBytes() int {
	return int(q.ctrlBytes.Load() + q.userBytes.Load())
}
