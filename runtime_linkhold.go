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
// name (runtime_linkowner.go) is held. In two such runs of this code
// 2,661 and 3,507 were applied late, about half of those refused; what
// that gains is not shown by two pairs with main (BENCHMARKS.md, session
// 17, disco17).
//
//   - at most one per name, for at most heldDisconnectLimit names; a
//     DISCONNECT that finds its name's hold taken and not expired, or no
//     room, is refused for good;
//   - when the owner's reader ends within heldDisconnectFor of the
//     DISCONNECT's arrival, the holding stream becomes the owner and the
//     DISCONNECT goes to the loop, after every frame the old owner
//     carried;
//   - the hold outlives its own stream: an honest sender closes the
//     stream right after its DISCONNECT (closeDownLink,
//     runtime_linkgiveup.go), so a hold dropped there was almost never
//     applied (found by review of disco16); such a hold, once handed
//     over, leaves the name without an owner;
//   - the hold is dropped when it expires, or when any stream but the
//     owner carries another HyParView frame under its name (its sender's
//     newer word, such as a NEIGHBOR that re-links it, which the older
//     DISCONNECT must not overtake);
//   - a DISCONNECT is not held at all while another open stream that does
//     not own the name has carried a HyParView frame under it
//     (linkOwners.spoke): two streams have no order, and that word may
//     be newer than the DISCONNECT though read first (found by session
//     17's review); it is refused as on main;
//   - once handed over, and until it is in the loop's inbox, every
//     HyParView frame under its name waits (claimInOrder): the inbox's
//     waiters are not served in order, and a newer word read after the
//     hand-over must not reach the loop first (found by the same review);
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
// refused as before. Each hold keeps its sender's name and address (within
// the handshake's limits) and no stream once that stream ended.
const heldDisconnectLimit = 1024

// keyDisconnectLate counts DISCONNECTs held and applied when the stream
// that owned their sender's name ended.
var keyDisconnectLate = []string{"hyparlist", "msg", "disconnect_late"}

// keyDisconnectStale counts DISCONNECTs held and then ignored because
// their sender became a neighbour again while they were held.
var keyDisconnectStale = []string{"hyparlist", "msg", "disconnect_stale"}

// heldDisconnect is a DISCONNECT waiting for its name's owner to end.
type heldDisconnect struct {
	conn net.Conn // the stream it came over; nil once that stream ended
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
// a DISCONNECT held for name within heldDisconnectFor makes its stream,
// if still open, the owner, and is returned to go to the loop, with the
// channel to close (handed) once it is in the loop's inbox; until then
// claimOrHold makes every HyParView frame under name wait.
func (o *linkOwners) handOver(name string, now time.Time) (inbound, chan struct{}, bool) {
	h, ok := o.held[name]
	if !ok {
		return inbound{}, nil, false
	}
	delete(o.held, name)
	if now.Sub(h.at) > heldDisconnectFor {
		return inbound{}, nil, false
	}
	if h.conn != nil {
		if o.owner == nil {
			o.owner = make(map[string]net.Conn)
		}
		o.owner[name] = h.conn
	}
	if o.handing == nil {
		o.handing = make(map[string]chan struct{})
	}
	done := make(chan struct{})
	o.handing[name] = done
	return h.in, done, true
}

// handed ends the hand-over of name's DISCONNECT that done belongs to:
// the frames waiting for it go on.
func (o *linkOwners) handed(name string, done chan struct{}) {
	o.mu.Lock()
	if o.handing[name] == done {
		delete(o.handing, name)
	}
	o.mu.Unlock()
	close(done)
}

// holderEnded notes that conn, which did not own name, ended: a
// DISCONNECT it carried stays held, without a stream to own the name
// when it is handed over. o.mu is held.
func (o *linkOwners) holderEnded(name string, conn net.Conn) {
	if h, ok := o.held[name]; ok && h.conn == conn {
		h.conn = nil
		o.held[name] = h
	}
}

// endStream is called when the reader of conn, accepted under name, ends:
// it gives up conn's ownership of name, and hands a DISCONNECT held for
// the name to the loop, after closing conn (the wait for room in the
// inbox may be long, and needs no descriptor).
func (m *Memberlist) endStream(name string, conn net.Conn) {
	in, done, ok := m.owners.release(name, conn, time.Now())
	if !ok {
		return
	}
	_ = conn.Close()
	m.inbox.put(in, m.shutdownCh)
	m.owners.handed(name, done)
}

// claimInOrder is linkOwners.claimOrHold for in, read from conn, once no
// DISCONNECT for its sender's name is being handed to the loop (handOver);
// it reports false when the node shuts down while waiting.
func (m *Memberlist) claimInOrder(conn net.Conn, in inbound) (owns, held, ok bool) {
	for {
		owns, held, wait := m.owners.claimOrHold(in.from.Name, conn, in, time.Now())
		if wait == nil {
			return owns, held, true
		}
		select {
		case <-wait:
		case <-m.shutdownCh:
			return false, false, false
		}
	}
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
