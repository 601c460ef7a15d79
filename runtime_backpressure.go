// Runtime: what a link does when it cannot take broadcast payloads as fast as
// they come.

package hyparlist

import "time"

// This file owns what happens when a link cannot take a broadcast payload
// as fast as the node produces them.
//
// A full user queue (runtime_linkqueue.go) does not fail the link: the
// Plumtree Gossip that does not fit is replaced by its lazy announcement,
// an IHAVE entry of the same message ID and round. The entries of one link
// are batched (deferUser) and queued on the control queue as one IHAVE.
// The neighbour treats it like any IHAVE (plumtree.go, receiveIHave):
// unless the payload reaches it by another path first, it sends a GRAFT
// once its graft timer fires, and this node answers from its message cache
// (Config.MessageCacheTTL) with the payload, by then on a queue that has
// drained. A GRAFT answer that again finds the user queue full waits on
// the link for room (runtime_graftanswer.go); only past that file's bound
// is it announced again, and the neighbour, which still misses the
// message, grafts it again one round trip later (plumtree_reannounce.go).
// Plumtree's seen set makes the neighbour deliver it once whatever the
// number of attempts; a neighbour whose GRAFT goes unanswered grafts it
// again (plumtree.go, graftTimerFired). A payload the cache no longer
// holds when the GRAFT arrives is lost for that neighbour, as for any
// IHAVE answered too late. An IHAVE batch the full control queue refuses
// is kept and tried again one IHaveInterval later; only a full batch that
// still does not fit fails the link. Not in the papers, which assume
// links that do not fall behind.
//
// Only Plumtree Gossip of ClassUser uses the user queue (isUserFrame), so
// every frame a full user queue refuses can be deferred this way; the
// point-to-point user messages (SendReliable) use streams of their own
// and report write errors to their caller.

// deferredBatchMax bounds the announcements of refused payloads a link
// holds before they are queued as one IHAVE: the default
// PlumtreeConfig.IHaveMaxEntries, so a batch is an IHAVE of the usual
// size.
const deferredBatchMax = 256

// deferFlushTimer queues the held announcements of refused payloads of
// every link (flushDeferred).
type deferFlushTimer struct{}

func (deferFlushTimer) isTimer() {}

// deferUser records, for k, the announcement of msg, a broadcast payload
// k's user queue refused. The announcements of one link are batched into
// one IHAVE, queued on the control queue within Config.IHaveInterval or
// once deferredBatchMax are held, so that a burst of refused payloads
// costs a few control frames instead of one each (a control queue filled
// with one-entry IHAVEs would fail the link). It reports false when msg
// is not a user payload, or when deferredBatchMax announcements are held
// and the control queue still refuses their batch.
func (l *runLoop) deferUser(k *outLink, msg Message) bool {
	g, ok := msg.(gossipMsg)
	if !ok || g.Class != ClassUser {
		return false
	}
	// A link that holds announcements is listed in deferredLinks already
	// (flushDeferred keeps it there while its batch does not fit): list
	// it once, even when a full batch is queued here.
	listed := len(k.deferred) > 0
	if len(k.deferred) >= deferredBatchMax && !k.flushDeferred() {
		return false
	}
	if !listed {
		l.deferredLinks = append(l.deferredLinks, k)
		l.armDeferFlush()
	}
	k.deferred = append(k.deferred, ihaveEntry{ID: g.ID, Round: g.Round})
	l.m.metrics.userDeferred()
	return true
}

// flushDeferred queues the held announcements of every link that is
// still open. Those a full control queue refuses stay held for the next
// window: a control queue full for one IHaveInterval is a link that is
// behind, not a failed one (the batch is at most deferredBatchMax
// entries; deferUser fails the link once that many are held and still do
// not fit).
func (l *runLoop) flushDeferred() {
	l.deferArmed = false
	links := l.deferredLinks
	l.deferredLinks = nil
	for _, k := range links {
		if l.links[k.peer.Name] != k || len(k.deferred) == 0 {
			k.deferred = nil
			continue
		}
		if !k.flushDeferred() {
			l.deferredLinks = append(l.deferredLinks, k)
		}
	}
	if len(l.deferredLinks) > 0 {
		l.armDeferFlush()
	}
}

// armDeferFlush arms the timer of flushDeferred unless it is armed.
func (l *runLoop) armDeferFlush() {
	if !l.deferArmed {
		l.deferArmed = true
		l.timers.add(l.now, max(l.m.config.IHaveInterval, time.Millisecond), coreRuntime, deferFlushTimer{})
	}
}

// flushDeferred queues k's held announcements as one IHAVE on its control
// queue and reports whether they fit.
func (k *outLink) flushDeferred() bool {
	if len(k.deferred) == 0 {
		return true
	}
	if !k.enqueue(outFrame{msg: ihaveMsg{Entries: k.deferred}}) {
		return false
	}
	k.deferred = nil // the queued IHAVE owns the entries now
	return true
}
