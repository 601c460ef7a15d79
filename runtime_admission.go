// Runtime: the trusted sources (peer IPs) that admission of accepted streams
// prefers.

package hyparlist

import (
	"errors"
	"net"
	"os"
	"slices"
	"sync"
	"time"
)

// This file owns the sources (remote IP addresses) the node trusts when it
// admits a stream (runtime_inbound.go): the IPs of the peers in its
// active and passive views, which the loop publishes whenever HyParView
// steps, and the IPs it dialled itself in the last dialledSourceTTL, whose
// nodes answer on streams of their own (a NEIGHBOR reply, a shuffle
// reply, a join's answer). A stream from a trusted source is exempt from
// the per-source limits and may use slots reserved for it, so that an
// outsider who fills the general pool from its own addresses does not cut
// a node off from its neighbours.
//
// Trust is by IP only, before the handshake: the stream's name is not
// known yet. Nodes sharing an IP with a view member (a NAT, or many nodes
// on one host) share its trust.

// dialledSourceTTL is how long a dialled IP stays trusted after the dial:
// the answers to a dial (a NEIGHBOR reply, a shuffle reply, the join
// exchange) arrive within a few round trips, or within the peer's
// TCPTimeout when it must dial back first.
const dialledSourceTTL = time.Minute

// maxDialledSources bounds the dialled IPs remembered. A node dials its
// active view, its repair candidates, its shuffle and anti-entropy
// partners and the targets of SendReliable: at most a few hundred
// distinct IPs a minute even in a 100,000-node cluster. When full, the
// oldest entry goes first.
const maxDialledSources = 4096

// trustedSources is the set of trusted source IPs. It is safe for
// concurrent use: the loop sets the views' IPs, dialling goroutines add
// dialled ones, the acceptor reads.
type trustedSources struct {
	mu sync.Mutex
	// views holds the IPs of the active and passive views, sorted.
	views []string
	// dialled maps a dialled IP to when the dial was made.
	dialled map[string]time.Time
}

// setViews replaces the IPs of the views with ips (sorted, no
// duplicates).
func (s *trustedSources) setViews(ips []string) {
	s.mu.Lock()
	s.views = ips
	s.mu.Unlock()
}

// dialledNow records a dial to ip at now.
func (s *trustedSources) dialledNow(ip string, now time.Time) {
	if ip == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dialled == nil {
		s.dialled = make(map[string]time.Time)
	}
	if _, ok := s.dialled[ip]; !ok && len(s.dialled) >= maxDialledSources {
		s.evictLocked(now)
	}
	s.dialled[ip] = now
}

// evictLocked drops the expired entries, or the oldest one when none has
// expired.
func (s *trustedSources) evictLocked(now time.Time) {
	var oldest string
	var oldestAt time.Time
	for ip, at := range s.dialled {
		if now.Sub(at) > dialledSourceTTL {
			delete(s.dialled, ip)
			continue
		}
		if oldest == "" || at.Before(oldestAt) {
			oldest, oldestAt = ip, at
		}
	}
	if len(s.dialled) >= maxDialledSources {
		delete(s.dialled, oldest)
	}
}

// trusted reports whether ip is in a view or was dialled within
// dialledSourceTTL before now.
func (s *trustedSources) trusted(ip string, now time.Time) bool {
	if ip == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := slices.BinarySearch(s.views, ip); ok {
		return true
	}
	at, ok := s.dialled[ip]
	return ok && now.Sub(at) <= dialledSourceTTL
}

// addrSource returns the source key of a "host:port" address: its IP in
// canonical form, or its host when that is not an IP, or "" when addr
// cannot be parsed.
func addrSource(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.String()
	}
	return host
}

// netAddrSource returns the source key of a (see addrSource), or "" for
// nil.
func netAddrSource(a net.Addr) string {
	if a == nil {
		return ""
	}
	return addrSource(a.String())
}

// connSource returns the source key of conn's remote end (see
// addrSource).
func connSource(conn net.Conn) string {
	if ip := remoteIP(conn); ip != nil {
		return ip.String()
	}
	return netAddrSource(conn.RemoteAddr())
}

// viewSources returns the sorted, distinct source keys of addrs, the
// addresses of the peers in HyParView's views.
func viewSources(addrs []string) []string {
	var ips []string
	for _, a := range addrs {
		if ip := addrSource(a); ip != "" {
			ips = append(ips, ip)
		}
	}
	slices.Sort(ips)
	return slices.Compact(ips)
}

// publishViewSources tells the acceptor the views' IPs when HyParView has
// stepped since the last call and they changed. Most steps change no view
// (a Keepalive, a timer, a Plumtree-bound frame); the views' addresses are
// compared first, without parsing or allocating, so that such a step
// costs a comparison of about ActiveViewSize + PassiveViewSize strings
// rather than parsing each address (a quarter of an idle node's CPU time
// at N = 64, BENCHMARKS.md session 12). viewSourcesBuilt counts the
// parses.
func (l *runLoop) publishViewSources() {
	if !l.viewsStepped {
		return
	}
	l.viewsStepped = false
	addrs := l.hv.appendViewAddrs(l.addrScratch[:0])
	l.addrScratch = addrs
	if l.viewAddrs != nil && slices.Equal(addrs, l.viewAddrs) {
		return
	}
	l.viewAddrs = append(make([]string, 0, len(addrs)), addrs...)
	l.viewSourcesBuilt++
	ips := viewSources(addrs)
	if slices.Equal(ips, l.lastViewSources) {
		return
	}
	l.lastViewSources = ips
	l.m.sources.setViews(slices.Clone(ips))
}

// handshakeTimeout is the time an accepted stream has for its handshake:
// TCPTimeout, at most maxHandshakeTime.
func (m *Memberlist) handshakeTimeout() time.Duration {
	return min(m.config.TCPTimeout, maxHandshakeTime)
}

// keepsStreamAlive reports whether msg, read from an accepted stream,
// restarts the stream's idle limit (readIdleTimeout). A stray ackMsg and a
// Ping only probe the stream: a stream that carries nothing else is
// closed once the limit passes, so that completing a handshake and
// sending one every few seconds does not hold a slot for ever.
func keepsStreamAlive(msg Message) bool {
	switch msg.(type) {
	case ackMsg, pingMsg:
		return false
	}
	return true
}

// countIdle counts a stream closed by its idle limit: err is the read
// error that ended it, idle the limit (0 when off).
func (m *Memberlist) countIdle(err error, idle time.Duration) {
	if idle > 0 && errors.Is(err, os.ErrDeadlineExceeded) {
		m.metrics.streamRefused(refusedIdle)
	}
}
