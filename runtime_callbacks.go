// Runtime: turning the loop's outputs into application callbacks and *Node
// values.

package hyparlist

import (
	"net"
	"strconv"
	"time"
	"unsafe"
)

// This file turns the loop's outputs into application callbacks, queued
// on the dispatchers (runtime_dispatch.go), and builds the *Node values
// the callbacks and the snapshot hand out.

// memberNode converts a member record into a Node. PMin, PMax, PCur and
// DMin, DMax, DCur are the member's own, from its record; a member known
// only through nodes of wire version 3 or older, whose records carry no
// versions, gets this node's own (Config.ProtocolVersion and the Delegate
// protocol fields).
func (m *Memberlist) memberNode(mem Member) *Node {
	v := mem.Versions.orHeld(m.config.memberVersions())
	n := &Node{
		Name:  mem.Name,
		Meta:  mem.Meta,
		State: NodeStateType(mem.State),
		PMin:  v.PMin,
		PMax:  v.PMax,
		PCur:  v.PCur,
		DMin:  v.DMin,
		DMax:  v.DMax,
		DCur:  v.DCur,
	}
	n.Addr, n.Port = splitNodeAddr(mem.Addr)
	return n
}

// splitNodeAddr splits an advertised "ip:port" address. An address that
// does not parse gives a nil IP and port 0.
func splitNodeAddr(addr string) (net.IP, uint16) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, 0
	}
	ip := parseNodeIP(host)
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return ip, 0
	}
	return ip, uint16(port)
}

// parseNodeIP parses host as Node.Addr holds it: an IPv4 address in its
// 4-byte form, as memberlist gives it (applications compare and print the
// bytes), an IPv6 address in 16 bytes.
func parseNodeIP(host string) net.IP {
	ip := net.ParseIP(host)
	if v4 := ip.To4(); v4 != nil {
		return v4
	}
	return ip
}

// normalizeAddr returns addr as Node.Address would print it.
func normalizeAddr(addr string) string {
	ip, port := splitNodeAddr(addr)
	return (&Node{Addr: ip, Port: port}).Address()
}

// The byte budget of a dispatcher queue (runtime_dispatch.go) counts what
// each queued callback keeps alive: its payload, and the Nodes and member
// records it holds, at their struct sizes plus the bytes they point to.
// Bytes a callback shares with another value it holds are counted once.

// Struct sizes of what callbacks hold.
const (
	nodeStructBytes   = int(unsafe.Sizeof(Node{}))
	recordStructBytes = int(unsafe.Sizeof(memberRecord{}))
	pointerBytes      = int(unsafe.Sizeof((*Node)(nil)))
)

// nodeBytes is what a Node held by a callback keeps alive.
func nodeBytes(n *Node) int {
	return nodeStructBytes + len(n.Name) + len(n.Addr) + len(n.Meta)
}

// recordBytes is what a member record held by a callback keeps alive.
func recordBytes(r memberRecord) int {
	return recordStructBytes + len(r.Name) + len(r.Addr) + len(r.Meta)
}

// pendingCallback is a callback the loop produced during one iteration.
// The loop hands its callbacks to the dispatchers only after it published
// the iteration's snapshot, so that a callback that calls Members (or
// Neighbors) already sees the change it is told about.
type pendingCallback struct {
	queue   *dispatcher
	size    int
	kind    string // for the dropped-callback metric
	run     func()
	dropped func() // if set, run on the loop when the callback is dropped
	// after, when set, is a dispatcher whose callbacks queued before this
	// one must have run before it runs (see notifyMember).
	after *dispatcher
}

// later queues a callback until the end of the loop iteration.
func (l *runLoop) later(q *dispatcher, size int, kind string, run func()) {
	l.laterOrElse(q, size, kind, run, nil)
}

// laterOrElse is later, with dropped run on the loop if the callback does
// not fit in its queue.
func (l *runLoop) laterOrElse(q *dispatcher, size int, kind string, run, dropped func()) {
	l.callbacks = append(l.callbacks, pendingCallback{queue: q, size: size, kind: kind, run: run, dropped: dropped})
}

// flushCallbacks hands the iteration's callbacks to the dispatchers,
// without waiting: a callback that does not fit is dropped, logged and
// counted (see runtime_dispatch.go).
func (l *runLoop) flushCallbacks() {
	for i, c := range l.callbacks {
		run := c.run
		if c.after != nil {
			after, n := c.after, c.after.pushedCount()
			run = func() {
				after.waitRan(n)
				c.run()
			}
		}
		if !c.queue.tryPush(c.size, run) {
			l.m.metrics.dispatchDropped(c.kind)
			l.m.logger.Error("callback queue full, dropping a callback", "kind", c.kind, "queue", c.queue.name, "limit_bytes", c.queue.maxBytes)
			if c.dropped != nil {
				c.dropped()
			}
		}
		l.callbacks[i] = pendingCallback{}
	}
	l.callbacks = l.callbacks[:0]
}

