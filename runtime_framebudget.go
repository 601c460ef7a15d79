// Runtime: the node-wide bound on memory of frames being received.

package hyparlist

import (
	"bufio"
	"encoding/binary"
	"sync"
	"time"
)

// This file owns the node-wide bound on the memory of frames being
// received (Config.MaxInboundFrameBytes). Without it, every accepted
// stream could announce a MaxFrameSize frame and send part of it, and the
// readers would hold MaxInboundStreams × MaxFrameSize bytes between them
// (tens of GiB with the defaults).
//
// Before a reader reads a frame it peeks at the frame's header. A frame
// of at most frameBudgetFree bytes is read at once: the streams' small
// frames (keepalives, IHAVEs, most broadcasts) never wait. A larger frame
// first takes its announced size from the budget (twice it for a sealed
// frame, whose plain copy is allocated too), waiting while the budget
// cannot cover it (counted in hyparlist.stream.frame_budget_waits), and
// gives it back once the message has been handed on. A frame larger than
// the whole budget is admitted when nothing else holds any of it. A reader that waits past its stream's read deadline
// closes the stream, counted in hyparlist.stream.refused (reason
// frame_budget).

// frameBudgetFree is the largest frame body read without taking from the
// budget: the reader's buffer size, so that a stream holds at most twice
// readBufferBytes outside the budget.
const frameBudgetFree = readBufferBytes

// frameBudget counts the bytes taken by frames being received. It is safe
// for concurrent use by the readers.
type frameBudget struct {
	limit int

	mu   sync.Mutex
	used int
	// freed is closed, and replaced, whenever bytes are given back.
	freed chan struct{}
}

// newFrameBudget returns a budget of limit bytes.
func newFrameBudget(limit int) *frameBudget {
	return &frameBudget{limit: limit, freed: make(chan struct{})}
}

// acquire takes n bytes, waiting while the budget cannot cover them. It
// reports false, having taken nothing, when deadline (if not zero) passes
// or stop is closed first.
func (b *frameBudget) acquire(n int, deadline time.Time, stop <-chan struct{}) bool {
	var timeout <-chan time.Time
	for {
		b.mu.Lock()
		if b.used == 0 || b.used+n <= b.limit {
			b.used += n
			b.mu.Unlock()
			return true
		}
		freed := b.freed
		b.mu.Unlock()
		if timeout == nil && !deadline.IsZero() {
			t := time.NewTimer(time.Until(deadline))
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-freed:
		case <-timeout:
			return false
		case <-stop:
			return false
		}
	}
}

// tryAcquire takes n bytes if the budget covers them now, and reports
// whether it did; it never waits.
func (b *frameBudget) tryAcquire(n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used == 0 || b.used+n <= b.limit {
		b.used += n
		return true
	}
	return false
}

// keyFrameBudgetWaits counts the frames that had to wait for the budget
// before they were read.
var keyFrameBudgetWaits = []string{"hyparlist", "stream", "frame_budget_waits"}

// release gives back n bytes taken by acquire.
func (b *frameBudget) release(n int) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	close(b.freed)
	b.freed = make(chan struct{})
	b.mu.Unlock()
}

// inUse returns the bytes taken.
func (b *frameBudget) inUse() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// frameCharge returns what the next frame buffered in br takes from the
// budget: 0 for a small frame, or when its header cannot be peeked (the
// read that follows reports why) or announces more than lim allows (the
// read refuses it before allocating).
func frameCharge(br *bufio.Reader, lim wireLimits) int {
	first, err := br.Peek(1)
	if err != nil {
		return 0
	}
	var n uint64
	factor := 1
	if first[0] == sealedMarker {
		hdr, err := br.Peek(5)
		if err != nil {
			return 0
		}
		n = uint64(binary.BigEndian.Uint32(hdr[1:]))
		if n > uint64(lim.MaxFrameSize)+frameHeaderSize+sealOverhead {
			return 0
		}
		factor = 2 // the sealed bytes and their plain copy
	} else {
		hdr, err := br.Peek(frameHeaderSize)
		if err != nil {
			return 0
		}
		n = uint64(binary.BigEndian.Uint32(hdr[3:]))
		if n > uint64(lim.MaxFrameSize) {
			return 0
		}
	}
	if n <= frameBudgetFree {
		return 0
	}
	return factor * int(n)
}

// takeFrameBudget takes from m.budget what the next frame of br needs,
// waiting until deadline at most, and returns it (0 for a small frame).
// It reports false when the stream must be closed instead.
func (m *Memberlist) takeFrameBudget(br *bufio.Reader, deadline time.Time) (int, bool) {
	n := frameCharge(br, m.lim)
	if n == 0 {
		return 0, true
	}
	if !m.budget.tryAcquire(n) {
		// Counted, so that a node whose budget is held (by an attacker,
		// or by large frames of its own cluster) shows it.
		m.metrics.sink.IncrCounterWithLabels(keyFrameBudgetWaits, 1, m.metrics.labels)
	} else {
		return n, true
	}
	if !m.budget.acquire(n, deadline, m.shutdownCh) {
		if !m.shutDown() {
			m.metrics.streamRefused(refusedFrameBudget)
		}
		return 0, false
	}
	return n, true
}
