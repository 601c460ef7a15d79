// HyParView core: a low-priority acceptance that the requester declined.

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
// Not in the paper (which has no fan-out): a DISCONNECT{Alive: true} from
// a peer that this node accepted on a low-priority request and that has
// sent nothing since is taken as that decline. The peer leaves the active
// view for the passive one, as for any DISCONNECT, and is not asked back
// for a repair period; but nothing was lost, since the node is back where
// it was before it accepted, so no repair starts and the periodic top-up
// keeps its pace (hyparview_repairbackoff.go). A peer that sent any
// HyParView message after the acceptance (a Keepalive, within a keepalive
// interval of linking) is a neighbour, and its DISCONNECT is an ordinary
// one.

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
