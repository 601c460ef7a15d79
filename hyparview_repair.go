// HyParView core: active-view repair from the passive view (NEIGHBOR requests,
// replies, timeouts) and rejoin.

package hyparlist

import "slices"

// This file owns active-view repair: NEIGHBOR requests to passive peers
// (HyParView §4.3), their replies and timeouts, and the two ways an
// isolated or partitioned node finds its way back that are not in the
// paper: re-bootstrap through the seeds and retries of recently lost
// peers.

// repairMode says why the active view is being repaired.
type repairMode uint8

const (
	// repairReactive follows a loss (DISCONNECT, failed link, rejected or
	// unanswered request): a rejected or unanswered request is followed
	// by the next candidate, as in the paper, and peers in back-off are
	// skipped even by an isolated node.
	repairReactive repairMode = iota
	// repairPeriodic is the low-rate top-up from the periodic timers: one
	// round of requests, no chaining, and an isolated node may ask a peer
	// in back-off.
	repairPeriodic
)

// repair fills free active slots from the passive view (HyParView §4.3):
// "p selects a random node q from its passive view and attempts to
// establish a TCP connection ... p sends a NEIGHBOR request ... with high
// priority if p has no elements in its active view, low priority
// otherwise".
//
// A high-priority request is always accepted, so its target joins the
// active view at once (if it is dead, the failed send comes back as
// LinkFailed and the repair moves on). Low-priority requests stay pending,
// one per free slot, until their reply or timeout.
//
// Not in the paper: (1) back-off. A peer that rejected or ignored a
// low-priority request is not asked again (low priority) for one shuffle
// period. A peer that just disconnected this node is not asked at all for
// one shuffle period by a reactive repair, even a high-priority one:
// otherwise nodes that know only one full hub evict each other from it in
// an endless loop (each evicted node is isolated and asks the hub straight
// back, which evicts the next). (2) The periodic timers also call repair,
// so a node left with a free slot, or isolated behind back-offs, keeps
// trying at a low rate. (3) An isolated node sends high-priority requests
// to as many passive peers as it has free slots, all at once, instead of
// one high-priority request and low-priority ones for the other slots:
// after a crash wave most passive peers are dead, each costs a failure
// detection delay, and the live ones often look full (their views still
// hold dead peers), so low-priority requests are turned away. At most
// ActiveViewSize requests go out, and only while the node has no
// neighbour at all (PaperIsolatedRepair: the paper's single one). (4) A peer this node turned away because its view was
// full is asked first once a slot frees (passiveEntry.wanted): it is
// known alive and short of neighbours, where a random passive peer is
// likely dead after a crash wave (PaperNoWanted turns this off). (5) Fan-out: RepairFanout attempts per
// free slot are kept outstanding, counting the high-priority requests
// not yet answered (h.unconfirmed); the surplus ones are low priority. A
// surplus acceptance replaces an unanswered high-priority peer or is
// declined (onNeighborReply).
func (h *HyParView) repair(mode repairMode) {
	isolated := len(h.active) == 0
	for len(h.pending)+len(h.unconfirmed) < h.repairLimit() {
		high := isolated && len(h.active) < h.cfg.ActiveViewSize
		if h.cfg.PaperIsolatedRepair {
			high = len(h.active) == 0
		}
		var i int
		i, h.scratch = h.passive.candidate(h.now, high, isolated && mode == repairPeriodic, h.pending, h.rng, h.scratch)
		if i < 0 {
			return
		}
		p := h.passive.entries[i].peer
		if high {
			h.askHigh(p)
			continue
		}
		h.passive.entries[i].retryAt = h.now + h.cfg.repairInterval()
		h.request(p, mode == repairReactive, false)
	}
}

// repairLimit is the number of repair attempts (pending requests plus
// unanswered high-priority ones) the node keeps outstanding: RepairFanout
// per slot not held by a confirmed neighbour.
func (h *HyParView) repairLimit() int {
	confirmed := len(h.active) - len(h.unconfirmed)
	return (h.cfg.ActiveViewSize - confirmed) * h.cfg.RepairFanout
}

// askHigh adds p to the active view and sends it a high-priority
// NEIGHBOR request, which a live peer always accepts (HyParView §4.3); p
// stays unconfirmed until it is heard from.
func (h *HyParView) askHigh(p Peer) {
	h.addActive(p)
	if peerIndex(h.active, p.Name) >= 0 && !slices.Contains(h.unconfirmed, p.Name) {
		h.unconfirmed = append(h.unconfirmed, p.Name)
	}
	h.send(p, neighborMsg{HighPriority: true})
}

