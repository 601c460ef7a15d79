// Runtime: connections, the handshake, outbound links and their writers,
// readers of accepted streams.

package hyparlist

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// This file owns connections: the handshake that opens every stream, the
// outbound links the loop writes to, and the readers of accepted streams.
//
// Model: a node writes protocol frames to a peer only on a stream it
// dialled itself, and reads from every stream it accepted. So every stream
// carries frames one way (after the handshake), and there is never a tie to
// break between two streams of the same pair. The exceptions are
// request/answer exchanges on short-lived streams: a Ping is answered (ackMsg,
// or pingAckMsg from version 2) on the same stream. A linkPingMsg, sent on a
// long-lived link, is answered on the answerer's own link (runtime_ping.go).
//
// An active-view neighbour has one long-lived outbound link, opened on
// NeighborUp and closed on NeighborDown once its queued frames are
// written. A send to any other peer uses a transient link that closes
// after transientLinkLinger without use. Every link has bounded queues
// (Config.PeerSendQueueDepth frames and Config.PeerSendQueueBytes bytes,
// runtime_linkqueue.go). A broadcast payload that does not fit in the
// user queue is announced instead, to be grafted later
// (runtime_backpressure.go); when the control queue is full the peer is
// disconnected and reported as a failed link, so that HyParView replaces
// it. The loop never waits for a peer.

// transientLinkLinger is how long a link to a peer outside the active view
// stays open after its last use, so that the few messages of one exchange
// (a shuffle reply, a NEIGHBOR request and its answer, an anti-entropy
// round) share one connection. Not in the papers, which leave connection
// handling to the transport.
const transientLinkLinger = 2 * time.Second

// writeBatchBytes is the most bytes a writer gathers from its queue before
// it writes them to the stream in one call.
const writeBatchBytes = 64 << 10

// frameGrowExtra is what a writer adds to a frame's frameCost when it
// makes room for the frame in its buffer: the header, signature and
// sealing overhead that frameCost leaves out.
const frameGrowExtra = 128

// readBufferBytes is the buffer of a stream reader.
const readBufferBytes = 16 << 10

// outFrame is one entry of a link's queue: a message to write, a flush
// marker, or the request to close the link.
type outFrame struct {
	msg Message
	// flushed, when not nil, is closed once every frame queued before it
	// has been written to the stream.
	flushed chan struct{}
	// close ends the link once every frame queued before it is written.
	close bool
	// cost is the frame's frameCost, set by enqueue.
	cost int
	// afterUser queues a control frame behind the user frames queued
	// before it (in the user queue), so that it is written after them:
	// what a leaving node sends (runtime_leave.go).
	afterUser bool
	// inUser is set by enqueue when the frame went to the user queue.
	inUser bool
	// pruneSeq numbers a PRUNE recorded as waiting (runtime_linkprune.go);
	// 0 for any other frame.
	pruneSeq uint64
}

// outLink is an outbound stream to one peer and the goroutine writing it
// while it has frames to write (runtime_writer.go). The queue and the
// abort are shared with the writer; the other fields are owned by the
// loop.
type outLink struct {
	peer Peer
	linkQueues
	// done is closed when the link has ended (closed, failed or aborted)
	// and its last writer has exited.
	done     chan struct{}
	doneOnce sync.Once
	// beat sends the link's own Keepalive when it has written nothing
	// for heartbeatAfter (runtime_writer.go); nil before the stream is
	// open or when keepalives are off.
	beat *time.Timer
	// beatAfter is Config.heartbeatAfter; 0 for no heartbeat.
	beatAfter time.Duration

	abortCh   chan struct{}
	abortOnce sync.Once
	mu        sync.Mutex
	conn      net.Conn
	// version is the wire version of the link's stream once its handshake
	// is done (0 before): only then may frames of newer types be queued.
	version atomic.Uint32

	// heartbeat is set while the link is an active-view link: its writer
	// then sends a Keepalive of its own when it has written nothing for
	// heartbeatAfter (runtime_silence.go). Set by the loop.
	heartbeat atomic.Bool
	// checking is set while a goroutine checks whether the peer closed the
	// link's stream (runtime_linkend.go).
	checking atomic.Bool
	// writeDeadline is the stream's write deadline (runtime_deadline.go).
	// Owned by the link's writer, of which one runs at a time.
	writeDeadline lazyDeadline

	// Loop-owned.
	neighbor  bool
	lastUsed  time.Time
	idleTimer bool // a linkIdleTimer is pending for this link
	// deferred are announcements of payloads the user queue refused,
	// waiting to be queued as one IHAVE (runtime_backpressure.go).
	deferred []ihaveEntry
	// held are answers to the peer's GRAFTs the user queue refused,
	// waiting for room, heldIDs their IDs and heldBytes their payload
	// bytes (runtime_graftanswer.go).
	held      []heldAnswer
	heldIDs   map[MessageID]struct{}
	heldBytes int
	// sent counts the messages queued on the link by runLoop.send, so
	// that only a link used for one message closes after an exchange's
	// last word (runtime_oneshot.go). Loop-owned.
	sent int
	// up is linkOwners.ups after the link's last NeighborUp, 0 for none: a
	// DISCONNECT held since then is stale (runtime_linkhold.go).
	up uint64
}

