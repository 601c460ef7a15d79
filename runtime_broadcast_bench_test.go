package hyparlist

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// Benchmarks of the whole broadcast path over real TCP sockets on
// 127.0.0.1: Broadcast, the loop, Plumtree, the link writers, the readers
// and NotifyMsg, as BENCHMARKS.md's session 7 measures it with the bench
// harness, in a form `go test -bench` runs.

// countDelegate is a Delegate that only counts NotifyMsg calls.
type countDelegate struct{ n atomic.Int64 }

func (*countDelegate) NodeMeta(int) []byte             { return nil }
func (d *countDelegate) NotifyMsg([]byte)              { d.n.Add(1) }
func (*countDelegate) GetBroadcasts(int, int) [][]byte { return nil }
func (*countDelegate) LocalState(bool) []byte          { return nil }
func (*countDelegate) MergeRemoteState([]byte, bool)   {}

// BenchmarkRuntimeBroadcastTCP broadcasts 1 KiB payloads from 8 nodes in
// turn, as fast as Broadcast takes them (it blocks while the links'
// backlog is full), and waits until every other node delivered each: one
// op is one broadcast delivered to 7 nodes.
func BenchmarkRuntimeBroadcastTCP(b *testing.B) {
	const n = 8
	nodes := make([]*Memberlist, n)
	counts := make([]*countDelegate, n)
	for i := range nodes {
		counts[i] = &countDelegate{}
		conf := mockConfig(fmt.Sprintf("bench-%02d", i), func(c *Config) {
			c.BindAddr = "127.0.0.1"
			c.BindPort = 0
		})
		conf.Delegate = counts[i]
		ml, err := Create(conf)
		if err != nil {
			b.Fatalf("create node %d: %v", i, err)
		}
		nodes[i] = ml
	}
	defer func() {
		for _, ml := range nodes {
			_ = ml.Shutdown()
		}
	}()
	seed := nodes[0].LocalNode().Address()
	for _, ml := range nodes[1:] {
		if _, err := ml.Join([]string{seed}); err != nil {
			b.Fatalf("join: %v", err)
		}
	}
	waitFor := func(what string, cond func() bool) {
		deadline := time.Now().Add(time.Minute)
		for !cond() {
			if time.Now().After(deadline) {
				b.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("full membership", func() bool {
		for _, ml := range nodes {
			if ml.NumMembers() != n {
				return false
			}
		}
		return true
	})
	delivered := func() int64 {
		var sum int64
		for _, c := range counts {
			sum += c.n.Load()
		}
		return sum
	}
	base := delivered()
	payload := make([]byte, 1024)
	b.SetBytes(int64(len(payload)))
	b.ResetTimer()
	for i := range b.N {
		if err := nodes[i%n].Broadcast(payload); err != nil {
			b.Fatalf("broadcast %d: %v", i, err)
		}
	}
	want := base + int64(b.N)*(n-1)
	waitFor("every delivery", func() bool { return delivered() >= want })
	b.StopTimer()
	b.ReportMetric(float64(b.N)*(n-1)/b.Elapsed().Seconds(), "deliveries/s")
}
