// Point-to-point user messages: SendReliable, SendBestEffort, SendToAddress
// and their deprecated names, and the packet reader that hands received ones
// to Delegate.NotifyMsg.

package hyparlist

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"reflect"
	"time"
)

// This file owns the point-to-point user messages of the memberlist API
// (SendReliable, SendBestEffort and their older names), their reception,
// and Ping. None of them goes through the protocol loop.

// SendReliable sends msg to node over a stream of its own: it dials the
// node, runs the handshake, writes a userMsg frame and closes the stream.
// The node hands msg to its Delegate.NotifyMsg, in the order it arrived
// with respect to other messages and broadcasts. A nil error means the
// frame was written to the stream, not that the application processed
// it. msg may be up to Config.MaxFrameSize minus a few bytes; a larger one
// gives ErrMessageTooLarge. A nil node, or one without an IP, gives
// ErrNoAddress. It returns ErrShutdown after Shutdown.
func (m *Memberlist) SendReliable(to *Node, msg []byte) error {
	if m.shutDown() {
		return ErrShutdown
	}
	a, err := nodeAddress(to)
	if err != nil {
		return fmt.Errorf("send reliable: %w", err)
	}
	frame, _, err := m.crypto.appendFrame(nil, nil, userMsg{Payload: msg}, m.lim, m.config.Label)
	if err != nil {
		return fmt.Errorf("send reliable to %s: %w: %w", to.Name, ErrMessageTooLarge, err)
	}
	if err := m.acquireDialer(); err != nil {
		return err
	}
	defer m.releaseDialer()
	conn, _, err := m.dial(a)
	if err != nil {
		return fmt.Errorf("send reliable to %s: %w", to.Name, err)
	}
	defer conn.Close()
	if frame, err = m.rebindFrame(conn, frame, userMsg{Payload: msg}); err != nil {
		return fmt.Errorf("send reliable to %s: %w", to.Name, err)
	}
	if err := m.writeAll(conn, frame); err != nil {
		return fmt.Errorf("send reliable to %s: %w", to.Name, err)
	}
	m.metrics.sent(typeUserMsg, len(frame))
	return nil
}

// SendToTCP is SendReliable.
//
// Deprecated: use SendReliable.
func (m *Memberlist) SendToTCP(to *Node, msg []byte) error {
	return m.SendReliable(to, msg)
}

// SendBestEffort sends msg to node in one packet of the transport (UDP
// for NetTransport), without the broadcast tree: it may be lost, and
// nothing reports that. The packet holds the label, a frame header and msg,
// sealed when encryption is on (freshPacketOverhead, 61, more bytes, see
// security_replay.go); a packet larger than Config.UDPBufferSize gives
// ErrMessageTooLarge. A nil node, or one without an IP, gives
// ErrNoAddress. It returns ErrShutdown after Shutdown.
func (m *Memberlist) SendBestEffort(to *Node, msg []byte) error {
	a, err := nodeAddress(to)
	if err != nil {
		return fmt.Errorf("send best effort: %w", err)
	}
	return m.sendPacket(a, msg)
}

// SendToUDP is SendBestEffort.
//
// Deprecated: use SendBestEffort.
func (m *Memberlist) SendToUDP(to *Node, msg []byte) error {
	return m.SendBestEffort(to, msg)
}

// SendToAddress is SendBestEffort to an address, for a node that is not
// (yet) a member.
func (m *Memberlist) SendToAddress(a Address, msg []byte) error {
	return m.sendPacket(a, msg)
}

// SendTo is SendToAddress to to.String(). A nil to gives ErrNoAddress.
//
// Deprecated: use SendBestEffort, or SendToAddress without a Node.
func (m *Memberlist) SendTo(to net.Addr, msg []byte) error {
	addr, err := netAddrString(to)
	if err != nil {
		return fmt.Errorf("send to: %w", err)
	}
	return m.sendPacket(Address{Addr: addr}, msg)
}

