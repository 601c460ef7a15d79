package hyparlist

// This file holds Plumtree's lazy push (the paper's LazyPush and
// dispatch): announcements for lazy peers are queued per peer and sent as
// one IHAVE per peer when the IHaveInterval window closes, or at once when
// a queue reaches IHaveMaxEntries. Nothing is dropped.

// ptQueueKeepCap is the queue capacity always kept for reuse after a
// flush. A larger backing array is kept only while it is at most twice the
// size of what was just flushed; one left over from a burst is released so
// that idle nodes do not hold burst-sized buffers.
const ptQueueKeepCap = 32

// ptFlushTimer is the timer that closes the IHAVE batching window. Each
// core owns one, so a timer from another core instance is recognised and
// ignored.
type ptFlushTimer struct{}

func (*ptFlushTimer) isTimer() {}

// String describes the timer for traces and logs.
func (*ptFlushTimer) String() string { return "plumtree-ihave-flush" }

// lazyPush queues an announcement of e for the neighbour at index i.
func (p *Plumtree) lazyPush(i int, e ihaveEntry) {
	pp := &p.peers.list[i]
	if p.cfg.IHaveInterval == 0 {
		p.emit(Send{To: pp.peer, Msg: ihaveMsg{Entries: []ihaveEntry{e}}})
		return
	}
	pp.queue = append(pp.queue, e)
	if len(pp.queue) >= p.cfg.IHaveMaxEntries {
		p.flushPeer(i)
		return
	}
	if !p.flushArmed {
		p.flushArmed = true
		p.emit(SetTimer{After: p.cfg.IHaveInterval, Timer: p.flushTimer})
	}
}

// flushPeer sends the queued announcements of the neighbour at index i as
// one IHAVE.
func (p *Plumtree) flushPeer(i int) {
	pp := &p.peers.list[i]
	if len(pp.queue) == 0 {
		return
	}
	entries := make([]ihaveEntry, len(pp.queue))
	copy(entries, pp.queue)
	p.emit(Send{To: pp.peer, Msg: ihaveMsg{Entries: entries}})
	if c := cap(pp.queue); c > ptQueueKeepCap && c > 2*len(pp.queue) {
		pp.queue = nil
	} else {
		clear(pp.queue)
		pp.queue = pp.queue[:0]
	}
}

// flushTimerFired closes the batching window: every queue is sent, in
// neighbour name order.
func (p *Plumtree) flushTimerFired(t *ptFlushTimer) {
	if t != p.flushTimer || !p.flushArmed {
		return
	}
	p.flushArmed = false
	for i := range p.peers.list {
		p.flushPeer(i)
	}
}

// announceRecent sends the new neighbour the announcements of the most
// recent cached messages (NeighborUpAnnounce of them).
//
// Not in the paper: a node that joins, or whose links are rebuilt after a
// crash wave, may have missed broadcasts whose tree ran through dead nodes.
// Nobody else would announce them again; this IHAVE lets it graft them from
// its new neighbour (a message it already has is ignored).
func (p *Plumtree) announceRecent(to Peer) {
	if p.cfg.NeighborUpAnnounce == 0 || p.cache.len() == 0 {
		return
	}
	entries := p.cache.recent(nil, p.cfg.NeighborUpAnnounce, &p.seen)
	for len(entries) > 0 {
		n := min(len(entries), p.cfg.IHaveMaxEntries)
		p.emit(Send{To: to, Msg: ihaveMsg{Entries: entries[:n:n]}})
		entries = entries[n:]
	}
}
