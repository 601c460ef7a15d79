// Node, NodeStateType and Address: a member as the API hands it out, and a
// node's address for transports.

package hyparlist

import (
	"fmt"
	"net"
	"slices"
	"strconv"
)

// NodeStateType is a member's state in the member list.
//
// Unlike memberlist, whose Members() always reports StateAlive, hyparlist
// reports the state the member list actually holds for the node.
type NodeStateType int

// Member states. The numeric values match memberlist's.
const (
	// StateAlive: the node announced itself and nobody suspects it.
	StateAlive NodeStateType = iota
	// StateSuspect: a neighbour lost its link to the node; the node has
	// until the suspicion timeout to refute with a higher incarnation.
	StateSuspect
	// StateDead: the suspicion timed out without a refutation.
	StateDead
	// StateLeft: the node announced a graceful Leave.
	StateLeft
)

// String returns the state's lower-case name ("alive", "suspect", "dead",
// "left"), as used in logs and metric labels.
func (t NodeStateType) String() string {
	switch t {
	case StateAlive:
		return "alive"
	case StateSuspect:
		return "suspect"
	case StateDead:
		return "dead"
	case StateLeft:
		return "left"
	}
	return "NodeStateType(" + strconv.Itoa(int(t)) + ")"
}

// Node describes one member of the cluster, as handed to delegates and
// returned by Members. Treat it as read-only: copy it before changing it.
type Node struct {
	// Name is the member's cluster-unique name (Config.Name on that node).
	Name string
	// Addr and Port are the address the member advertises.
	Addr net.IP
	Port uint16
	// Meta is the member's metadata, from its Delegate.NodeMeta; at most
	// MetaMaxSize bytes.
	Meta []byte
	// State is the member's current state in the member list.
	State NodeStateType
	// PMin, PMax and PCur are the protocol versions the member understands
	// (minimum, maximum) and speaks (current).
	PMin uint8
	PMax uint8
	PCur uint8
	// DMin, DMax and DCur are the member's delegate protocol versions
	// (Config.DelegateProtocolMin, Max and Version on that node).
	DMin uint8
	DMax uint8
	DCur uint8
}

// Address returns the member's "host:port", the form transports dial.
func (n *Node) Address() string {
	return net.JoinHostPort(n.Addr.String(), strconv.Itoa(int(n.Port)))
}

// FullAddress returns the member's name together with its "host:port".
func (n *Node) FullAddress() Address {
	return Address{Addr: n.Address(), Name: n.Name}
}

// String returns the member's name.
func (n *Node) String() string {
	return n.Name
}

// cloneNode returns a copy of n that shares no memory with it, so that the
// copy can be handed to code that may keep or change it.
func cloneNode(n *Node) *Node {
	c := *n
	c.Addr = slices.Clone(n.Addr)
	c.Meta = slices.Clone(n.Meta)
	return &c
}

// Address names a node for a transport: the address to dial and,
// optionally, the name of the node expected there.
type Address struct {
	// Addr is the network address to dial, usually "host:port". Required.
	Addr string
	// Name is the name of the node at Addr. Optional, but a transport may
	// use it to check that it reached the intended node.
	Name string
}

// String returns "name (addr)", or just the address when Name is empty.
func (a *Address) String() string {
	if a.Name == "" {
		return a.Addr
	}
	return fmt.Sprintf("%s (%s)", a.Name, a.Addr)
}
