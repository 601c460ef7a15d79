// Runtime: Join, Leave, UpdateNode and membership's probes, the API calls that
// wait for the network.

package hyparlist

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// This file owns joining (Join), leaving (Leave), metadata updates
// (UpdateNode) and the probes membership asks for: everything that waits
// for the network on behalf of a caller.

// Join contacts each of the given hosts and joins the cluster through the
// ones that answer. A host is "host:port", "host" (port Config.BindPort),
// or either prefixed with the node's name, "name/host:port"; a DNS name
// is tried at every address it resolves to. For each address Join dials,
// runs the handshake (which tells it the node's name), sends HyParView's
// JOIN and, when the node has no neighbour yet, starts the join
// anti-entropy exchange (Delegate.LocalState and MergeRemoteState with
// join set) with the contact; the node's first neighbour starts another
// if the contact has not answered by then, and a random neighbour one
// after 3 s without an answer (membership_join.go). A contact that closes
// the stream without answering the handshake (it sheds streams beyond its
// admission bounds) is tried again for up to 5 s (runtime_join_retry.go).
// Join waits, at most Config.TCPTimeout, until the node has its first
// neighbour and, when the node had none before, until that exchange with
// the contact is done, as memberlist's push/pull is when its Join returns:
// the node lists the contact and its members, the contact lists the node,
// and MergeRemoteState(join=true) has returned (see
// runtime_join_settle.go for the one case it may not have).
//
// With a MergeDelegate, a node that had no neighbour yet also waits (within
// the same TCPTimeout) for the delegate's verdict on the records of the
// join exchange, as memberlist's Join does: an address whose records were
// vetoed does not count as reached, and its error wraps ErrMergeCanceled;
// the node drops its links to the vetoed cluster (see MergeDelegate). An
// explicit Join through a node that a veto denied lifts the deny.
//
// It returns the number of addresses reached (an address of the local
// node counts as reached without a connection). A node at another address
// with the local node's name refuses the connection: a name conflict,
// which both nodes' ConflictDelegates hear of, as in memberlist. That
// address counts as reached, as memberlist's Join counts it (its
// push/pull completes and reports the conflict), but unlike memberlist the
// two nodes exchange no member lists (see MIGRATING.md). If none was, the error
// wraps ErrNoContact and joins each address's error; otherwise it is nil.
// An empty list contacts nobody and returns 0 and nil, as memberlist does.
// It returns 0 and an error wrapping ErrShutdown after Shutdown, also
// when Shutdown interrupts it.
func (m *Memberlist) Join(existing []string) (int, error) {
	if m.shutDown() {
		return 0, ErrShutdown
	}
	var errs []error
	var connected <-chan struct{}
	var merges []pendingMerge
	var listed []<-chan struct{}
	reached := 0
	for _, host := range existing {
		addrs, err := m.resolveJoinAddr(host)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, a := range addrs {
			r, err := m.joinAddress(a)
			if err != nil {
				if errors.Is(err, ErrShutdown) {
					return 0, fmt.Errorf("join %s: %w", a.String(), err)
				}
				errs = append(errs, fmt.Errorf("join %s: %w", a.String(), err))
				continue
			}
			reached++
			if r.connected != nil {
				connected = r.connected
			}
			if r.merge != nil {
				merges = append(merges, pendingMerge{addr: a, result: r.merge})
			}
			if r.listed != nil {
				listed = append(listed, r.listed)
			}
		}
	}
	// One deadline for every wait, each with its own timer: a wait that
	// ran out must not leave the next one without a timeout.
	deadline := time.Now().Add(m.config.TCPTimeout)
	if connected != nil {
		if err := m.waitConnected(connected, deadline); err != nil {
			return 0, fmt.Errorf("join %d hosts: %w", len(existing), err)
		}
	}
	for _, pm := range merges {
		err := m.waitMerge(pm.result, deadline)
		if errors.Is(err, ErrShutdown) {
			return 0, fmt.Errorf("join %d hosts: %w", len(existing), err)
		}
		if err != nil {
			reached--
			errs = append(errs, fmt.Errorf("join %s: %w", pm.addr.String(), err))
		}
	}
	if reached > 0 {
		for _, ch := range listed {
			if err := m.waitJoinExchange(ch, deadline); err != nil {
				return 0, fmt.Errorf("join %d hosts: %w", len(existing), err)
			}
		}
	}
	if reached == 0 && len(existing) > 0 {
		err := fmt.Errorf("join %d hosts: %w", len(existing), ErrNoContact)
		if len(errs) > 0 {
			err = fmt.Errorf("%w: %w", err, errors.Join(errs...))
		}
		return 0, err
	}
	return reached, nil
}

