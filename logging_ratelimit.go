// Logging: the rate limit on log lines about refused packets and streams.

package hyparlist

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// This file owns the rate limit on the log lines of refusals (a packet or
// stream that failed encryption checks, an unreadable frame, a stream
// beyond a limit): whoever can reach the port chooses how many of those
// there are, and one line each would let them fill the disk or hide
// everything else. A refusal is logged at most once per logRateInterval
// for each reason and source (remote IP, or peer name); the next line
// that gets through says how many were suppressed in between. Metrics
// still count every one.

// logRateInterval is the least time between two log lines of one reason
// and source: one a minute leaves a repeated refusal visible without
// letting it flood the log.
const logRateInterval = time.Minute

// maxLogRateKeys bounds the (reason, source) pairs remembered. When full,
// the pairs whose interval is over go first, then the oldest; a forgotten
// pair's suppressed count is lost and its next line gets through.
const maxLogRateKeys = 1024

// logRateKey is one reason from one source.
type logRateKey struct {
	reason, source string
}

// logRateEntry is when a pair was last logged and how many of its lines
// were suppressed since.
type logRateEntry struct {
	last       time.Time
	suppressed int
}

// logLimiter decides which refusal lines are logged. It is safe for
// concurrent use. The zero value is not usable; see newLogLimiter.
type logLimiter struct {
	interval time.Duration
	maxKeys  int

	mu      sync.Mutex
	entries map[logRateKey]*logRateEntry
}

// newLogLimiter returns a limiter of one line per interval for each of at
// most maxKeys (reason, source) pairs.
func newLogLimiter(interval time.Duration, maxKeys int) *logLimiter {
	return &logLimiter{interval: interval, maxKeys: maxKeys, entries: make(map[logRateKey]*logRateEntry)}
}

// allow reports whether a line of reason from source may be logged at
// now, and if so how many lines of the pair were suppressed since the
// last one logged.
func (l *logLimiter) allow(reason, source string, now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := logRateKey{reason: reason, source: source}
	e := l.entries[k]
	if e == nil {
		if len(l.entries) >= l.maxKeys {
			l.evictLocked(now)
		}
		l.entries[k] = &logRateEntry{last: now}
		return true, 0
	}
	if now.Sub(e.last) < l.interval {
		e.suppressed++
		return false, 0
	}
	n := e.suppressed
	e.last, e.suppressed = now, 0
	return true, n
}

// evictLocked drops the pairs whose interval is over, or the oldest one
// when none is.
func (l *logLimiter) evictLocked(now time.Time) {
	var oldest logRateKey
	var oldestAt time.Time
	found := false
	for k, e := range l.entries {
		if now.Sub(e.last) >= l.interval {
			delete(l.entries, k)
			continue
		}
		if !found || e.last.Before(oldestAt) {
			oldest, oldestAt, found = k, e.last, true
		}
	}
	if len(l.entries) >= l.maxKeys && found {
		delete(l.entries, oldest)
	}
}

// logRefusal logs msg with args at level, unless a line of reason from
// source was logged less than logRateInterval ago; a line that follows
// suppressed ones carries their count as "suppressed".
func (m *Memberlist) logRefusal(level slog.Level, reason, source, msg string, args ...any) {
	if !m.logger.Enabled(context.Background(), level) {
		return
	}
	ok, suppressed := m.logRate.allow(reason, source, time.Now())
	if !ok {
		return
	}
	if suppressed > 0 {
		args = append(args, "suppressed", suppressed)
	}
	m.logger.Log(context.Background(), level, msg, args...)
}
