package hyparlist

import (
	"errors"
	"net"
	"runtime"
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

// TestOversizedPayloadsNotCopied: a payload over the size limit is refused
// before it is copied or encoded, so a mistaken huge payload costs no
// allocation of its size (review s3 L3).
func TestOversizedPayloadsNotCopied(t *testing.T) {
	c := newMockCluster(t, 1, nil)
	defer c.shutdown()
	ml := c.nodes[0].ml
	target := ml.LocalNode()
	overFrame := make([]byte, ml.config.MaxFrameSize+1)
	overPacket := make([]byte, ml.config.MaxFrameSize/2) // fits a frame, not a packet
	for _, tc := range []struct {
		name string
		send func() error
	}{
		{"Broadcast", func() error { return ml.Broadcast(overFrame) }},
		{"SendReliable", func() error { return ml.SendReliable(target, overFrame) }},
		{"SendBestEffort", func() error { return ml.SendBestEffort(target, overPacket) }},
		{"SendToAddress", func() error { return ml.SendToAddress(target.FullAddress(), overFrame) }},
	} {
		var err error
		allocated := bytesAllocated(func() { err = tc.send() })
		if !errors.Is(err, ErrMessageTooLarge) {
			t.Errorf("%s: %v, want ErrMessageTooLarge", tc.name, err)
		}
		if allocated > 1<<20 {
			t.Errorf("%s allocated %d bytes before refusing the payload", tc.name, allocated)
		}
	}
}

// bytesAllocated returns how many bytes the process allocated while f ran.
func bytesAllocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
