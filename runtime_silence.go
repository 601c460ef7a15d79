// Runtime: failing active-view links that have been silent too long.

package hyparlist

import (
	"slices"
	"time"
)

// This file owns the judgement of silent neighbours: an active-view link
// on which nothing arrived within the link silence limit
// (Config.KeepaliveInterval + KeepaliveTimeout) is failed.
//
// The judge is the loop, which may itself fall behind: a CPU-starved
// process, a long garbage collection, a burst of work. A healthy
// neighbour must not be failed for that, or every failure causes repairs,
// suspicions and announcements that cost more CPU still. So:
//
//   - a neighbour counts as heard when its frame was read (inbound.at,
//     stamped by the reader), not when the loop got round to it;
//   - before judging, the loop handles the frames already waiting in its
//     inbox (at most as many as it holds at that moment, so that a flood
//     cannot keep the check from running);
//   - the loop measures its own lag (how late its timers fire, how long
//     frames wait in the inbox) and stretches the limit while it is behind
//     (runtime_awareness.go);
//   - a new neighbour is first heard TCPTimeout after it became one: its
//     frames come on a stream it dials itself, which may wait for a
//     dialer slot, the dial and the handshake (TCPTimeout each) before
//     the first frame; in a burst of joins, judging it from NeighborUp
//     failed links that were still being set up;
//   - the writers of active-view links send a Keepalive themselves when
//     they have written nothing for a while (runtime_writer.go), so that a node
//     whose loop is stalled still looks alive to its neighbours as long as
//     its process and links are. Liveness means "the process reads and
//     writes its links", as memberlist's means "the process answers
//     probes"; a loop stuck for good is not a silent link.

// heard records that in's sender was heard when in was read, and notes
// how long the frame waited for the loop.
func (l *runLoop) heard(in inbound) {
	at := in.at
	if at.IsZero() {
		at = l.now
	}
	l.noteLag(l.now.Sub(at))
	if prev, ok := l.lastHeard[in.from.Name]; ok && at.After(prev) {
		l.lastHeard[in.from.Name] = at
	}
}

// noteLag records a lag of the loop: a timer that fired late, a frame
// that waited in the inbox.
func (l *runLoop) noteLag(d time.Duration) {
	l.lag = max(l.lag, d)
}

// drainInbox handles the frames waiting in the inbox, at most as many as
// it holds now.
func (l *runLoop) drainInbox() {
	for n := l.m.inbox.len(); n > 0; n-- {
		in, ok := l.m.inbox.take()
		if !ok {
			return
		}
		l.onInbound(in)
	}
}

// updateHealth feeds the lag measured since the last check to the health
// score and publishes a changed score.
func (l *runLoop) updateHealth() {
	lag := l.lag
	l.lag = 0
	if !l.health.observe(lag) {
		return
	}
	score := l.health.score
	l.m.health.Store(int32(score))
	l.m.dialers.setLimit(dialerLimit(l.m.config.MaxConcurrentDialers, score))
	l.m.metrics.healthScore(score)
	l.m.logger.Debug("local health score changed", "score", score, "lag", lag)
	l.feed(coreMembership, LocalHealth{Multiplier: l.health.multiplier()})
}

// checkSilence fails the links of neighbours from which nothing arrived
// within the link silence limit, stretched by the health multiplier.
func (l *runLoop) checkSilence() {
	limit := l.health.scale(l.m.config.linkSilenceLimit())
	var silent []string
	for name, at := range l.lastHeard {
		if l.now.Sub(at) > limit {
			silent = append(silent, name)
		}
	}
	slices.Sort(silent)
	for _, name := range silent {
		p := Peer{Name: name}
		if k := l.links[name]; k != nil {
			p = k.peer
		}
		l.m.metrics.linkFailed("silent")
		l.m.logger.Debug("neighbour silent, failing link", "peer", name, "limit", limit)
		l.linkFailed(p, true)
	}
}