// request sends a low-priority NEIGHBOR to p and arms its timeout.
func (h *HyParView) request(p Peer, chain, probe bool) {
	h.nextRequest++
	h.pending = append(h.pending, neighborRequest{peer: p, id: h.nextRequest, chain: chain, probe: probe})
	h.send(p, neighborMsg{HighPriority: false})
	h.setTimer(h.cfg.NeighborRequestTimeout, neighborTimeout{name: p.Name, id: h.nextRequest})
}

// pendingIndex returns the position of the request to the peer called
// name in reqs, or -1.
func pendingIndex(reqs []neighborRequest, name string) int {
	for i := range reqs {
		if reqs[i].peer.Name == name {
			return i
		}
	}
	return -1
}

// dropPending removes and returns the request to the peer called name.
func (h *HyParView) dropPending(name string) (neighborRequest, bool) {
	i := pendingIndex(h.pending, name)
	if i < 0 {
		return neighborRequest{}, false
	}
	req := h.pending[i]
	last := len(h.pending) - 1
	h.pending[i] = h.pending[last]
	h.pending[last] = neighborRequest{}
	h.pending = h.pending[:last]
	return req, true
}

// backoff keeps the passive peer called name from being asked for a
// low-priority link (and, if dropped, for any link by a reactive repair)
// for one repair period (HyParViewConfig.RepairInterval).
func (h *HyParView) backoff(name string, dropped bool) {
	if i := h.passive.index(name); i >= 0 {
		e := &h.passive.entries[i]
		e.retryAt = h.now + h.cfg.repairInterval()
		if dropped {
			e.highAt = e.retryAt
		}
	}
}

// onNeighborReply handles the answer to a NEIGHBOR request (HyParView
// §4.3). On acceptance the peer enters the active view (evicting a random
// neighbour if the view filled up meanwhile, as addNodeActiveView does);
// on rejection it stays in the passive view and, after a failure, the next
// passive peer is tried.
func (h *HyParView) onNeighborReply(from Peer, m neighborReplyMsg) {
	req, ok := h.dropPending(from.Name)
	active := peerIndex(h.active, from.Name) >= 0
	switch {
	case !ok:
		// The reply to a high-priority request (this node added the peer
		// already), or a late reply to a request given up on. Not in the
		// paper: if the peer accepted but is not a neighbour, it holds a
		// link this node does not; tell it, as for a stray Keepalive
		// (unless PaperAsymmetricLinks).
		if m.Accepted && !active && !h.cfg.PaperAsymmetricLinks {
			h.send(from, disconnectMsg{Alive: true})
		}
	case m.Accepted:
		h.resetRepairBackoff()
		h.acceptReply(from)
	default:
		if !req.chain && !req.probe {
			h.repairBackoff.rejected = true
		}
		if req.probe {
			h.dropLost(from.Name)
			if !h.forcedAny || h.now-h.forcedAt >= h.cfg.LostPeerTTL {
				// A lost peer is reachable again, but full: force one
				// link to it (see retryLost).
				h.forcedAny, h.forcedAt = true, h.now
				h.askHigh(from)
				return
			}
			h.learn(from, h.now, 0)
		}
		h.backoff(from.Name, false)
		if req.chain {
			h.repair(repairReactive)
		}
	}
}

// acceptReply handles an accepted low-priority request from the peer: it
// enters the active view. Not in the paper: with RepairFanout > 1 the view
// may have filled meanwhile. The newcomer then replaces a neighbour that
// was asked with high priority and has not answered (after a crash wave,
// most likely dead), or, if every neighbour has answered, is declined
// with DISCONNECT and kept in the passive view as known alive, instead of
// evicting a live neighbour.
func (h *HyParView) acceptReply(from Peer) {
	if len(h.active) < h.cfg.ActiveViewSize {
		h.addActive(from)
		return
	}
	if len(h.unconfirmed) > 0 {
		name := h.unconfirmed[0]
		if i := peerIndex(h.active, name); i >= 0 {
			p := h.active[i]
			h.send(p, disconnectMsg{Alive: true})
			h.removeActive(i)
			h.learn(p, 0, 0)
		}
		h.confirm(name)
		h.addActive(from)
		return
	}
	h.send(from, disconnectMsg{Alive: true})
	h.learn(from, h.now, 0)
}

