package hyparlist

import (
	"context"
	"fmt"
	"io"
	"syscall"
	"testing"
)

// TestCheckFailureRefused: the failures of a confirmation check that are
// strong evidence (MemberUnreachable.Refused) are a refused connection, no
// address, another node answering and a refused handshake, however
// wrapped; a timeout, a reset or a stream closed unanswered are not.
func TestCheckFailureRefused(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("dial a: %w", syscall.ECONNREFUSED), true},
		{fmt.Errorf("dial a: %w", ErrNoAddress), true},
		{fmt.Errorf("handshake with a: %w", fmt.Errorf("%w: want a, got b", errPeerMismatch)), true},
		{fmt.Errorf("handshake with a: %w", &rejectedError{reason: rejectShutdown}), true},
		{fmt.Errorf("dial a: %w", context.DeadlineExceeded), false},
		{fmt.Errorf("dial a: %w", syscall.ECONNRESET), false},
		{fmt.Errorf("dial a: %w", syscall.EHOSTUNREACH), false},
		{fmt.Errorf("handshake with a: %w", errHandshakeClosed), false},
		{fmt.Errorf("handshake with a: %w", io.EOF), false},
	} {
		if got := checkFailureRefused(c.err); got != c.want {
			t.Errorf("checkFailureRefused(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
