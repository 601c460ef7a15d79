// Plumtree core: the adaptive first graft timeout, learnt from how late
// eager copies come after their first IHAVE.

package hyparlist

// Not in the paper: with PlumtreeConfig.GraftTimeoutMin above 0, the wait
// after the first IHAVE of a missing message (the paper's first timer) is
// not the fixed GraftTimeout1 but follows how late the eager copies of
// messages have come after their first IHAVE at this node: twice a
// decaying high estimate of that lag, between GraftTimeoutMin and
// GraftTimeout1. The paper's value must cover the slowest eager copy the
// deployment expects, so on a quiet LAN, where eager copies come within
// milliseconds, every repair costs the full wait; under load, where they
// come later, a fixed short wait grafts payloads still on their way
// (premature grafts: a duplicate payload and a PRUNE each).
//
// The lag is sampled when a missing message's payload arrives:
//   - from a neighbour that did not announce it: an eager copy, lag = now
//     − first IHAVE, whether it came before the GRAFT (the wait was long
//     enough) or after (the GRAFT was premature: the sample exceeds the
//     wait and raises it);
//   - as the answer to its only GRAFT: the eager copy, if one was on its
//     way, comes later as a duplicate; the message is remembered (the last
//     ptLagRecent such messages) and a duplicate of it from a neighbour is
//     sampled as above.
//
// The estimate jumps to any larger sample and moves 1/32 of the way
// towards a smaller one, so a late copy lengthens the wait at once and
// fast ones shorten it over about a hundred samples. It starts at zero:
// the first waits are GraftTimeoutMin. The decay and the factor 2 were
// chosen with the simulator (500 nodes, seed 7, per-root trees, links of
// 1-50 ms, GraftTimeoutMin 20 ms, GraftTimeout1 500 ms): RMR with random
// senders 0.24 with 1/8 and 3/2, 0.12 with 1/32 and 2 (1/64: 0.117); a
// fixed 50 ms gives 0.61 there and 500 ms 0.

// ptLagRecent is how many messages received as the answer to their only
// GRAFT are remembered, so that a later eager copy of one is sampled.
const ptLagRecent = 64

// ptLag is the state of the adaptive first graft timeout.
type ptLag struct {
	// est is the decaying high estimate of the lag, in core nanoseconds.
	est int64
	// recent holds the messages last received as a GRAFT's answer, with
	// their first IHAVE's core time; next is the slot written next.
	recent [ptLagRecent]ptLagGrafted
	next   int
}

// ptLagGrafted is a message received as the answer to its only GRAFT.
type ptLagGrafted struct {
	id   MessageID
	born int64
	set  bool
}

// sample adds one observed lag.
func (l *ptLag) sample(lag int64) {
	lag = max(lag, 0)
	if lag >= l.est {
		l.est = lag
		return
	}
	l.est -= (l.est - lag) / 32
}

// grafted remembers id, first announced at core time born, as received
// from the peer it was grafted from.
func (l *ptLag) grafted(id MessageID, born int64) {
	l.recent[l.next] = ptLagGrafted{id: id, born: born, set: true}
	l.next = (l.next + 1) % ptLagRecent
}

// duplicate samples the lag of a duplicate copy of id received at core
// time now, if id is a remembered grafted message; each is sampled once.
func (l *ptLag) duplicate(id MessageID, now int64) {
	for i := range l.recent {
		if r := &l.recent[i]; r.set && r.id == id {
			l.sample(now - r.born)
			*r = ptLagGrafted{}
			return
		}
	}
}

// firstGraftWait is the wait after the first IHAVE of a missing message:
// GraftTimeout1, or with GraftTimeoutMin set, twice the lag estimate
// between GraftTimeoutMin and GraftTimeout1.
func (p *Plumtree) firstGraftWait() int64 {
	hi := int64(p.cfg.GraftTimeout1)
	lo := int64(p.cfg.GraftTimeoutMin)
	if lo <= 0 {
		return hi
	}
	return min(max(2*p.lag.est, lo), hi)
}

// lagOnPayload samples the lag when the payload of missing message miss
// (announced by IHAVE before it came) arrives from the peer called from.
func (p *Plumtree) lagOnPayload(id MessageID, from string, miss *ptMissing) {
	if p.cfg.GraftTimeoutMin <= 0 {
		return
	}
	switch {
	case !ptAnnounced(miss.announcers, from):
		p.lag.sample(p.now - miss.born)
	case miss.grafts == 1:
		p.lag.grafted(id, miss.born)
	}
}

// lagOnDuplicate samples the lag of a duplicate payload of id.
func (p *Plumtree) lagOnDuplicate(id MessageID) {
	if p.cfg.GraftTimeoutMin <= 0 {
		return
	}
	p.lag.duplicate(id, p.now)
}
