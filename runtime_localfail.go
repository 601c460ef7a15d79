// Runtime: a dial that fails for want of the node's own resources is the
// node's failure, not the peer's.

package hyparlist

import (
	"errors"
	"os"
	"syscall"
)

// This file owns the failures a node causes itself: a dial that fails
// before it reaches the peer because the local process or host ran out of
// file descriptors (EMFILE, ENFILE), or could not make the socket for
// want of buffers (ENOBUFS, ENOMEM from socket(2)). Such a failure says nothing about the peer,
// yet it was handled as one. In the bench's join storm of 1,000 nodes in
// one process, whose descriptor limit is 20,000 (at the idle window's
// start of one run the nodes held about 8,200 inbound and 5,300 outbound
// streams and 2,000 listening sockets), the dials of the confirmation
// checks that anti-entropy starts after the join ran the process out of
// descriptors: in one traced run 83,268 checks and 27,185 link dials
// failed with EMFILE in the 150 s after the join, none during it. A
// failed check on a node that kept up marked a live member dead, a failed
// link dial dropped a neighbour that then judged this node silent, and a
// node that kept up accused the peer (BENCHMARKS.md, session 11). So:
//
//   - a failed link or link probe is reported with LinkFailed.Local, on
//     which membership never accuses (the link is still dropped and
//     HyParView repairs the view, as for any link that cannot be used);
//   - a failed confirmation check is reported with
//     MemberUnreachable.Local, which puts the check off
//     (membership_confirm_retry.go);
//   - the node counts itself behind: the period's lag is raised to
//     localFailureLag thresholds (runtime_awareness.go), which stretches
//     its silence limit and suspicion timeouts, withholds its accusations
//     on weak evidence and puts off its checks, as for a loop that fell
//     behind. Memberlist's Lifeguard raises its score likewise when the
//     node's own probes fail for reasons of its own.

// localFailureLag is the lag, in awareness thresholds, that a period with
// a local failure counts as: the health score rises by this many steps.
// Not from a paper: two steps keep the score above 1 for two keepalive
// intervals after the last failure, as long as a node that recovers
// needs to stop failing its links.
const localFailureLag = 2

// localFailure reports whether err, the error of a dial, is a failure of
// the local node's own resources rather than of the peer. Only errors that
// cannot depend on the address dialled count, since a member's address is
// whatever its record says: EADDRNOTAVAIL is left out (connect(2) returns
// it for an IPv6 address on a host without IPv6, or port 0 on BSDs), and
// ENOBUFS and ENOMEM count only from socket(2), before any address is
// used. Other platforms' error numbers (Windows' WSAE*) do not match, so
// there every dial failure is the peer's, as before.
func localFailure(err error) bool {
	if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
		return true
	}
	var se *os.SyscallError
	return errors.As(err, &se) && se.Syscall == "socket" &&
		(errors.Is(se.Err, syscall.ENOBUFS) || errors.Is(se.Err, syscall.ENOMEM))
}

// noteLocalFailure records a local failure of the current period when
// err is one, and reports whether it is.
func (l *runLoop) noteLocalFailure(err error) bool {
	if !localFailure(err) {
		return false
	}
	l.m.metrics.localFailure()
	l.noteLag(localFailureLag * l.health.threshold)
	return true
}
