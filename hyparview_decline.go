// HyParView core: a low-priority acceptance that the requester declined
// while the cluster is full.

package hyparlist

import "slices"

// This file owns the declined acceptance. With RepairFanout > 1 a node
// with a free slot asks several passive peers at once; when more than one
// accepts, it keeps the first and declines the others with
// DISCONNECT{Alive: true} (acceptReply). Each of those had added the
// requester to its active view and, on the DISCONNECT, treated it as a
// neighbour lost: a reactive repair, which chains through the passive
// view while it is turned away. In a settled cluster nearly every passive
// peer is full, so one decline cost up to a whole passive view of refused
// NEIGHBOR requests, each on new connections in both directions (a traced
// idle 64-node local cluster: one decline, 20 refused requests in 25 ms;
// BENCHMARKS.md, session 12).
//
// Not in the paper (which has no fan-out): while the periodic top-up is
// held back (its requests were turned away: the cluster is settled and
// full, hyparview_repairbackoff.go), a DISCONNECT{Alive: true} from a peer
// that this node accepted on a low-priority request and that has sent
// nothing since is taken as that decline. The peer leaves the active view
// for the passive one, as for any DISCONNECT, and is not asked back for a
// repair period; but nothing was lost, since the node is back where it
// was before it accepted, so no repair starts and the periodic top-up
// keeps its back-off. A peer that sent any HyParView message after the
// acceptance (a Keepalive, within a keepalive interval of linking) is a
// neighbour, and its DISCONNECT is an ordinary one. Without keepalives
// (KeepaliveInterval 0) a quiet neighbour may send nothing for a long
// time, so its later DISCONNECT could not be told from a decline: the
// rule is off there and every DISCONNECT is an ordinary one.
//
// Only while held back: after a crash wave a node that accepted a request
// may have had repairs in flight that the acceptance ended (its view was
// full), and the reactive repair after the decline restarts them. Applied
// always, the simulator at 3,000 nodes (seed 7) healed the 95 % crash
// wave into 94.0 % in its largest component against 96.7 % (7 isolated
// nodes against 5). Without a repair timer (RepairInterval 0, the
// simulator's) nothing changes.

// noteAccepted records that the peer called name entered the active view
// because this node accepted its low-priority NEIGHBOR request.
func (h *HyParView) noteAccepted(name string) {
	if !slices.Contains(h.acceptedUnheard, name) {
		h.acceptedUnheard = append(h.acceptedUnheard, name)
	}
}

// heardAccepted clears the mark of the peer called name and reports
// whether it was set: whether name's low-priority request was accepted
// and nothing was heard from it since.
func (h *HyParView) heardAccepted(name string) bool {
	i := slices.Index(h.acceptedUnheard, name)
	if i < 0 {
		return false
	}
	h.acceptedUnheard = slices.Delete(h.acceptedUnheard, i, i+1)
	return true
}

// repairHeldBack reports whether the periodic top-up on the repair timer
// is held back: a periodic round was turned away since the view last
// changed. Never without a repair timer (RepairInterval 0), whose
// periodic top-up on the shuffle timer is not held back.
func (h *HyParView) repairHeldBack() bool {
	return h.cfg.RepairInterval > 0 && (h.repairBackoff.periods > 1 || h.repairBackoff.rejected)
}

// onDeclined handles the decline of an acceptance by the peer from (see
// above): from goes to the passive view and is not asked again for a
// repair period; no repair starts, and the periodic top-up's back-off is
// kept.
func (h *HyParView) onDeclined(from Peer) {
	i := peerIndex(h.active, from.Name)
	if i < 0 {
		return
	}
	backoff := h.repairBackoff
	h.removeActive(i)
	h.repairBackoff = backoff
	h.learn(from, h.now, 0)
	h.backoff(from.Name, true)
}
