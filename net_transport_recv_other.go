//go:build !linux

// Transport: on other systems, datagrams read through a buffer of
// UDPBufferSize.

package hyparlist

import "net"

// peekPacketSize is not available here: the listener reads into a buffer
// of packetBufSize (net_transport_recv.go).
func peekPacketSize(net.PacketConn) (int, bool, error) { return 0, false, nil }
