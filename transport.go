// Transport: the memberlist-compatible transport contract (packets, streams,
// node-aware extension).

package hyparlist

import (
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// This file declares the memberlist-compatible transport contract: a
// best-effort packet path, a reliable stream path, and the optional
// node-aware extension. NetTransport (real sockets) and MockTransport (an
// in-memory network for tests) implement it.

// packetBufSize is the largest packet any transport here accepts, in bytes:
// the size of the largest UDP datagram (64 KiB). It bounds the read buffer
// of a UDP listener and the bytes IngestPacket reads from a stream.
const packetBufSize = 65536

var (
	// errTransportShutdown is returned by a transport operation that needs
	// a running transport after Shutdown was called.
	errTransportShutdown = errors.New("hyparlist: transport is shut down")

	// errPacketTooLarge is returned for a packet longer than the 64 KiB a
	// datagram can carry.
	errPacketTooLarge = errors.New("hyparlist: packet too large")

	// errEmptyPacket is returned by IngestPacket for a packet with no bytes:
	// every message is at least one byte long.
	errEmptyPacket = errors.New("hyparlist: empty packet")
)

// Packet is one datagram received from a peer.
type Packet struct {
	// Buf holds the packet's bytes. The receiver owns it.
	Buf []byte

	// From is the address the packet came from, as the transport sees it
	// (a *net.UDPAddr for NetTransport, a *MockAddress for MockTransport).
	From net.Addr

	// Timestamp is when the packet was received, taken as close to the read
	// as possible so that round-trip times measured with it are accurate.
	Timestamp time.Time
}

// Transport carries bytes between nodes. Packets are best effort: they may
// be lost, duplicated or reordered and are never larger than a datagram.
// Streams are reliable, ordered byte streams.
type Transport interface {
	// FinalAdvertiseAddr returns the IP and port that other nodes should use
	// to reach this one. ip and port are the user's configured advertise
	// address; either may be empty (zero), in which case the transport picks
	// from what it is bound to.
	FinalAdvertiseAddr(ip string, port int) (net.IP, int, error)

	// WriteTo sends b as one packet to addr ("host:port") without a
	// connection and returns the time it was handed to the network, for
	// round-trip measurements. A nil error does not mean delivery.
	WriteTo(b []byte, addr string) (time.Time, error)

	// PacketCh delivers the packets received from other nodes.
	PacketCh() <-chan *Packet

	// DialTimeout opens a stream to addr ("host:port"), giving up after
	// timeout. Streams cost more than packets; they carry the larger and
	// rarer exchanges.
	DialTimeout(addr string, timeout time.Duration) (net.Conn, error)

	// StreamCh delivers the streams other nodes opened to this one. The
	// receiver owns each connection and must close it.
	StreamCh() <-chan net.Conn

	// Shutdown stops listening and releases the transport's resources.
	Shutdown() error
}

// NodeAwareTransport is a Transport that also accepts the name of the node
// being addressed, so that it can, for example, route by name or check that
// it reached the intended node.
type NodeAwareTransport interface {
	Transport
	// WriteToAddress is WriteTo with the destination node's name.
	WriteToAddress(b []byte, addr Address) (time.Time, error)
	// DialAddressTimeout is DialTimeout with the destination node's name.
	DialAddressTimeout(addr Address, timeout time.Duration) (net.Conn, error)
}

// IngestionAwareTransport is kept only so that programs written against
// memberlist still compile; nothing in this package uses it.
//
// Deprecated: declare the interface you need in your own package instead.
type IngestionAwareTransport interface {
	// IngestPacket reads conn to its end and delivers its bytes as one
	// packet from addr, received at now, closing conn afterwards when
	// shouldClose is set.
	IngestPacket(conn net.Conn, addr net.Addr, now time.Time, shouldClose bool) error
	// IngestStream delivers conn on StreamCh as if the transport had
	// accepted it.
	IngestStream(conn net.Conn) error
}

// asNodeAware returns t itself when it is already node-aware, and otherwise
// wraps it so that the node name is dropped and only Address.Addr is used.
func asNodeAware(t Transport) NodeAwareTransport {
	if na, ok := t.(NodeAwareTransport); ok {
		return na
	}
	return nodeAwareShim{t}
}

// nodeAwareShim adapts a plain Transport to NodeAwareTransport.
type nodeAwareShim struct {
	Transport
}

// WriteToAddress sends to addr.Addr; the name is not used.
func (s nodeAwareShim) WriteToAddress(b []byte, addr Address) (time.Time, error) {
	return s.WriteTo(b, addr.Addr)
}

// DialAddressTimeout dials addr.Addr; the name is not used.
func (s nodeAwareShim) DialAddressTimeout(addr Address, timeout time.Duration) (net.Conn, error) {
	return s.DialTimeout(addr.Addr, timeout)
}

// ingestPacket is the IngestPacket method of the transports here: it reads
// conn to its end, closing it afterwards when shouldClose is set, and
// delivers the bytes on ch as one packet from addr received at now. It
// reads at most one byte more than a packet may hold, so a misbehaving
// peer cannot make it allocate more than that.
func ingestPacket(ch chan<- *Packet, done <-chan struct{}, conn net.Conn, addr net.Addr, now time.Time, shouldClose bool) error {
	if shouldClose {
		defer func() { _ = conn.Close() }()
	}
	buf, err := io.ReadAll(io.LimitReader(conn, packetBufSize+1))
	if err != nil {
		return fmt.Errorf("read packet from %v: %w", addr, err)
	}
	switch {
	case len(buf) == 0:
		return fmt.Errorf("packet from %v: %w", addr, errEmptyPacket)
	case len(buf) > packetBufSize:
		return fmt.Errorf("packet from %v longer than %d bytes: %w", addr, packetBufSize, errPacketTooLarge)
	}
	return deliverPacket(ch, done, &Packet{Buf: buf, From: addr, Timestamp: now})
}

// deliverPacket hands p to ch, waiting for room until done is closed.
func deliverPacket(ch chan<- *Packet, done <-chan struct{}, p *Packet) error {
	return deliver(ch, done, p)
}

// deliverStream hands c to ch, waiting for room until done is closed.
func deliverStream(ch chan<- net.Conn, done <-chan struct{}, c net.Conn) error {
	return deliver(ch, done, c)
}

// deliver sends v on ch, waiting for room until done is closed. Once done
// is closed it never sends, even when ch has room.
func deliver[T any](ch chan<- T, done <-chan struct{}, v T) error {
	select {
	case <-done:
		return errTransportShutdown
	default:
	}
	select {
	case ch <- v:
		return nil
	case <-done:
		return errTransportShutdown
	}
}
