// Runtime: the writers of the links the loop queued on start once per loop
// iteration, so that the frames of one iteration leave in one write per link.

package hyparlist

// This file owns when the loop starts link writers. A frame the loop
// queues (runLoop.send) does not start the link's idle writer at once: the
// link is noted, and every noted writer starts when the iteration's core
// steps are done (runLoop.wakeWriters). A loop iteration handles up to
// maxInboundBatch frames from the inbox, and a relay forwards each payload
// to its eager peers, so the frames one iteration queues on a link are
// gathered by one writer goroutine and written in one call (writeLoop,
// up to writeBatchBytes) instead of a writer starting on the first frame
// and writing the rest one by one while the loop is still queueing them:
// one write system call per link per iteration, and one read at the other
// end. Frames wait at most one iteration longer (well under a
// millisecond: maxInboundBatch frames). Frames queued by other goroutines
// (a link's own Keepalive, runtime_writer.go) and the loop's flush and
// close markers start the writer at once, as before. Not in the papers,
// which leave writes to the transport.

// queueFrame queues f on k without starting k's writer; it notes k for
// wakeWriters if its writer was idle. It reports false when the frame's
// queue is full.
func (l *runLoop) queueFrame(k *outLink, f outFrame) bool {
	ok, wake := k.push(f)
	if wake {
		// A link is noted at most once until wakeWriters: its writer
		// stays marked running, so no later push reports wake for it.
		// l.wakes is therefore bounded by the open links (maxLinks).
		l.wakes = append(l.wakes, k)
	}
	return ok
}

// wakeWriters starts the writers of the links queueFrame noted. The loop
// calls it after each iteration's core steps, and before it aborts the
// links when it stops, so that every link marked running has a writer
// (one that finds its link aborted ends it).
func (l *runLoop) wakeWriters() {
	for i, k := range l.wakes {
		k.wake()
		l.wakes[i] = nil
	}
	l.wakes = l.wakes[:0]
}
