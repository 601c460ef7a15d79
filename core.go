// Pure cores: the vocabulary the three cores share (Peer, MessageID, Event,
// Action, Timer and their common kinds).

package hyparlist

import "time"

// This file holds the vocabulary shared by the pure protocol cores
// (HyParView, Plumtree and, later, membership): peers, the events a core
// consumes and the actions it produces.
//
// A core is driven the same way by the runtime and by the simulator:
//
//	core.Step(now, event)          // any number of times
//	for _, a := range core.Drain() // then act on what it asked for
//
// Cores never read the clock, start goroutines, lock, or do I/O. Time
// arrives as the now argument of Step; timers are requested with a
// SetTimer action and come back as a TimerFired event.

// Peer names a node of the overlay: a cluster-unique Name and the Addr it
// can be reached at. Cores compare peers by Name only; Addr travels with the
// name so that a passive-view entry learned from a shuffle can be dialled.
type Peer struct {
	Name string
	Addr string
}

// MessageID identifies one broadcast: the name of the node that originated
// it and a sequence number chosen by that node. Two broadcasts of equal
// payloads are two different messages.
type MessageID struct {
	Origin string
	Seq    uint64
}

// Event is an input to a core. The set is closed: the implementations are
// the types in this package that embed no other meaning than their fields.
type Event interface{ isEvent() }

// Action is an output of a core, drained by its driver after Step.
type Action interface{ isAction() }

// Timer is an opaque timer value requested by a core through SetTimer and
// handed back to the same core, unchanged, in a TimerFired event. A core
// re-checks its own state when a timer fires, so a stale timer is harmless.
type Timer interface{ isTimer() }

// Receive is the event "message Msg arrived from peer From".
type Receive struct {
	From Peer
	Msg  Message
}

// TimerFired is the event "the timer a core asked for has expired".
type TimerFired struct {
	Timer Timer
}

// LinkFailed is the event "the connection to Peer is lost": a send to it
// failed, its connection was closed, or its keepalive was missed. It is the
// only way a core learns that a peer may have crashed.
type LinkFailed struct {
	Peer Peer
	// Weak is set when the failure is weak evidence of a crash: a
	// timeout, a missed keepalive, a full send queue, a reset, which a
	// slow peer or a slow local node causes as well; clear when the
	// peer's process is known gone (its streams ended, its address
	// refused the connection) or the driver does not tell. The membership
	// core does not accuse a peer on a weak failure while the local node
	// is behind (membership_accuse_behind.go).
	Weak bool
	// Local is set when the failure was the local node's own: a dial
	// failed for want of its own resources (file descriptors, or a
	// socket's buffers) before it reached the peer, which says nothing about the
	// peer. The membership core never accuses on it
	// (membership_accuse_behind.go).
	Local bool
}

// Send is the action "deliver Msg to peer To". A send to an active-view
// neighbour (see NeighborUp) travels on the long-lived link to it; a send to
// any other peer uses a short-lived connection. A send that fails must be
// reported back as LinkFailed.
type Send struct {
	To  Peer
	Msg Message
}

// SetTimer is the action "hand Timer back in a TimerFired event after
// After". Drivers do not deduplicate timers.
type SetTimer struct {
	After time.Duration
	Timer Timer
}

// NeighborUp reports that Peer entered the active view: the driver keeps a
// long-lived link to it. HyParView emits it as an action; Plumtree consumes
// it as an event.
type NeighborUp struct {
	Peer Peer
}

// NeighborDown reports that Peer left the active view: the driver closes the
// link once the sends queued before this action are written. HyParView emits
// it as an action; Plumtree consumes it as an event.
type NeighborDown struct {
	Peer Peer
}

// Deliver is the action "hand this broadcast to the application". It is
// produced once per message per node.
type Deliver struct {
	ID      MessageID
	Class   Class
	Payload []byte
	// From is the neighbour the payload arrived from; it is the local node
	// for a broadcast that originated here.
	From Peer
	// Hops is the number of overlay hops the payload travelled (0 at the
	// origin).
	Hops uint16
}

// Class separates independent streams of broadcasts that share one
// Plumtree, so that a driver can schedule them fairly. ClassUser carries
// application payloads; ClassMembership carries member-list announcements.
type Class uint8

// Broadcast classes. The values are on the wire: append only.
const (
	ClassUser       Class = 0
	ClassMembership Class = 1
)

// Start is the command "begin running": a core arms its periodic timers.
// A driver sends it once, before any other event.
type Start struct{}

// JoinCluster is the command "join the overlay through Contact".
type JoinCluster struct {
	Contact Peer
}

// leaveCluster is the command "leave the overlay gracefully": neighbours are
// told that this node is going away for good.
type leaveCluster struct{}

// BroadcastPayload is the command "broadcast Payload to every node" on the
// given class. The core chooses the MessageID and delivers the payload
// locally too (Deliver with From set to the local node).
type BroadcastPayload struct {
	Class   Class
	Payload []byte
}

func (Start) isEvent()            {}
func (Receive) isEvent()          {}
func (TimerFired) isEvent()       {}
func (LinkFailed) isEvent()       {}
func (NeighborUp) isEvent()       {}
func (NeighborDown) isEvent()     {}
func (JoinCluster) isEvent()      {}
func (leaveCluster) isEvent()     {}
func (BroadcastPayload) isEvent() {}

// Deliver is also an event: Plumtree's deliveries are the membership core's
// input. BroadcastPayload is also an action: the membership core's
// announcements are Plumtree's input.
func (Deliver) isEvent()           {}
func (BroadcastPayload) isAction() {}

func (Send) isAction()         {}
func (SetTimer) isAction()     {}
func (NeighborUp) isAction()   {}
func (NeighborDown) isAction() {}
func (Deliver) isAction()      {}