// newOutLink returns a link to peer whose queues hold depth frames and
// maxBytes bytes each.
func newOutLink(peer Peer, depth, maxBytes int) *outLink {
	return &outLink{
		peer:       peer,
		linkQueues: newLinkQueues(depth, maxBytes),
		done:       make(chan struct{}),
		abortCh:    make(chan struct{}),
	}
}

// abort stops the link at once: frames still queued are discarded and a
// write in progress fails.
func (l *outLink) abort() {
	l.abortOnce.Do(func() {
		close(l.abortCh)
		l.mu.Lock()
		if l.conn != nil {
			_ = l.conn.Close()
		}
		l.mu.Unlock()
	})
	l.discard()
	if l.stopIdle() {
		l.finish()
	}
}

// setConn records the link's stream; it reports false if the link was
// aborted meanwhile (the caller then closes conn).
func (l *outLink) setConn(conn net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.abortCh:
		return false
	default:
		l.conn = conn
		return true
	}
}

// linkFailure is what a writer reports to the loop when its link broke.
type linkFailure struct {
	link *outLink
	err  error
	// reason is the metric's reason: linkFailedWrite, or linkFailedEnded
	// (runtime_linkend.go).
	reason string
}

// linkFailedWrite is the reason of a link failed because a write on it
// failed (metric hyparlist.link.failed).
const linkFailedWrite = "write"

// errLinkAborted is the error of a writer stopped by abort.
var errLinkAborted = errors.New("link aborted")

// runWriter is a link's first writer goroutine: it dials the link's
// stream unless the loop handed one over (conn, from Join), then writes
// the queue until it is empty (serveLink). Frames queued together are
// written in one call.
func (m *Memberlist) runWriter(l *outLink, conn net.Conn) {
	defer m.wg.Done()
	if conn == nil {
		c, v, err := m.dialLink(l)
		if err != nil {
			if !errors.Is(err, errLinkAborted) && !errors.Is(err, ErrShutdown) {
				m.reportLinkFailure(l, linkFailedWrite, err)
			}
			l.finish()
			return
		}
		conn = c
		l.version.Store(uint32(v))
	}
	// conn comes from dialVersion: it is in m.conns, and Close forgets it.
	if !l.setConn(conn) {
		_ = conn.Close()
		l.finish()
		return
	}
	m.armHeartbeat(l)
	m.serveLink(l, conn)
}

// resumeWriter is a later writer goroutine of a connected link, started
// when a frame is queued while none runs (runtime_writer.go).
func (m *Memberlist) resumeWriter(l *outLink) {
	defer m.wg.Done()
	m.serveLink(l, l.stream())
}

// serveLink writes l's queue to conn until the queue is empty (the
// goroutine then exits, and the next frame starts another) or the link
// ends: closed, broken, aborted, or the node shut down.
func (m *Memberlist) serveLink(l *outLink, conn net.Conn) {
	parked, err := m.writeLoop(l, conn)
	if parked {
		return
	}
	if err != nil {
		m.reportLinkFailure(l, linkFailedWrite, err)
	}
	_ = conn.Close()
	// Frames left when the link ends (failed or closed) are discarded
	// here, or by abort for those the loop queues until it learns of the
	// failure (runtime_backlog.go).
	l.finish()
}

