package hyparlist

import (
	"testing"
	"time"
)

// TestAwarenessScore: a lag above the threshold raises the score by one
// per threshold it spans, up to max−1; a lag at or below lowers it by one
// per observation; the multiplier is score+1 and scales timeouts.
func TestAwarenessScore(t *testing.T) {
	const th = 100 * time.Millisecond
	steps := []struct {
		lag   time.Duration
		score int
		moved bool
	}{
		{0, 0, false},
		{th, 0, false},          // at the threshold: keeping up
		{th + 1, 1, true},       // just above: one step
		{3 * th, 4, true},       // three thresholds: three steps
		{time.Hour, 7, true},    // a long stall: the maximum at once
		{time.Hour, 7, false},   // stays at max−1
		{0, 6, true},            // recovers one step per observation
		{th / 2, 5, true},       //
		{2*th + 1, 7, true},     // capped again
		{-time.Second, 6, true}, // a negative lag is keeping up
		{maxDuration, 7, true},  // no overflow
		{0, 6, true},            //
	}
	a := newAwareness(8, th)
	for i, s := range steps {
		moved := a.observe(s.lag)
		if a.score != s.score || moved != s.moved {
			t.Fatalf("step %d (lag %v): score %d moved %v, want %d %v", i, s.lag, a.score, moved, s.score, s.moved)
		}
		if a.multiplier() != s.score+1 {
			t.Fatalf("step %d: multiplier %d with score %d", i, a.multiplier(), a.score)
		}
	}
	if got := a.scale(time.Second); got != 7*time.Second {
		t.Errorf("scale(1s) at score 6 = %v, want 7s", got)
	}
	if got := a.scale(maxDuration / 2); got != maxDuration {
		t.Errorf("scale saturates: got %v", got)
	}
	if got := a.scale(0); got != 0 {
		t.Errorf("scale(0) = %v", got)
	}
}

// TestAwarenessOff: a maximum multiplier of 0 or 1, or no threshold,
// keeps the score at 0 whatever the lag.
func TestAwarenessOff(t *testing.T) {
	for _, a := range []awareness{newAwareness(0, time.Millisecond), newAwareness(1, time.Millisecond), newAwareness(8, 0)} {
		if a.observe(time.Hour) || a.score != 0 || a.scale(time.Second) != time.Second {
			t.Errorf("%+v: score moved", a)
		}
	}
}
