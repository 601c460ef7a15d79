// Runtime: the buffer a broadcast payload is copied into for NotifyMsg,
// reused from one call to the next.

package hyparlist

// This file owns the copy of a broadcast payload that NotifyMsg gets. The
// payload a node delivers is also the one its Plumtree cache keeps (for
// GRAFT answers) and its links' queues hold (for the relay to its eager
// peers), so the application gets a copy, which it may change without
// touching what other nodes receive. Delegate.NotifyMsg's contract (and
// memberlist's) is that the slice is valid only during the call, so the
// copy is made into one buffer that the message dispatcher reuses for
// every broadcast delivery instead of a new allocation per delivery: at
// N = 64 and 1,000 broadcasts a second that was 63 MB/s of garbage in a
// process of 64 nodes, as much as the frames read from the sockets
// (BENCHMARKS.md, session 11).
//
// The buffer is used only by the message dispatcher's callbacks, which run
// one at a time (dispatcher.run: a worker starts after the previous one
// stopped running callbacks), so it needs no lock.

// notifyCopyKeep is the largest buffer a notifyCopy keeps between calls;
// a larger payload is copied into a buffer of its own, dropped after the
// call, so that one large broadcast does not pin its size for the
// node's lifetime. 64 KiB covers the default MaxFrameSize's payloads
// of a stream frame (a UDP-sized payload is 1,400 bytes).
const notifyCopyKeep = 64 << 10

// notifyCopy is the message dispatcher's reused copy buffer.
type notifyCopy struct{ buf []byte }

// of returns a copy of p in the reused buffer; the copy is valid until the
// next call.
func (c *notifyCopy) of(p []byte) []byte {
	if len(p) > notifyCopyKeep {
		return clonePayload(p)
	}
	if cap(c.buf) < len(p) {
		// Room for payloads of up to twice this one, at most the bound,
		// so a growing payload size does not reallocate every time.
		c.buf = make([]byte, 0, min(2*len(p), notifyCopyKeep))
	}
	c.buf = append(c.buf[:0], p...)
	return c.buf
}