// writeLoop writes frames until the queue is empty and the writer parks
// (parked true), or the link is closed (nil) or breaks (the error). A stop
// by abort or shutdown is not an error to report.
func (m *Memberlist) writeLoop(l *outLink, conn net.Conn) (parked bool, err error) {
	wb := m.writeBufs.get()
	defer m.writeBufs.put(wb)
	buf, scratch := wb.buf[:0], wb.scratch
	defer func() { wb.buf, wb.scratch = buf, scratch }()
	label := m.sendLabel(conn)
	var markers []chan struct{}
	var tally msgTally
	emit := m.metrics.sentBatch
	for {
		f, ok := l.take()
		if !ok {
			select {
			case <-l.abortCh:
				return false, nil
			case <-m.shutdownCh:
				return false, nil
			default:
			}
			if l.park(l.abortCh) {
				return true, nil
			}
			continue
		}
		closing := false
	gather:
		for {
			switch {
			case f.msg != nil:
				// Each message in the layouts of the link's wire
				// version (forVersion): tree roots from 3 on, member
				// versions from 4 on.
				// Room for the frame at once: a buffer fresh from the
				// pool would otherwise grow in steps as the frame's
				// fields are appended, copying what it holds each time.
				buf = slices.Grow(buf, f.cost+frameGrowExtra)
				buf, scratch = m.appendFrame(buf, scratch, forVersion(f.msg, uint8(l.version.Load())), l.peer, label, &tally)
			case f.flushed != nil:
				markers = append(markers, f.flushed)
			case f.close:
				// The loop queues nothing after a close: write what the
				// user queue still holds, then close.
				for uf, ok := l.takeUser(); ok; uf, ok = l.takeUser() {
					buf, scratch = m.appendFrame(buf, scratch, forVersion(uf.msg, uint8(l.version.Load())), l.peer, label, &tally)
				}
				closing = true
				break gather
			}
			if len(buf) >= writeBatchBytes {
				break
			}
			if f, ok = l.take(); !ok {
				break gather
			}
		}
		tally.flush(emit)
		if len(buf) > 0 {
			if err := m.writeLink(l, conn, buf); err != nil {
				select {
				case <-l.abortCh:
					return false, nil
				default:
					return false, fmt.Errorf("write to %s: %w", l.peer.Name, err)
				}
			}
			if cap(buf) > 4*writeBatchBytes {
				buf = nil // do not keep a large payload's buffer
			} else {
				buf = buf[:0]
			}
			if cap(scratch) > 4*writeBatchBytes {
				scratch = nil
			}
			l.wrote()
		}
		for i, c := range markers {
			close(c)
			markers[i] = nil
		}
		markers = markers[:0]
		if closing {
			return false, nil
		}
	}
}

// appendFrame appends the frame of msg to buf, sealed with label as
// additional data when encryption is on (scratch is a buffer for the plain
// frame, returned for reuse), and counts it in tally. A
// message that cannot be encoded is a local error, not a broken link: it
// is logged, counted and skipped.
func (m *Memberlist) appendFrame(buf, scratch []byte, msg Message, to Peer, label string, tally *msgTally) ([]byte, []byte) {
	n := len(buf)
	out, scratch, err := m.crypto.appendFrame(buf, scratch, msg, m.lim, label)
	if err != nil {
		m.metrics.encodeFailed(msg.Type())
		m.logger.Error("cannot encode message", "type", msg.Type().String(), "to", to.Name, "error", err)
		return buf, scratch
	}
	tally.add(msg.Type(), len(out)-n, m.metrics.sentBatch)
	return out, scratch
}

// writeLink writes b to conn, the stream of l, within at least
// TCPTimeout; the write deadline is moved only when it comes near
// (runtime_deadline.go).
func (m *Memberlist) writeLink(l *outLink, conn net.Conn, b []byte) error {
	if at, moved := l.writeDeadline.renew(time.Now(), m.config.TCPTimeout); moved {
		if err := conn.SetWriteDeadline(at); err != nil {
			return err
		}
	}
	_, err := conn.Write(b)
	return err
}

// writeAll writes b to conn within TCPTimeout.
func (m *Memberlist) writeAll(conn net.Conn, b []byte) error {
	if err := conn.SetWriteDeadline(time.Now().Add(m.config.TCPTimeout)); err != nil {
		return err
	}
	_, err := conn.Write(b)
	return err
}

// reportLinkFailure tells the loop that l broke, for reason.
func (m *Memberlist) reportLinkFailure(l *outLink, reason string, err error) {
	select {
	case m.failures <- linkFailure{link: l, err: err, reason: reason}:
	case <-m.shutdownCh:
	}
}

// dialLink opens and handshakes the stream of l, holding a dialer slot
// (an active-view link's ahead of other dials: runtime_linkgiveup.go).
// It returns the stream and its wire version.
func (m *Memberlist) dialLink(l *outLink) (net.Conn, uint8, error) {
	if err := m.takeLinkSlot(l); err != nil {
		return nil, 0, err
	}
	defer m.dialers.release()
	conn, _, v, err := m.dialVersion(Address{Addr: l.peer.Addr, Name: l.peer.Name})
	return conn, v, err
}

