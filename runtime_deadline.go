// Runtime: the deadlines of a link's stream, re-armed only when they come
// near, not before every read or write.

package hyparlist

import "time"

// This file owns how a link's writer and a stream's reader keep their
// deadlines. Setting a deadline on a stream is not free: each call resets
// a runtime timer under the poller's lock. A writer that set
// now + TCPTimeout before every write, and a reader that set its idle
// deadline before every frame, did so once or twice per broadcast
// delivered (BENCHMARKS.md, session 11). Instead a deadline is moved only
// once less than the wait it stands for remains, and then a slack
// (wait/deadlineSlackDiv) beyond it, so that a busy stream re-arms it
// about once per slack, not per frame. Every read or write still gets at
// least the whole wait: a write may block up to TCPTimeout +
// TCPTimeout/8, and an idle stream is closed between its idle timeout
// and 9/8 of it after its last frame that keeps it alive.

// deadlineSlackDiv sets the slack of a re-armed deadline: wait/8.
const deadlineSlackDiv = 8

// lazyDeadline is a stream deadline re-armed only when needed. The zero
// value has none armed.
type lazyDeadline struct {
	at time.Time
}

// renew reports the deadline to set so that at least wait remains from
// now, and whether it moved (the caller then sets it on the stream). A
// deadline that leaves at least wait is kept.
func (d *lazyDeadline) renew(now time.Time, wait time.Duration) (time.Time, bool) {
	if !d.at.IsZero() && d.at.Sub(now) >= wait {
		return d.at, false
	}
	d.at = now.Add(wait + wait/deadlineSlackDiv)
	return d.at, true
}
