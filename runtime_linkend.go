// Runtime: a neighbour whose process is gone fails its link at once, when
// its link's stream ends and the stream this node writes to it is closed too.

package hyparlist

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"
)

// This file lets a node notice a crashed neighbour as soon as the
// neighbour's sockets close, instead of at its next keepalive write on the
// link, which fails only once the dead socket answers it with a reset
// (about one ProbeInterval later; BENCHMARKS.md, "Crash detection at N = 3,
// 8, 32"). Not in the paper, which leaves failure detection to TCP: this is
// that detection, done on the reading side.
//
// A pair of neighbours uses two streams: each writes its frames on the
// stream it dialled and reads the other's (runtime_conn.go). When a
// neighbour's process dies (kill -9, a crash, Shutdown without Leave) its
// kernel closes both: the stream it wrote to this node ends (EOF or reset)
// and the stream this node writes to it is closed at its end. Either alone
// is not enough:
//
//   - the end of the neighbour's stream to this node is the trigger, but a
//     live neighbour ends its stream too when it gives up the link on its
//     side (its write failed, it judged this node silent, its control queue
//     was full), or closes a transient link that happened to carry its
//     frames while this node already counted it a neighbour. Failing the
//     link then would accuse a live node, where before the neighbour alone
//     accused this one (and told it DISCONNECT on its next keepalive);
//   - so the loop then checks the stream this node writes to the
//     neighbour: it reads it (nothing is ever sent back on it), and only
//     when that read ends in EOF or a reset, which a live neighbour's
//     process never causes while it still reads the stream, is the link
//     failed, through the same path as a failed write (HyParView repairs,
//     membership suspects the neighbour: runLoop.linkFailed). A stream
//     whose far end is closed is one the next write on the link would
//     find broken, so the check fails no link that the keepalive would
//     not have failed a moment later; it only moves the failure to the
//     crash. A check that finds the stream open gives up after
//     Config.TCPTimeout; the link is then left to the usual keepalive and
//     silence checks.
//
// The trigger is only the stream that carries the neighbour's link: a
// reader marks its stream as such when a Keepalive or a link ping (which a
// node sends only to its active-view neighbours, runtime_ping.go,
// runtime_writer.go; so with keepalives off no stream is marked) comes
// over it while it owns the sender's name
// (runtime_linkowner.go), and unmarks it when a DISCONNECT does (what
// follows is the sender's close). So Join's stream, probe dials, Ping
// streams and transient links do not start checks, and an outsider who
// opens and closes a stream under a neighbour's name cannot fail the link:
// its stream does not own the name (its end is counted in
// hyparlist.msg.refused, reason not_link_end), and the check would find
// the neighbour's process alive anyway. A link less than a keepalive interval
// old has no mark yet; a crash then is found by the keepalive write as
// before. A DISCONNECT (a Leave, an eviction) is read before the stream's
// end and handled first, so a graceful departure is never counted as a
// failure. At most one check runs per link.

// linkFailedEnded is the reason of a link failed because its peer's
// process closed both of the pair's streams (metric hyparlist.link.failed).
const linkFailedEnded = "ended"

// streamEnded reports whether err, the error that ended a read, says the
// other side closed or reset the stream (rather than this node closing it,
// a deadline, or a bad frame).
func streamEnded(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// refusedNotLinkEnd is the reason of hyparlist.msg.refused for the end
// of a stream that carried a Keepalive or a link ping under a name while
// another stream owned that name (runtime_linkowner.go): its end is not
// taken for the end of that name's link, and is counted once per stream.
const refusedNotLinkEnd = "not_link_end"

// linkMark is what a stream's reader knows of the link it may carry.
type linkMark struct {
	// marked: the stream carries its sender's active-view link.
	marked bool
	// denied: a Keepalive or a link ping came over the stream while
	// another stream owned its sender's name.
	denied bool
}

// markLink returns the mark of the stream conn, read under name, after
// msg was read from it, given its mark before.
func (m *Memberlist) markLink(conn net.Conn, name string, msg Message, mark linkMark) linkMark {
	switch msg.(type) {
	case keepaliveMsg, linkPingMsg:
		if !mark.marked {
			mark.marked = m.owners.claim(name, conn)
			mark.denied = mark.denied || !mark.marked
		}
	case disconnectMsg:
		mark.marked = false
	}
	return mark
}

// reportLinkEnd tells the loop that peer's link stream ended with err,
// when marked (markLink) and the peer ended it; a stream the peer ended
// that claimed the link and was denied is counted as refused instead.
func (m *Memberlist) reportLinkEnd(peer Peer, err error, mark linkMark) {
	if !streamEnded(err) || m.shutDown() {
		return
	}
	if !mark.marked {
		if mark.denied {
			m.metrics.sink.IncrCounterWithLabels(keyMsgRefused, 1, m.metrics.with("reason", refusedNotLinkEnd))
		}
		return
	}
	m.inbox.put(inbound{from: peer, ended: true, at: time.Now()}, m.shutdownCh)
}

// onLinkEnded starts the check of the stream this node writes to p, when
// p is an active neighbour: p's link stream to this node ended without a
// DISCONNECT.
func (l *runLoop) onLinkEnded(p Peer) {
	if l.left || !l.hv.isActive(p.Name) {
		return
	}
	k := l.links[p.Name]
	if k == nil || k.stream() == nil || !k.checking.CompareAndSwap(false, true) {
		return
	}
	l.m.wg.Add(1)
	go l.m.checkLinkClosed(k)
}

// checkLinkClosed reads the stream of l, on which the peer never writes,
// for at most TCPTimeout, and fails the link when the peer's end is
// closed (EOF or reset).
func (m *Memberlist) checkLinkClosed(l *outLink) {
	defer m.wg.Done()
	defer l.checking.Store(false)
	conn := l.stream()
	if err := conn.SetReadDeadline(time.Now().Add(m.config.TCPTimeout)); err != nil {
		return
	}
	var b [1]byte
	_, err := conn.Read(b[:])
	if !streamEnded(err) {
		return // open (timeout), closed here, or a byte the peer should not have sent
	}
	select {
	case <-l.abortCh:
		return
	default:
	}
	m.reportLinkFailure(l, linkFailedEnded, fmt.Errorf("%s closed both streams of the link: %w", l.peer.Name, err))
}