// acquireDialer takes a dialer slot, waiting for one; it returns
// ErrShutdown if the node shuts down first. Release it with
// releaseDialer.
func (m *Memberlist) acquireDialer() error {
	if !m.dialers.acquire(nil, m.shutdownCh) {
		return ErrShutdown
	}
	return nil
}

// releaseDialer returns a slot taken by acquireDialer.
func (m *Memberlist) releaseDialer() { m.dialers.release() }

// dial opens a stream to a and runs the handshake. When a.Name is set the
// node that answers must have that name. It returns the stream and the
// node that answered.
func (m *Memberlist) dial(a Address) (net.Conn, Peer, error) {
	conn, peer, _, err := m.dialVersion(a)
	return conn, peer, err
}

// dialVersion is dial that also returns the stream's wire version. The
// stream joins m.conns as soon as the dial returns, so that Shutdown
// closes it even during the handshake; closing it removes it from there.
func (m *Memberlist) dialVersion(a Address) (net.Conn, Peer, uint8, error) {
	return m.dialStream(a, true)
}

// dialStream is dialVersion; with trust set, the dialled IP becomes a
// trusted source for a minute (answers to the node's own dials,
// runtime_admission.go). A probe, which expects no answer, dials without
// it: a forged member's address must not earn its owner the slots kept
// for trusted sources because every node checked it.
func (m *Memberlist) dialStream(a Address, trust bool) (net.Conn, Peer, uint8, error) {
	conn, peer, v, _, err := m.dialStreamKey(a, trust)
	return conn, peer, v, err
}

// dialStreamKey is dialStream that also returns the broadcast key the
// answering node gave in its HelloAccept (zero below wire version 6).
func (m *Memberlist) dialStreamKey(a Address, trust bool) (net.Conn, Peer, uint8, originKey, error) {
	var key originKey
	if a.Addr == "" {
		return nil, Peer{}, 0, key, fmt.Errorf("dial %s: %w", a.Name, ErrNoAddress)
	}
	raw, err := m.transport.DialAddressTimeout(a, m.config.TCPTimeout)
	if err != nil {
		if m.shutDown() {
			return nil, Peer{}, 0, key, fmt.Errorf("dial %s: %w", a.String(), ErrShutdown)
		}
		m.metrics.dialFailed()
		return nil, Peer{}, 0, key, fmt.Errorf("dial %s: %w", a.String(), err)
	}
	if !m.conns.add(raw) {
		_ = raw.Close()
		return nil, Peer{}, 0, key, fmt.Errorf("dial %s: %w", a.String(), ErrShutdown)
	}
	m.boundStreamBuffers(raw)
	if trust {
		m.sources.dialledNow(connSource(raw), time.Now())
	}
	conn, err := m.clientTLS(&trackedConn{Conn: raw, set: &m.conns})
	var peer Peer
	var v uint8
	var keys streamKeys
	if err == nil {
		peer, v, keys, key, err = m.clientHandshake(conn, a.Name)
	}
	if err != nil {
		_ = conn.Close()
		if m.shutDown() {
			return nil, Peer{}, 0, key, fmt.Errorf("handshake with %s: %w", a.String(), ErrShutdown)
		}
		m.metrics.dialFailed()
		return nil, Peer{}, 0, key, fmt.Errorf("handshake with %s: %w", a.String(), err)
	}
	if keys != unboundKeys(m.config.Label) {
		conn = &boundConn{Conn: conn, keys: keys}
	}
	return conn, peer, v, key, nil
}

// errPeerMismatch is the error of a handshake answered by another node
// than the one dialled.
var errPeerMismatch = errors.New("a different node answered")

// errHandshakeClosed is the error of a stream the other node closed (or
// reset) without answering the handshake: it refused the stream
// (runtime_inbound.go) or could not open the Hello.
var errHandshakeClosed = errors.New("stream closed without an answer")

// errProtocol is the error of a peer that broke the connection protocol
// (for example a frame before the handshake).
var errProtocol = errors.New("connection protocol violated")

// rejectedError is the error of a handshake the other node refused.
type rejectedError struct {
	reason rejectReason
}

// Error implements error.
func (e *rejectedError) Error() string {
	return "handshake rejected: " + e.reason.String()
}

