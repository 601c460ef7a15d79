// Runtime: one stream per link from wire version 7, written by both ends,
// each direction ended by a streamEndMsg.

package hyparlist

import (
	"net"
	"strings"
	"sync"
)

// This file lets the two ends of a link share one stream. Before wire
// version 7 a node wrote only on streams it dialled, so a pair of
// neighbours held two TCP connections, four descriptors in one process;
// at N = 1,000 in one process the links held 61–76 % of the descriptors
// at the join storm's peak (BENCHMARKS.md, session 12).
//
// From version 7 (wireVersionShared, agreed in the handshake like every
// version) a link's stream carries frames both ways:
//
//   - the dialler of a link's stream reads it as well (readShared): one
//     reader goroutine per stream end, as on the accepting side;
//   - a node that opens a link to a peer which already has a link stream
//     open to it (an accepted stream of version 7 that owns the peer's
//     name, runtime_linkowner.go, whose reader has not seen the peer's
//     streamEndMsg and to which no link of this node was attached)
//     attaches its link to that stream instead of dialling: its writer
//     writes there (the one writer of that direction). The usual cases
//     are all of this kind: a JOIN's contact, a NEIGHBOR's receiver and a
//     FORWARD_JOIN's last hop answer on the stream that reached them;
//   - each direction ends with a streamEndMsg, written after the last
//     frame of a closing link (or by a reader whose node never attached a
//     link, when it reads the other end's). The reader of a stream closes
//     it once both directions have ended: so no frame written before an
//     end is lost to a close, and a stream stays while either end uses it;
//   - a stream that ends without the peer's streamEndMsg (EOF or a reset:
//     the peer's process is gone, or it aborted the link) fails the link
//     attached to it at once (linkFailedEnded): the stream the link writes
//     on is the one that ended, so no second stream needs checking
//     (runtime_linkend.go does that for links of older versions). The
//     failure is weak evidence (LinkFailed.Weak): a live peer whose link
//     was aborted while its writer ran ends the stream the same way, and
//     a node that is behind does not accuse on it
//     (membership_accuse_behind.go);
//   - a write that fails, and abort, close the stream as before.
//
// Two nodes that dial each other at the same moment, before either
// stream carried a frame, keep two streams, each written one way, as
// before version 7: no tie to break, nothing to migrate. A peer of an
// older version never sees a streamEndMsg and never reads its dialled
// stream: with it, every link keeps its own stream as before.
//
// Security: a stream owns a name only while no other stream of that name
// is open (runtime_linkowner.go), and this node writes to a peer on an
// accepted stream only when it owns the peer's name and its remote IP is
// the IP of the peer's address (when that address names an IP), so an
// outsider who connects first under a neighbour's name from another host
// does not receive the neighbour's traffic. Without TLS a Hello's name is
// not verified; SECURITY.md.

// sharedStream is one end of a stream of wire version 7 or later: its
// link, attached at most once, and which directions have ended.
type sharedStream struct {
	m       *Memberlist
	conn    net.Conn // with its keys (boundConn) when they are bound
	peer    Peer
	version uint8
	// dialled: this node dialled the stream. Its reader has no idle
	// limit: the peer may never write on it, and the link's own checks
	// (runtime_silence.go) judge the peer.
	dialled bool

	mu sync.Mutex
	// link is the link of this node that writes on the stream; nil until
	// one is attached. A stream is attached at most once.
	link *outLink
	// sentEnd: this node has written, or will write, nothing more (a
	// closed link's streamEndMsg, or the reader's answer to the peer's).
	sentEnd bool
	// gotEnd: the peer's streamEndMsg was read.
	gotEnd bool
}

// attach makes l the writer of s; it reports false when s already has
// one, or a direction has ended.
func (s *sharedStream) attach(l *outLink) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.link != nil || s.sentEnd || s.gotEnd {
		return false
	}
	s.link = l
	l.shared.Store(s)
	return true
}

// attached returns the link attached to s, or nil.
func (s *sharedStream) attached() *outLink {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.link
}

