package hyparlist

// This file owns what happens when a link cannot take a broadcast payload
// as fast as the node produces them.
//
// A full user queue (runtime_linkqueue.go) does not fail the link: the
// Plumtree Gossip that does not fit is replaced by its lazy announcement,
// an IHAVE of the same message ID and round, queued on the control queue.
// The neighbour treats it like any IHAVE (plumtree.go, receiveIHave):
// unless the payload reaches it by another path first, it sends a GRAFT
// once its graft timer fires, and this node answers from its message cache
// (Config.MessageCacheTTL) with the payload, by then on a queue that has
// drained. A GRAFT answer that again finds the user queue full is
// announced again, and the neighbour, which still misses the message,
// grafts it again. Plumtree's seen set makes the neighbour deliver it once
// whatever the number of attempts. A payload the cache no longer holds
// when the GRAFT arrives is lost for that neighbour, as for any IHAVE
// answered too late. Only a full control queue fails the link. Not in the
// papers, which assume links that do not fall behind.
//
// Only Plumtree Gossip of ClassUser uses the user queue (isUserFrame), so
// every frame a full user queue refuses can be deferred this way; the
// point-to-point user messages (SendReliable) use streams of their own
// and report write errors to their caller.

// deferUser queues, on k's control queue, the announcement of msg, a
// broadcast payload k's user queue refused. It reports false when msg is
// not a user payload or the control queue is full too.
func (l *runLoop) deferUser(k *outLink, msg Message) bool {
	g, ok := msg.(Gossip)
	if !ok || g.Class != ClassUser {
		return false
	}
	ih := IHave{Entries: []IHaveEntry{{ID: g.ID, Round: g.Round}}}
	if !k.enqueue(outFrame{msg: ih}) {
		return false
	}
	l.m.metrics.userDeferred()
	return true
}
