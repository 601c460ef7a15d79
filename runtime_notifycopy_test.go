package hyparlist

import (
	"bytes"
	"testing"
)

// Tests of the reused NotifyMsg copy buffer (runtime_notifycopy.go).

// TestNotifyCopy checks that a copy equals its payload, shares no memory
// with it, reuses one buffer for payloads up to notifyCopyKeep and does not
// keep a larger one.
func TestNotifyCopy(t *testing.T) {
	var c notifyCopy
	a := bytes.Repeat([]byte{'a'}, 1024)
	got := c.of(a)
	if !bytes.Equal(got, a) {
		t.Fatalf("copy differs from its payload")
	}
	got[0] = 'x'
	if a[0] != 'a' {
		t.Fatalf("changing the copy changed the payload")
	}
	first := &c.buf[:1][0]
	b := bytes.Repeat([]byte{'b'}, 700)
	if got := c.of(b); !bytes.Equal(got, b) || &got[0] != first {
		t.Errorf("a smaller payload: equal %v, same buffer %v; want both", bytes.Equal(got, b), &got[0] == first)
	}
	if allocs := testing.AllocsPerRun(100, func() { c.of(a) }); allocs != 0 {
		t.Errorf("copying into the kept buffer allocated %.0f times, want 0", allocs)
	}
	big := bytes.Repeat([]byte{'c'}, notifyCopyKeep+1)
	if got := c.of(big); !bytes.Equal(got, big) {
		t.Errorf("a payload beyond notifyCopyKeep was not copied whole")
	}
	if cap(c.buf) > notifyCopyKeep {
		t.Errorf("kept a buffer of %d bytes, more than notifyCopyKeep (%d)", cap(c.buf), notifyCopyKeep)
	}
	if got := c.of(nil); len(got) != 0 {
		t.Errorf("an empty payload gave %d bytes", len(got))
	}
}

// BenchmarkNotifyCopy1KiB is the copy NotifyMsg gets of a 1 KiB payload,
// into the reused buffer: 0 allocations per delivery.
func BenchmarkNotifyCopy1KiB(b *testing.B) {
	var c notifyCopy
	p := make([]byte, 1024)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for range b.N {
		c.of(p)
	}
}

// BenchmarkClonePayload1KiB is the copy NotifyMsg got before session 11,
// a new slice per delivery, for comparison with BenchmarkNotifyCopy1KiB.
func BenchmarkClonePayload1KiB(b *testing.B) {
	p := make([]byte, 1024)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for range b.N {
		_ = clonePayload(p)
	}
}
