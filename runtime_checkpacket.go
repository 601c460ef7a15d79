// Runtime: confirmation checks and liveness probes asked first in a packet,
// which costs no descriptor, and over a stream only when no answer comes.

package hyparlist

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"time"
)

// A ProbeMember (a confirmation check of a member nobody vouched for,
// membership_confirm.go, or a liveness probe) asks whether the named node
// is at its address. Over a stream that costs a socket on each side for a
// dial and a handshake: in the bench's join storm of 1,000 nodes in one
// process, checks and probes held 4–6 k of the process's 20,000
// descriptors at the peak (BENCHMARKS.md, sessions 16 and 17). memberlist
// probes over UDP. So a node first asks in a packet: a checkPingMsg with a
// fresh random nonce and the name, sent to the member's address, sealed
// with the keyring when encryption is on (security_encryption.go). Only
// the node of that name answers, with a checkAckMsg of the nonce, from
// runAcceptor's goroutine (not the loop), as a stream's handshake is
// answered by the acceptor's reader. An answer within checkPacketWait
// reaches the member; without one (a node that does not know the type, a
// lost packet, a node of another name there, nothing there) the check
// dials the stream as before, so every outcome a stream check could report
// (refused, another node, a handshake refused) still comes from a stream.
// Under Config.TLS, whose names only a certificate proves, and without a
// packet path, the check uses the stream only.
//
// The nonces waiting for an answer are those of running checks and probes:
// at most maxRunningChecks plus Config.MaxConcurrentDialers (a probe holds
// a dialer slot) entries.

// checkPacketWait is how long a check waits for the answer to its packet
// before it dials: twice Config.ProbeTimeout (memberlist's allowance for a
// direct probe's round trip; LAN 500 ms) times the node's health
// multiplier (score + 1, runtime_awareness.go: memberlist stretches its
// probe timeout so), at most TCPTimeout, which also stands for a zero
// ProbeTimeout. In the bench's join storm of 1,000 nodes in one process,
// nearly every ping was answered (23.7 k answers to 23.9 k pings) but 87 %
// of the answers came after a fixed 1 s (BENCHMARKS.md, session 17).
func (m *Memberlist) checkPacketWait() time.Duration {
	if m.config.ProbeTimeout <= 0 {
		return m.config.TCPTimeout
	}
	mult := time.Duration(max(m.health.Load(), 0) + 1)
	return min(2*m.config.ProbeTimeout*mult, m.config.TCPTimeout)
}

// packetChecks holds the checks waiting for a checkAckMsg, by nonce. It is
// safe for concurrent use: checks register, the acceptor answers.
type packetChecks struct {
	mu      sync.Mutex
	waiting map[uint64]chan struct{}
}

// add registers nonce and returns the channel closed when its answer
// comes.
func (c *packetChecks) add(nonce uint64) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.waiting == nil {
		c.waiting = make(map[uint64]chan struct{})
	}
	ch := make(chan struct{})
	c.waiting[nonce] = ch
	return ch
}

// remove forgets nonce, answered or not.
func (c *packetChecks) remove(nonce uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.waiting, nonce)
}

// answer wakes the check waiting for nonce, if any; an answer nobody
// waits for (late, repeated or forged) is ignored.
func (c *packetChecks) answer(nonce uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.waiting[nonce]
	if ok {
		close(ch)
		delete(c.waiting, nonce)
	}
	return ok
}

// packetCheckUsable reports whether a check may be asked in a packet: not
// under TLS, and not when packets travel over streams anyway.
func (m *Memberlist) packetCheckUsable() bool {
	return m.tls == nil && !m.packetsOverStreams()
}

// packetCheck asks p in a packet whether it is at its address, and waits
// at most checkPacketWait for the answer. It reports whether p answered.
func (m *Memberlist) packetCheck(p Peer) bool {
	if !m.packetCheckUsable() || p.Addr == "" || p.Name == "" {
		return false
	}
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	nonce := binary.BigEndian.Uint64(b[:])
	packet, err := m.encodeCheckPacket(checkPingMsg{Nonce: nonce, Name: p.Name})
	if err != nil {
		return false
	}
	answered := m.checkPings.add(nonce)
	defer m.checkPings.remove(nonce)
	if _, err := m.transport.WriteToAddress(packet, Address{Addr: p.Addr, Name: p.Name}); err != nil {
		return false
	}
	m.metrics.sent(typeCheckPing, len(packet))
	t := time.NewTimer(m.checkPacketWait())
	defer t.Stop()
	select {
	case <-answered:
		m.metrics.checkPacket(true)
		return true
	case <-t.C:
		m.metrics.checkPacket(false)
		return false
	case <-m.shutdownCh:
		return false
	}
}

// encodeCheckPacket returns the packet carrying msg (a checkPingMsg or
// checkAckMsg): its frame, sealed as every packet (encodePacket).
func (m *Memberlist) encodeCheckPacket(msg Message) ([]byte, error) {
	frame, err := encodeMessage(nil, msg, m.lim)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", msg.Type(), err)
	}
	return m.crypto.sealPacket(m.config.Label, frame), nil
}

// onCheckPing answers a checkPingMsg for this node's name, received in a
// packet from from; one for another name is dropped. It never waits
// (runAcceptor calls it).
func (m *Memberlist) onCheckPing(p checkPingMsg, from net.Addr) {
	if p.Name != m.self.Name || from == nil || m.shutDown() {
		m.metrics.packetDropped("check_name")
		return
	}
	packet, err := m.encodeCheckPacket(checkAckMsg{Nonce: p.Nonce})
	if err != nil {
		return
	}
	if _, err := m.transport.WriteTo(packet, from.String()); err == nil {
		m.metrics.sent(typeCheckAck, len(packet))
	}
}
