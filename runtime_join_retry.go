// Runtime: Join dials a contact again when it closed the stream before
// answering the handshake.

package hyparlist

import (
	"errors"
	"math/rand/v2"
	"net"
	"time"
)

// This file makes Join try a contact again when the contact closed the
// stream without answering the handshake, which is how a node sheds
// streams beyond its admission limits (runtime_inbound.go): 255 nodes
// joining one seed at once had 14–94 Joins fail so on this machine, all
// the joiners being on one host (one source). A closed stream is retried
// after 100 ms, then twice as long each time up to a second, with
// jitter, for at most joinRetryBudget; a dial that fails (nothing listens)
// or a handshake the contact answered with a refusal is not retried. Not
// in memberlist, which admits every stream. A node that closes the stream
// for another reason (other encryption keys or label) makes Join fail
// after that budget instead of at once.

// joinRetryBudget is the most time Join spends retrying one address whose
// streams are closed unanswered, whatever Config.TCPTimeout (1 s in
// DefaultLocalConfig): a seed sheds a storm of joins over seconds.
const joinRetryBudget = 5 * time.Second

// dialJoin dials a Join contact, holding a dialer slot for each attempt,
// and retries while the contact closes the stream unanswered.
func (m *Memberlist) dialJoin(a Address) (conn net.Conn, contact Peer, version uint8, err error) {
	deadline := time.Now().Add(joinRetryBudget)
	backoff := 100 * time.Millisecond
	for {
		if err := m.acquireDialer(); err != nil {
			return nil, Peer{}, 0, err
		}
		conn, contact, version, err = m.dialVersion(a)
		m.releaseDialer()
		if err == nil || !closedUnanswered(err) {
			return conn, contact, version, err
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		if time.Now().Add(wait).After(deadline) {
			return nil, Peer{}, 0, err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-m.shutdownCh:
			t.Stop()
			return nil, Peer{}, 0, ErrShutdown
		}
		backoff = min(2*backoff, time.Second)
	}
}

// closedUnanswered reports whether a dial's error is a stream the other
// node closed (or reset) before answering the handshake.
func closedUnanswered(err error) bool {
	var r *rejectedError
	if errors.As(err, &r) {
		return false
	}
	return errors.Is(err, errHandshakeClosed)
}