// clientHandshake sends Hello on conn and reads the answer, within
// TCPTimeout. want, when not empty, is the name the answering node must
// have. It returns the node, the accepted wire version, the keys of
// the stream's later frames (security_bind.go) and the node's broadcast
// key (zero below wire version 6; runtime_sign.go).
func (m *Memberlist) clientHandshake(conn net.Conn, want string) (Peer, uint8, streamKeys, originKey, error) {
	var none streamKeys
	if err := conn.SetDeadline(time.Now().Add(m.config.TCPTimeout)); err != nil {
		return Peer{}, 0, none, originKey{}, err
	}
	hello := helloMsg{VersionMin: wireVersionMin, VersionMax: wireVersion, Label: m.config.Label, Name: m.self.Name, Addr: m.self.Addr}
	sent, err := m.crypto.writeFrameNonce(conn, hello, m.lim, m.config.Label)
	if errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
		// The other node closed the stream before our Hello was written:
		// shed like a stream closed before its answer (which one the
		// dialer sees is timing).
		return Peer{}, 0, none, originKey{}, fmt.Errorf("%w: %w", errHandshakeClosed, err)
	}
	if err != nil {
		return Peer{}, 0, none, originKey{}, err
	}
	// The answer is read straight from conn (no buffering), so nothing
	// after it is consumed here. A node that cannot open our Hello (other
	// keys or label, or no encryption) closes the stream without an
	// answer.
	msg, got, err := m.crypto.readFrameNonce(conn, m.lim, m.config.Label)
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
		return Peer{}, 0, none, originKey{}, fmt.Errorf("read handshake answer: %w (do both nodes use the same encryption keys and settings? is the other node at its MaxInboundStreams?): %w", errHandshakeClosed, err)
	}
	if err != nil {
		return Peer{}, 0, none, originKey{}, fmt.Errorf("read handshake answer: %w", err)
	}
	switch a := msg.(type) {
	case helloAcceptMsg:
		if want != "" && a.Name != want {
			return Peer{}, 0, none, originKey{}, fmt.Errorf("%w: want %q, got %q", errPeerMismatch, want, a.Name)
		}
		if a.Name == "" {
			return Peer{}, 0, none, originKey{}, fmt.Errorf("%w: accept without a name", errProtocol)
		}
		if err := m.checkPeerName(conn, a.Name); err != nil {
			return Peer{}, 0, none, originKey{}, err
		}
		if a.Version < wireVersionMin || a.Version > wireVersion {
			return Peer{}, 0, none, originKey{}, fmt.Errorf("%w: accepted version %d, we speak %d..%d", errUnsupportedVersion, a.Version, wireVersionMin, wireVersion)
		}
		if err := m.checkSignedVersion(a.Version); err != nil {
			return Peer{}, 0, none, originKey{}, err
		}
		b := streamBinding{version: a.Version, sent: sent, got: got}
		if err := m.crypto.checkBinding(b); err != nil {
			return Peer{}, 0, none, originKey{}, err
		}
		return Peer{Name: a.Name, Addr: a.Addr}, a.Version, b.keys(m.config.Label, true), a.Key, conn.SetDeadline(time.Time{})
	case helloRejectMsg:
		return Peer{}, 0, none, originKey{}, &rejectedError{reason: a.Reason}
	default:
		return Peer{}, 0, none, originKey{}, fmt.Errorf("%w: %s instead of a handshake answer", errProtocol, msg.Type())
	}
}

