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
// (MessageID.Seq without the shared tree's bit). A membership broadcast
// that carries its origin's own "left" record, numbered k, about a live
// member, is held when Plumtree has not delivered one of the origin's
// numbers k−leftGapSearch to k−1 but has delivered a lower one within
// leftGapWindow of k: the node has been getting the origin's broadcasts,
// and one sent shortly before the left (serf's intent, or an announcement
// the leaver made between it and the left) is still on its way. It goes
// to the membership core once those numbers are delivered, or after
// leftHoldTime, whichever comes first. Its Plumtree relay is not held
// (Plumtree has pushed it on before it is delivered). The loop asks Plumtree's seen set (Plumtree.known) and
// keeps nothing per origin but what it holds.
//
// Bounds and limits:
//   - At most one announcement is held per origin (a newer left releases
//     the older one first), and only for a live member, so at most
//     Config.MaxMembers are held, each for at most leftHoldTime.
//   - Only the origin's own "left" waits: suspicion, death and every other
//     record are merged at once, so failure detection is not delayed. An
//     announcement that also carries other records (not how a node
//     announces its leave) waits with them.
//   - It orders the left after the leftGapSearch broadcasts just before
//     it, not after every earlier one: an older broadcast of the leaver
//     that is still missing does not hold it. One of them that never
//     arrives makes the left wait the whole leftHoldTime.
//   - A left whose previous number the node never gets (sent while the
//     leaver had no neighbour, refused, or remembered for a shorter time
//     than an earlier one: MembershipSeenTTL is shorter than SeenTTL)
//     waits leftHoldTime for nothing; one after a pause longer than the
//     seen TTLs does not wait, as nothing below it is remembered.

// leftHoldTimer ends the hold of origin's left announcement numbered seq.
type leftHoldTimer struct {
	origin string
	seq    uint64
}

func (leftHoldTimer) isTimer() {}

// leftGapWindow is how far below a left announcement the loop looks for
// a delivered broadcast of its origin before it holds the left for the one
// just below it. Chosen: a leaver's last few broadcasts may be in flight
// together, and a longer look only costs seen-set lookups (two per number:
// both trees) on the rare left whose previous number is missing.
const leftGapWindow = 64

// leftGapSearch is how many of the numbers just below a left
// announcement must be delivered for it to be merged at once: the
// leaver's last broadcasts before Leave (serf's leave intent) and the
// announcements it made between them and its left (records of other
// members, a suspicion) are that close to it.
const leftGapSearch = 8

// leftOrder is the left announcements held, per origin; owned by the
// loop goroutine.
type leftOrder struct {
	held map[string]Deliver
}

// leftHoldTime is the longest a left announcement waits for the
// broadcasts sent before it: the leaver's own stay after announcing
// (leaveSpreadTime: an IHAVE batch, a GRAFT's wait and a round trip), the
// time a neighbour lazy for the missing broadcast needs to graft it from a
// relay.
func (l *runLoop) leftHoldTime() time.Duration { return l.leaveSpreadTime() }

// holdLeft reports whether d, a membership delivery, is held: it is its
// origin's own left announcement and a broadcast its origin sent shortly
// before it is not delivered yet. The seen-set lookups come before the
// decoding: most membership deliveries have no gap below them.
func (l *runLoop) holdLeft(d Deliver) bool {
	origin, seq := d.ID.Origin, d.ID.Seq&^ptSharedBit
	if origin == l.m.self.Name || !l.ms.isLive(origin) || !l.missingBefore(origin, seq) || !ownLeft(d) {
		return false
	}
	o := &l.leftOrder
	if prev, ok := o.held[origin]; ok {
		delete(o.held, origin)
		l.feed(coreMembership, prev)
	}
	if o.held == nil {
		o.held = make(map[string]Deliver)
	}
	o.held[origin] = d
	l.m.logger.Debug("left announcement held until the broadcast sent before it", "member", origin, "seq", seq)
	l.timers.add(l.now, l.leftHoldTime(), coreRuntime, leftHoldTimer{origin: origin, seq: seq})
	return true
}

// knownSeq reports whether Plumtree delivered origin's broadcast number
// seq, in either tree.
func (l *runLoop) knownSeq(origin string, seq uint64) bool {
	return l.pt.known(MessageID{Origin: origin, Seq: seq}) || l.pt.known(MessageID{Origin: origin, Seq: seq | ptSharedBit})
}

// missingBefore reports whether one of origin's leftGapSearch numbers
// just below seq is not delivered while a lower one, within leftGapWindow
// of seq, is: the node has been getting the origin's broadcasts and one
// sent shortly before seq is still on its way. The common case (the last
// leftGapSearch numbers all delivered) costs leftGapSearch lookups.
func (l *runLoop) missingBefore(origin string, seq uint64) bool {
	gap := false
	for j := seq - 1; j+leftGapWindow >= seq && j > 0 && j < seq; j-- {
		switch {
		case !l.knownSeq(origin, j):
			gap = true
		case gap:
			return true
		case j+leftGapSearch <= seq:
			return false // no gap near seq
		}
	}
	return false
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

// delivered releases the held left announcement of id's origin when id
// fills the last gap below it.
func (l *runLoop) delivered(id MessageID) {
	h, ok := l.leftOrder.held[id.Origin]
	if !ok {
		return
	}
	hs, s := h.ID.Seq&^ptSharedBit, id.Seq&^ptSharedBit
	if s < hs && s+leftGapSearch >= hs && !l.missingBefore(id.Origin, hs) {
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
		l.m.logger.Debug("left announcement released without the broadcast sent before it", "member", t.origin, "seq", t.seq)
		l.releaseLeft(t.origin)
	}
}
