// Runtime: a GRAFT's answer that does not fit in the link's user queue
// waits for room on the link instead of being announced again.

package hyparlist

import "time"

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
// and queued as the queue drains: the loop retries every
// heldAnswerRetry while a link holds answers, in the order they were
// asked. The answers held on a link are bounded by maxHeldAnswers; past
// it, an answer is announced again as before. Held answers are
// dropped with their link (the asker grafts them again, of another
// announcer if it has one). They do not count in the broadcast backlog
// (runtime_backlog.go): they are payloads relayed for others, which are
// not held back either. Not in the papers, whose links do not fall
// behind.

// heldAnswerRetry is how often the loop tries to queue the GRAFT answers
// links hold: short beside GraftTimeout2 (40 ms by default), so that a
// drained queue takes the next answers before the asker grafts again.
const heldAnswerRetry = 5 * time.Millisecond

// maxHeldAnswers bounds the GRAFT answers a link holds: the default
// WireLimits.MaxGraftIDs, so that one GRAFT of the most IDs a neighbour
// may ask for is answered in full. A held answer shares its payload with
// the message cache, so it costs a slice entry (about 100 bytes), not
// the payload: at most about 100 KiB per link that is behind.
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

// holdAnswer holds msg, a user payload k's user queue refused, when it is
// the answer to a GRAFT of k's peer (l.answering) and k holds fewer than
// maxHeldAnswers; it reports whether it held it. An ID asked again while
// its answer is held is held once: the asker grafts again when its
// GraftTimeout2 passes, which a queue that drains slowly outlasts.
func (l *runLoop) holdAnswer(k *outLink, msg Message) bool {
	g, ok := msg.(gossipMsg)
	if !ok || g.Class != ClassUser || l.answering == "" || l.answering != k.peer.Name {
		return false
	}
	if _, dup := k.heldIDs[g.ID]; dup {
		return true // asked again before the first answer went out
	}
	if len(k.held) >= maxHeldAnswers {
		return false
	}
	if len(k.held) == 0 {
		l.heldLinks = append(l.heldLinks, k)
		l.armHeldAnswers()
		k.heldIDs = make(map[MessageID]struct{})
	}
	k.held = append(k.held, g)
	k.heldIDs[g.ID] = struct{}{}
	l.m.metrics.answerHeld()
	return true
}

// retryHeldAnswers queues as many held answers of every open link as its
// user queue takes, and re-arms itself while some are left.
func (l *runLoop) retryHeldAnswers() {
	l.heldArmed = false
	links := l.heldLinks
	l.heldLinks = nil
	for _, k := range links {
		if l.links[k.peer.Name] != k {
			k.held, k.heldIDs = nil, nil
			continue
		}
		n := 0
		for _, g := range k.held {
			if !l.queueFrame(k, outFrame{msg: g, afterUser: l.leave.active}) {
				break
			}
			delete(k.heldIDs, g.ID)
			n++
		}
		clear(k.held[:n])
		k.held = k.held[n:]
		if len(k.held) == 0 {
			k.held, k.heldIDs = nil, nil
			continue
		}
		l.heldLinks = append(l.heldLinks, k)
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
