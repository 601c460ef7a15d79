package hyparlist

import (
	"testing"
	"time"
)

// Tests of the stream deadlines re-armed only when they come near
// (runtime_deadline.go).

// TestLazyDeadline checks that the first renew arms a deadline with the
// slack, that later ones keep it while at least the wait remains, and
// that one with less left moves it.
func TestLazyDeadline(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	const wait = 8 * time.Second
	var d lazyDeadline
	at, moved := d.renew(t0, wait)
	if want := t0.Add(9 * time.Second); !moved || !at.Equal(want) {
		t.Fatalf("first renew: %v moved %v, want %v moved", at, moved, want)
	}
	for _, now := range []time.Time{t0, t0.Add(500 * time.Millisecond), t0.Add(time.Second)} {
		if got, moved := d.renew(now, wait); moved || !got.Equal(at) {
			t.Errorf("renew at +%v: %v moved %v, want %v kept", now.Sub(t0), got, moved, at)
		}
	}
	now := t0.Add(time.Second + time.Nanosecond)
	if got, moved := d.renew(now, wait); !moved || !got.Equal(now.Add(9*time.Second)) {
		t.Errorf("renew with less than the wait left: %v moved %v, want %v moved", got, moved, now.Add(9*time.Second))
	}
}
