package hyparlist

// This file owns the passive-view shuffle (HyParView §4.4).

// shuffle starts a shuffle walk (HyParView §4.4): "periodically, each
// node performs a shuffle operation with one of its neighbors ... the
// exchange list [contains] p's own identifier, ka nodes from its active
// view and kp nodes from its passive view", sent to a random active
// neighbour with a time to live.
func (h *HyParView) shuffle() {
	if len(h.active) == 0 {
		return
	}
	target := h.active[h.rng.IntN(len(h.active))]
	// The message keeps its own slice: a driver may hold it in flight.
	peers := make([]Peer, 0, 1+h.cfg.ShuffleActive+h.cfg.ShufflePassive)
	peers = append(peers, h.self)
	peers = h.sampleActive(peers, h.cfg.ShuffleActive, target.Name)
	// Remember the sample: its passive entries are evicted first when the
	// reply is integrated.
	h.lastShuffle = h.passive.newMark()
	peers, h.scratch = h.passive.sample(peers, h.cfg.ShufflePassive, "", h.lastShuffle, h.rng, h.scratch)
	h.send(target, shuffleMsg{Origin: h.self, TTL: h.cfg.ShuffleTTL, Peers: peers})
}

// sampleActive appends up to k distinct random active peers other than the
// one called exclude (the shuffle's target knows itself).
func (h *HyParView) sampleActive(dst []Peer, k int, exclude string) []Peer {
	idx := h.scratch[:0]
	for i, p := range h.active {
		if p.Name != exclude {
			idx = append(idx, i)
		}
	}
	for i := 0; i < k && i < len(idx); i++ {
		j := i + h.rng.IntN(len(idx)-i)
		idx[i], idx[j] = idx[j], idx[i]
		dst = append(dst, h.active[idx[i]])
	}
	h.scratch = idx
	return dst
}

// maxShufflePeers is the most entries taken from a Shuffle or ShuffleReply:
// as many as this node would send itself. Longer lists are truncated.
func (h *HyParView) maxShufflePeers() int {
	return 1 + h.cfg.ShuffleActive + h.cfg.ShufflePassive
}

// onShuffle handles a SHUFFLE walk step (HyParView §4.4): "when a node p
// receives a Shuffle request, it decreases its time to live. If the time
// to live of the message is greater than zero and the number of nodes in
// p's active view is greater than 1, the node will select a random node
// from its active view, different from the one he received this shuffle
// message from, and simply forwards the Shuffle request. Otherwise, node p
// accepts the Shuffle request and send back ... a ShuffleReply message that
// includes a number of nodes selected at random from p's passive view
// equal to the number of nodes received in the Shuffle request."
func (h *HyParView) onShuffle(from Peer, m shuffleMsg) {
	origin := m.Origin
	if origin.Name == "" || origin.Name == h.self.Name {
		return // malformed, or the walk came back to its origin
	}
	peers := m.Peers
	if n := h.maxShufflePeers(); len(peers) > n {
		peers = peers[:n]
	}
	ttl := min(m.TTL, h.cfg.ShuffleTTL)
	if ttl > 0 {
		ttl--
	}
	if ttl > 0 && len(h.active) > 1 {
		// Not in the paper: the origin is skipped too, as it would only
		// learn back its own sample.
		if next, ok := h.randomActive(from.Name, origin.Name); ok {
			h.send(next, shuffleMsg{Origin: origin, TTL: ttl, Peers: peers})
			return
		}
	}
	mark := h.passive.newMark()
	reply, scratch := h.passive.sample(make([]Peer, 0, len(peers)), len(peers), origin.Name, mark, h.rng, h.scratch)
	h.scratch = scratch
	h.send(origin, shuffleReplyMsg{Peers: reply})
	h.integrate(peers, origin.Name, mark)
}

// onShuffleReply handles a SHUFFLE_REPLY at the shuffle's origin
// (HyParView §4.4), preferring to evict the entries it sent.
func (h *HyParView) onShuffleReply(_ Peer, m shuffleReplyMsg) {
	peers := m.Peers
	if n := h.maxShufflePeers(); len(peers) > n {
		peers = peers[:n]
	}
	h.integrate(peers, "", h.lastShuffle)
}

// integrate adds the peers of a shuffle exchange to the passive view
// (HyParView §4.4): the local node, active peers and known passive peers
// are skipped; room is made by evicting first the entries marked sent.
//
// Not in the paper (aging): the peer called fresh (a shuffle's origin) is
// known alive now; every other entry is hearsay and is taken as one
// shuffle period old, and does not refresh an entry already present.
func (h *HyParView) integrate(peers []Peer, fresh string, sent uint64) {
	hearsay := h.now - h.cfg.ShuffleInterval
	for _, p := range peers {
		seen := hearsay
		if p.Name == fresh {
			seen = h.now
		}
		h.learn(p, seen, sent)
	}
}
