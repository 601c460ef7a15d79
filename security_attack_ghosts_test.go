//go:build linux

// Attack tests: forged member records ("ghosts") at addresses that hang.

package hyparlist

import (
	"crypto/ed25519"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ghostConfirmTimeout is MemberConfirmTimeout in the ghost tests, so that
// each runs in a few seconds (a ghost is checked 1 s after it is listed).
const ghostConfirmTimeout = time.Second

// ghostCount is how many ghosts each test announces.
const ghostCount = 8

// ghostCluster starts a 4-node attack cluster with the ghost tests'
// settings.
func ghostCluster(t *testing.T) []*attackNode {
	t.Helper()
	if testing.Short() {
		t.Skip("real sockets")
	}
	return attackCluster(t, 4, func(c *Config) {
		c.QueueCheckInterval = 100 * time.Millisecond
		c.MemberConfirmTimeout = ghostConfirmTimeout
	})
}

// announceGhosts completes a plain handshake with victim from the
// attacker's address as "forger" and pushes one membership broadcast,
// signed with the forger's own key, of alive records of the ghosts named
// ghost-00, ghost-01, … at addrs; it waits until victim lists them all.
func announceGhosts(t *testing.T, victim *attackNode, addrs []string) {
	t.Helper()
	c := dialAsNeighbour(t, victim.ml.LocalNode().Address(), "forger")
	t.Cleanup(func() { _ = c.Close() })
	ghosts := make([]memberRecord, len(addrs))
	for i, a := range addrs {
		ghosts[i] = memberRecord{Name: fmt.Sprintf("ghost-%02d", i), Addr: a, State: memberStateAlive}
	}
	payload, err := appendAnnouncement(nil, ghosts)
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	id := MessageID{Origin: "forger", Seq: 1}
	msg := gossipMsg{ID: id, Class: ClassMembership, Payload: payload, Sig: signBroadcast(key, id, ClassMembership, payload)}
	var plain frameCrypto
	if err := plain.writeFrame(c, msg, defaultWireLimits(), ""); err != nil {
		t.Fatalf("write: %v", err)
	}
	attackWaitFor(t, "the ghosts listed", func() bool { return ghostsListed(victim) == len(addrs) })
}

// ghostsListed returns how many ghosts n lists as members.
func ghostsListed(n *attackNode) int {
	k := 0
	for _, m := range n.ml.Members() {
		if strings.HasPrefix(m.Name, "ghost-") {
			k++
		}
	}
	return k
}

// wantGhostsGone waits until no node lists a ghost, then checks that
// every node lists the cluster alone, that the removals were counted,
// that every broadcast is delivered and that the heap stayed bounded.
func wantGhostsGone(t *testing.T, nodes []*attackNode, since time.Time) {
	t.Helper()
	attackWaitFor(t, "every ghost gone from every node", func() bool {
		for _, n := range nodes {
			if ghostsListed(n) > 0 {
				return false
			}
		}
		return true
	})
	t.Logf("%d ghosts gone from all %d nodes %v after %v", ghostCount, len(nodes), time.Since(since).Round(100*time.Millisecond), since.Format("15:04:05.0"))
	attackWaitFor(t, "the removals counted", func() bool {
		var sum float64
		for _, n := range nodes {
			sum += counterSum(n.sink, "hyparlist.member.unconfirmed_removed")
		}
		return sum >= ghostCount
	})
	for _, n := range nodes {
		if n.ml.NumMembers() != len(nodes) {
			t.Errorf("%s lists %d members, want %d", n.rec.name, n.ml.NumMembers(), len(nodes))
		}
	}
	wantBroadcasts(t, nodes, "after ghosts")
	wantHeapUnder(t)
}

// TestAttackGhostsAtHangingAddresses: an outsider announces ghosts at
// addresses where a dial hangs instead of being refused: a listener that
// never accepts (its accept queue of one is full, so later connection
// attempts get no answer), and one that accepts and never answers the
// Hello. Each check then ends at TCPTimeout as a weak failure, which a
// healthy node takes as the member's death (membership_confirm_retry.go):
// the ghosts are gone from every node in seconds and the cluster keeps
// delivering every broadcast.
func TestAttackGhostsAtHangingAddresses(t *testing.T) {
	t.Run("never accepts", func(t *testing.T) {
		nodes := ghostCluster(t)
		addrs := make([]string, ghostCount)
		for i := range addrs {
			addrs[i] = listenNeverAccept(t)
		}
		start := time.Now()
		announceGhosts(t, nodes[0], addrs)
		wantBroadcasts(t, nodes, "while ghosts hang")
		wantGhostsGone(t, nodes, start)
	})
	t.Run("accepts, never answers", func(t *testing.T) {
		nodes := ghostCluster(t)
		addrs := make([]string, ghostCount)
		for i := range addrs {
			h := newGhostHost(t)
			addrs[i] = h.addr
		}
		start := time.Now()
		announceGhosts(t, nodes[0], addrs)
		wantBroadcasts(t, nodes, "while ghosts hang")
		wantGhostsGone(t, nodes, start)
	})
}

// listenNeverAccept listens on the attacker's address with an accept
// queue of one and never accepts, and returns its address; a first
// connection fills the queue (a dialler's Hello then gets no answer), and
// later connection attempts get no answer at all.
func listenNeverAccept(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	sa := &syscall.SockaddrInet4{}
	copy(sa.Addr[:], net.ParseIP(attackerAddr).To4())
	if err := syscall.Bind(fd, sa); err != nil {
		t.Fatalf("bind: %v", err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatalf("listen: %v", err)
	}
	got, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatalf("getsockname: %v", err)
	}
	return fmt.Sprintf("%s:%d", attackerAddr, got.(*syscall.SockaddrInet4).Port)
}

// ghostHost listens on the attacker's address for one ghost: it accepts
// every connection and never answers, holding it until the other end
// closes it or the host is closed.
type ghostHost struct {
	addr string
	ln   net.Listener
	wg   sync.WaitGroup

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
}

// newGhostHost starts a ghostHost, closed when the test ends.
func newGhostHost(t *testing.T) *ghostHost {
	t.Helper()
	ln, err := net.Listen("tcp", attackerAddr+":0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	h := &ghostHost{addr: ln.Addr().String(), ln: ln, conns: make(map[net.Conn]struct{})}
	t.Cleanup(h.close)
	h.wg.Go(h.serve)
	return h
}

// serve accepts connections until the listener is closed; one accepted
// after close is closed at once.
func (h *ghostHost) serve() {
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return
		}
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			_ = c.Close()
			return
		}
		h.conns[c] = struct{}{}
		h.mu.Unlock()
		h.wg.Go(func() { h.hold(c) })
	}
}

// hold reads c, answering nothing, until it is closed.
func (h *ghostHost) hold(c net.Conn) {
	defer func() {
		h.mu.Lock()
		delete(h.conns, c)
		h.mu.Unlock()
		_ = c.Close()
	}()
	buf := make([]byte, 512)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

// close stops the host: the listener and every held connection.
func (h *ghostHost) close() {
	h.mu.Lock()
	h.closed = true
	for c := range h.conns {
		_ = c.Close()
	}
	h.mu.Unlock()
	_ = h.ln.Close()
	h.wg.Wait()
}
