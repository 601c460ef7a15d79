// Runtime: the dispatchers, the goroutines that run application callbacks off
// the loop.

package hyparlist

import "sync"

// This file owns the dispatchers: the goroutines that run application
// callbacks (Delegate, EventDelegate, NeighborDelegate, ...) so that they
// never run on the protocol loop and never under a lock the protocol needs.
//
// A node has two dispatchers, each a FIFO queue and a goroutine working
// through it while it holds items (started by the first item, exiting
// when the queue is empty, so an idle node runs none):
//
//   - the message dispatcher runs Delegate.NotifyMsg (broadcasts and direct
//     messages, in the order they arrived), LocalState and MergeRemoteState;
//   - the event dispatcher runs EventDelegate, NeighborDelegate,
//     ConflictDelegate and PingDelegate calls, in the order the changes
//     happened.
//
// A slow callback delays only the later callbacks of its own dispatcher.
// Each queue is bounded by bytes (dispatchQueueMaxBytes); what happens when
// one is full depends on the producer:
//
//   - the protocol loop never waits: a broadcast delivery or event that does
//     not fit is dropped, logged and counted (metric
//     hyparlist.dispatch.dropped);
//   - a reader of a SendReliable stream waits for room, which slows down
//     that sender (TCP back-pressure) and nothing else;
//   - a SendBestEffort packet that does not fit is dropped, like a packet
//     lost by a full socket buffer.

// dispatchQueueMaxBytes bounds the bytes waiting in one dispatcher queue:
// what each item keeps alive (its payload, the Nodes and member records it
// holds, see runtime_callbacks.go) plus dispatchItemOverhead per item, and
// the bytes held for the queue's callbacks outside any item (hold). Not from memberlist
// (which runs callbacks inline); 64 MiB holds several seconds of a busy
// cluster's traffic, far more than a healthy delegate ever lets pile up.
const dispatchQueueMaxBytes = 64 << 20

// dispatchItemOverhead is the accounted size of an item on top of what it
// keeps alive: the closure and the queue slot.
const dispatchItemOverhead = 128

// dispatchItem is one callback to run.
type dispatchItem struct {
	size int
	run  func()
}

// dispatcher is a bounded FIFO queue of callbacks and the goroutine that
// runs them while there are any. Waits are channel operations, never
// sync.Cond, so that a blocked producer is durably blocked for
// testing/synctest.
type dispatcher struct {
	name     string
	maxBytes int
	done     <-chan struct{} // closed at Shutdown
	// beforeExit, when set, is every worker's appWorker.beforeExit;
	// tests use it to hold a goroutine on its way out.
	beforeExit func()

	mu    sync.Mutex
	items []dispatchItem
	bytes int
	// running is set while a worker goroutine runs; worker is the last
	// one started (nil before any), which Shutdown waits for.
	running bool
	worker  *appWorker
	freed   chan struct{} // closed and replaced when room is made while waiting is set
	// waiting is set while a producer waits for room (push).
	waiting bool
	// pushed counts the items ever queued and ran those that finished
	// (run, or discarded by a stopping worker); progress, when a
	// waitRan caller made it, is closed and dropped when ran grows.
	pushed, ran uint64
	progress    chan struct{}
}

// dispatchKeepItems is the capacity of the item slice a dispatcher keeps
// when its queue empties; a larger one, grown by a burst, is released.
const dispatchKeepItems = 64

// newDispatcher returns a dispatcher whose workers stop when done closes.
func newDispatcher(name string, maxBytes int, done <-chan struct{}) *dispatcher {
	return &dispatcher{
		name:     name,
		maxBytes: maxBytes,
		done:     done,
		freed:    make(chan struct{}),
	}
}

// tryPush queues run, accounted as size bytes, unless the queue would then
// hold more than its bound; it reports whether the item was queued. It
// never blocks.
func (d *dispatcher) tryPush(size int, run func()) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pushLocked(size, run)
}

// pushLocked is tryPush with mu held.
func (d *dispatcher) pushLocked(size int, run func()) bool {
	size += dispatchItemOverhead
	// An item larger than the whole budget is still accepted into an
	// empty queue, so that it cannot wait forever.
	if d.bytes+size > d.maxBytes && d.bytes > 0 {
		return false
	}
	d.items = append(d.items, dispatchItem{size: size, run: run})
	d.bytes += size
	d.pushed++
	d.startLocked()
	return true
}

