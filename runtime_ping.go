// Runtime: round trips for the PingDelegate.

package hyparlist

import (
	"net"
	"slices"
	"time"
)

// This file measures round trips for the PingDelegate.
//
// memberlist reports the round trip of every successful direct probe to
// its PingDelegate, with the AckPayload the probed node attached. hyparlist
// has no probe schedule of its own; it measures on the traffic every
// active-view link carries anyway. When the node has a PingDelegate and
// the link's stream speaks wire version 2, the Keepalive that HyParView
// sends on the link every keepalive interval goes out as a linkPingMsg with a
// sequence number instead; the neighbour treats it as the Keepalive it
// replaces and answers on its own link with a pingAckMsg carrying the same
// sequence number and its AckPayload:
//
//	prober loop                   neighbour's reader   neighbour's loop
//	Keepalive → linkPingMsg{seq}  →  AckPayload()      →  Keepalive to HyParView,
//	                                                   pingAckMsg{seq, payload} back
//	pingAckMsg → rtt = now − sent → NotifyPingComplete (event dispatcher)
//
// So each link is measured once per keepalive interval in each direction,
// for the cost of one answer frame (about 15 bytes plus the payload);
// without a PingDelegate, or towards a version-1 node, plain Keepalives go
// out as before. The round trip includes the queueing on both loops, as
// memberlist's includes its packet handling. Memberlist.Ping is answered
// the same way on its short-lived stream: a pingAckMsg with the payload on a
// version-2 stream, a plain ackMsg on a version-1 one.

// maxOutstandingLinkPings bounds the unanswered LinkPings kept per link;
// sending one more forgets the oldest, whose answer then counts as lost.
// With one linkPingMsg per keepalive interval, 4 covers a round trip of
// several intervals, beyond which the link is failed as silent anyway.
const maxOutstandingLinkPings = 4

// oversizedAckLogEvery is the least time between two warnings about an
// AckPayload larger than ackPayloadMaxSize: the payload is asked for on
// every answer, several times per keepalive interval.
const oversizedAckLogEvery = time.Minute

// sentPing is an unanswered linkPingMsg.
type sentPing struct {
	seq uint32
	at  time.Time
}

// keepalive sends HyParView's Keepalive to p, as a linkPingMsg when the round
// trip can be measured: a PingDelegate is set and p's link is an
// active-view link whose stream speaks version 2.
func (l *runLoop) keepalive(p Peer) {
	k := l.links[p.Name]
	if l.m.live.Ping == nil || k == nil || !k.neighbor || k.version.Load() < uint32(wireVersionOf(typeLinkPing)) {
		l.send(p, keepaliveMsg{})
		return
	}
	if l.pings == nil {
		l.pings = make(map[string][]sentPing)
	}
	q := l.pings[p.Name]
	if len(q) >= maxOutstandingLinkPings {
		q = slices.Delete(q, 0, 1)
	}
	seq := l.m.pingSeq.Add(1)
	l.pings[p.Name] = append(q, sentPing{seq: seq, at: l.now})
	l.send(p, linkPingMsg{SeqNo: seq})
}

// onLinkPing handles a linkPingMsg: HyParView gets the Keepalive it stands
// for, and a neighbour is answered. A sender outside the active view is
// not: HyParView tells it DISCONNECT, as for any stray Keepalive.
func (l *runLoop) onLinkPing(in inbound, p linkPingMsg) {
	l.feed(coreHyParView, Receive{From: in.from, Msg: keepaliveMsg{}})
	if !l.hv.isActive(in.from.Name) {
		return
	}
	// The sender speaks version 2 (it sent a linkPingMsg), so the link back
	// does too once its handshake is done.
	l.send(in.from, pingAckMsg{SeqNo: p.SeqNo, Payload: in.ack})
}

