// Membership core: anti-entropy that follows up while it finds news.

package hyparlist

import "time"

// This file makes anti-entropy speed up while it finds differences: when
// the answer to an exchange the node started changed its member table, the
// node exchanges again with a random neighbour linkExchangeDelay (plus
// jitter) later, instead of waiting a whole PushPullInterval (30 s in
// DefaultLANConfig). In a join storm, announcements lost on links that the
// walks of other joins tore down left single (node, member) pairs missing
// for many seconds: at 256 nodes joining one seed at once, 99 % of the
// pairs were listed after 7 s and the last two after 12 s. Once an
// exchange brings nothing new, the node goes back to the periodic pace, so
// a quiet cluster sends nothing more. At most maxFollowUps follow-ups run
// per PushPullInterval, so that a member whose record keeps changing (a
// flapping node) cannot keep the node exchanging every second. Not in the
// papers.

// maxFollowUps bounds the follow-up exchanges per PushPullInterval.
const maxFollowUps = 8

// memberFollowUpTimer fires when a follow-up exchange is due.
type memberFollowUpTimer struct{}

func (memberFollowUpTimer) isTimer() {}

// noteAnswer records that an answer to an exchange the node started
// arrived, and whether merging it changed the member table; a change arms
// a follow-up exchange if none is armed and the budget allows.
func (m *Membership) noteAnswer(changed bool) {
	if !changed || m.followUpArmed || m.followUps >= maxFollowUps {
		return
	}
	m.followUpArmed = true
	after := linkExchangeDelay + time.Duration(m.rng.Int64N(int64(linkExchangeDelay)))
	m.emit(SetTimer{After: after, Timer: memberFollowUpTimer{}})
}

// onFollowUpTimer runs a follow-up exchange with a random neighbour.
func (m *Membership) onFollowUpTimer() {
	m.followUpArmed = false
	if m.leaving || len(m.neighbors) == 0 {
		return
	}
	m.followUps++
	m.exchangeWith(m.neighbors[m.rng.IntN(len(m.neighbors))])
}
