// Runtime: the confirmation checks of new members nobody vouched for
// (ProbeMember with Confirm, membership_confirm.go), queued for a dialer.

package hyparlist

// A forged flood brings many unconfirmed members whose checks fall due in
// the same step, more than there are dialers; a check that found no free
// dialer would be lost (the core makes it once), and the forged member
// would stay until the liveness probes found it. So checks wait in a FIFO
// of at most maxQueuedChecks, and at most half of the dialers
// (MaxConcurrentDialers/2, at least one) run checks at once, so that a
// flood of checks never holds the dialers that links and joins need. A
// check beyond the FIFO is dropped (hyparlist.member.checks_dropped): its
// member is left to the liveness probes. Each check costs one dial (at most TCPTimeout to an address
// where nothing answers).

// maxQueuedChecks bounds the confirmation checks waiting for a dialer. Not
// from a paper: a burst of NewMembersBurst forged records from one
// neighbour is 10,000; a few thousand queued checks are a few hundred KB.
const maxQueuedChecks = 4096

// confirmChecks is the loop's state of the checks.
type confirmChecks struct {
	queue []ProbeMember
	// running is the number of checks holding a dialer.
	running int
}

// maxRunningChecks is the most checks that hold a dialer at once.
func (l *runLoop) maxRunningChecks() int { return max(1, l.m.config.MaxConcurrentDialers/2) }

// queueCheck queues a confirmation check; a peer the node must not
// contact (deny list, CIDRsAllowed) counts as unreachable at once.
func (l *runLoop) queueCheck(a ProbeMember) {
	if l.refused(a.Peer) {
		l.feed(coreMembership, MemberUnreachable{Peer: a.Peer})
		return
	}
	if len(l.checks.queue) >= maxQueuedChecks {
		l.m.metrics.checkDropped()
		return
	}
	l.checks.queue = append(l.checks.queue, a)
}

// startChecks starts queued checks while dialers are free for them. Called
// after every loop iteration.
func (l *runLoop) startChecks() {
	c := &l.checks
	if l.left {
		c.queue = nil // a node that left checks nothing more
		return
	}
	n := 0
	for n < len(c.queue) && c.running < l.maxRunningChecks() {
		select {
		case l.m.dialers <- struct{}{}:
		default:
			c.queue = dropFront(c.queue, n)
			return
		}
		c.running++
		l.m.wg.Add(1)
		go l.m.runProbe(c.queue[n])
		n++
	}
	c.queue = dropFront(c.queue, n)
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
