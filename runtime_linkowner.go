// Runtime: which stream owns a neighbour's link, so that a DISCONNECT from
// any other stream is refused.

package hyparlist

import (
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
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
// neighbour's previous one (its end not yet seen) is held, and applied
// when that reader ends (runtime_linkhold.go).

// keyMsgRefused counts messages refused for where they came from.
var keyMsgRefused = []string{"hyparlist", "msg", "refused"}

// refusedNotLink is the reason of a DISCONNECT that came over a stream
// other than its sender's link.
const refusedNotLink = "not_link"

// linkOwners maps a peer name to the accepted stream that owns it. It is
// safe for concurrent use by the readers; it holds at most one entry per
// open stream, and the DISCONNECTs held for their names' owners to end
// (runtime_linkhold.go).
type linkOwners struct {
	mu    sync.Mutex
	owner map[string]net.Conn
	held  map[string]heldDisconnect
	// handing holds, per name, the channel closed once the DISCONNECT
	// handed over for it is in the loop's inbox (runtime_linkhold.go).
	handing map[string]chan struct{}
	// spoke holds, per name, the last open stream that does not own the
	// name and carried a HyParView frame other than DISCONNECT under it:
	// a DISCONNECT on a third stream is not held while it is open, for
	// the two have no order (runtime_linkhold.go). One entry per open
	// stream at most: dropped when the stream ends or owns the name.
	spoke map[string]net.Conn
	// ups counts the loop's NeighborUps, so that a held DISCONNECT older
	// than its sender's link is not applied (runtime_linkhold.go).
	ups atomic.Uint64
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

// claimOrHold is claim for in, read from conn under name; a DISCONNECT
// that conn does not own is held (hold), and any other message from a
// stream that does not own name drops the DISCONNECT held for name: it
// is its sender's newer word, from the holding stream or another one. It
// reports whether conn owns name and whether in was held; or, while a
// DISCONNECT for name is handed to the loop, nothing but the channel to
// wait on before asking again (runtime_linkhold.go).
func (o *linkOwners) claimOrHold(name string, conn net.Conn, in inbound, now time.Time) (owns, held bool, wait <-chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if done, ok := o.handing[name]; ok {
		return false, false, done
	}
	if cur, ok := o.owner[name]; ok && cur != conn {
		if _, ok := in.msg.(disconnectMsg); ok {
			if other, ok := o.spoke[name]; ok && other != conn {
				return false, false, nil // maybe older than other's word
			}
			return false, o.hold(name, conn, in, now), nil
		}
		delete(o.held, name)
		if o.spoke == nil {
			o.spoke = make(map[string]net.Conn)
		}
		o.spoke[name] = conn
		return false, false, nil
	}
	if o.spoke[name] == conn {
		delete(o.spoke, name)
	}
	if o.owner == nil {
		o.owner = make(map[string]net.Conn)
	}
	o.owner[name] = conn
	return true, false, nil
}

// release forgets conn as the owner of name, when it is, and returns a
// DISCONNECT held for name that now goes to the loop, with the channel
// to close once it is queued (handOver); a conn that did not own name
// leaves the DISCONNECT it carried held (holderEnded).
func (o *linkOwners) release(name string, conn net.Conn, now time.Time) (inbound, chan struct{}, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.spoke[name] == conn {
		delete(o.spoke, name)
	}
	if o.owner[name] != conn {
		o.holderEnded(name, conn)
		return inbound{}, nil, false
	}
	delete(o.owner, name)
	return o.handOver(name, now)
}

// fromLink reports whether in, read from conn, may go to the protocol
// loop now: a HyParView message claims its sender's name for conn, and a
// DISCONNECT passes only on the stream that owns its name (another one is
// held, runtime_linkhold.go).
func (m *Memberlist) fromLink(conn net.Conn, in inbound) bool {
	if in.msg.Type() >= typeGossip {
		return true
	}
	owns, held, ok := m.claimInOrder(conn, in) // runtime_linkhold.go
	if !ok {
		return false
	}
	if _, ok := in.msg.(disconnectMsg); owns || !ok {
		return true
	}
	m.metrics.sink.IncrCounterWithLabels(keyMsgRefused, 1, m.metrics.with("reason", refusedNotLink))
	what := "dropping DISCONNECT not sent over its sender's link"
	if held {
		what = "holding DISCONNECT not sent over its sender's link until that link's stream ends"
	}
	m.logRefusal(slog.LevelWarn, "not_link", connSource(conn), what, "from", in.from.Name)
	return false
}