// pendingMerge is the verdict a Join waits for on the join exchange
// through one address.
type pendingMerge struct {
	addr   Address
	result <-chan error
}

// waitConnected waits until connected closes or deadline passes; it
// returns ErrShutdown if the node shuts down first.
func (m *Memberlist) waitConnected(connected <-chan struct{}, deadline time.Time) error {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-connected:
	case <-t.C:
	case <-m.shutdownCh:
		return ErrShutdown
	}
	return nil
}

// waitMerge waits for the MergeDelegate's verdict on a join exchange; no
// verdict before deadline (an exchange that found nothing to merge, or a
// node that got no neighbour) counts as no veto. It returns ErrShutdown if
// the node shuts down first.
func (m *Memberlist) waitMerge(result <-chan error, deadline time.Time) error {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case err := <-result:
		return err
	case <-t.C:
	case <-m.shutdownCh:
		return ErrShutdown
	}
	_ = m.submit(loopFunc(func(l *runLoop) { l.dropJoinWait(result) }))
	return nil
}

// joinResult is what the loop answers cmdJoin with: connected closes once
// the node has a neighbour (nil for the local node); merge, when not nil,
// receives the MergeDelegate's verdict on the join exchange.
type joinResult struct {
	connected <-chan struct{}
	merge     <-chan error
	// listed, when not nil, closes once the node lists the contact
	// (runtime_join_settle.go).
	listed <-chan struct{}
}

// joinAddress joins through one address.
func (m *Memberlist) joinAddress(a Address) (joinResult, error) {
	if a.Addr == m.self.Addr {
		return joinResult{}, nil
	}
	conn, contact, version, err := m.dialJoin(a)
	if r := (*rejectedError)(nil); errors.As(err, &r) && r.reason == rejectName {
		// The contact has the local node's name (it refused the
		// handshake and told its ConflictDelegate): a name conflict, which
		// the local ConflictDelegate hears of too, as in memberlist.
		m.notifyConflict(helloMsg{Name: m.self.Name, Addr: a.Addr})
		return joinResult{}, nil
	}
	if err != nil {
		return joinResult{}, err
	}
	if contact.Name == m.self.Name {
		_ = conn.Close()
		return joinResult{}, nil
	}
	reply := make(chan joinResult, 1)
	if err := m.submit(cmdJoin{contact: contact, conn: conn, version: version, reply: reply}); err != nil {
		_ = conn.Close()
		return joinResult{}, err
	}
	select {
	case r := <-reply:
		return r, nil
	case <-m.shutdownCh:
		return joinResult{}, ErrShutdown
	}
}

// resolveJoinAddr turns one Join host into addresses to dial.
func (m *Memberlist) resolveJoinAddr(host string) ([]Address, error) {
	name, hostPort, found := strings.Cut(host, "/")
	if !found {
		name, hostPort = "", host
	}
	h, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		// No port (or an IPv6 address without brackets): the whole string
		// is the host.
		h, port = strings.Trim(hostPort, "[]"), strconv.Itoa(m.config.BindPort)
	}
	if h == "" {
		return nil, fmt.Errorf("join %q: empty host: %w", host, ErrNoAddress)
	}
	if ip := net.ParseIP(h); ip != nil {
		return []Address{{Addr: net.JoinHostPort(ip.String(), port), Name: name}}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), m.config.TCPTimeout)
	defer cancel()
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, h)
	if err != nil {
		return nil, fmt.Errorf("join %q: resolve: %w", host, err)
	}
	addrs := make([]Address, 0, len(ips))
	for _, ip := range ips {
		addrs = append(addrs, Address{Addr: net.JoinHostPort(ip.IP.String(), port), Name: name})
	}
	return addrs, nil
}

