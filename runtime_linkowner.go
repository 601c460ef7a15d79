// Runtime: which stream owns a neighbour's link, so that a DISCONNECT from
// any other stream is refused.

package hyparlist

import (
	"log/slog"
	"net"
	"sync"
)

// This file keeps a node from dropping a neighbour on a DISCONNECT that
// did not come over the neighbour's own link. Without TLS a Hello's name
// is not verified, so anyone who reaches the port could open a stream
// under a neighbour's name and send DISCONNECT: one such frame per
// neighbour emptied a node's active view (issue 14). A neighbour sends
// all of its HyParView frames over the one link it dialled to this node
// (runtime_conn.go), so the node honours a DISCONNECT naming a peer only
// on the stream that peer's HyParView frames came over first:
//
//   - the first accepted stream that carries a HyParView message (JOIN,
//     NEIGHBOR, SHUFFLE, KEEPALIVE, …) under a name owns that name until
//     it ends; a later stream under the same name does not take it over
//     while it is open;
//   - a DISCONNECT on a stream that does not own its name is dropped and
//     counted in hyparlist.msg.refused (reason not_link);
//   - a link ping, sent only on a neighbour's link, claims the name too,
//     and the owner that carried keepalives or link pings is the stream
//     whose end may fail the link at once (runtime_linkend.go).
//
// An outsider who opens a stream under a neighbour's name while the
// neighbour's link is up therefore cannot remove it. What it does not
// cover: a name with no open link (the outsider's stream then owns it
// until it ends), and other forged messages (a NEIGHBOR, a broadcast in
// another's name); Config.TLS binds names to certificates for those. An
// honest DISCONNECT sent on a new link while this node still reads the
// neighbour's previous one (its end not yet seen) is dropped too; the
// link then ends by the silence limit, as for a crashed neighbour.

// keyMsgRefused counts messages refused for where they came from.
var keyMsgRefused = []string{"hyparlist", "msg", "refused"}

// refusedNotLink is the reason of a DISCONNECT that came over a stream
// other than its sender's link.
const refusedNotLink = "not_link"

// linkOwners maps a peer name to the accepted stream that owns it. It is
// safe for concurrent use by the readers; it holds at most one entry per
// open stream.
type linkOwners struct {
	mu    sync.Mutex
	owner map[string]net.Conn
}

// claim makes conn the owner of name unless another stream owns it, and
// reports whether conn owns it.
func (o *linkOwners) claim(name string, conn net.Conn) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if cur, ok := o.owner[name]; ok {
		return cur == conn
	}
	if o.owner == nil {
		o.owner = make(map[string]net.Conn)
	}
	o.owner[name] = conn
	return true
}

// release forgets conn as the owner of name, when it is.
func (o *linkOwners) release(name string, conn net.Conn) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.owner[name] == conn {
		delete(o.owner, name)
	}
}

// fromLink reports whether msg, read from conn under name, may go to the
// protocol loop: a HyParView message claims the name for conn, and a
// DISCONNECT passes only on the stream that owns its name.
func (m *Memberlist) fromLink(conn net.Conn, name string, msg Message) bool {
	if msg.Type() >= typeGossip {
		return true
	}
	if m.owners.claim(name, conn) {
		return true
	}
	if _, ok := msg.(disconnectMsg); !ok {
		return true
	}
	m.metrics.sink.IncrCounterWithLabels(keyMsgRefused, 1, m.metrics.with("reason", refusedNotLink))
	m.logRefusal(slog.LevelWarn, "not_link", connSource(conn), "dropping DISCONNECT not sent over its sender's link", "from", name)
	return false
}
