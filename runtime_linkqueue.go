package hyparlist

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

// linkQueues are the two send queues of a link, each of the link's
// depth (Config.PeerSendQueueDepth).
type linkQueues struct {
	ctrl chan outFrame
	user chan outFrame
	// userNext is the writer's turn: take from the user queue first.
	// Writer-owned.
	userNext bool
}

func newLinkQueues(depth int) linkQueues {
	return linkQueues{ctrl: make(chan outFrame, depth), user: make(chan outFrame, depth)}
}

// isUserFrame reports whether f belongs in the user queue.
func isUserFrame(f outFrame) bool {
	g, ok := f.msg.(Gossip)
	return ok && g.Class == ClassUser
}

// enqueue adds f to its queue without waiting; it reports false when that
// queue is full.
func (q *linkQueues) enqueue(f outFrame) bool {
	ch := q.ctrl
	if isUserFrame(f) {
		ch = q.user
	}
	select {
	case ch <- f:
		return true
	default:
		return false
	}
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
