// Runtime: replays of signed broadcasts — a window of sequence numbers per
// origin, kept with the origin's key binding, and the sequence numbers a
// node starts from.

package hyparlist

import (
	"log/slog"
	"time"
)

// This file refuses a signed broadcast sent again after Plumtree has
// forgotten its ID (SeenTTL; before this, it was delivered again). Within
// SeenTTL a copy is a duplicate, which Plumtree handles (and which the tree
// needs: a duplicate on an eager link makes it lazy); after it, only the
// origin's sequence numbers can tell an old message from a new one.
//
//   - Each origin name bound to a key (runtime_sign.go) keeps a window: the
//     highest sequence number admitted from it (its counter, without the
//     shared tree's bit) and a bitmap of the originWindowBits numbers below
//     it that were admitted. Plumtree asks the loop about every received
//     message it does not remember (Plumtree.setAdmitter): a number whose
//     bit is set is a replay (hyparlist.msg.refused reason replay). One
//     more than originWindowBits below the highest is judged by the name's
//     floor (runtime_sign_floor.go, session 15): admitted above the highest
//     number Plumtree has forgotten, refused at or below it (reason
//     seq_too_old); a name without a floor for the key refuses them all.
//     Memory: 80 bytes more per binding (originWindowBits/8 + 16), at
//     most MaxMembers bindings (8 MB with the default 100,000).
//   - The window lives as long as the binding: a name bound to a new key
//     (a key check, or a member dead, left or not listed) starts a new
//     window, and a binding dropped when the table is full (runtime_sign.go)
//     takes its window with it. The floors are kept apart, one per key of
//     the name, and outlive the binding: a new window of a key with a
//     floor refuses its first number too at or below the floor, so a
//     replay of a forgotten broadcast is refused when its name is bound
//     to that key again.
//   - A broadcast in the local node's own name that it does not remember is
//     always refused (reason replay): its own broadcasts stay in its seen
//     set for SeenTTL, so such a message is a replay or a previous run's.
//   - Restarts. Sequence numbers are in the signed data, so nobody can move
//     an origin's window but the origin. A node restarted with the same key
//     must therefore start above its previous run: the runtime starts its
//     sequence numbers at the Unix time in nanoseconds (Plumtree.setNextSequence)
//     instead of NewPlumtree's random point. A previous run that started
//     at t and sent k broadcasts ended at t+k; a restart at t' > t+k starts
//     above it, which holds unless the node's clock went back across the
//     restart by more than the previous run lasted minus k nanoseconds.
//     (Then its broadcasts are refused until its clock passes the old
//     numbers or it restarts with a new key.) A node restarted with a new key
//     gets a new window when its key is rebound, whatever its numbers.
//   - Only checked broadcasts are windowed: signed ones of a class the
//     node checks (Memberlist.checksClass). An unchecked broadcast could
//     carry any sequence number, so it moves no window.
//
// Messages of a previous run still in flight when the restarted node's
// first broadcast arrives are admitted if above the floor (they were never
// admitted), else refused (seq_too_old).

// originWindowBits is how far below an origin's highest admitted sequence
// number a message is still judged by its bit; below it, it is refused.
// Chosen: a message overtaken by 512 later broadcasts of its origin is
// refused; at 1,000 broadcasts a second from one origin that is half a
// second of reordering.
const originWindowBits = 512

// originWindowWords is the bitmap's length in words.
const originWindowWords = originWindowBits / 64

// Reasons of hyparlist.msg.refused for replays.
const (
	refusedReplay    = "replay"
	refusedSeqTooOld = "seq_too_old"
)

// seqWindow is the sequence numbers admitted from one origin: top, the
// highest, and bit i of the bitmap for top−i (bit 0 is top itself).
type seqWindow struct {
	top  uint64
	bits [originWindowWords]uint64
	set  bool
}

// windowResult is what seqWindow.admit decided.
type windowResult uint8

const (
	windowAdmitted windowResult = iota
	windowReplay
	windowTooOld
)

// admit records seq as admitted unless it was already, or is below the
// window; it reports which. With floored, a number below the window (or
// the first of a new window) is admitted above floor and too old at or
// below it (runtime_sign_floor.go).
func (w *seqWindow) admit(seq, floor uint64, floored bool) windowResult {
	r := w.judge(seq, floor, floored)
	if r == windowAdmitted {
		w.record(seq)
	}
	return r
}

