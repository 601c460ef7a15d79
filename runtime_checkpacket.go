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
// The wait costs no descriptor, so it holds no slot: a check takes a
// check slot (maxRunningChecks) and a probe a dialer slot only to dial,
// after the wait. A ghost at an address where nothing listens (its ping
// lost without an error, its dial refused at once) thus costs one wait
// and one quick dial, and maxPacketWaits of them wait side by side.

// maxPacketWaits bounds the checks and probes waiting for a packet's
// answer at once: their goroutines and the nonces in packetChecks. Not
// from a paper: a quarter of maxQueuedChecks, so that 4,096 forged
// members at addresses that refuse clear in four waits (4 s on a healthy
// LAN node) where 32 check slots holding each wait took 128; 1,024
// waiting goroutines are a few MB.
const maxPacketWaits = 1024

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
	packet, err := m.encodeCheckPacket(checkPingMsg{Nonce: nonce, Name: p.Name, From: m.self.Name})
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

// askInPacket starts asking the member of probe a (no confirmation
// check: startChecks asks those) in a packet, outside the dialer slots,
// and reports whether it did; it does not without a packet path or while
// maxPacketWaits wait.
func (l *runLoop) askInPacket(a ProbeMember) bool {
	if !l.m.packetCheckUsable() || l.checks.pinging >= maxPacketWaits {
		return false
	}
	l.startPacketCheck(a)
	return true
}

// startPacketCheck asks the member of a in a packet in the background.
func (l *runLoop) startPacketCheck(a ProbeMember) {
	l.checks.pinging++
	l.m.wg.Add(1)
	go l.m.runPacketCheck(a)
}

// runPacketCheck asks the member of a in a packet and reports an answer
// as the probe's outcome, or its absence (cmdPacketUnanswered) so that
// the loop dials in a slot; after Shutdown it reports nothing.
func (m *Memberlist) runPacketCheck(a ProbeMember) {
	defer m.wg.Done()
	if m.packetCheck(a.Peer) {
		_ = m.submit(cmdProbeResult{probe: a, reached: a.Peer, packet: true})
		return
	}
	if !m.shutDown() {
		_ = m.submit(cmdPacketUnanswered{probe: a})
	}
}

// onPacketUnanswered dials the member of a, whose packet got no answer:
// a check when a check slot frees (startChecks), a probe now if a dialer
// slot is free (else it is skipped, as a probe is: runLoop.probe).
func (l *runLoop) onPacketUnanswered(a ProbeMember) {
	l.checks.pinging--
	if l.left {
		return
	}
	if a.Confirm {
		l.checks.dials = append(l.checks.dials, a)
		return
	}
	if !l.m.dialers.tryAcquireSpare(l.m.config.MaxConcurrentDialers) {
		return
	}
	l.m.wg.Add(1)
	go l.m.runProbe(a)
}

// endCheckSlot frees what the finished check or probe a held: its packet
// wait, or its check slot (a probe's dialer slot is freed by runProbe).
func (l *runLoop) endCheckSlot(a ProbeMember, packet bool) {
	switch {
	case packet:
		l.checks.pinging--
	case a.Confirm:
		l.checks.running--
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
// packet from from; one for another name is dropped, and so is one from a
// node this node denies (a veto), whose stream's handshake it would
// refuse, or with no sender's name, which a handshake refuses too. It never waits (runAcceptor calls it).
func (m *Memberlist) onCheckPing(p checkPingMsg, from net.Addr) {
	if p.Name != m.self.Name || from == nil || m.shutDown() {
		m.metrics.packetDropped("check_name")
		return
	}
	if p.From == "" || m.deny.denied(p.From, time.Now()) {
		m.metrics.packetDropped("check_denied")
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
