package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	memberlist "github.com/hyparlist/hyparlist"
)

// delegate is the application's memberlist.Delegate: it announces a
// role as node metadata, collects the messages it receives, and serves
// its broadcasts from a TransmitLimitedQueue.
//
// Like Serf, it re-queues every broadcast it receives for the first time,
// so that a message spreads even past the nodes its sender gossips it to.
// (memberlist hands each queued message only to the few nodes the sender
// itself gossips to; hyparlist delivers it to every node, and recognises
// the re-queued copies and does not send them again.)
type delegate struct {
	role       string
	broadcasts *memberlist.TransmitLimitedQueue

	mu       sync.Mutex
	received []string        // every NotifyMsg call, in order
	seen     map[string]bool // broadcasts received or sent
}

// Messages are text with a kind prefix.
const (
	broadcastPrefix = "broadcast: "
	directPrefix    = "direct: "
)

// NodeMeta implements memberlist.Delegate.
func (d *delegate) NodeMeta(limit int) []byte {
	return []byte(d.role)
}

// NotifyMsg implements memberlist.Delegate. The slice is only valid
// during the call, so it is copied.
func (d *delegate) NotifyMsg(b []byte) {
	msg := string(b)
	d.mu.Lock()
	d.received = append(d.received, msg)
	fresh := strings.HasPrefix(msg, broadcastPrefix) && !d.seen[msg]
	d.seen[msg] = true
	d.mu.Unlock()
	if fresh {
		d.broadcasts.QueueBroadcast(&broadcast{msg: []byte(msg)})
	}
}

// broadcast queues a new message for the whole cluster.
func (d *delegate) broadcast(text string) {
	msg := broadcastPrefix + text
	d.mu.Lock()
	d.seen[msg] = true
	d.mu.Unlock()
	d.broadcasts.QueueBroadcast(&broadcast{msg: []byte(msg)})
}

// GetBroadcasts implements memberlist.Delegate.
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte {
	return d.broadcasts.GetBroadcasts(overhead, limit)
}

// LocalState implements memberlist.Delegate.
func (d *delegate) LocalState(join bool) []byte { return nil }

// MergeRemoteState implements memberlist.Delegate.
func (d *delegate) MergeRemoteState(buf []byte, join bool) {}

// messages returns a copy of the messages received so far.
func (d *delegate) messages() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.received...)
}

// hasReceived reports whether msg has been received.
func (d *delegate) hasReceived(msg string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Contains(d.received, msg)
}

// broadcast is one entry of the TransmitLimitedQueue.
type broadcast struct {
	msg []byte
}

// Invalidates implements memberlist.Broadcast: no message replaces another.
func (b *broadcast) Invalidates(other memberlist.Broadcast) bool { return false }

// Message implements memberlist.Broadcast.
func (b *broadcast) Message() []byte { return b.msg }

// Finished implements memberlist.Broadcast.
func (b *broadcast) Finished() {}

// events is the application's memberlist.EventDelegate: it logs member
// changes.
type events struct {
	node string
	log  *syncLog
}

// NotifyJoin implements memberlist.EventDelegate.
func (e *events) NotifyJoin(n *memberlist.Node) {
	e.log.printf("%s: %s joined (role %s)", e.node, n.Name, n.Meta)
}

// NotifyLeave implements memberlist.EventDelegate.
func (e *events) NotifyLeave(n *memberlist.Node) { e.log.printf("%s: %s left", e.node, n.Name) }

// NotifyUpdate implements memberlist.EventDelegate.
func (e *events) NotifyUpdate(n *memberlist.Node) { e.log.printf("%s: %s updated", e.node, n.Name) }

// syncLog writes lines to w from many goroutines.
type syncLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *syncLog) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format+"\n", args...)
}