// neighborTimedOut gives up on a request that got no reply in time and,
// after a failure, tries the next passive peer.
func (h *HyParView) neighborTimedOut(t neighborTimeout) {
	i := pendingIndex(h.pending, t.name)
	if i < 0 || h.pending[i].id != t.id {
		return // answered already, or a newer request to the same peer
	}
	req, _ := h.dropPending(t.name)
	h.backoff(t.name, false)
	if req.chain {
		h.repair(repairReactive)
	}
}

// addLost remembers p as recently lost; the oldest entry makes room.
// Not in the paper: see retryLost.
func (h *HyParView) addLost(p Peer) {
	if h.cfg.MaxLostPeers == 0 || h.cfg.LostPeerRetryInterval == 0 {
		return
	}
	for i := range h.lost {
		if h.lost[i].peer.Name == p.Name {
			return // keep the first loss time so that the entry expires
		}
	}
	if len(h.lost) >= h.cfg.MaxLostPeers {
		copy(h.lost, h.lost[1:])
		h.lost = h.lost[:len(h.lost)-1]
	}
	h.lost = append(h.lost, lostPeer{peer: p, at: h.now})
}

// dropLost forgets the lost peer called name.
func (h *HyParView) dropLost(name string) {
	for i := range h.lost {
		if h.lost[i].peer.Name == name {
			h.lost = append(h.lost[:i], h.lost[i+1:]...)
			return
		}
	}
}

// retryLost asks one random recently lost peer for a link. Not in the
// paper: when a network partition heals, the two sides have purged each
// other from their active views (the sends across failed), and as both
// sides' views are full again, nothing in the paper's protocol brings
// them together: low-priority requests across are rejected and the
// surviving passive entries across are never tried. So a node retries one
// lost peer per LostPeerRetryInterval with a low-priority NEIGHBOR (high
// priority if the node is isolated). An accepted request links the two
// overlays. A rejected one proves the peer alive: the node then forces the
// link with a high-priority NEIGHBOR, at most once per LostPeerTTL, which
// bounds the churn of a healing partition to one forced link per node
// while guaranteeing that the two sides connect. Entries expire after
// LostPeerTTL, so a crashed peer costs a few failed sends at most.
func (h *HyParView) retryLost() {
	keep := h.lost[:0]
	for _, l := range h.lost {
		if h.now-l.at < h.cfg.LostPeerTTL {
			keep = append(keep, l)
		}
	}
	clear(h.lost[len(keep):])
	h.lost = keep
	if len(h.lost) == 0 || len(h.pending) >= h.cfg.ActiveViewSize*h.cfg.RepairFanout {
		return
	}
	l := h.lost[h.rng.IntN(len(h.lost))]
	if peerIndex(h.active, l.peer.Name) >= 0 || pendingIndex(h.pending, l.peer.Name) >= 0 {
		return
	}
	if len(h.active) == 0 {
		h.askHigh(l.peer)
		return
	}
	h.request(l.peer, false, true)
}

// rejoin re-bootstraps an isolated node. Not in the paper: a node whose
// active view stayed empty for RejoinInterval and whose passive view has
// nobody left to try (every entry failed) sends JOIN to the seeds in turn
// (cfg.Seeds, then the latest JoinCluster contact), as a new node would;
// without it such a node stays alone for good. A seed whose JOIN fails is
// followed at once by the next one, each seed at most once per round.
func (h *HyParView) rejoin() {
	if len(h.active) > 0 || len(h.pending) > 0 {
		return
	}
	if len(h.passive.entries) > 0 {
		h.repair(repairPeriodic)
		return
	}
	if h.now-h.emptySince < h.cfg.RejoinInterval {
		return
	}
	h.emptySince = h.now
	h.rejoinLeft = len(h.cfg.Seeds) + 1
	h.joinNextSeed()
}

// joinNextSeed sends JOIN to the next seed of the current rejoin round.
func (h *HyParView) joinNextSeed() {
	h.rejoinTarget = ""
	n := len(h.cfg.Seeds) + 1
	for ; h.rejoinLeft > 0; h.rejoinLeft-- {
		k := h.nextSeed % n
		h.nextSeed = (h.nextSeed + 1) % n
		seed := h.lastContact
		if k < len(h.cfg.Seeds) {
			seed = h.cfg.Seeds[k]
		}
		if seed.Name != "" && seed.Name != h.self.Name {
			h.rejoinLeft--
			h.rejoinTarget = seed.Name
			h.send(seed, joinMsg{})
			return
		}
	}
}