// judge returns what admit would decide about seq, changing nothing.
func (w *seqWindow) judge(seq, floor uint64, floored bool) windowResult {
	seq &^= ptSharedBit
	switch {
	case !w.set:
		if floored && seq <= floor {
			return windowTooOld
		}
		return windowAdmitted
	case seq > w.top:
		return windowAdmitted
	}
	d := w.top - seq
	if d >= originWindowBits {
		if floored && seq > floor {
			// Never admitted: Plumtree remembers what the window
			// admitted until it says it forgot it.
			return windowAdmitted
		}
		return windowTooOld
	}
	if w.bits[d/64]&(uint64(1)<<(d%64)) != 0 {
		return windowReplay
	}
	return windowAdmitted
}

// record marks seq, which judge admitted, as admitted (a number below the
// window leaves no bit).
func (w *seqWindow) record(seq uint64) {
	seq &^= ptSharedBit
	switch {
	case !w.set:
		*w = seqWindow{top: seq, set: true}
		w.bits[0] = 1
	case seq > w.top:
		w.shift(seq - w.top)
		w.top = seq
		w.bits[0] |= 1
	case w.top-seq < originWindowBits:
		d := w.top - seq
		w.bits[d/64] |= uint64(1) << (d % 64)
	}
}

// shift moves the bitmap n numbers older (bit i becomes bit i+n).
func (w *seqWindow) shift(n uint64) {
	if n >= originWindowBits {
		w.bits = [originWindowWords]uint64{}
		return
	}
	words, rem := int(n/64), uint(n%64)
	for i := originWindowWords - 1; i >= 0; i-- {
		var v uint64
		if j := i - words; j >= 0 {
			v = w.bits[j] << rem
			if rem > 0 && j > 0 {
				v |= w.bits[j-1] >> (64 - rem)
			}
		}
		w.bits[i] = v
	}
}

// admitBroadcast is the loop's broadcastAdmitter: it refuses a checked
// signed broadcast that its origin's window holds as admitted or that is
// below it.
func (l *runLoop) admitBroadcast(id MessageID, class Class, sig []byte) bool {
	if len(sig) < len(originKey{}) || !l.m.checksClass(class) {
		return true
	}
	r, b, windowed := l.judgeBroadcast(id, sig)
	if l.refuseJudged(id, r) {
		return false
	}
	if !windowed {
		// Bound since acceptOrigin let it through, or dropped: no
		// window holds it.
		return true
	}
	b.win.record(id.Seq)
	l.origins.keys[id.Origin] = b
	l.admitted(id.Origin, b.key, id.Seq, &b.win)
	return true
}

// judgeBroadcast returns what admitBroadcast would decide about id, a
// checked class signed with sig (at least a key long), changing nothing,
// and the binding whose window judged it (windowed false: none did).
func (l *runLoop) judgeBroadcast(id MessageID, sig []byte) (r windowResult, b originBinding, windowed bool) {
	o := &l.origins
	if id.Origin == o.self {
		return windowReplay, b, false
	}
	b, ok := o.keys[id.Origin]
	if !ok || originKey(sig[:len(originKey{})]) != b.key {
		return windowAdmitted, b, false
	}
	floor, floored := o.floorFor(id.Origin, b.key)
	return b.win.judge(id.Seq, floor, floored), b, true
}

// refuseJudged counts and logs the refusal of id when r is one, and
// reports whether it is.
func (l *runLoop) refuseJudged(id MessageID, r windowResult) bool {
	switch r {
	case windowReplay:
		l.m.refuseOrigin(refusedReplay, id)
	case windowTooOld:
		l.m.refuseOrigin(refusedSeqTooOld, id)
	default:
		return false
	}
	return true
}

// refuseOrigin counts and logs (rate limited) a refused broadcast of id
// (Plumtree does not say which neighbour sent it). The log line is rate
// limited per reason, not per origin: origin names are the sender's
// choice (a forger can bind made-up names to its key and replay in each),
// so one line per origin per interval was one line per name; the line
// names the origin and counts the lines suppressed since the last.
func (m *Memberlist) refuseOrigin(reason string, id MessageID) {
	m.metrics.sink.IncrCounterWithLabels(keyMsgRefused, 1, m.metrics.with("reason", reason))
	level := slog.LevelWarn
	if reason == refusedSeqTooOld {
		level = slog.LevelInfo // also a message that came very late
	}
	m.logRefusal(level, reason, "", "dropping broadcast: "+reason, "origin", id.Origin, "seq", id.Seq)
}

// startSequence is where the local node's sequence numbers start: now in
// Unix nanoseconds (0 before 1970).
func startSequence(now time.Time) uint64 { return uint64(max(now.UnixNano(), 0)) }
