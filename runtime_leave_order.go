// Runtime: a member's own "left" announcement is merged after the
// broadcasts it sent before it, when a relay delivers them out of order.

package hyparlist

import "time"

// This file holds back a leaving member's "left" announcement until the
// broadcasts that member sent just before it are delivered, or until
// leftHoldTime passes.
//
// Why: an application broadcast sent just before Leave must reach
// Delegate.NotifyMsg before the leaver's NotifyLeave, as on memberlist,
// whose broadcast queue sends it to several nodes directly before Leave
// sends the dead-self message. Serf relies on it: its leave intent is such
// a broadcast, and a NotifyLeave that comes first makes the member
// "failed", then "left" (serf's TestSerf_eventsLeave_avoidInfiniteLeaveRebroadcast).
// The leaver's own links keep that order (outFrame.afterUser), and so does
// the receiver's callback order (dispatcher.waitRan), but the two
// broadcasts may travel different paths: an application payload goes down
// its sender's own tree (plumtree_trees.go) and an announcement down the
// shared tree (plumtree_shared.go). A neighbour lazy in the leaver's tree
// and eager in the shared one gets the left directly and the intent one
// hop later, from a relay (seen in that serf test, 1 run in 10 to 20).
//
// How: a node's broadcasts, of both classes, are numbered by one counter
// (MessageID.Seq without the shared tree's bit), so a receiver that has
// delivered number s of an origin and gets its left at k > s+1 knows that
// something it sent in between is still on its way. The loop keeps, per
// origin, the highest number it delivered (lastDelivered). A membership
// broadcast whose origin is a live member, that leaves such a gap, and
// that carries the origin's own "left" record is held: it goes to the
// membership core once the origin's number k−1 or a later one is
// delivered, or after leftHoldTime, whichever comes first. Its Plumtree
// relay is not held (Plumtree has pushed it on before it is delivered).
//
// Bounds and limits:
//   - At most one announcement is held per origin (a newer left releases
//     the older one first), and only for a live member, so at most
//     Config.MaxMembers are held, each for at most leftHoldTime.
//   - lastDelivered has at most Config.MaxMembers names; a name is
//     forgotten when its member leaves or dies (NodeLeave), and a new name
//     is not tracked while the map is full (its left is then not held).
//   - Only the origin's own "left" waits: suspicion, death and every other
//     record are merged at once, so failure detection is not delayed. An
//     announcement that also carries other records (not how a node
//     announces its leave) waits with them.
//   - It orders the left after the gap just before it, not after every
//     earlier broadcast: an older broadcast of the leaver that is still
//     missing behind a later delivered one does not hold it.
//   - Unsigned announcements are held too: the number only orders; it
//     grants nothing.

// leftHoldTimer ends the hold of origin's left announcement numbered seq.
type leftHoldTimer struct {
	origin string
	seq    uint64
}

func (leftHoldTimer) isTimer() {}

// leftOrder is the loop's state for holding left announcements; owned by
// the loop goroutine.
type leftOrder struct {
	// last is the highest sequence number (without the shared tree's bit)
	// delivered from each origin.
	last map[string]uint64
	// held is the left announcement held per origin.
	held map[string]Deliver
}

// leftHoldTime is the longest a left announcement waits for the
// broadcasts sent before it: the leaver's own stay after announcing
// (leaveSpreadTime: an IHAVE batch, a GRAFT's wait and a round trip), the
// time a neighbour lazy for the missing broadcast needs to graft it from a
// relay.
func (l *runLoop) leftHoldTime() time.Duration { return l.leaveSpreadTime() }

// holdLeft reports whether d, a membership delivery, is held: it is its
// origin's own left announcement and a broadcast its origin sent before
// it is not delivered yet.
func (l *runLoop) holdLeft(d Deliver) bool {
	o := &l.leftOrder
	origin, seq := d.ID.Origin, d.ID.Seq&^ptSharedBit
	last, ok := o.last[origin]
	if !ok || seq <= last+1 || origin == l.m.self.Name || !l.ms.isLive(origin) || !ownLeft(d) {
		return false
	}
	if prev, ok := o.held[origin]; ok {
		delete(o.held, origin)
		l.feed(coreMembership, prev)
	}
	if o.held == nil {
		o.held = make(map[string]Deliver)
	}
	o.held[origin] = d
	l.timers.add(l.now, l.leftHoldTime(), coreRuntime, leftHoldTimer{origin: origin, seq: seq})
	return true
}

// ownLeft reports whether d's announcement carries its origin's own
// "left" record.
func ownLeft(d Deliver) bool {
	recs, err := decodeAnnouncement(d.Payload)
	if err != nil {
		return false
	}
	for _, r := range recs {
		if r.Name == d.ID.Origin && r.State == memberStateLeft {
			return true
		}
	}
	return false
}

// delivered records that id was delivered, and releases its origin's
// held left announcement when nothing before it is missing any more.
func (l *runLoop) delivered(id MessageID) {
	o := &l.leftOrder
	seq := id.Seq &^ ptSharedBit
	last, ok := o.last[id.Origin]
	switch {
	case ok && seq <= last:
		return
	case !ok && len(o.last) >= l.m.config.MaxMembers:
		return
	case o.last == nil:
		o.last = make(map[string]uint64)
	}
	o.last[id.Origin] = seq
	if h, ok := o.held[id.Origin]; ok && seq+1 >= h.ID.Seq&^ptSharedBit {
		l.releaseLeft(id.Origin)
	}
}

// releaseLeft merges origin's held left announcement, if any.
func (l *runLoop) releaseLeft(origin string) {
	h, ok := l.leftOrder.held[origin]
	if !ok {
		return
	}
	delete(l.leftOrder.held, origin)
	l.feed(coreMembership, h)
}

// onLeftHoldTimer releases the announcement the timer was set for when
// it is still held.
func (l *runLoop) onLeftHoldTimer(t leftHoldTimer) {
	if h, ok := l.leftOrder.held[t.origin]; ok && h.ID.Seq&^ptSharedBit == t.seq {
		l.releaseLeft(t.origin)
	}
}

// forgetOrigin drops what the loop keeps about name's broadcasts, once its
// member has left or died.
func (l *runLoop) forgetOrigin(name string) {
	delete(l.leftOrder.last, name)
}
