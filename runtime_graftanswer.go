// Runtime: a GRAFT's answer that does not fit in the link's user queue
// waits for room on the link instead of being announced again.

package hyparlist

import (
	"slices"
	"time"
)

// This file owns the answers to GRAFTs that a full user queue refuses.
//
// Plumtree answers a GRAFT of message IDs with one Gossip per ID it still
// caches (plumtree.go, receiveGraft). A neighbour that fell behind asks
// for up to IHaveMaxEntries (256) IDs at once, more than a user queue
// that is full, or small, takes. Announcing the answers that do not fit
// again (runtime_backpressure.go, deferUser) is of no use to the asker,
// which knows the IDs already: it grafts them again one GraftTimeout2
// later (plumtree_reannounce.go), and gets as many as the queue took
// then, so a GRAFT of 256 IDs costs a round trip per queueful, and each
// round brings the IDs nearer to CacheTTL, when the asker gives up.
//
// So an answer the user queue refuses is held on the link (outLink.held)
// and queued as the queue drains, in the order they were asked, ahead of
// anything else for the link's user queue: the loop retries every
// heldAnswerRetry while a link holds answers, and send queues a link's
// held answers before any new message for it, and puts a new answer to
// the same asker behind them (one ID held once, never held and queued
// both). An answer held MessageCacheTTL is dropped
// (hyparlist.link.answer_expired): the asker grafted it after an IHAVE
// and gives up on an ID CacheTTL after its first IHAVE, so nobody waits
// for it any more.
//
// Bounds: per link, maxHeldAnswers answers and Config.PeerSendQueueBytes
// payload bytes (counted in full, though a held payload usually shares
// its bytes with the message cache: an answer the cache has dropped
// meanwhile keeps its payload alive); per node, that times the open
// links (ActiveViewSize + transient links, runLoop.maxLinks). Past
// either bound, an answer is announced again as before. Held answers are
// dropped with their link (the asker grafts them again, of another
// announcer if it has one). They do not count in the broadcast backlog
// (runtime_backlog.go): they are payloads relayed for others, which are
// not held back either. Not in the papers, whose links do not fall
// behind.

// heldAnswerRetry is how often the loop tries to queue the GRAFT answers
// links hold: short beside GraftTimeout2 (40 ms by default), so that a
// drained queue takes the next answers before the asker grafts again.
const heldAnswerRetry = 5 * time.Millisecond

// maxHeldAnswers bounds the GRAFT answers a link holds, besides
// Config.PeerSendQueueBytes of payload: the default
// WireLimits.MaxGraftIDs, so that one GRAFT of the most IDs a neighbour
// may ask for by default is answered in full. It does not follow a
// configured MaxGraftIDs: with a larger one, the answers past 1,024 are
// announced again as before this file.
const maxHeldAnswers = 1024

// heldAnswerTimer queues the held GRAFT answers of every link
// (retryHeldAnswers).
type heldAnswerTimer struct{}

func (heldAnswerTimer) isTimer() {}

// graftAsker returns the name of the neighbour whose GRAFT of message IDs
// ev delivers to Plumtree, "" when ev is not one.
func graftAsker(ev Event) string {
	r, ok := ev.(Receive)
	if !ok {
		return ""
	}
	if g, ok := r.Msg.(graftMsg); ok && len(g.IDs) > 0 {
		return r.From.Name
	}
	return ""
}

// heldAnswer is a GRAFT answer held on a link since at.
type heldAnswer struct {
	g  gossipMsg
	at time.Time
}

// heldFirst keeps the held answers of k ahead of msg: an answer to k's
// GRAFT goes behind them (held, once per ID: an ID asked again while
// held is not queued beside its held copy), and any other message is
// queued after the held answers that fit (queueHeld). It reports whether
// it held msg.
func (l *runLoop) heldFirst(k *outLink, msg Message) bool {
	if len(k.held) == 0 {
		return false
	}
	held := l.isAnswer(k, msg) && l.holdAnswer(k, msg)
	l.queueHeld(k)
	return held
}

// isAnswer reports whether msg is a user payload answering a GRAFT of
// k's peer (l.answering).
func (l *runLoop) isAnswer(k *outLink, msg Message) bool {
	g, ok := msg.(gossipMsg)
	return ok && g.Class == ClassUser && l.answering != "" && l.answering == k.peer.Name
}

// holdAnswer holds msg, a user payload k's user queue refused, when it is
// the answer to a GRAFT of k's peer (l.answering) and k holds fewer than
// maxHeldAnswers answers of at most PeerSendQueueBytes payload bytes
// with it; it reports whether it held it. An ID asked again while its
// answer is held is held once: the asker grafts again when its
// GraftTimeout2 passes, which a queue that drains slowly outlasts.
func (l *runLoop) holdAnswer(k *outLink, msg Message) bool {
	if !l.isAnswer(k, msg) {
		return false
	}
	g := msg.(gossipMsg)
	if _, dup := k.heldIDs[g.ID]; dup {
		return true // asked again before the first answer went out
	}
	if len(k.held) >= maxHeldAnswers || k.heldBytes+len(g.Payload) > k.maxBytes {
		return false
	}
	if len(k.held) == 0 {
		if !slices.Contains(l.heldLinks, k) {
			l.heldLinks = append(l.heldLinks, k)
		}
		l.armHeldAnswers()
		k.heldIDs = make(map[MessageID]struct{})
	}
	k.held = append(k.held, heldAnswer{g: g, at: l.now})
	k.heldIDs[g.ID] = struct{}{}
	k.heldBytes += len(g.Payload)
	l.m.metrics.answerHeld()
	return true
}

// queueHeld queues as many of k's held answers as its user queue takes,
// in the order they were asked, and drops those held MessageCacheTTL or
// longer (hyparlist.link.answer_expired): the asker grafted them after
// an IHAVE, and gives up on an ID CacheTTL after its first IHAVE.
func (l *runLoop) queueHeld(k *outLink) {
	n := 0
	for _, a := range k.held {
		if l.now.Sub(a.at) >= l.m.config.MessageCacheTTL {
			l.m.metrics.answerExpired()
		} else if !l.queueFrame(k, outFrame{msg: a.g, afterUser: l.leave.active}) {
			break
		}
		delete(k.heldIDs, a.g.ID)
		k.heldBytes -= len(a.g.Payload)
		n++
	}
	clear(k.held[:n])
	k.held = k.held[n:]
	if len(k.held) == 0 {
		k.dropHeld()
	}
}

// dropHeld forgets k's held answers.
func (k *outLink) dropHeld() { k.held, k.heldIDs, k.heldBytes = nil, nil, 0 }

// retryHeldAnswers queues as many held answers of every open link as its
// user queue takes, and re-arms itself while some are left.
func (l *runLoop) retryHeldAnswers() {
	l.heldArmed = false
	links := l.heldLinks
	l.heldLinks = nil
	for _, k := range links {
		if l.links[k.peer.Name] != k {
			k.dropHeld()
			continue
		}
		l.queueHeld(k)
		if len(k.held) > 0 {
			l.heldLinks = append(l.heldLinks, k)
		}
	}
	if len(l.heldLinks) > 0 {
		l.armHeldAnswers()
	}
}

// armHeldAnswers arms the timer of retryHeldAnswers unless it is armed.
func (l *runLoop) armHeldAnswers() {
	if !l.heldArmed {
		l.heldArmed = true
		l.timers.add(l.now, heldAnswerRetry, coreRuntime, heldAnswerTimer{})
	}
}