// serverHandshake reads the Hello of an accepted stream and answers it,
// within handshakeTimeout. It returns the dialling node, the accepted wire
// version and the stream's keys: the dialler's label, which it binds into
// every sealed frame of the stream, with the handshake's nonces from
// version 4 (security_bind.go).
//
// A sealed Hello is opened with this node's label, or, with
// SkipInboundLabelCheck, with the empty label too. A Hello that cannot be
// opened, or a plain one while encryption is required, ends the stream
// without an answer: the dialler could not read a sealed one.
func (m *Memberlist) serverHandshake(conn net.Conn) (Peer, uint8, streamKeys, error) {
	var none streamKeys
	if m.config.IPMustBeChecked() {
		if err := m.config.IPAllowed(remoteIP(conn)); err != nil {
			return Peer{}, 0, none, err
		}
	}
	if err := conn.SetDeadline(time.Now().Add(m.handshakeTimeout())); err != nil {
		return Peer{}, 0, none, err
	}
	labels := []string{m.config.Label}
	if m.config.Label != "" && m.config.SkipInboundLabelCheck {
		labels = append(labels, "")
	}
	// An unauthenticated peer gets no more than a Hello's worth of
	// memory (runtime_inbound.go).
	helloLim := m.lim
	helloLim.MaxFrameSize = min(helloLim.MaxFrameSize, maxHelloFrameSize)
	msg, got, err := m.crypto.readFrameNonce(conn, helloLim, labels...)
	if err != nil {
		return Peer{}, 0, none, fmt.Errorf("read hello: %w", err)
	}
	h, ok := msg.(helloMsg)
	if !ok {
		return Peer{}, 0, none, fmt.Errorf("%w: %s before the handshake", errProtocol, msg.Type())
	}
	label := m.config.Label
	if h.Label == "" && m.config.SkipInboundLabelCheck {
		label = ""
	}
	answer := answerHello(h, label, m.self)
	switch {
	case m.shutDown():
		answer = helloRejectMsg{Reason: rejectShutdown, VersionMin: wireVersionMin, VersionMax: wireVersion}
	case h.Name == "":
		answer = helloRejectMsg{Reason: rejectName, VersionMin: wireVersionMin, VersionMax: wireVersion}
	case m.deny.denied(h.Name, time.Now()):
		answer = helloRejectMsg{Reason: rejectVetoed, VersionMin: wireVersionMin, VersionMax: wireVersion}
	case m.checkPeerName(conn, h.Name) != nil:
		answer = helloRejectMsg{Reason: rejectCertificate, VersionMin: wireVersionMin, VersionMax: wireVersion}
	case m.refuseUnbound(answer, got):
		answer = helloRejectMsg{Reason: rejectVersion, VersionMin: wireVersionBound, VersionMax: wireVersion}
	case m.refuseUnsigned(answer):
		answer = helloRejectMsg{Reason: rejectVersion, VersionMin: wireVersionSigned, VersionMax: wireVersion}
	}
	answer = m.withBroadcastKey(answer)
	sent, err := m.crypto.writeFrameNonce(conn, answer, m.lim, h.Label)
	if err != nil {
		return Peer{}, 0, none, err
	}
	if r, ok := answer.(helloRejectMsg); ok {
		if r.Reason == rejectName && h.Name == m.self.Name {
			m.notifyConflict(h)
		}
		return Peer{}, 0, none, &rejectedError{reason: r.Reason}
	}
	m.checkNameClash(h)
	v := answer.(helloAcceptMsg).Version
	keys := streamBinding{version: v, sent: sent, got: got}.keys(h.Label, false)
	return Peer{Name: h.Name, Addr: h.Addr}, v, keys, conn.SetDeadline(time.Time{})
}

// remoteIP returns the IP of conn's remote end, or nil.
func remoteIP(conn net.Conn) net.IP {
	switch a := conn.RemoteAddr().(type) {
	case *net.TCPAddr:
		return a.IP
	case nil:
		return nil
	default:
		host, _, err := net.SplitHostPort(a.String())
		if err != nil {
			return nil
		}
		return net.ParseIP(host)
	}
}

// runAcceptor hands every accepted stream to a reader, until shutdown. A
// stream beyond the limits of m.inbound is closed at once
// (runtime_inbound.go). It also handles the transport's packets
// (handlePacket, user_messages.go): neither waits, so one goroutine serves
// both.
func (m *Memberlist) runAcceptor() {
	defer m.wg.Done()
	for {
		select {
		case p := <-m.transport.PacketCh():
			m.handlePacket(p)
		case conn := <-m.transport.StreamCh():
			src := connSource(conn)
			trusted := m.sources.trusted(src, time.Now())
			ticket, reason := m.inbound.admit(src, trusted)
			if waits(reason) {
				if m.inbound.startWait(src, trusted) {
					m.wg.Add(1)
					go m.admitLater(conn, src, trusted)
					continue
				}
			}
			if reason != "" {
				m.metrics.streamRefused(reason)
				m.logRefusal(slog.LevelDebug, reason, src, "refused connection: too many streams", "remote", conn.RemoteAddr().String(), "reason", reason)
				_ = conn.Close()
				continue
			}
			m.wg.Add(1)
			go m.runReader(conn, ticket)
		case <-m.shutdownCh:
			return
		}
	}
}

// handshakeSlotWait is the longest a stream waits for a handshake slot
// (runtime_inbound.go): half of maxHandshakeTime, which a dialler
// allows for the whole handshake at the least.
const handshakeSlotWait = maxHandshakeTime / 2

// slotWait is how long a stream waits for a handshake slot:
// handshakeSlotWait, at most half of TCPTimeout (the dialler's whole
// handshake budget).
func (m *Memberlist) slotWait() time.Duration {
	return min(handshakeSlotWait, m.config.TCPTimeout/2)
}

