package hyparlist

import (
	"errors"
	"net"
	"testing"
	"testing/synctest"
)

// TestSendWithoutAddress: a nil *Node, a Node without an IP or a nil
// net.Addr gives an error wrapping ErrNoAddress instead of a panic.
func TestSendWithoutAddress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newMockCluster(t, 1, nil)
		defer c.shutdown()
		ml := c.nodes[0].ml
		noIP := &Node{Name: "no-ip", Port: 7946}
		msg := []byte("m")
		for _, tc := range []struct {
			name string
			send func() error
		}{
			{"SendReliable(nil)", func() error { return ml.SendReliable(nil, msg) }},
			{"SendToTCP(nil)", func() error { return ml.SendToTCP(nil, msg) }},
			{"SendBestEffort(nil)", func() error { return ml.SendBestEffort(nil, msg) }},
			{"SendToUDP(nil)", func() error { return ml.SendToUDP(nil, msg) }},
			{"SendTo(nil)", func() error { return ml.SendTo(nil, msg) }},
			{"SendReliable(no IP)", func() error { return ml.SendReliable(noIP, msg) }},
			{"SendBestEffort(no IP)", func() error { return ml.SendBestEffort(noIP, msg) }},
			{"Ping(nil)", func() error { _, err := ml.Ping("x", nil); return err }},
			{"SendTo(nil *UDPAddr)", func() error { return ml.SendTo((*net.UDPAddr)(nil), msg) }},
		} {
			err := callNoPanic(t, tc.name, tc.send)
			if !errors.Is(err, ErrNoAddress) {
				t.Errorf("%s = %v, want ErrNoAddress", tc.name, err)
			}
		}
	})
}

// callNoPanic returns f's error, failing the test if f panics.
func callNoPanic(t *testing.T, name string, f func() error) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s panicked: %v", name, r)
		}
	}()
	return f()
}
