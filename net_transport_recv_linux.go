// Transport: on Linux, a datagram's size learned with MSG_PEEK|MSG_TRUNC.

package hyparlist

import (
	"fmt"
	"net"
	"syscall"
)

// peekPacketSize waits for a datagram on conn and returns its length
// without consuming it: recvfrom with MSG_PEEK|MSG_TRUNC returns the
// datagram's real length on Linux. ok is false when conn is not a socket
// it can ask.
func peekPacketSize(conn net.PacketConn) (size int, ok bool, err error) {
	sc, isSocket := conn.(syscall.Conn)
	if !isSocket {
		return 0, false, nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	var peekErr error
	err = rc.Read(func(fd uintptr) bool {
		size, _, peekErr = syscall.Recvfrom(int(fd), nil, syscall.MSG_PEEK|syscall.MSG_TRUNC)
		return peekErr != syscall.EAGAIN && peekErr != syscall.EWOULDBLOCK && peekErr != syscall.EINTR
	})
	if err != nil {
		return 0, false, fmt.Errorf("wait for a datagram: %w", err)
	}
	if peekErr != nil {
		// Let the read report it (or succeed): the fallback path reads
		// with a full-size buffer.
		return 0, false, nil
	}
	return size, true, nil
}