// admitLater waits, at most handshakeSlotWait and not beyond TCPTimeout/2,
// for conn to find a handshake slot, then serves it as runAcceptor would;
// a stream that finds none is closed and counted. The caller has counted
// it with m.inbound.startWait.
func (m *Memberlist) admitLater(conn net.Conn, src string, trusted bool) {
	t := time.NewTimer(m.slotWait())
	var ticket inboundTicket
	var reason string
	func() {
		defer t.Stop()
		defer m.inbound.stopWait(src, trusted)
		for {
			var freed <-chan struct{}
			ticket, reason, freed = m.inbound.retry(src, trusted)
			if !waits(reason) {
				return
			}
			select {
			case <-freed:
			case <-t.C:
				return
			case <-m.shutdownCh:
				return
			}
		}
	}()
	if reason != "" {
		m.wg.Done()
		m.metrics.streamRefused(reason)
		m.logRefusal(slog.LevelDebug, reason, src, "refused connection: too many streams", "remote", conn.RemoteAddr().String(), "reason", reason)
		_ = conn.Close()
		return
	}
	m.runReader(conn, ticket) // calls m.wg.Done
}

// inbound is a protocol message read from a stream.
type inbound struct {
	from Peer
	msg  Message
	// ack is, for a linkPingMsg, the AckPayload to answer with (fetched by
	// the reader: the loop never calls the application).
	ack []byte
	// at is when the reader read the frame: the loop counts the sender
	// as heard from then, not when it gets round to the frame, so that a
	// loop that falls behind does not judge a neighbour silent on its own
	// backlog (runtime_awareness.go). Zero for none.
	at time.Time
	// ended, with no msg, reports that the stream that carries from's
	// active-view link ended without a DISCONNECT (runtime_linkend.go).
	ended bool
	// heldUps is, for a DISCONNECT held for its name's owner stream to
	// end, linkOwners.ups when it was held plus one; 0 otherwise
	// (runtime_linkhold.go).
	heldUps uint64
}

// runReader serves one accepted stream: the handshake, then every frame
// until the stream ends. Protocol messages go to the loop (waiting while
// its queue is full: TCP back-pressure), user messages to the message
// dispatcher, and Pings are answered at once (runtime_ping.go).
func (m *Memberlist) runReader(conn net.Conn, ticket inboundTicket) {
	defer m.wg.Done()
	defer m.inbound.release(ticket)
	if !m.conns.add(conn) {
		m.inbound.handshaken(ticket)
		_ = conn.Close()
		return
	}
	defer m.conns.remove(conn)
	m.boundStreamBuffers(conn)
	raw := conn
	conn, err := m.serverTLS(conn)
	var peer Peer
	var version uint8
	var keys streamKeys
	if err == nil {
		peer, version, keys, err = m.serverHandshake(conn)
	}
	m.inbound.handshaken(ticket)
	var de *decodeError
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		m.metrics.streamRefused(refusedHandshakeTimeout)
	case errors.As(err, &de):
		m.metrics.decodeFailed()
	case errors.Is(err, errProtocol):
		m.metrics.wrongState()
	}
	if err != nil {
		if reason, ok := cryptoFailure(err); ok {
			m.metrics.decryptFailed(reason)
			m.logRefusal(slog.LevelWarn, "handshake_crypto", connSource(conn), "refused connection: encryption mismatch", "remote", conn.RemoteAddr().String(), "error", err)
			return
		}
		m.logger.Debug("refused connection", "remote", conn.RemoteAddr().String(), "error", err)
		return
	}
	defer m.endStream(peer.Name, conn) // runtime_linkhold.go
	cr := &byteCounter{r: conn}
	sr := newStreamReader(&m.readBufs, cr)
	defer sr.release()
	idle := m.readIdleTimeout()
	// alive is when the last frame that keeps the stream alive arrived;
	// the read deadline is at least idle after it, moved only when it
	// comes near (runtime_deadline.go).
	alive := time.Now()
	var deadline lazyDeadline
	// A wait for room in the inbox first looks whether the dialler
	// closed the stream, and then closes it (runtime_readerend.go).
	ended := func() bool {
		if !sr.peekEnded(conn, deadline.at) {
			return false
		}
		_ = raw.Close()
		return true
	}
	consumed := 0
	var link linkMark // whether the stream carries peer's active-view link (runtime_linkend.go)
	var tally msgTally
	emit := m.metrics.receivedBatch
	defer tally.flush(emit)
	for {
		var wait time.Time
		if idle > 0 {
			at, moved := deadline.renew(alive, idle)
			if moved {
				_ = conn.SetReadDeadline(at)
			}
			wait = at
		}
		if sr.buffered() == 0 {
			tally.flush(emit) // before a read that may wait
		}
		br := sr.next()
		charge, ok := m.takeFrameBudget(br, wait)
		if !ok {
			return
		}
		msg, err := m.crypto.readFrame(br, m.lim, keys.recv)
		if err != nil {
			m.budget.release(charge)
			m.countIdle(err, idle)
			m.logReadError(peer, connSource(conn), err)
			m.reportLinkEnd(peer, err, link)
			return
		}
		n := cr.n - sr.buffered()
		tally.add(msg.Type(), n-consumed, emit)
		consumed = n
		at := sr.readAt // the frame's last bytes had arrived by then
		if keepsStreamAlive(msg) {
			alive = at
		}
		handled := m.handleStreamMessage(conn, peer, version, keys.send, msg, at, ended)
		m.budget.release(charge)
		if !handled {
			return
		}
		link = m.markLink(conn, peer.Name, msg, link)
	}
}