// nodeAddress returns the address of n, or an error wrapping ErrNoAddress
// for a nil node or one without an IP.
func nodeAddress(n *Node) (Address, error) {
	switch {
	case n == nil:
		return Address{}, fmt.Errorf("nil node: %w", ErrNoAddress)
	case len(n.Addr) == 0:
		return Address{}, fmt.Errorf("node %s has no IP: %w", n.Name, ErrNoAddress)
	}
	return n.FullAddress(), nil
}

// netAddrString returns a.String(), or an error wrapping ErrNoAddress for
// a nil a, a nil pointer in a (whose String method may not expect one),
// or an empty address.
func netAddrString(a net.Addr) (string, error) {
	if a == nil {
		return "", fmt.Errorf("nil address: %w", ErrNoAddress)
	}
	if v := reflect.ValueOf(a); v.Kind() == reflect.Pointer && v.IsNil() {
		return "", fmt.Errorf("nil %T: %w", a, ErrNoAddress)
	}
	s := a.String()
	if s == "" {
		return "", fmt.Errorf("empty address: %w", ErrNoAddress)
	}
	return s, nil
}

// sendPacket sends a userMsg packet to a.
func (m *Memberlist) sendPacket(a Address, msg []byte) error {
	if m.shutDown() {
		return ErrShutdown
	}
	if m.packetsOverStreams() {
		return m.sendUserStream(a, msg)
	}
	packet, err := m.encodePacket(userMsg{Payload: msg})
	if err != nil {
		return fmt.Errorf("send to %s: %w", a.String(), err)
	}
	if _, err := m.transport.WriteToAddress(packet, a); err != nil {
		return fmt.Errorf("send to %s: %w", a.String(), err)
	}
	m.metrics.sent(typeUserMsg, len(packet))
	return nil
}

// encodePacket returns the packet carrying msg: the label header (when
// Config.Label is set) and msg's frame, sealed when encryption is on. It
// fails with ErrMessageTooLarge when the packet exceeds
// Config.UDPBufferSize, without encoding a payload that is larger on its
// own.
func (m *Memberlist) encodePacket(msg userMsg) ([]byte, error) {
	if len(msg.Payload) > m.config.UDPBufferSize {
		return nil, fmt.Errorf("payload of %d bytes, UDPBufferSize is %d: %w", len(msg.Payload), m.config.UDPBufferSize, ErrMessageTooLarge)
	}
	frame, err := encodeMessage(nil, msg, m.lim)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMessageTooLarge, err)
	}
	buf := m.crypto.sealPacket(m.config.Label, frame)
	if len(buf) > m.config.UDPBufferSize {
		return nil, fmt.Errorf("packet of %d bytes, UDPBufferSize is %d: %w", len(buf), m.config.UDPBufferSize, ErrMessageTooLarge)
	}
	return buf, nil
}

// handlePacket checks a packet's label, opens it when it is sealed, and
// hands its userMsg to the message dispatcher; a check's ping is answered
// and its answer handed to the waiting check (runtime_checkpacket.go).
// Anything else is dropped.
// It never waits (runAcceptor, runtime_conn.go, calls it between
// accepted streams).
func (m *Memberlist) handlePacket(p *Packet) {
	if p == nil {
		return
	}
	if m.config.IPMustBeChecked() {
		if err := m.config.IPAllowed(addrIP(p.From)); err != nil {
			return
		}
	}
	body, label, err := RemoveLabelHeaderFromPacket(p.Buf)
	if err != nil || !m.labelAccepted(label) {
		m.metrics.packetDropped("label")
		return
	}
	if m.plainPacketRefused(body) {
		m.metrics.packetDropped("tls")
		return
	}
	frame, err := m.crypto.openPacket(label, body)
	if err != nil {
		reason, _ := cryptoFailure(err)
		m.metrics.packetDropped("decrypt")
		m.metrics.decryptFailed(reason)
		m.logRefusal(slog.LevelWarn, "packet_crypto", netAddrSource(p.From), "dropping packet that failed encryption checks", "remote", p.From, "error", err)
		return
	}
	msg, err := decodeFrame(frame, m.lim, false)
	if err != nil {
		m.metrics.packetDropped("decode")
		return
	}
	switch v := msg.(type) {
	case userMsg:
		m.metrics.received(typeUserMsg, len(p.Buf))
		m.deliverDirect(v.Payload, false)
	case checkPingMsg:
		m.metrics.received(typeCheckPing, len(p.Buf))
		m.onCheckPing(v, p.From)
	case checkAckMsg:
		m.metrics.received(typeCheckAck, len(p.Buf))
		if !m.checkPings.answer(v.Nonce) {
			m.metrics.packetDropped("check_unmatched") // late, repeated or forged
		}
	default:
		m.metrics.packetDropped("type")
	}
}

