// Runtime: the confirmation checks of new members nobody vouched for
// (ProbeMember with Confirm, membership_confirm.go), queued and bounded.

package hyparlist

import (
	"errors"
	"syscall"
)

// A forged flood brings many unconfirmed members whose checks fall due in
// the same step; a check that found no free dialer would be lost (the core
// makes it once), and the forged member would stay until the liveness
// probes found it. So checks wait in a FIFO of at most maxQueuedChecks,
// are asked in a packet (at most maxPacketWaits at once, in no slot:
// runtime_checkpacket.go), and at most maxRunningChecks dial at once
// (fewer while the node is behind: runningChecksLimit), outside the
// dialer slots (MaxConcurrentDialers), so that a flood of checks never
// holds the dialers that links and joins need. A check beyond the FIFO is
// dropped (hyparlist.member.checks_dropped): its member is left to the
// liveness probes. Each check costs one packet and, when no answer comes
// within checkPacketWait, one dial (at most TCPTimeout to an address where
// nothing answers) and, like every probe, does not make the dialled IP a
// trusted source (dialStream).

// maxQueuedChecks bounds the confirmation checks waiting to start. Not
// from a paper: a burst of NewMembersBurst forged records from one
// neighbour is 10,000; a few thousand queued checks are a few hundred KB.
const maxQueuedChecks = 4096

// maxRunningChecks bounds the confirmation checks dialling at once: a
// goroutine and a socket each. Not from a paper: with dials that hang
// until TCPTimeout (10 s in the LAN profile), 32 at once clear 50 forged
// members in two rounds.
const maxRunningChecks = 32

// confirmChecks is the loop's state of the checks.
type confirmChecks struct {
	queue []ProbeMember
	// dials are the checks whose packet got no answer, waiting for a
	// check slot to dial (at most maxPacketWaits: startChecks asks no
	// more packets while pinging plus len(dials) reaches it).
	dials []ProbeMember
	// running is the number of checks dialling.
	running int
	// pinging is the number of checks and probes waiting for a packet's
	// answer (runtime_checkpacket.go), at most maxPacketWaits.
	pinging int
}

// queueCheck queues a confirmation check; a peer the node must not
// contact (deny list, CIDRsAllowed) counts as unreachable at once.
func (l *runLoop) queueCheck(a ProbeMember) {
	if l.refused(a.Peer) {
		l.feed(coreMembership, MemberUnreachable{Peer: a.Peer, Refused: true})
		return
	}
	if len(l.checks.queue) >= maxQueuedChecks {
		l.m.metrics.checkDropped()
		return
	}
	l.checks.queue = append(l.checks.queue, a)
}

// startChecks starts the checks whose packet got no answer while fewer
// than runningChecksLimit dial, then asks queued checks in a packet while
// fewer than maxPacketWaits wait (or, without packets, dials them within
// the same limit). Called after every loop iteration.
func (l *runLoop) startChecks() {
	c := &l.checks
	if l.left {
		c.queue, c.dials = nil, nil // a node that left checks nothing more
		return
	}
	limit := runningChecksLimit(l.health.score)
	n := 0
	for n < len(c.dials) && c.running < limit {
		l.startCheckDial(c.dials[n])
		n++
	}
	c.dials = dropFront(c.dials, n)
	packets := l.m.packetCheckUsable()
	n = 0
	for n < len(c.queue) {
		switch {
		case packets && c.pinging+len(c.dials) < maxPacketWaits:
			l.startPacketCheck(c.queue[n])
		case !packets && c.running < limit:
			l.startCheckDial(c.queue[n])
		default:
			c.queue = dropFront(c.queue, n)
			return
		}
		n++
	}
	c.queue = dropFront(c.queue, n)
}

// startCheckDial dials the member of check a in a check slot.
func (l *runLoop) startCheckDial(a ProbeMember) {
	l.checks.running++
	l.m.wg.Add(1)
	go l.m.runCheck(a)
}

// runningChecksLimit is how many checks may dial at once at health score
// score: maxRunningChecks while the node keeps up, halved for each step
// of the score, at least one. A node behind (its loop late, or its own
// dials failing for want of descriptors: runtime_localfail.go)
// is the one whose dials cost most and say least; in the bench's join
// storm of 1,000 nodes in one process, 32 checks per node kept the
// process out of file descriptors for its links (BENCHMARKS.md,
// session 11).
func runningChecksLimit(score int) int {
	return max(1, maxRunningChecks>>min(max(score, 0), 31))
}

// runCheck dials the member of a confirmation check and reports the
// outcome to the loop.
func (m *Memberlist) runCheck(a ProbeMember) {
	defer m.wg.Done()
	m.probeOnce(a, nil)
}

// dropFront removes the first n elements of q, releasing the array when
// q becomes empty.
func dropFront(q []ProbeMember, n int) []ProbeMember {
	if n == 0 {
		return q
	}
	if n == len(q) {
		return nil
	}
	m := copy(q, q[n:])
	clear(q[m:])
	return q[:m]
}

// checkFailureRefused reports whether the error of a failed check is strong
// evidence that the member is not at its address (MemberUnreachable.Refused):
// the connection was refused (nothing listens there), no address is
// known, another node answered, or the node there refused the handshake.
// A timeout, a reset or a stream closed unanswered (an overloaded node
// sheds streams so) is not.
func checkFailureRefused(err error) bool {
	var rej *rejectedError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, ErrNoAddress) ||
		errors.Is(err, errPeerMismatch) || errors.As(err, &rej)
}