// handleStreamMessage acts on one frame read at time at from peer's
// stream of wire version version and label label; it reports false when
// the stream must be closed. ended is called while the inbox is full
// (inboxQueue.putChecking).
func (m *Memberlist) handleStreamMessage(conn net.Conn, peer Peer, version uint8, label string, msg Message, at time.Time, ended func() bool) bool {
	in := inbound{from: peer, msg: msg, at: at}
	switch v := msg.(type) {
	case userMsg:
		return m.deliverDirect(v.Payload, true)
	case pingMsg:
		return m.answerPing(conn, v, version, label)
	case ackMsg:
		return true
	case linkPingMsg:
		in.ack = m.ackPayload()
	case helloMsg, helloAcceptMsg, helloRejectMsg, checkPingMsg, checkAckMsg:
		m.metrics.wrongState()
		m.logRefusal(slog.LevelWarn, "stream_handshake", connSource(conn), "handshake or packet-only message inside a stream", "from", peer.Name, "type", msg.Type().String())
		return false
	}
	if !m.fromLink(conn, in) {
		return true
	}
	return m.inbox.putChecking(in, m.shutdownCh, ended)
}

// logReadError logs why peer's stream from source ended, quietly for the
// usual endings, and at most once per logRateInterval for a refusal.
func (m *Memberlist) logReadError(peer Peer, source string, err error) {
	var de *decodeError
	reason, crypto := cryptoFailure(err)
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), m.shutDown():
	case crypto:
		m.metrics.decryptFailed(reason)
		m.logRefusal(slog.LevelWarn, "stream_crypto", source, "closing stream after a frame that failed encryption checks", "from", peer.Name, "error", err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		// The stream ended inside a frame: its writer stopped mid-write
		// (a link it failed, a write deadline, a crash). Nothing was
		// wrong with what arrived, so it is not a decode failure.
		m.metrics.streamTruncated()
		m.logger.Debug("stream ended inside a frame", "from", peer.Name, "error", err)
	case errors.As(err, &de):
		m.metrics.decodeFailed()
		m.logRefusal(slog.LevelWarn, "stream_decode", source, "closing stream after an unreadable frame", "from", peer.Name, "error", err)
	default:
		m.logger.Debug("stream ended", "from", peer.Name, "error", err)
	}
}

// readIdleTimeout is how long an accepted stream may go without protocol
// traffic (keepsStreamAlive) before the reader closes it (at most an
// eighth more: the deadline's slack, runtime_deadline.go): three link
// silence limits (a neighbour sends a keepalive every interval; a
// transient link closes after transientLinkLinger), or no limit when
// keepalives are off.
func (m *Memberlist) readIdleTimeout() time.Duration {
	limit := m.config.linkSilenceLimit()
	if limit <= 0 {
		return 0
	}
	return 3 * max(limit, transientLinkLinger)
}

// byteCounter counts the bytes read through it.
type byteCounter struct {
	r io.Reader
	n int
}

func (c *byteCounter) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += n
	return n, err
}

// connSet tracks the streams of readers and writers so that Shutdown can
// close them, which ends any read or write in progress.
type connSet struct {
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// add tracks conn; it reports false after closeAll.
func (s *connSet) add(conn net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.conns == nil {
		s.conns = make(map[net.Conn]struct{})
	}
	s.conns[conn] = struct{}{}
	return true
}

// remove closes conn and stops tracking it.
func (s *connSet) remove(conn net.Conn) {
	s.forget(conn)
	_ = conn.Close()
}

// forget stops tracking conn.
func (s *connSet) forget(conn net.Conn) {
	s.mu.Lock()
	delete(s.conns, conn)
	s.mu.Unlock()
}

// trackedConn is a dialled stream held in a connSet; closing it also
// removes it from the set.
type trackedConn struct {
	net.Conn
	set *connSet
}

// Close implements net.Conn.
func (c *trackedConn) Close() error {
	c.set.forget(c.Conn)
	return c.Conn.Close()
}

// closeAll closes every tracked stream and refuses new ones.
func (s *connSet) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for c := range s.conns {
		_ = c.Close()
	}
}
