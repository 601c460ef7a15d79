// EventDelegate and ChannelEventDelegate: member joins, leaves and updates, as
// memberlist reports them.

package hyparlist

import "strconv"

// EventDelegate receives member-list changes: a member joined, left (or
// was declared dead), or changed its metadata or state.
//
// Calls are made one at a time and in the order the changes happened, so
// an implementation can reason about ordering; it need not be safe for
// concurrent use. Unlike memberlist, hyparlist does not call it while
// holding the member list's lock: an implementation may call back into the
// Memberlist (for example Members), and a slow implementation delays only
// later events, never the protocol. The *Node argument is a copy owned by
// the callee.
type EventDelegate interface {
	// NotifyJoin is called when a node becomes a member (alive).
	NotifyJoin(*Node)
	// NotifyLeave is called when a member left or was declared dead;
	// Node.State tells which (StateLeft or StateDead).
	NotifyLeave(*Node)
	// NotifyUpdate is called when a member's metadata or address changed.
	// Alive↔suspect changes are not reported, as in memberlist; Node.State
	// in Members() shows them.
	NotifyUpdate(*Node)
}

// NodeEventType says what happened to a member in a NodeEvent.
type NodeEventType int

// Node event types. The numeric values match memberlist's.
const (
	NodeJoin NodeEventType = iota
	NodeLeave
	NodeUpdate
)

// String returns "join", "leave" or "update".
func (t NodeEventType) String() string {
	switch t {
	case NodeJoin:
		return "join"
	case NodeLeave:
		return "leave"
	case NodeUpdate:
		return "update"
	}
	return "NodeEventType(" + strconv.Itoa(int(t)) + ")"
}

// NodeEvent is one member-list change delivered by ChannelEventDelegate.
type NodeEvent struct {
	Event NodeEventType
	// Node is the member after the change. It is the receiver's own copy.
	Node *Node
}

// ChannelEventDelegate is an EventDelegate that sends every change as a
// NodeEvent on Ch.
//
// Each send blocks until the event is received, and later events wait
// behind it: read Ch promptly (or give it a buffer). A nil Ch discards the
// events instead of blocking forever.
type ChannelEventDelegate struct {
	Ch chan<- NodeEvent
}

// NotifyJoin implements EventDelegate.
func (c *ChannelEventDelegate) NotifyJoin(n *Node) { c.send(NodeJoin, n) }

// NotifyLeave implements EventDelegate.
func (c *ChannelEventDelegate) NotifyLeave(n *Node) { c.send(NodeLeave, n) }

// NotifyUpdate implements EventDelegate.
func (c *ChannelEventDelegate) NotifyUpdate(n *Node) { c.send(NodeUpdate, n) }

func (c *ChannelEventDelegate) send(t NodeEventType, n *Node) {
	if c.Ch == nil || n == nil {
		return
	}
	c.Ch <- NodeEvent{Event: t, Node: cloneNode(n)}
}
