// Transport: reading one UDP datagram into a buffer of its own size.

package hyparlist

import "net"

// This file owns how NetTransport's UDP listener reads a datagram into a
// buffer of its own (Packet.Buf). Where the size of the next datagram can
// be learned without reading it (Linux: net_transport_recv_linux.go), the
// listener waits for a datagram holding no buffer and reads it into one of
// its size; elsewhere it waits in a buffer of packetBufSize, kept for the
// listener's life (64 KiB per node, 4 MiB of an idle 64-node process).

// packetReader reads datagrams from one UDP listener.
type packetReader struct {
	conn net.PacketConn
	// buf is the fallback's read buffer (nil until needed).
	buf []byte
}

// read waits for the next datagram and returns it in a new slice of its
// length, with its sender.
func (r *packetReader) read() ([]byte, net.Addr, error) {
	if size, ok, err := peekPacketSize(r.conn); err != nil {
		return nil, nil, err
	} else if ok && size < packetBufSize {
		// One byte more than the size peeked: a datagram that grew
		// between the peek and the read (it cannot, with one reader) would
		// show as longer, not be cut silently.
		pkt := make([]byte, size+1)
		n, from, err := r.conn.ReadFrom(pkt)
		if err != nil {
			return nil, nil, err
		}
		return pkt[:n:n], from, nil
	}
	if r.buf == nil {
		r.buf = make([]byte, packetBufSize)
	}
	n, from, err := r.conn.ReadFrom(r.buf)
	if err != nil {
		return nil, nil, err
	}
	pkt := make([]byte, n)
	copy(pkt, r.buf)
	return pkt, from, nil
}
