// Runtime: links to non-neighbours that carried a last word (DISCONNECT, a
// refused NEIGHBOR, a SHUFFLE_REPLY) close once it is written.

package hyparlist

// A link to a peer outside the active view lingers transientLinkLinger
// after its last use, so that the messages of one exchange share a
// connection. Some messages end their exchange: a DISCONNECT (the peer
// is not, or no longer, a neighbour), a refused NEIGHBOR_REPLY and a
// SHUFFLE_REPLY (the walk's answer; its origin replies nothing). A link
// opened for one of them alone closes as soon as it is written instead
// of holding a socket, the peer's reader goroutine and its read buffer
// for the linger: a join storm of 64 nodes opened over 80 links for a
// DISCONNECT alone (BENCHMARKS.md, session 7). The same holds for the
// receiving side: a node told one of them by a peer closes its own link
// to that peer when that link carried one message at most (the refused
// NEIGHBOR request, say). A link that carried more (a join exchange, an
// anti-entropy round) keeps its linger: closing it would cost the next
// message of that exchange a dial and a handshake, which a join storm
// makes scarce at its contact. Neighbours' links, and every link during
// a Leave (which waits for the links open at its end, runtime_leave.go),
// are left alone. A later message to the peer dials again.

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

// singleUse reports whether k is a link to a non-neighbour that carried
// one message at most, outside a Leave.
func (l *runLoop) singleUse(k *outLink) bool {
	return !k.neighbor && k.sent <= 1 && !l.leave.active
}

// closeAnswered closes the link to the peer called from.Name when it is
// single-use (singleUse): from has just ended an exchange with this node
// (see endsExchange).
func (l *runLoop) closeAnswered(from Peer) {
	if k := l.links[from.Name]; k != nil && l.singleUse(k) {
		l.closeLink(k)
	}
}
