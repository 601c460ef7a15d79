// Runtime: links to non-neighbours that carried a last word (DISCONNECT, a
// refused NEIGHBOR, a SHUFFLE_REPLY) close once it is written.

package hyparlist

// A link to a peer outside the active view lingers transientLinkLinger
// after its last use, so that the messages of one exchange share a
// connection. Some messages end their exchange: a DISCONNECT (the peer
// is not, or no longer, a neighbour), a refused NEIGHBOR_REPLY and a
// SHUFFLE_REPLY (the walk's answer; its origin replies nothing). Nothing
// follows them, so the link that carried one closes as soon as it is
// written instead of holding a socket, the peer's reader goroutine and
// its read buffer for the linger (except during a Leave, which waits
// for the links open at its end, runtime_leave.go): after a join storm of 64 nodes these
// links were about half of the streams open at the idle window's start
// (BENCHMARKS.md, session 7). The same holds for the receiving side: a
// node told one of them by a peer outside its active view closes its own
// link to that peer, which carried the request now answered (a refused
// NEIGHBOR) or nothing of this exchange. A later message to the peer
// dials again.

// endsExchange reports whether msg is the last message of its exchange
// with a peer that is not a neighbour.
func endsExchange(msg Message) bool {
	switch m := msg.(type) {
	case disconnectMsg, shuffleReplyMsg:
		return true
	case neighborReplyMsg:
		return !m.Accepted
	}
	return false
}

// closeAnswered closes the link to the peer called from.Name when it is not
// a neighbour's: from has just ended an exchange with this node (see
// endsExchange). Not during a Leave.
func (l *runLoop) closeAnswered(from Peer) {
	if k := l.links[from.Name]; k != nil && !k.neighbor && !l.leave.active {
		l.closeLink(k)
	}
}