// onPingAck matches a pingAckMsg with its linkPingMsg and reports the round
// trip. LinkPings sent before the answered one are forgotten: a link
// delivers in order, so their answers will not come.
func (l *runLoop) onPingAck(from Peer, a pingAckMsg) {
	q := l.pings[from.Name]
	i := slices.IndexFunc(q, func(s sentPing) bool { return s.seq == a.SeqNo })
	if i < 0 {
		return // not ours, or forgotten
	}
	rtt := l.now.Sub(q[i].at)
	if q = slices.Delete(q, 0, i+1); len(q) == 0 {
		delete(l.pings, from.Name)
	} else {
		l.pings[from.Name] = q
	}
	l.notifyPing(l.peerNode(from), rtt, a.Payload)
}

// forgetPings drops the unanswered LinkPings to the peer called name,
// whose link is gone.
func (l *runLoop) forgetPings(name string) {
	delete(l.pings, name)
}

// notifyPing queues a measured round trip for the PingDelegate, unless
// the neighbour is no longer a live member: once its NotifyLeave is
// queued, no callback about it follows (its link may linger a little).
func (l *runLoop) notifyPing(n *Node, rtt time.Duration, payload []byte) {
	if l.m.live.Ping == nil {
		return
	}
	if mem, ok := l.ms.Member(n.Name); !ok || !mem.State.live() {
		return
	}
	m, n := l.m, cloneNode(n)
	l.later(m.eventQueue, len(payload)+nodeBytes(n), "ping", func() { m.runNotifyPing(n, rtt, payload) })
}

// runNotifyPing calls NotifyPingComplete on the event dispatcher, unless
// the node shut down meanwhile.
func (m *Memberlist) runNotifyPing(n *Node, rtt time.Duration, payload []byte) {
	if pd := m.live.Ping; pd != nil && !m.shutDown() {
		pd.NotifyPingComplete(n, rtt, payload)
	}
}

// ackPayload returns the PingDelegate's AckPayload for an answer, or nil
// without a PingDelegate. It runs on a stream reader, never on the loop.
// A payload larger than ackPayloadMaxSize is not sent (a truncated one
// would be garbage to the other side's decoder): the answer carries none,
// and a warning is logged at most every oversizedAckLogEvery.
func (m *Memberlist) ackPayload() []byte {
	pd := m.live.Ping
	if pd == nil {
		return nil
	}
	p := pd.AckPayload()
	if len(p) > ackPayloadMaxSize {
		now := time.Now().UnixNano()
		if last := m.ackWarnedAt.Load(); (last == 0 || now-last >= int64(oversizedAckLogEvery)) && m.ackWarnedAt.CompareAndSwap(last, now) {
			m.logger.Warn("PingDelegate.AckPayload too large, answering without it", "bytes", len(p), "max_bytes", ackPayloadMaxSize)
		}
		return nil
	}
	return clonePayload(p)
}

// pingAnswer reports whether msg answers the Ping with sequence number
// seq, and returns the payload it carries.
func pingAnswer(msg Message, seq uint32) ([]byte, bool) {
	switch a := msg.(type) {
	case ackMsg:
		return nil, a.SeqNo == seq
	case pingAckMsg:
		return a.Payload, a.SeqNo == seq
	}
	return nil, false
}

// pingNode returns the node Ping reports for p: the member from the
// snapshot, or a node built from p when it is not a live member.
func (m *Memberlist) pingNode(p Peer) *Node {
	if n, ok := m.snap.Load().member(p.Name); ok {
		return cloneNode(n)
	}
	return m.memberNode(Member{Name: p.Name, Addr: p.Addr})
}

// answerPing answers a Ping on its own stream: with a pingAckMsg carrying the
// AckPayload on a stream of version 2, with an ackMsg on version 1. It
// reports false when the stream broke.
func (m *Memberlist) answerPing(conn net.Conn, p pingMsg, version uint8, label string) bool {
	var answer Message = ackMsg(p)
	if version >= wireVersionOf(typePingAck) {
		answer = pingAckMsg{SeqNo: p.SeqNo, Payload: m.ackPayload()}
	}
	frame, _, err := m.crypto.appendFrame(nil, nil, answer, m.lim, label)
	if err != nil {
		m.metrics.encodeFailed(answer.Type())
		return false
	}
	if err := m.writeAll(conn, frame); err != nil {
		return false
	}
	m.metrics.sent(answer.Type(), len(frame))
	return true
}
