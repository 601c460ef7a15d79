package hyparlist

import (
	"net"
	"strconv"
	"time"
)

// This file turns the loop's outputs into application callbacks, queued
// on the dispatchers (runtime_dispatch.go), and builds the *Node values
// the callbacks and the snapshot hand out.

// memberNode converts a member record into a Node. Member records carry
// no protocol versions, so PMin, PMax, PCur and DMin, DMax, DCur are this
// node's own (Config.ProtocolVersion and the Delegate protocol fields).
func (m *Memberlist) memberNode(mem Member) *Node {
	n := &Node{
		Name:  mem.Name,
		Meta:  mem.Meta,
		State: NodeStateType(mem.State),
		PMin:  ProtocolVersionMin,
		PMax:  ProtocolVersionMax,
		PCur:  m.config.ProtocolVersion,
		DMin:  m.config.DelegateProtocolMin,
		DMax:  m.config.DelegateProtocolMax,
		DCur:  m.config.DelegateProtocolVersion,
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
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return net.ParseIP(host), 0
	}
	return net.ParseIP(host), uint16(port)
}

// normalizeAddr returns addr as Node.Address would print it.
func normalizeAddr(addr string) string {
	ip, port := splitNodeAddr(addr)
	return (&Node{Addr: ip, Port: port}).Address()
}

// notifyMember queues a member event for the EventDelegate.
func (m *Memberlist) notifyMember(t NodeEventType, n *Node) {
	ev := m.config.Events
	if ev == nil {
		return
	}
	n = cloneNode(n)
	m.pushEvent(len(n.Meta), func() {
		switch t {
		case NodeJoin:
			ev.NotifyJoin(n)
		case NodeLeave:
			ev.NotifyLeave(n)
		case NodeUpdate:
			ev.NotifyUpdate(n)
		}
	})
}

// notifyNeighbor queues a neighbour event for a NeighborDelegate.
func (m *Memberlist) notifyNeighbor(up bool, n *Node) {
	nd, ok := m.config.Events.(NeighborDelegate)
	if !ok {
		return
	}
	n = cloneNode(n)
	m.pushEvent(len(n.Meta), func() {
		if up {
			nd.NotifyNeighborUp(n)
		} else {
			nd.NotifyNeighborDown(n)
		}
	})
}

// notifyConflict tells the ConflictDelegate that a node claimed the local
// node's name.
func (m *Memberlist) notifyConflict(h Hello) {
	cd := m.config.Conflict
	if cd == nil {
		return
	}
	local := m.LocalNode()
	other := m.memberNode(Member{Name: h.Name, Addr: h.Addr})
	m.pushEvent(0, func() { cd.NotifyConflict(cloneNode(local), other) })
}

// notifyPing tells the PingDelegate of a measured round trip.
func (m *Memberlist) notifyPing(n *Node, rtt time.Duration) {
	pd := m.config.Ping
	if pd == nil {
		return
	}
	m.pushEvent(0, func() { pd.NotifyPingComplete(n, rtt, nil) })
}

// pushEvent queues an event callback without waiting.
func (m *Memberlist) pushEvent(size int, run func()) {
	if !m.eventQueue.tryPush(size, run) {
		m.metrics.dispatchDropped("event")
		m.logger.Error("event queue full, dropping an event callback", "limit_bytes", dispatchQueueMaxBytes)
	}
}

// deliverBroadcast queues a user broadcast for Delegate.NotifyMsg. The
// payload is remembered so that the pump does not broadcast it again when
// the application re-queues it.
func (m *Memberlist) deliverBroadcast(payload []byte, received time.Time) {
	d := m.config.Delegate
	if d == nil {
		return
	}
	run := func() {
		m.recent.add(time.Now(), payload)
		m.metrics.deliveryLatency(received)
		d.NotifyMsg(clonePayload(payload))
	}
	if !m.msgQueue.tryPush(len(payload), run) {
		m.metrics.dispatchDropped("broadcast")
		m.logger.Error("message queue full, dropping a broadcast delivery", "bytes", len(payload), "limit_bytes", dispatchQueueMaxBytes)
	}
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

// localState asks the Delegate for its state for an anti-entropy exchange
// with peer and hands it back to the loop.
func (m *Memberlist) localState(peer Peer, join bool) {
	d := m.config.Delegate
	if d == nil {
		return
	}
	run := func() {
		state := d.LocalState(join)
		if len(state) == 0 {
			return
		}
		_ = m.submit(cmdLocalState{peer: peer, join: join, state: clonePayload(state)})
	}
	if !m.msgQueue.tryPush(0, run) {
		m.metrics.dispatchDropped("local_state")
	}
}

// mergeRemoteState hands a peer's state to Delegate.MergeRemoteState.
func (m *Memberlist) mergeRemoteState(state []byte, join bool) {
	d := m.config.Delegate
	if d == nil {
		return
	}
	if !m.msgQueue.tryPush(len(state), func() { d.MergeRemoteState(state, join) }) {
		m.metrics.dispatchDropped("merge_state")
	}
}
