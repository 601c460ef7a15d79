// Runtime: a DISCONNECT refused only because an ended link's stream still
// owns its sender's name is held, and applied once that stream's reader
// ends.

package hyparlist

import (
	"net"
	"time"
)

// A neighbour that closes its link to this node and then sends DISCONNECT
// over a new stream finds the name still owned by the old stream while
// this node's reader of it waits for room in the loop's inbox
// (runtime_readerend.go): the reader ends only after the loop takes its
// last frame. In the bench's join storm of 1,000 nodes such DISCONNECTs
// were refused 4.7–10.9 k times a run, and each left this node counting a
// neighbour that had dropped it until the link failed as silent
// (BENCHMARKS.md, session 16). So a DISCONNECT refused only because
// another stream owns its name (runtime_linkowner.go) is held:
//
//   - at most one per name, for at most heldDisconnectLimit names; a
//     DISCONNECT that finds its name's hold taken, or no room, is refused
//     for good;
//   - when the owner's reader ends within heldDisconnectFor of the
//     DISCONNECT's arrival, the holding stream becomes the owner and the
//     DISCONNECT goes to the loop, after every frame the old owner
//     carried; it is counted in hyparlist.msg.disconnect_late;
//   - the hold is dropped when its stream ends first, when the stream
//     carries another HyParView frame (its sender's newer word, which
//     must not be overtaken by the older DISCONNECT), or when it expires.
//
// The DISCONNECT is still counted in hyparlist.msg.refused (reason
// not_link) when it arrives. The guard against forged DISCONNECTs holds:
// an outsider's DISCONNECT removes nothing while the owner stream stays
// open, and expires. An outsider who sends one just before a neighbour's
// link ends gets it applied then; on main it could send it just after,
// when its stream would own the free name, with the same effect
// (SECURITY.md, "Names without TLS").

// heldDisconnectFor is how long a held DISCONNECT waits for its name's
// owner stream to end. Not from a paper: a join storm's readers wait for
// the loop tens of seconds, and a neighbour not heard from for longer is
// failed as silent anyway.
const heldDisconnectFor = 30 * time.Second

// heldDisconnectLimit bounds the names with a held DISCONNECT. Not from a
// paper: a node has at most a few dozen neighbours whose links end at
// once, even in a join storm, and an outsider's holds beyond it are
// refused as before.
const heldDisconnectLimit = 1024

// keyDisconnectLate counts DISCONNECTs held and applied when the stream
// that owned their sender's name ended.
var keyDisconnectLate = []string{"hyparlist", "msg", "disconnect_late"}

// heldDisconnect is a DISCONNECT waiting for its name's owner to end.
type heldDisconnect struct {
	conn net.Conn // the stream it came over
	in   inbound
	at   time.Time // when it arrived
}

// hold keeps in, a DISCONNECT read from conn under name while another
// stream owns name, and reports whether it did. o.mu is held.
func (o *linkOwners) hold(name string, conn net.Conn, in inbound, now time.Time) bool {
	if _, taken := o.held[name]; taken {
		return false
	}
	if len(o.held) >= heldDisconnectLimit {
		for n, h := range o.held {
			if now.Sub(h.at) > heldDisconnectFor {
				delete(o.held, n)
			}
		}
		if len(o.held) >= heldDisconnectLimit {
			return false
		}
	}
	if o.held == nil {
		o.held = make(map[string]heldDisconnect)
	}
	o.held[name] = heldDisconnect{conn: conn, in: in, at: now}
	return true
}

// handOver is called when conn, the owner of name, ends, with o.mu held:
// a DISCONNECT held for name within heldDisconnectFor makes its stream
// the owner, and is returned to go to the loop.
func (o *linkOwners) handOver(name string, now time.Time) (inbound, bool) {
	h, ok := o.held[name]
	if !ok {
		return inbound{}, false
	}
	delete(o.held, name)
	if now.Sub(h.at) > heldDisconnectFor {
		return inbound{}, false
	}
	if o.owner == nil {
		o.owner = make(map[string]net.Conn)
	}
	o.owner[name] = h.conn
	return h.in, true
}

// dropHold forgets the DISCONNECT held for name when conn carried it.
// o.mu is held.
func (o *linkOwners) dropHold(name string, conn net.Conn) {
	if h, ok := o.held[name]; ok && h.conn == conn {
		delete(o.held, name)
	}
}

// endStream is called when the reader of conn, accepted under name, ends:
// it gives up conn's ownership of name, or its held DISCONNECT, and hands
// a DISCONNECT held for the name it owned to the loop.
func (m *Memberlist) endStream(name string, conn net.Conn) {
	in, ok := m.owners.release(name, conn, time.Now())
	if !ok {
		return
	}
	m.metrics.sink.IncrCounterWithLabels(keyDisconnectLate, 1, m.metrics.labels)
	m.inbox.put(in, m.shutdownCh)
}
