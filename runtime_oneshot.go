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
// (BENCHMARKS.md, session 7). A later message to the peer dials again.

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
