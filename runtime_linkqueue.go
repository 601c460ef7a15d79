// Runtime: a link's two bounded send queues (user broadcasts, everything
// else).

package hyparlist

import "sync/atomic"

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
// control messages. A flush marker (in the control queue) therefore
// reports that the control frames queued before it are written — what
// UpdateNode and Leave wait for: their announcements are control frames.
// A close marker first writes what the user queue holds.

//
// Each queue is bounded twice: by frames (Config.PeerSendQueueDepth, the
// channel's capacity) and by bytes (Config.PeerSendQueueBytes, estimated
// by frameCost), so that large frames cannot pile up to depth ×
// MaxFrameSize. A frame larger than the byte bound is still accepted by
// an empty queue, so that every frame Config.MaxFrameSize allows can be
// sent; a queue therefore holds at most max(PeerSendQueueBytes,
// MaxFrameSize) bytes.
//
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
	ctrl chan outFrame
	user chan outFrame
	// maxBytes bounds the frameCost of the frames in each queue.
	maxBytes int
	// ctrlBytes and userBytes are the frameCost queued in each queue:
	// added by the loop, subtracted by whoever takes a frame.
	ctrlBytes, userBytes atomic.Int64
	// userNext is the writer's turn: take from the user queue first.
	// Writer-owned.
	userNext bool
	// backlog is the node's backlog, which counts the user queue's
	// frames too (runtime_backlog.go); nil for none. Set before use.
	backlog *userBacklog
}

func newLinkQueues(depth, maxBytes int) linkQueues {
	return linkQueues{ctrl: make(chan outFrame, depth), user: make(chan outFrame, depth), maxBytes: maxBytes}
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

// enqueue adds f to its queue without waiting; it reports false when that
// queue is full: it holds depth frames, or f would take it over its byte
// bound (unless it is empty).
func (q *linkQueues) enqueue(f outFrame) bool {
	ch, bytes, user := q.ctrl, &q.ctrlBytes, isUserFrame(f)
	if user {
		ch, bytes = q.user, &q.userBytes
	}
	f.cost = frameCost(f)
	if b := bytes.Load(); b > 0 && b+int64(f.cost) > int64(q.maxBytes) {
		return false
	}
	// Counted before the frame is visible, so that a taker never
	// uncounts a frame not yet counted.
	bytes.Add(int64(f.cost))
	if user {
		q.backlog.add(f.cost)
	}
	select {
	case ch <- f:
		return true
	default:
		q.taken(f)
		return false
	}
}

// taken records that f left its queue.
func (q *linkQueues) taken(f outFrame) {
	if isUserFrame(f) {
		q.userBytes.Add(-int64(f.cost))
		q.backlog.remove(f.cost)
	} else {
		q.ctrlBytes.Add(-int64(f.cost))
	}
}

// discard drops every frame queued (a failed link's leftovers), so that
// they leave the node's backlog, and returns how many it dropped. Safe
// while the writer runs: each frame is taken once.
func (q *linkQueues) discard() int {
	n := 0
	for _, ch := range [2]chan outFrame{q.ctrl, q.user} {
		for len(ch) > 0 {
			select {
			case f := <-ch:
				q.taken(f)
				n++
			default: // the writer took it
			}
		}
	}
	return n
}

// take returns the next frame without waiting, alternating between the
// queues while both have frames; false when both are empty.
func (q *linkQueues) take() (outFrame, bool) {
	first, second := q.ctrl, q.user
	if q.userNext {
		first, second = second, first
	}
	for _, ch := range [2]chan outFrame{first, second} {
		select {
		case f := <-ch:
			q.userNext = ch == q.ctrl
			q.taken(f)
			return f, true
		default:
		}
	}
	return outFrame{}, false
}

// takeUser returns a frame of the user queue without waiting; false when
// it is empty.
func (q *linkQueues) takeUser() (outFrame, bool) {
	select {
	case f := <-q.user:
		q.taken(f)
		return f, true
	default:
		return outFrame{}, false
	}
}

// depth returns the number of frames queued and the capacity of one
// queue.
func (q *linkQueues) depth() (queued, capacity int) {
	return len(q.ctrl) + len(q.user), cap(q.ctrl)
}

// queuedBytes returns the frameCost queued in both queues.
func (q *linkQueues) queuedBytes() int {
	return int(q.ctrlBytes.Load() + q.userBytes.Load())
}
