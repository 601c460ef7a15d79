// Runtime: broadcast back-pressure, the node-wide backlog of queued broadcast
// payloads.

package hyparlist

import (
	"fmt"
	"sync"
)

// This file owns the node's broadcast back-pressure: the backlog of
// broadcast payloads waiting in the user queues of all its links, and the
// wait of local broadcasts for room in it.
//
// The backlog counts the frameCost and the number of the frames in every
// link's user queue (added when a frame is queued, removed when the
// writer takes it or when a failed link's leftover frames are discarded),
// plus the payloads of local broadcasts admitted but not yet queued (a
// reservation, released by the loop once Plumtree has queued the payload
// on every eager link).
//
// Its bound is one link's user queue: Config.PeerSendQueueBytes bytes and
// Config.PeerSendQueueDepth frames, across all links. A local broadcast
// (Memberlist.Broadcast, the GetBroadcasts pump) is admitted only while
// the backlog plus its payload stays within that bound (a payload larger
// than the byte bound is admitted into an empty backlog, as a link queue
// accepts it); otherwise it waits. The pump does not even pull
// Delegate.GetBroadcasts until a pull's worth (Config.UDPBufferSize, the
// limit it passes) fits, so that the broadcasts wait in the application's
// queue rather than in the pump. A link's user queue holds at most the
// backlog minus the reservations, so an admitted local broadcast fits in
// the user queue of every link (unless payloads relayed meanwhile took
// the room): local broadcasts alone do not need the deferral of
// runtime_backpressure.go, whatever their rate, and the slowest neighbour
// sets the pace until it catches up or its link fails (write timeout
// Config.TCPTimeout, or silence). Payloads relayed for other nodes are
// not held back: they are queued or deferred, and count in the backlog.
// Not in the papers, which leave flow control to the application.

// userBacklog is the node's backlog of broadcast payloads. It is safe for
// concurrent use; a nil *userBacklog counts nothing (links built by
// tests without a node).
type userBacklog struct {
	maxBytes, maxFrames int64

	mu     sync.Mutex
	bytes  int64
	frames int64
	// room is closed and replaced when the backlog shrinks while someone
	// waits (waiting), so that waiters need no polling.
	room    chan struct{}
	waiting bool
}

// newUserBacklog returns an empty backlog bounded by maxBytes and
// maxFrames.
func newUserBacklog(maxBytes, maxFrames int) *userBacklog {
	return &userBacklog{maxBytes: int64(maxBytes), maxFrames: int64(maxFrames), room: make(chan struct{})}
}

// add counts one frame of cost bytes.
func (b *userBacklog) add(cost int) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.bytes += int64(cost)
	b.frames++
	b.mu.Unlock()
}

// remove uncounts one frame of cost bytes and wakes the waiters.
func (b *userBacklog) remove(cost int) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bytes -= int64(cost)
	b.frames--
	if b.waiting {
		b.waiting = false
		close(b.room)
		b.room = make(chan struct{})
	}
}

// fitsLocked reports whether a frame of cost bytes fits in the backlog;
// cost 0 asks whether the backlog is below its bound.
func (b *userBacklog) fitsLocked(cost int) bool {
	if b.frames >= b.maxFrames {
		return false
	}
	return b.bytes == 0 || (b.bytes < b.maxBytes && b.bytes+int64(cost) <= b.maxBytes)
}

// reserve waits until a frame of cost bytes fits, then counts it; it
// returns an error wrapping ErrShutdown if done closes first. Release the
// reservation with remove(cost).
func (b *userBacklog) reserve(cost int, done <-chan struct{}) error {
	return b.wait(cost, true, done)
}

// waitRoom waits until frames of cost bytes in all fit, without counting
// them (cost 0: until the backlog is below its bound); it returns an
// error wrapping ErrShutdown if done closes first.
func (b *userBacklog) waitRoom(cost int, done <-chan struct{}) error {
	return b.wait(cost, false, done)
}

// wait waits until a frame of cost bytes fits, counting it when take is
// set.
func (b *userBacklog) wait(cost int, take bool, done <-chan struct{}) error {
	for {
		b.mu.Lock()
		if b.fitsLocked(cost) {
			if take {
				b.bytes += int64(cost)
				b.frames++
			}
			b.mu.Unlock()
			return nil
		}
		b.waiting = true
		room := b.room
		b.mu.Unlock()
		select {
		case <-room:
		case <-done:
			return fmt.Errorf("wait for room in the broadcast backlog: %w", ErrShutdown)
		}
	}
}

// level returns the bytes and frames counted.
func (b *userBacklog) level() (bytes, frames int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bytes, b.frames
}

// freeBytes returns the bytes a frame may still add to the backlog, 0 when it
// holds its bound of frames.
func (b *userBacklog) freeBytes() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.frames >= b.maxFrames {
		return 0
	}
	return int(max(b.maxBytes-b.bytes, 0))
}
