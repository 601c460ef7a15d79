package hyparlist

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestPlumtreeStatsCountsCache(t *testing.T) {
	cfg := DefaultPlumtreeConfig()
	pt, err := NewPlumtree(Peer{Name: "me", Addr: "me:1"}, cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if s := pt.counters(); s.CachedMessages != 0 || s.CachedBytes != 0 {
		t.Fatalf("empty core: %+v", s)
	}
	now := time.Unix(1000, 0)
	pt.Step(now, Start{})
	pt.Step(now, BroadcastPayload{Payload: make([]byte, 100)})
	pt.Step(now, BroadcastPayload{Payload: make([]byte, 50)})
	pt.Drain()
	s := pt.counters()
	if s.CachedMessages != 2 || s.CachedBytes < 150 {
		t.Fatalf("after two broadcasts: %+v, want 2 messages, ≥150 bytes", s)
	}
	// Past the TTL the next step expires both.
	pt.Step(now.Add(cfg.CacheTTL+time.Second), TimerFired{})
	if s := pt.counters(); s.CachedMessages != 0 || s.CachedBytes != 0 {
		t.Fatalf("after the TTL: %+v, want empty", s)
	}
}
