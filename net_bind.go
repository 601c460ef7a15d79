package hyparlist

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

const (
	// autoBindAttempts bounds how many ports NewNetTransport tries when
	// asked for any free port (BindPort 0). The kernel picks a port free for
	// TCP on the first address; it may be taken for UDP or on another
	// address, and then a new one is drawn. memberlist's Create makes the
	// same number of attempts.
	autoBindAttempts = 10

	// udpRecvBufSize is the UDP receive buffer asked of the kernel, in
	// bytes, so that bursts of packets are not dropped; it is halved until
	// the kernel accepts it.
	udpRecvBufSize = 2 << 20
)

var (
	// ErrNoBindAddress is returned by NewNetTransport for an empty
	// NetTransportConfig.BindAddrs.
	errNoBindAddress = errors.New("hyparlist: at least one bind address is required")

	// ErrInvalidIP is returned, wrapped with the offending value, for a bind
	// or advertise address that is not an IP address.
	errInvalidIP = errors.New("hyparlist: invalid IP address")

	// ErrInvalidPort is returned for a port outside 0..65535.
	errInvalidPort = errors.New("hyparlist: invalid port")
)

// netListeners is one TCP listener and one UDP socket per bind address, all
// on the same port.
type netListeners struct {
	tcp  []*net.TCPListener
	udp  []*net.UDPConn
	port int
}

// parseBindAddrs parses the configured bind addresses. The empty string
// stands for 0.0.0.0; anything else must be an IP address, optionally with
// an IPv6 zone ("fe80::1%eth0"). Host names are refused rather than
// silently bound to every interface.
func parseBindAddrs(addrs []string) ([]netip.Addr, error) {
	if len(addrs) == 0 {
		return nil, errNoBindAddress
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, s := range addrs {
		if s == "" {
			out = append(out, netip.IPv4Unspecified())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("bind address %q: %w", s, errInvalidIP)
		}
		out = append(out, a.Unmap())
	}
	return out, nil
}

// listenAll binds a TCP listener and a UDP socket on port at every address.
// With port 0 it draws a port from the kernel and, when that port turns out
// to be in use for UDP or on another address, draws again, at most
// autoBindAttempts times. On error nothing is left open.
func listenAll(addrs []netip.Addr, port int) (netListeners, error) {
	if port < 0 || port > 65535 {
		return netListeners{}, fmt.Errorf("bind port %d: %w", port, errInvalidPort)
	}
	attempts := 1
	if port == 0 {
		attempts = autoBindAttempts
	}
	var err error
	for range attempts {
		var ls netListeners
		ls, err = listenAllOnce(addrs, port)
		if err == nil {
			return ls, nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
	}
	return netListeners{}, err
}

// listenAllOnce is one attempt of listenAll.
func listenAllOnce(addrs []netip.Addr, port int) (ls netListeners, err error) {
	defer func() {
		if err != nil {
			ls.close()
		}
	}()
	ls.port = port
	for _, a := range addrs {
		tcpLn, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(netip.AddrPortFrom(a, uint16(ls.port))))
		if err != nil {
			return ls, fmt.Errorf("listen on TCP %s port %d: %w", a, ls.port, err)
		}
		ls.tcp = append(ls.tcp, tcpLn)
		if ls.port == 0 {
			// The first listener chose the port; every other socket
			// must use the same one.
			ls.port = tcpLn.Addr().(*net.TCPAddr).Port
		}
		udpConn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(a, uint16(ls.port))))
		if err != nil {
			return ls, fmt.Errorf("listen on UDP %s port %d: %w", a, ls.port, err)
		}
		ls.udp = append(ls.udp, udpConn)
		if err := setUDPRecvBuf(udpConn, udpRecvBufSize); err != nil {
			return ls, fmt.Errorf("size UDP receive buffer on %s: %w", a, err)
		}
	}
	return ls, nil
}

// close closes every socket of ls.
func (ls netListeners) close() {
	for _, l := range ls.tcp {
		_ = l.Close()
	}
	for _, c := range ls.udp {
		_ = c.Close()
	}
}

// setUDPRecvBuf asks for a receive buffer of size bytes, halving the
// request until the kernel accepts it.
func setUDPRecvBuf(c *net.UDPConn, size int) error {
	var err error
	for ; size > 0; size /= 2 {
		if err = c.SetReadBuffer(size); err == nil {
			return nil
		}
	}
	return err
}
