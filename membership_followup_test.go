package hyparlist

import (
	"fmt"
	"testing"
	"time"
)

// Tests of follow-up exchanges (membership_followup.go).

// digestsFrom counts the digests node sent, join or not.
func (r *joinRelay) digestsFrom(node string) int {
	n := 0
	for _, s := range r.sent {
		if _, ok := s.msg.(memberDigestMsg); ok && s.from == node {
			n++
		}
	}
	return n
}

// TestMembershipFollowUpExchange: after an exchange whose answer brought
// news (the join exchange), the node exchanges again within
// 2×linkExchangeDelay and so picks up members its neighbour learned
// meanwhile (announcements it missed in a join storm), and stops once an
// exchange brings nothing new. Before, they waited for PushPullInterval.
func TestMembershipFollowUpExchange(t *testing.T) {
	cfg := DefaultMembershipConfig()
	r := &joinRelay{t: t, now: mt0, cores: map[string]*Membership{}}
	a := newStartedMembership(t, "a", cfg)
	deliverOwnRecs(t, a, mt0, newNames("member", 40)...)
	r.cores["a"] = a
	r.cores["z"] = newStartedMembership(t, "z", cfg)

	r.step("z", NeighborUp{Peer: testPeer("a")}) // the join exchange
	if got, want := r.cores["z"].NumMembers(), 42; got != want {
		t.Fatalf("z lists %d after its join exchange, want %d", got, want)
	}
	// a learns of ten more members; z missed their announcements.
	deliverRecs(t, a, mt0, "late-00000", newNames("late", 10)...)

	r.advance(mt0.Add(2 * linkExchangeDelay))
	if got, want := r.cores["z"].NumMembers(), 52; got != want {
		t.Errorf("z lists %d members %v after its join, want %d (the follow-up exchange)", got, 2*linkExchangeDelay, want)
	}
	r.advance(mt0.Add(cfg.PushPullInterval - time.Millisecond))
	// The join exchange, the follow-up that brought the ten, and one that
	// brought nothing.
	if got := r.digestsFrom("z"); got != 3 {
		t.Errorf("z sent %d digests before its first periodic exchange, want 3", got)
	}
}

// TestMembershipFollowUpsBounded: a neighbour whose every answer brings
// news (here, a new member each time) gets at most maxFollowUps follow-up
// exchanges per PushPullInterval.
func TestMembershipFollowUpsBounded(t *testing.T) {
	cfg := DefaultMembershipConfig()
	cfg.PushPullInterval = time.Minute // room for every follow-up
	r := &joinRelay{t: t, now: mt0, cores: map[string]*Membership{}}
	a := newStartedMembership(t, "a", cfg)
	r.cores["a"] = a
	r.cores["z"] = newStartedMembership(t, "z", cfg)
	seq := 0
	r.drop = func(from, to string, msg Message) bool {
		if _, ok := msg.(memberDigestMsg); ok && from == "z" {
			seq++
			deliverRecs(t, a, r.now, "new-00000", rec(fmt.Sprintf("new-%03d", seq), 1, memberStateAlive))
		}
		return false
	}
	r.step("z", NeighborUp{Peer: testPeer("a")})
	r.advance(mt0.Add(cfg.PushPullInterval - time.Millisecond))
	if got, want := r.digestsFrom("z"), 1+maxFollowUps; got != want {
		t.Errorf("z sent %d digests in its first PushPullInterval, want %d (the join exchange and maxFollowUps)", got, want)
	}
}
