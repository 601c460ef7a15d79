package hyparlist

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// Tests of the rate limit on refusal log lines (logging_ratelimit.go).

// TestLogLimiter: one line per reason and source per interval; the next
// one carries the count suppressed; other reasons and sources are
// independent.
func TestLogLimiter(t *testing.T) {
	l := newLogLimiter(time.Minute, 16)
	now := time.Unix(1000, 0)
	if ok, n := l.allow("decode", "10.0.0.1", now); !ok || n != 0 {
		t.Fatalf("first line: %v, %d", ok, n)
	}
	for i := range 5 {
		if ok, _ := l.allow("decode", "10.0.0.1", now.Add(time.Duration(i)*time.Second)); ok {
			t.Fatalf("repeat %d within the interval logged", i)
		}
	}
	if ok, _ := l.allow("crypto", "10.0.0.1", now); !ok {
		t.Error("another reason suppressed")
	}
	if ok, _ := l.allow("decode", "10.0.0.2", now); !ok {
		t.Error("another source suppressed")
	}
	ok, n := l.allow("decode", "10.0.0.1", now.Add(time.Minute))
	if !ok || n != 5 {
		t.Errorf("line after the interval: %v, suppressed %d; want true, 5", ok, n)
	}
	if ok, n := l.allow("decode", "10.0.0.1", now.Add(2*time.Minute)); !ok || n != 0 {
		t.Errorf("line after a quiet interval: %v, %d; want true, 0", ok, n)
	}
}

// TestLogLimiterBounded: many sources never hold more than maxKeys pairs;
// expired pairs go first, then the oldest.
func TestLogLimiterBounded(t *testing.T) {
	l := newLogLimiter(time.Minute, 8)
	now := time.Unix(1000, 0)
	for i := range 100 {
		l.allow("decode", fmt.Sprint(i), now.Add(time.Duration(i)*time.Millisecond))
		if len(l.entries) > 8 {
			t.Fatalf("%d pairs after %d sources, want at most 8", len(l.entries), i+1)
		}
	}
	// The newest source is still limited; the oldest was evicted.
	if ok, _ := l.allow("decode", "99", now.Add(time.Second)); ok {
		t.Error("newest source not limited")
	}
	if ok, _ := l.allow("decode", "0", now.Add(time.Second)); !ok {
		t.Error("evicted source still limited")
	}
	// After the interval, every pair is expired and evicted at once.
	l.allow("decode", "new", now.Add(2*time.Minute))
	if len(l.entries) != 1 {
		t.Errorf("%d pairs after the interval, want 1", len(l.entries))
	}
}

// TestLogRefusal: through a node's logger, 100 refusals of one reason and
// source give one line.
func TestLogRefusal(t *testing.T) {
	var buf bytes.Buffer
	m := &Memberlist{logger: slog.New(slog.NewTextHandler(&buf, nil)), logRate: newLogLimiter(time.Hour, 4)}
	for range 100 {
		m.logRefusal(slog.LevelWarn, "decode", "10.0.0.1", "closing stream after an unreadable frame")
	}
	if got := strings.Count(buf.String(), "unreadable frame"); got != 1 {
		t.Errorf("%d lines for 100 refusals, want 1:\n%s", got, buf.String())
	}
}
