// Wire: BroadcastOf, what a driver may read of a message it carries.

package hyparlist

// BroadcastOf returns the broadcast a message carries: its class and
// payload, with ok true, for a Plumtree payload message (GOSSIP); ok false
// for every other message. A driver that carries the cores' messages itself
// uses it to schedule sends fairly by Class (see Class) or to account
// payload traffic; the message's other fields stay private to the wire, so
// that the wire can change without breaking drivers. The payload is the
// message's own slice: the caller must not modify it.
func BroadcastOf(m Message) (class Class, payload []byte, ok bool) {
	g, ok := m.(gossipMsg)
	if !ok {
		return 0, nil, false
	}
	return g.Class, g.Payload, true
}
