// Runtime: the kernel buffers of every stream, bounded so that a node that
// reads slowly slows its senders instead of queueing seconds of frames.

package hyparlist

import (
	"crypto/tls"
	"net"
)

// This file bounds the kernel's send and receive buffers of every stream
// the node dials or accepts (Config.StreamBufferBytes). The node's own
// queues are bounded (the loop's inbox, HandoffQueueDepth; a link's send
// queues, PeerSendQueueDepth and PeerSendQueueBytes; the broadcast
// backlog that makes Broadcast wait, runtime_backlog.go), but between a
// link's writer and the reader at the other end the kernel keeps its own
// buffers, which Linux grows on its own up to net.ipv4.tcp_rmem's and
// tcp_wmem's maximum (32 and 4 MiB on the machine of BENCHMARKS.md): tens
// of thousands of 1 KiB frames per link. A receiver that cannot keep up
// (it checks each new broadcast's signature, about 50 µs, on its loop)
// stops reading once its inbox is full, but its senders' writes still
// succeed until those buffers are full, so their send queues never fill,
// Broadcast never waits, and the receiver is handed seconds of frames to
// check: at N = 32, 1 KiB, 1,024 broadcasts/s with VerifyUserBroadcasts,
// deliveries came 13 s late (median) and 16 % were not there 15 s after
// the last broadcast, while every Broadcast returned at once
// (BENCHMARKS.md, "Session 11"). With the buffers bounded, the senders'
// writes block after StreamBufferBytes and their queues fill sooner. It
// is off by default: in one measured pair (256 KiB against the kernel's
// sizes) it did not keep deliveries within a second at 4,096/s, since
// relayed payloads that find a queue full are announced by IHAVE and
// grafted later rather than held back (runtime_backpressure.go).

// Bounds of Config.StreamBufferBytes when it is set.
const (
	minStreamBufferBytes = 4 << 10
	maxStreamBufferBytes = 64 << 20
)

// bufferedConn is a stream whose kernel buffers can be sized.
type bufferedConn interface {
	SetReadBuffer(bytes int) error
	SetWriteBuffer(bytes int) error
}

// boundStreamBuffers sets conn's kernel send and receive buffers to
// Config.StreamBufferBytes, when it is set and conn (or the connection
// under a TLS or tracked wrapper) is a socket. A failure leaves the
// kernel's sizes; it is not an error of the stream.
func (m *Memberlist) boundStreamBuffers(conn net.Conn) {
	n := m.config.StreamBufferBytes
	if n <= 0 {
		return
	}
	for range 4 { // unwrap trackedConn and tls.Conn, at most a few layers
		switch c := conn.(type) {
		case bufferedConn:
			_ = c.SetReadBuffer(n)
			_ = c.SetWriteBuffer(n)
			return
		case *trackedConn:
			conn = c.Conn
		case *tls.Conn:
			conn = c.NetConn()
		default:
			return
		}
	}
}
