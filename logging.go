// Logging: the slog logger of a node, its line format and the address helpers
// memberlist exports.

package hyparlist

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"unicode"
)

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

// logger returns the structured logger the node logs to, built from
// whichever of StructuredLogger, Logger and LogOutput is set (Validate
// allows at most one), or writing to os.Stderr when none is. Records for
// Logger and LogOutput are formatted as memberlist formats its lines,
// "[LEVEL] hyparlist: message key=value ...", so that existing log filters
// keep working; like memberlist, every level including DEBUG is written.
func (c *Config) logger() *slog.Logger {
	switch {
	case c.StructuredLogger != nil:
		return c.StructuredLogger
	case c.Logger != nil:
		return slog.New(&lineHandler{out: c.Logger})
	case c.LogOutput != nil:
		return slog.New(&lineHandler{out: log.New(c.LogOutput, "", log.LstdFlags)})
	default:
		return slog.New(&lineHandler{out: log.New(os.Stderr, "", log.LstdFlags)})
	}
}

// lineHandler is a slog.Handler that writes one memberlist-style line per
// record to a *log.Logger, which adds its own prefix and timestamp.
type lineHandler struct {
	out    *log.Logger
	attrs  string // pre-formatted " key=value" pairs from WithAttrs
	prefix string // group path for later attributes, "a.b." or ""
}

// Enabled implements slog.Handler: every level is written.
func (h *lineHandler) Enabled(context.Context, slog.Level) bool { return true }

// Handle implements slog.Handler.
func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString("[")
	b.WriteString(levelTag(r.Level))
	b.WriteString("] hyparlist: ")
	b.WriteString(r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		appendAttr(&b, h.prefix, a)
		return true
	})
	return h.out.Output(2, b.String())
}

// WithAttrs implements slog.Handler.
func (h *lineHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range attrs {
		appendAttr(&b, h.prefix, a)
	}
	return &lineHandler{out: h.out, attrs: b.String(), prefix: h.prefix}
}

// WithGroup implements slog.Handler.
func (h *lineHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &lineHandler{out: h.out, attrs: h.attrs, prefix: h.prefix + name + "."}
}

// appendAttr writes " key=value" for a, or one pair per member of a
// group, to b.
func appendAttr(b *strings.Builder, prefix string, a slog.Attr) {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, m := range v.Group() {
			appendAttr(b, prefix, m)
		}
		return
	}
	if a.Key == "" {
		return
	}
	fmt.Fprintf(b, " %s%s=%s", prefix, a.Key, quoteIfNeeded(v.String()))
}

// quoteIfNeeded quotes s when it is empty or contains spaces, quotes or
// control characters, so that a line stays one line and parseable.
func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool {
		return r <= ' ' || r == '"' || r == '=' || !unicode.IsPrint(r)
	}) {
		return strconv.Quote(s)
	}
	return s
}

// levelTag maps a slog level to memberlist's level tags.
func levelTag(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "ERR"
	case l >= slog.LevelWarn:
		return "WARN"
	case l >= slog.LevelInfo:
		return "INFO"
	default:
		return "DEBUG"
	}
}