// startLocked starts a worker unless one runs or the node is shutting
// down (the items then stay queued and are discarded). Call it with mu
// held: Shutdown reads worker under mu after done closes, so it sees
// every worker started before.
func (d *dispatcher) startLocked() {
	if d.running {
		return
	}
	select {
	case <-d.done:
		return
	default:
	}
	prev := d.worker
	w := newAppWorker()
	w.beforeExit = d.beforeExit
	d.worker, d.running = w, true
	go d.run(w, prev)
}

// wait waits for the last worker to exit (appWorker.wait); call it after
// done closes.
func (d *dispatcher) wait() {
	d.mu.Lock()
	w := d.worker
	d.mu.Unlock()
	w.wait()
}

// push queues run, waiting for room while the queue is full. It reports
// false, without queueing, when the node shuts down first.
func (d *dispatcher) push(size int, run func()) bool {
	for {
		d.mu.Lock()
		if d.pushLocked(size, run) {
			d.mu.Unlock()
			return true
		}
		d.waiting = true
		freed := d.freed
		d.mu.Unlock()
		select {
		case <-freed:
		case <-d.done:
			return false
		}
	}
}

// queued returns the number of items and bytes waiting.
func (d *dispatcher) queued() (items, bytes int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.items), d.bytes
}

// run is the worker w: it runs the queued callbacks in order until the
// queue is empty (then it exits, and the next item starts another) or
// done closes. prev, the worker before it, has stopped running callbacks;
// w waits for it to exit, so that Shutdown, waiting for the last worker,
// waits for all. Items still queued at shutdown are discarded; a callback
// that is running when done closes finishes first.
func (d *dispatcher) run(w, prev *appWorker) {
	defer w.exit()
	if prev != nil {
		<-prev.exited
	}
	var batch []dispatchItem
	for {
		d.mu.Lock()
		// Take the queued items and hand the queue the batch's emptied
		// storage: no copy per item.
		batch, d.items = d.items, batch[:0]
		if cap(d.items) > dispatchKeepItems {
			d.items = nil
		}
		if len(batch) == 0 {
			d.running = false
			d.mu.Unlock()
			return
		}
		d.mu.Unlock()
		for i := range batch {
			if !w.enter(d.done) {
				return
			}
			batch[i].run()
			w.leave()
			d.ranItem(batch[i].size)
			batch[i] = dispatchItem{}
		}
	}
}

// hold counts size bytes the node keeps for the queue's callbacks outside
// any item (the shared anti-entropy state, runtime_pushpull.go) against
// the queue's budget, until release. It never fails: the bytes exist
// already; they only leave less room for new items.
func (d *dispatcher) hold(size int) {
	if size <= 0 {
		return
	}
	d.mu.Lock()
	d.bytes += size
	d.mu.Unlock()
}

// release returns size bytes to the queue's budget and wakes waiting
// producers.
func (d *dispatcher) release(size int) {
	if size <= 0 {
		return
	}
	d.mu.Lock()
	d.releaseLocked(size)
	d.mu.Unlock()
}

// releaseLocked is release with mu held.
func (d *dispatcher) releaseLocked(size int) {
	d.bytes -= size
	if d.waiting {
		d.waiting = false
		close(d.freed)
		d.freed = make(chan struct{})
	}
}

// ranItem records that one more item, of size bytes, ran: its bytes go
// back to the budget (release) and it counts as finished.
func (d *dispatcher) ranItem(size int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if size > 0 {
		d.releaseLocked(size)
	}
	d.finishedLocked()
}

// finishedLocked records that one more item ran. Call it with mu held.
func (d *dispatcher) finishedLocked() {
	d.ran++
	if d.progress != nil {
		close(d.progress)
		d.progress = nil
	}
}

// pushedCount returns how many items were ever queued.
func (d *dispatcher) pushedCount() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pushed
}

// waitRan waits until the first n items queued have run, or the node shuts
// down. The event dispatcher uses it to run a member event only after the
// messages that arrived before it (runLoop.flushCallbacks).
func (d *dispatcher) waitRan(n uint64) {
	for {
		d.mu.Lock()
		if d.ran >= n {
			d.mu.Unlock()
			return
		}
		if d.progress == nil {
			d.progress = make(chan struct{})
		}
		ch := d.progress
		d.mu.Unlock()
		select {
		case <-ch:
		case <-d.done:
			return
		}
	}
}