// Leave announces to the cluster that this node leaves: membership
// announces it left (every member's EventDelegate gets NotifyLeave with
// StateLeft) and HyParView disconnects from every neighbour. The node
// keeps running until Shutdown but no longer takes part in the overlay.
//
// Leave waits until the announcement and the disconnects are written to
// the neighbours' connections, at most timeout (no limit when timeout is
// not positive, as in memberlist), and returns an error wrapping
// os.ErrDeadlineExceeded if they are not. Before disconnecting, the node
// stays in the overlay for Config.IHaveInterval + 2×GraftTimeout so that
// neighbours that missed the announcement can GRAFT it, but for at most
// half of a positive timeout, so that Leave succeeds on a healthy cluster
// whatever the settings. Calling it again does nothing.
// It returns ErrShutdown after Shutdown (memberlist panics).
func (m *Memberlist) Leave(timeout time.Duration) error {
	m.leaveMu.Lock()
	defer m.leaveMu.Unlock()
	if m.shutDown() {
		return ErrShutdown
	}
	if m.left {
		return nil
	}
	m.left = true
	reply := make(chan []flushWait, 1)
	if err := m.submit(cmdLeave{reply: reply, timeout: timeout}); err != nil {
		return err
	}
	return m.waitFlushed("leave", reply, timeout)
}

// UpdateNode asks the Delegate for the local metadata again
// (Delegate.NodeMeta) and announces it to the cluster at a new
// incarnation; every member's EventDelegate gets NotifyUpdate. It waits
// until the announcement is written to the neighbours' connections, at
// most timeout (no limit when timeout is not positive), and returns an
// error wrapping os.ErrDeadlineExceeded if it is not. It fails with
// ErrMessageTooLarge when the metadata exceeds MetaMaxSize (memberlist
// panics), and returns ErrShutdown after Shutdown.
func (m *Memberlist) UpdateNode(timeout time.Duration) error {
	if m.shutDown() {
		return ErrShutdown
	}
	var meta []byte
	if d := m.config.Delegate; d != nil {
		meta = d.NodeMeta(MetaMaxSize)
		if len(meta) > MetaMaxSize {
			return fmt.Errorf("update node: Delegate.NodeMeta returned %d bytes, at most %d: %w", len(meta), MetaMaxSize, ErrMessageTooLarge)
		}
		meta = clonePayload(meta)
	}
	reply := make(chan []flushWait, 1)
	if err := m.submit(cmdUpdateMeta{meta: meta, reply: reply}); err != nil {
		return err
	}
	return m.waitFlushed("update", reply, timeout)
}

// waitFlushed waits for the loop's answer and then for every link in it
// to be written (or gone).
func (m *Memberlist) waitFlushed(what string, reply <-chan []flushWait, timeout time.Duration) error {
	var deadline <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		deadline = t.C
	}
	var waits []flushWait
	select {
	case waits = <-reply:
	case <-deadline:
		return fmt.Errorf("%s: announcement not written within %v: %w", what, timeout, os.ErrDeadlineExceeded)
	case <-m.shutdownCh:
		return ErrShutdown
	}
	for _, w := range waits {
		select {
		case <-w.flushed:
		case <-w.done:
		case <-deadline:
			return fmt.Errorf("%s: announcement not written within %v: %w", what, timeout, os.ErrDeadlineExceeded)
		case <-m.shutdownCh:
			return ErrShutdown
		}
	}
	return nil
}

// runProbe dials the member of a ProbeMember action, holding the dialer
// slot the loop took for it, and reports the outcome to the loop.
func (m *Memberlist) runProbe(a ProbeMember) {
	defer m.wg.Done()
	m.probeOnce(a, m.releaseDialer)
}

// probeOnce dials the member of a ProbeMember action whose packet got no
// answer, or that was not asked in one (runtime_checkpacket.go), without
// making its IP a trusted source (dialStream); it calls release (if not
// nil) once the dial is done, closes the stream and reports the outcome
// to the loop. After Shutdown it dials nothing.
func (m *Memberlist) probeOnce(a ProbeMember, release func()) {
	if m.shutDown() {
		if release != nil {
			release()
		}
		return
	}
	conn, reached, _, err := m.dialStream(Address{Addr: a.Peer.Addr, Name: a.Peer.Name}, false)
	if release != nil {
		release()
	}
	if conn != nil {
		_ = conn.Close()
	}
	_ = m.submit(cmdProbeResult{probe: a, reached: reached, err: err})
}
