// Review 12: the relay hold's limit under the default configurations.

package hyparlist

import (
	"testing"
	"time"
)

// TestRelayHoldMaxDefaults: with DefaultLANConfig (KeepaliveTimeout 0,
// meaning ProbeTimeout) a relay must hold a payload for longer than a
// millisecond: relayHoldMax is documented as a quarter of the shorter of
// TCPTimeout and the keepalive timeout.
//
// Fails at int12 (review12): relayHoldMax reads Config.KeepaliveTimeout,
// 0 by default, not the effective keepaliveTimeout(), so every default
// configuration holds for 1 ms (the tests set KeepaliveTimeout
// explicitly, stallConfig; the session 12 bench runs did not).
func TestRelayHoldMaxDefaults(t *testing.T) {
	t.Skip("review12 finding: relayHoldMax is 1 ms under every default configuration (runtime_relayhold.go)")
	for name, c := range map[string]*Config{"LAN": DefaultLANConfig(), "WAN": DefaultWANConfig(), "Local": DefaultLocalConfig()} {
		m := &Memberlist{config: c}
		want := max(min(c.TCPTimeout, c.keepaliveTimeout())/4, time.Millisecond)
		if got := m.relayHoldMax(); got != want {
			t.Errorf("%s: relayHoldMax %v, want %v (TCPTimeout %v, effective keepalive timeout %v)", name, got, want, c.TCPTimeout, c.keepaliveTimeout())
		}
	}
}
