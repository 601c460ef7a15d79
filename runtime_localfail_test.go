// Tests of the failures a node causes itself (runtime_localfail.go).

package hyparlist

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// TestLocalFailureClassified: dial errors of the node's own resources are
// local, wrapped or not; a refusal, a reset or a timeout is not.
func TestLocalFailureClassified(t *testing.T) {
	wrap := func(e error) error {
		return fmt.Errorf("dial n1: %w", &os.SyscallError{Syscall: "socket", Err: e})
	}
	for _, e := range []error{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM} {
		if !localFailure(wrap(e)) {
			t.Errorf("%v: not local", e)
		}
	}
	// What the address dialled can cause is the peer's: an address not
	// available here (an IPv6 member on a host without IPv6), and buffers
	// short in connect rather than socket.
	connect := func(e error) error {
		return fmt.Errorf("dial n1: %w", &os.SyscallError{Syscall: "connect", Err: e})
	}
	for _, err := range []error{wrap(syscall.EADDRNOTAVAIL), connect(syscall.EADDRNOTAVAIL), connect(syscall.ENOBUFS), connect(syscall.ENOMEM)} {
		if localFailure(err) {
			t.Errorf("%v: local", err)
		}
	}
	for _, e := range []error{syscall.ECONNREFUSED, syscall.ECONNRESET, os.ErrDeadlineExceeded, errHandshakeClosed, errors.New("x")} {
		if localFailure(wrap(e)) {
			t.Errorf("%v: local", e)
		}
	}
}

// TestRuntimeLocalDialFailureNotAccused: a healthy node whose probe of a
// neighbour's link fails for want of file descriptors (EMFILE) drops the
// link but does not suspect the neighbour, counts the failure, and counts
// itself behind at its next health update.
func TestRuntimeLocalDialFailureNotAccused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newInmemSink(time.Hour, time.Hour)
		c := newMockClusterWithSink(t, 2, nil, sink)
		defer c.shutdown()
		c.joinAll()
		eventually(t, time.Minute, "two members", func() bool { return allSee(c.nodes, 2) })
		a, b := c.nodes[0], c.nodes[1].rec.name
		emfile := fmt.Errorf("dial %s: %w", b, &os.SyscallError{Syscall: "socket", Err: syscall.EMFILE})
		state := make(chan memberState, 1)
		if err := a.ml.submit(loopFunc(func(l *runLoop) {
			if l.health.score != 0 {
				t.Errorf("health score %d before the failure, want 0", l.health.score)
			}
			l.onProbeResult(ProbeMember{Peer: Peer{Name: b, Addr: c.nodes[1].ml.LocalNode().Address()}}, Peer{}, emfile)
			l.runQueue()
			mem, _ := l.ms.Member(b)
			state <- mem.State
		})); err != nil {
			t.Fatal(err)
		}
		if st := <-state; st != memberStateAlive {
			t.Errorf("after a local dial failure, %s is %v, want alive", b, st)
		}
		if got := counterSum(sink, "hyparlist.link.local_failure"); got != 1 {
			t.Errorf("hyparlist.link.local_failure = %v, want 1", got)
		}
		time.Sleep(a.ml.config.keepaliveInterval())
		synctest.Wait()
		if s := a.ml.GetHealthScore(); s == 0 {
			t.Errorf("health score 0 after a local failure")
		}
	})
}

// TestRunningChecksLimit: a node that keeps up runs maxRunningChecks
// checks at once; each step of the health score halves that, down to one.
func TestRunningChecksLimit(t *testing.T) {
	for _, tc := range []struct{ score, want int }{
		{-1, maxRunningChecks}, {0, maxRunningChecks}, {1, maxRunningChecks / 2},
		{3, maxRunningChecks / 8}, {5, 1}, {7, 1}, {100, 1},
	} {
		if got := runningChecksLimit(tc.score); got != tc.want {
			t.Errorf("score %d: %d checks at once, want %d", tc.score, got, tc.want)
		}
	}
}