// labelAccepted reports whether a packet with label may be accepted.
func (m *Memberlist) labelAccepted(label string) bool {
	return label == m.config.Label || (label == "" && m.config.SkipInboundLabelCheck)
}

// addrIP returns the IP of a net.Addr, or nil.
func addrIP(a net.Addr) net.IP {
	switch a := a.(type) {
	case *net.UDPAddr:
		return a.IP
	case *net.TCPAddr:
		return a.IP
	case nil:
		return nil
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return nil
	}
	return net.ParseIP(host)
}

// NoPingResponseError is returned by Ping when the node did not answer
// within Config.ProbeTimeout.
type NoPingResponseError struct {
	node string
}

// Error implements error.
func (e NoPingResponseError) Error() string {
	return fmt.Sprintf("no response from node %s", e.node)
}

// Ping measures the round trip to the node called node at addr: it opens
// a stream (with the handshake, which checks the node's name), sends a
// Ping and waits for the answer, at most Config.ProbeTimeout (TCPTimeout
// when ProbeTimeout is zero) after the handshake. It returns
// NoPingResponseError when the answer does not come in time, ErrNoAddress
// for a nil addr, and ErrShutdown after Shutdown. The round trip and the
// node's AckPayload are also reported to Config.Ping (memberlist's Ping
// reports to no delegate); a node of wire version 1 answers without a
// payload.
func (m *Memberlist) Ping(node string, addr net.Addr) (time.Duration, error) {
	if m.shutDown() {
		return 0, ErrShutdown
	}
	addrStr, err := netAddrString(addr)
	if err != nil {
		return 0, fmt.Errorf("ping %s: %w", node, err)
	}
	if err := m.acquireDialer(); err != nil {
		return 0, err
	}
	defer m.releaseDialer()
	conn, peer, err := m.dial(Address{Addr: addrStr, Name: node})
	if err != nil {
		return 0, fmt.Errorf("ping %s: %w", node, err)
	}
	defer conn.Close()
	wait := m.config.ProbeTimeout
	if wait <= 0 {
		wait = m.config.TCPTimeout
	}
	seq := m.pingSeq.Add(1)
	start := time.Now()
	if err := conn.SetDeadline(start.Add(wait)); err != nil {
		return 0, fmt.Errorf("ping %s: %w", node, err)
	}
	if err := m.crypto.writeFrame(conn, pingMsg{SeqNo: seq}, m.lim, m.sendLabel(conn)); err != nil {
		return 0, pingError(node, err)
	}
	m.metrics.sent(typePing, 0)
	for {
		msg, err := m.crypto.readFrame(conn, m.lim, m.recvLabel(conn))
		if err != nil {
			return 0, pingError(node, err)
		}
		if payload, ok := pingAnswer(msg, seq); ok {
			rtt := time.Since(start)
			m.notifyPing(m.pingNode(peer), rtt, payload)
			return rtt, nil
		}
	}
}

// pingError maps a failed ping exchange to NoPingResponseError when it
// timed out.
func pingError(node string, err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return NoPingResponseError{node: node}
	}
	return fmt.Errorf("ping %s: %w", node, err)
}
