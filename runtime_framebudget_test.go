package hyparlist

import (
	"bufio"
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// Tests of the bound on frames being received (runtime_framebudget.go).

// TestFrameBudget: acquire waits while the budget cannot cover a frame and
// goes on when bytes are given back; it gives up at its deadline or stop;
// a frame larger than the budget is admitted alone.
func TestFrameBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newFrameBudget(100)
		stop := make(chan struct{})
		if !b.acquire(60, time.Time{}, stop) {
			t.Fatal("first acquire failed")
		}
		if b.acquire(60, time.Now().Add(time.Second), stop) {
			t.Fatal("acquire beyond the budget succeeded")
		}
		got := make(chan bool)
		go func() { got <- b.acquire(60, time.Time{}, stop) }()
		synctest.Wait()
		select {
		case <-got:
			t.Fatal("acquire did not wait")
		default:
		}
		b.release(60)
		if !<-got {
			t.Fatal("waiting acquire failed after a release")
		}
		b.release(60)
		if !b.acquire(500, time.Time{}, stop) {
			t.Fatal("a frame larger than the budget was refused with nothing in flight")
		}
		go func() { got <- b.acquire(1, time.Time{}, stop) }()
		synctest.Wait()
		close(stop)
		if <-got {
			t.Fatal("acquire succeeded after stop")
		}
		b.release(500)
		if b.inUse() != 0 {
			t.Errorf("inUse = %d after every release", b.inUse())
		}
	})
}

// TestFrameCharge: small frames are free, larger ones cost their size
// (twice when sealed), and headers that announce more than the limit or
// cannot be read cost nothing (the read that follows refuses them).
func TestFrameCharge(t *testing.T) {
	lim := defaultWireLimits()
	frame := func(n int) []byte {
		b, err := encodeMessage(nil, userMsg{Payload: bytes.Repeat([]byte("x"), n)}, lim)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	reader := func(b []byte) *bufio.Reader { return bufio.NewReaderSize(bytes.NewReader(b), readBufferBytes) }
	if got := frameCharge(reader(frame(100)), lim); got != 0 {
		t.Errorf("small frame costs %d", got)
	}
	big := frame(100 << 10)
	body := len(big) - frameHeaderSize
	if got := frameCharge(reader(big), lim); got != body {
		t.Errorf("100 KiB frame costs %d, want %d", got, body)
	}
	sealed := []byte{sealedMarker, 0, 2, 0, 0}
	if got := frameCharge(reader(sealed), lim); got != 2*(2<<16) {
		t.Errorf("sealed 128 KiB frame costs %d, want %d", got, 2*(2<<16))
	}
	huge := slices.Clone(big[:frameHeaderSize])
	huge[3], huge[4], huge[5], huge[6] = 0xff, 0xff, 0xff, 0xff
	if got := frameCharge(reader(huge), lim); got != 0 {
		t.Errorf("4 GiB header costs %d, want 0", got)
	}
	if got := frameCharge(reader(big[:3]), lim); got != 0 {
		t.Errorf("truncated header costs %d, want 0", got)
	}
}

// TestConfigInboundFrameBytes: Validate bounds MaxInboundFrameBytes.
func TestConfigInboundFrameBytes(t *testing.T) {
	for _, v := range []int{0, minInboundFrameBytes - 1, maxFrameSizeLimit + 1} {
		c := DefaultLANConfig()
		c.MaxInboundFrameBytes = v
		if err := c.validate(); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "MaxInboundFrameBytes") {
			t.Errorf("Validate with MaxInboundFrameBytes = %d: %v", v, err)
		}
	}
}