// peerEnded records the peer's streamEndMsg. It returns the link that
// still writes on s (nil if none: the stream can close once answer is
// written), and answer: whether this node must write its own
// streamEndMsg, having never attached a link.
func (s *sharedStream) peerEnded() (link *outLink, answer bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gotEnd = true
	if s.link == nil && !s.sentEnd {
		s.sentEnd = true
		return nil, true
	}
	return s.link, false
}

// ipMatches reports whether conn's remote IP is the IP of addr, or addr
// names no IP (a host name: nothing to compare).
func ipMatches(conn net.Conn, addr string) bool {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	want := net.ParseIP(strings.Trim(host, "[]"))
	if want == nil {
		return true
	}
	got := remoteIP(conn)
	return got != nil && got.Equal(want)
}

// attachShared attaches l, a new link to l.peer, to an accepted stream
// from that peer that it can write on; it reports whether it did.
func (m *Memberlist) attachShared(l *outLink) bool {
	s := m.owners.sharedOf(l.peer.Name)
	if s == nil || !ipMatches(s.conn, l.peer.Addr) || !s.attach(l) {
		return false
	}
	l.version.Store(uint32(s.version))
	return true
}

// startSharedReader starts the reader of l's dialled stream conn of
// version v, when v lets the peer write on it.
func (m *Memberlist) startSharedReader(l *outLink, conn net.Conn, v uint8) {
	if v < wireVersionShared {
		return
	}
	s := &sharedStream{m: m, conn: conn, peer: l.peer, version: v, dialled: true, link: l}
	l.shared.Store(s)
	m.wg.Add(1)
	go m.readShared(s)
}

// readShared reads the dialled stream of s until it ends, as runReader
// reads an accepted one, then closes it (endShared).
func (m *Memberlist) readShared(s *sharedStream) {
	defer m.wg.Done()
	keys := streamKeys{send: m.sendLabel(s.conn), recv: m.recvLabel(s.conn)}
	err := m.readStream(s.conn, s.peer, s.version, keys, s)
	m.endShared(s, err)
}

// endShared ends the reader of s after the read error err (nil when the
// peer's streamEndMsg was read): it answers a streamEndMsg when this node
// never attached a link, waits for an attached link to end, and closes the
// stream. A stream that ended without the peer's streamEndMsg fails the
// attached link at once.
func (m *Memberlist) endShared(s *sharedStream, err error) {
	if err != nil {
		if l := s.attached(); l != nil && streamEnded(err) && !m.shutDown() {
			// Weak: a live peer that aborts its link while its writer
			// runs ends the stream the same way (abort).
			select {
			case m.failures <- linkFailure{link: l, err: err, reason: linkFailedEnded, weak: true}:
			case <-m.shutdownCh:
			}
		}
		_ = s.conn.Close()
		return
	}
	link, answer := s.peerEnded()
	if answer {
		_ = m.writeStreamEnd(s)
	}
	if link != nil {
		select {
		case <-link.done:
		case <-m.shutdownCh:
		}
	}
	_ = s.conn.Close()
}

// writeStreamEnd writes a streamEndMsg on s, within TCPTimeout.
func (m *Memberlist) writeStreamEnd(s *sharedStream) error {
	frame, _, err := m.crypto.appendFrame(nil, nil, streamEndMsg{}, m.lim, m.sendLabel(s.conn))
	if err != nil {
		return err
	}
	return m.writeAll(s.conn, frame)
}

// endDirection ends this node's direction of s, whose link was aborted
// while its writer was idle: a goroutine writes the streamEndMsg (the
// loop, which aborts links, never waits for a peer) and closes the stream
// if that fails; otherwise the reader closes it once the peer ends its
// direction too. Once Shutdown has begun, the stream is closed at once.
func (m *Memberlist) endDirection(s *sharedStream) {
	m.writers.mu.Lock()
	if m.writers.closed {
		m.writers.mu.Unlock()
		_ = s.conn.Close()
		return
	}
	m.wg.Add(1)
	m.writers.mu.Unlock()
	go func() {
		defer m.wg.Done()
		if err := m.writeStreamEnd(s); err != nil {
			_ = s.conn.Close()
		}
	}()
}
