// Runtime: a link writer yields once before it writes, so that frames
// queued meanwhile leave in the same write.

package hyparlist

import "runtime"

// This file owns the writer's yield. A link's writer gathers the frames
// its queue holds (writeLoop, runtime_conn.go); when the queue is empty it
// yields the processor once (runtime.Gosched) before it writes, and takes
// what was queued meanwhile into the same write. A loop iteration often
// queues only one or two frames per link while the node keeps up (a
// relay forwards each payload as it arrives), so without the yield a
// CPU-bound node wrote about four frames per write: at N = 64 and 1,000
// broadcasts/s, 15,000 writes and 27,000 reads a second, each a trip
// through the kernel's TCP stack, were 30 % of the process's CPU
// (BENCHMARKS.md, session 17). The yield costs nothing a frame waits for
// when nothing else is runnable: Gosched returns at once. When other
// goroutines are runnable it lets them run first: the loop queues what
// its next frames bring, other writers write, and the frame leaves one
// scheduling round later, in a larger write, which the reader at the
// other end takes in fewer reads. One yield per write bounds the wait.
// Not in the papers, which leave writes to the transport.

// yieldOnce yields the processor before a write (runtime.Gosched, or the
// test's hook).
func (g *writerGate) yieldOnce() {
	if g.yield != nil {
		g.yield()
		return
	}
	runtime.Gosched()
}
