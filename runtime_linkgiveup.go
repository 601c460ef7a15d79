// Runtime: a neighbour's link that went down before its stream opened
// keeps only the frames its peer needs, and gives up its dial when none
// is left; an active-view link's first dial goes before the others.

package hyparlist

// This file owns what happens to the link of a neighbour that went down
// (runLoop.neighborDown) before its writer had written anything. Before,
// such a link was closed like any other, "once its queue is written": its
// writer still waited for a dialer slot, dialled, ran the handshake and
// wrote every frame queued. In the bench's join storm of 1,000 nodes in
// one process (BENCHMARKS.md, session 15) closed links were 65-68 % of
// the dials waiting for a slot, and the first dials of new neighbours
// waited behind them, often past the peer's link silence limit: three
// quarters of the links failed as silent had never carried a frame from
// their peer.
//
// Most of what such a link holds only a neighbour uses: Plumtree's
// ClassUser payloads, IHAVEs, GRAFTs and PRUNEs (the peer gets the
// payloads from its other neighbours, and this node's Plumtree grafts from
// its other announcers), keepalives and pings, NEIGHBOR requests and
// their answers. Those are dropped (metric hyparlist.link.down_dropped).
// Kept are:
//
//   - the DISCONNECT that ended the link, which a peer that counts this
//     node as its neighbour needs: without it the peer keeps a neighbour
//     only it counts until its link fails as silent (found by review of
//     session 15's version, which dropped everything). A DISCONNECT is
//     dropped only where the peer cannot count this node: the link still
//     holds this node's own high-priority NEIGHBOR (the request that
//     started the adjacency: HyParView.askHigh, acceptJoiner, onJoin)
//     and no accepted NEIGHBOR_REPLY (which would mean the peer asked
//     first). An accepted NEIGHBOR_REPLY itself is not needed: the
//     DISCONNECT after it tells a peer that asked everything the pair
//     tells it, and a peer that disconnected this node needs no answer
//     (a stray acceptance would only make it send another DISCONNECT);
//   - the walks (FORWARD_JOIN, SHUFFLE and its reply) and JOIN: other
//     nodes act on them whether or not the two are neighbours, and a
//     joiner whose walks are lost gets fewer neighbours;
//   - ClassMembership payloads (announcements and refutations,
//     membership_announce.go) and the member list's exchanges (digest,
//     buckets, records, user state): the peer takes them from a node it
//     does not count. A node's own announcement goes eagerly to its
//     neighbours with no IHAVE elsewhere, so one dropped here may be lost
//     for good, and a refutation lost lets a live member's suspicion
//     expire (found by review of the first version of this rule, which
//     dropped them). A link that keeps them keeps its dial.
//
// When no message is left the link gives up: its writer stops waiting
// for a slot, or stops its dial, and the link ends (metric
// hyparlist.link.down_unsent). Otherwise it dials as a transient link;
// one that carries a DISCONNECT goes ahead of the other dials, as an
// active-view link does (outLink.dialUrgent, runtime_dialers.go). A link whose writer has taken a frame
// (its stream is open) writes its queue as before, and so do the links of
// Leave and of the exchanges closed after their last word
// (runtime_oneshot.go).

var (
	keyDownUnsent  = []string{"hyparlist", "link", "down_unsent"}
	keyDownDropped = []string{"hyparlist", "link", "down_dropped"}
)

// downUnsent counts a down link given up with nothing its peer needs.
func (r *runtimeMetrics) downUnsent() { r.sink.IncrCounterWithLabels(keyDownUnsent, 1, r.labels) }

// downDropped counts n frames dropped from down links.
func (r *runtimeMetrics) downDropped(n int) {
	if n > 0 {
		r.sink.IncrCounterWithLabels(keyDownDropped, float32(n), r.labels)
	}
}

