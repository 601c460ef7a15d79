package main

import (
	"sync"

	"github.com/hyparlist/hyparlist"
)

// observer is a node's Delegate and EventDelegate. It also implements
// hyparlist.NeighborDelegate, so the node tells it about changes of its
// active view as well as of the member list.
type observer struct {
	name string
	log  *syncLog

	mu       sync.Mutex
	received []string
	ups      []string // NotifyNeighborUp calls, in order
	downs    []string // NotifyNeighborDown calls, in order
}

var _ hyparlist.NeighborDelegate = (*observer)(nil)

// NotifyNeighborUp implements hyparlist.NeighborDelegate.
func (o *observer) NotifyNeighborUp(n *hyparlist.Node) {
	o.mu.Lock()
	o.ups = append(o.ups, n.Name)
	o.mu.Unlock()
	o.log.printf("%s: neighbour up   %s", o.name, n.Name)
}

// NotifyNeighborDown implements hyparlist.NeighborDelegate.
func (o *observer) NotifyNeighborDown(n *hyparlist.Node) {
	o.mu.Lock()
	o.downs = append(o.downs, n.Name)
	o.mu.Unlock()
	o.log.printf("%s: neighbour down %s", o.name, n.Name)
}

// NotifyJoin implements hyparlist.EventDelegate.
func (o *observer) NotifyJoin(n *hyparlist.Node) {}

// NotifyLeave implements hyparlist.EventDelegate.
func (o *observer) NotifyLeave(n *hyparlist.Node) {
	o.log.printf("%s: member %s %s", o.name, n.Name, n.State)
}

// NotifyUpdate implements hyparlist.EventDelegate.
func (o *observer) NotifyUpdate(n *hyparlist.Node) {}

// NotifyMsg implements hyparlist.Delegate.
func (o *observer) NotifyMsg(b []byte) {
	o.mu.Lock()
	o.received = append(o.received, string(b))
	o.mu.Unlock()
}

// messages returns the messages received so far.
func (o *observer) messages() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.received...)
}

// neighborEvents returns the neighbour-up and -down calls so far.
func (o *observer) neighborEvents() (ups, downs []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.ups...), append([]string(nil), o.downs...)
}

// NodeMeta implements hyparlist.Delegate.
func (o *observer) NodeMeta(limit int) []byte { return nil }

// GetBroadcasts implements hyparlist.Delegate; this program only uses
// Memberlist.Broadcast.
func (o *observer) GetBroadcasts(overhead, limit int) [][]byte { return nil }

// LocalState implements hyparlist.Delegate.
func (o *observer) LocalState(join bool) []byte { return nil }

// MergeRemoteState implements hyparlist.Delegate.
func (o *observer) MergeRemoteState(buf []byte, join bool) {}
