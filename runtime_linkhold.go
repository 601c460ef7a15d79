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
// last frame. In the bench's join storm of 1,000 nodes DISCONNECTs were
// refused for coming over another stream 4,718 times in a run of main and
// 5,947 in one of this change (BENCHMARKS.md, session 16, disco16), and
// each may have left this node counting a neighbour that had dropped it
// until the link failed as silent. So a DISCONNECT refused only because another stream owns its
// name (runtime_linkowner.go) is held. How many are then applied, and
// what that gains, is not yet measured: those runs did not record
// hyparlist.msg.disconnect_late.
//
//   - at most one per name, for at most heldDisconnectLimit names; a
//     DISCONNECT that finds its name's hold taken and not expired, or no
//     room, is refused for good;
//   - when the owner's reader ends within heldDisconnectFor of the
//     DISCONNECT's arrival, the holding stream becomes the owner and the
//     DISCONNECT goes to the loop, after every frame the old owner
//     carried;
//   - the hold is dropped when its stream ends first, when it expires, or
//     when any stream but the owner carries another HyParView frame under
//     its name (its sender's newer word, such as a NEIGHBOR that re-links
//     it, which the older DISCONNECT must not overtake);
//   - the loop ignores the DISCONNECT when its sender became a neighbour
//     again (NeighborUp) after it was held, for instance on a
//     FORWARDJOIN, and counts it in hyparlist.msg.disconnect_stale;
//     otherwise it applies it and counts it in
//     hyparlist.msg.disconnect_late.
//
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

// keyDisconnectStale counts DISCONNECTs held and then ignored because
// their sender became a neighbour again while they were held.
var keyDisconnectStale = []string{"hyparlist", "msg", "disconnect_stale"}

// heldDisconnect is a DISCONNECT waiting for its name's owner to end.
type heldDisconnect struct {
	conn net.Conn // the stream it came over
	in   inbound
	at   time.Time // when it arrived
}

// hold keeps in, a DISCONNECT read from conn under name while another
// stream owns name, and reports whether it did; it replaces an expired
// hold of name. o.mu is held.
func (o *linkOwners) hold(name string, conn net.Conn, in inbound, now time.Time) bool {
	if h, taken := o.held[name]; taken {
		if now.Sub(h.at) <= heldDisconnectFor {
			return false
		}
		delete(o.held, name)
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
	in.heldUps = o.ups.Load() + 1
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
	m.inbox.put(in, m.shutdownCh)
}

// staleHold reports whether in is a held DISCONNECT whose sender became
// a neighbour again after it was held, which the loop ignores; it counts
// a held DISCONNECT as stale or applied late.
func (l *runLoop) staleHold(in inbound) bool {
	if in.heldUps == 0 {
		return false
	}
	if k := l.links[in.from.Name]; k != nil && k.up >= in.heldUps {
		l.m.metrics.sink.IncrCounterWithLabels(keyDisconnectStale, 1, l.m.metrics.labels)
		return true
	}
	l.m.metrics.sink.IncrCounterWithLabels(keyDisconnectLate, 1, l.m.metrics.labels)
	return false
}