// notifyMember queues a member event for the EventDelegate.
func (l *runLoop) notifyMember(t NodeEventType, n *Node) {
	ev := l.m.live.Events
	if ev == nil {
		return
	}
	n = cloneNode(n)
	// A member event runs after the NotifyMsg calls of the messages that
	// arrived before it, as on memberlist, which makes both calls from one
	// goroutine: Serf's leave intent, a broadcast sent just before Leave,
	// must reach it before the NotifyLeave (TestRuntimeLeaveAfterItsBroadcasts).
	l.callbacks = append(l.callbacks, pendingCallback{queue: l.m.eventQueue, size: nodeBytes(n), kind: "event", after: l.m.msgQueue, run: func() {
		switch t {
		case NodeJoin:
			ev.NotifyJoin(n)
		case NodeLeave:
			ev.NotifyLeave(n)
		case NodeUpdate:
			ev.NotifyUpdate(n)
		}
	}})
}

// notifyNeighbor queues a neighbour event for a NeighborDelegate.
func (l *runLoop) notifyNeighbor(up bool, n *Node) {
	nd, ok := l.m.live.Events.(NeighborDelegate)
	if !ok {
		return
	}
	n = cloneNode(n)
	l.later(l.m.eventQueue, nodeBytes(n), "event", func() {
		if up {
			nd.NotifyNeighborUp(n)
		} else {
			nd.NotifyNeighborDown(n)
		}
	})
}

// notifyConflict tells the ConflictDelegate that a node claimed the local
// node's name.
func (m *Memberlist) notifyConflict(h helloMsg) {
	cd := m.live.Conflict
	if cd == nil {
		return
	}
	local := m.LocalNode()
	other := m.memberNode(Member{Name: h.Name, Addr: h.Addr})
	m.pushEvent(nodeBytes(local)+nodeBytes(other), func() { cd.NotifyConflict(cloneNode(local), other) })
}

// checkNameClash tells the ConflictDelegate when a connecting node
// presents the name of a live member at another address. The connection
// is still accepted: the membership core refuses the claim itself, and a
// node restarted at a new address must stay connected to take its name
// back once the old one is dead and its reclaim time is over.
func (m *Memberlist) checkNameClash(h helloMsg) {
	cd := m.live.Conflict
	if cd == nil {
		return
	}
	member, found := m.snap.Load().member(h.Name)
	if !found || member.Address() == normalizeAddr(h.Addr) {
		return
	}
	existing, other := cloneNode(member), m.memberNode(Member{Name: h.Name, Addr: h.Addr})
	m.pushEvent(nodeBytes(existing)+nodeBytes(other), func() { cd.NotifyConflict(existing, other) })
}

// notifyPing tells the PingDelegate of a round trip measured outside the
// loop (Memberlist.Ping).
func (m *Memberlist) notifyPing(n *Node, rtt time.Duration, payload []byte) {
	if m.live.Ping == nil {
		return
	}
	m.pushEvent(len(payload)+nodeBytes(n), func() { m.runNotifyPing(n, rtt, payload) })
}

// pushEvent queues an event callback without waiting.
func (m *Memberlist) pushEvent(size int, run func()) {
	if !m.eventQueue.tryPush(size, run) {
		m.metrics.dispatchDropped("event")
		m.logger.Error("event queue full, dropping an event callback", "limit_bytes", dispatchQueueMaxBytes)
	}
}

// deliverBroadcast queues a user broadcast for Delegate.NotifyMsg. When
// the GetBroadcasts pump runs, the payload is also remembered
// (runtime_recent.go), before NotifyMsg so that a pull during the call
// recognises it, and again after it returns so that the grace of a
// payload the application re-queued in NotifyMsg starts after the
// re-queue: the pump then does not broadcast it again.
func (l *runLoop) deliverBroadcast(payload []byte) {
	d := l.m.config.Delegate
	if d == nil {
		return
	}
	m, received := l.m, l.now
	l.later(m.msgQueue, len(payload), "broadcast", func() {
		now := time.Now()
		var k payloadKey
		if m.pump != nil {
			k = m.recent.key(payload)
			m.notePayload(now, k)
			m.pump.pace.markBusy(now)
		}
		m.metrics.deliveryLatency(now.Sub(received))
		// A fresh copy per delivery: the contract says the slice is valid
		// only during the call, but memberlist hands each packet a buffer
		// of its own, and programs written for it keep the slice.
		d.NotifyMsg(clonePayload(payload))
		if m.pump != nil {
			m.notePayload(time.Now(), k)
		}
	})
}

// deliverDirect queues a direct user message for Delegate.NotifyMsg.
// With wait, it waits for room in the queue (a stream reader); otherwise a
// message that does not fit is dropped (a packet). It reports false when
// the node shut down first.
func (m *Memberlist) deliverDirect(payload []byte, wait bool) bool {
	d := m.config.Delegate
	if d == nil {
		return true
	}
	run := func() { d.NotifyMsg(payload) }
	if wait {
		return m.msgQueue.push(len(payload), run)
	}
	if !m.msgQueue.tryPush(len(payload), run) {
		m.metrics.dispatchDropped("packet")
	}
	return true
}

// mergeRemoteState hands a peer's state to Delegate.MergeRemoteState
// (not an empty one, as memberlist). The state of a join exchange also
// lets the Joins waiting for it return (runtime_join_settle.go).
func (l *runLoop) mergeRemoteState(from Peer, state []byte, join bool) {
	if join {
		l.joinStateArrived(from.Name)
	}
	d := l.m.config.Delegate
	if d == nil || len(state) == 0 {
		return
	}
	l.later(l.m.msgQueue, len(state), "merge_state", func() { d.MergeRemoteState(state, join) })
}
