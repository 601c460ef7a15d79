// The effective values the runtime uses where a memberlist field and a
// hyparlist field mean one thing.

package hyparlist

import (
	"time"
)

// The effective values below turn the memberlist-named fields and their
// hyparlist counterparts into the one value the runtime uses, so that the
// mapping documented on Config lives in one place.

// keepaliveInterval is the period of keepalives on active-view links:
// KeepaliveInterval, or ProbeInterval when it is zero. Zero means
// keepalives are off.
func (c *Config) keepaliveInterval() time.Duration {
	if c.KeepaliveInterval > 0 {
		return c.KeepaliveInterval
	}
	return c.ProbeInterval
}

// keepaliveTimeout is the grace period after a missed keepalive:
// KeepaliveTimeout, or ProbeTimeout when it is zero.
func (c *Config) keepaliveTimeout() time.Duration {
	if c.KeepaliveTimeout > 0 {
		return c.KeepaliveTimeout
	}
	return c.ProbeTimeout
}

// linkSilenceLimit is how long an active-view link may stay silent before
// it is declared failed, or 0 when keepalives are off.
func (c *Config) linkSilenceLimit() time.Duration {
	iv := c.keepaliveInterval()
	if iv <= 0 {
		return 0
	}
	return addDurations(iv, max(c.keepaliveTimeout(), 0))
}

// heartbeatAfter is how long the writer of an active-view link may write
// nothing before it sends a Keepalive of its own (runtime_silence.go):
// the keepalive interval plus half the keepalive timeout, so that while
// the loop sends its keepalives on time the writer never needs to, and
// while the loop is stalled the neighbour still hears from the link
// within the link silence limit. 0 when keepalives are off.
func (c *Config) heartbeatAfter() time.Duration {
	iv := c.keepaliveInterval()
	if iv <= 0 {
		return 0
	}
	return addDurations(iv, max(c.keepaliveTimeout(), 0)/2)
}

// broadcastPullInterval is how often Delegate.GetBroadcasts is pulled:
// GossipInterval, or the keepalive interval when it is zero. Zero means
// never.
func (c *Config) broadcastPullInterval() time.Duration {
	if c.GossipInterval > 0 {
		return c.GossipInterval
	}
	return c.keepaliveInterval()
}

// addDurations returns a+b for non-negative a and b, saturating at the
// longest duration instead of overflowing.
func addDurations(a, b time.Duration) time.Duration {
	return time.Duration(ptSatAdd(int64(a), int64(b)))
}