// closeDownLink closes k, the link of a neighbour that went down: if its
// stream has not opened, it keeps only the frames the peer needs
// (keepNeeded) and gives up when they are none. During Leave it closes
// k as any other link: Leave waits for its links' last frames.
func (l *runLoop) closeDownLink(k *outLink) {
	l.closeLink(k)
	select {
	case <-k.abortCh:
		return // closeLink found its queue full
	default:
	}
	if l.leave.active {
		return
	}
	dropped, left, unopened := k.keepNeeded()
	if !unopened {
		return
	}
	l.m.metrics.downDropped(dropped)
	if left == 0 {
		l.m.metrics.downUnsent()
		k.abort()
	}
}

// keepNeeded drops from the queues of k, unless its stream is open, the
// frames that its peer does not need once the link is down (see the file
// comment). It returns the frames dropped and the messages left, and
// whether the stream was still unopened (false: nothing was dropped). A
// link whose writer has ended (its dial failed before the loop learnt
// of it) counts as opened: there is no dial to give up, and it is not
// counted in hyparlist.link.down_unsent.
func (k *outLink) keepNeeded() (dropped, left int, unopened bool) {
	// The writer takes a frame only after setConn, which needs k.mu: with
	// k.mu held and no stream, nothing queued has been written.
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.conn != nil {
		return 0, 0, false
	}
	q := &k.linkQueues
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.writer == writerDone {
		return 0, 0, false
	}
	var queued [2][]outFrame
	for i, fifo := range [2]*frameFIFO{&q.ctrl, &q.user} {
		for f, ok := fifo.pop(); ok; f, ok = fifo.pop() {
			queued[i] = append(queued[i], f)
		}
	}
	disconnect := peerMayCount(queued[0])
	q.disconnect.Store(q.disconnect.Load() && disconnect)
	for i, fifo := range [2]*frameFIFO{&q.ctrl, &q.user} {
		for _, f := range queued[i] {
			if f.msg == nil || neededWhenDown(f.msg, disconnect) {
				fifo.push(f) // markers and kept frames, in their order
				if f.msg != nil {
					left++
				}
				continue
			}
			q.taken(f)
			dropped++
		}
	}
	return dropped, left, true
}

// peerMayCount reports whether the peer of an unopened link may count this
// node as its neighbour, from the control frames queued on the link:
// unless they hold this node's own high-priority NEIGHBOR and no accepted
// NEIGHBOR_REPLY.
func peerMayCount(ctrl []outFrame) bool {
	asked, accepted := false, false
	for _, f := range ctrl {
		switch m := f.msg.(type) {
		case neighborMsg:
			asked = asked || m.HighPriority
		case neighborReplyMsg:
			accepted = accepted || m.Accepted
		}
	}
	return accepted || !asked
}

// neededWhenDown reports whether msg, queued on a neighbour's link that
// went down before its stream opened, is still sent: disconnect says
// whether the peer may count this node (peerMayCount).
func neededWhenDown(msg Message, disconnect bool) bool {
	switch m := msg.(type) {
	case disconnectMsg:
		return disconnect
	case forwardJoinMsg, shuffleMsg, shuffleReplyMsg, joinMsg,
		memberDigestMsg, memberBucketsMsg, memberRecordsMsg, memberUserStateMsg:
		return true
	case gossipMsg:
		return m.Class == ClassMembership
	}
	return false
}

// dialUrgent reports whether l's first dial goes ahead of the other
// dials (runtime_dialers.go): while l is an active-view link, or once it
// carries a DISCONNECT, which its peer needs before it judges l silent.
func (l *outLink) dialUrgent() bool { return l.heartbeat.Load() || l.disconnect.Load() }

// takeLinkSlot takes a dialer slot for l's first dial, ahead of the other
// dialers while l.dialUrgent (dialerSlots.acquireAs). It returns
// errLinkAborted or ErrShutdown when it took none.
func (m *Memberlist) takeLinkSlot(l *outLink) error {
	if m.dialers.acquireAs(l.dialUrgent, l.abortCh, m.shutdownCh) {
		return nil
	}
	select {
	case <-m.shutdownCh:
		return ErrShutdown
	default:
		return errLinkAborted
	}
}
