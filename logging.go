package hyparlist

import "net"

// LogAddress formats the remote address of a log line as "from=ADDR", or
// "from=<unknown address>" when addr is nil.
func LogAddress(addr net.Addr) string {
	if addr == nil {
		return LogStringAddress("")
	}
	return LogStringAddress(addr.String())
}

// LogStringAddress is LogAddress for an address already in string form; an
// empty string is reported as unknown.
func LogStringAddress(addr string) string {
	if addr == "" {
		addr = "<unknown address>"
	}
	return "from=" + addr
}

// LogConn is LogAddress for the remote end of conn; a nil conn is reported
// as unknown.
func LogConn(conn net.Conn) string {
	if conn == nil {
		return LogAddress(nil)
	}
	return LogAddress(conn.RemoteAddr())
}
