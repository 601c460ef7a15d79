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

// countDelegate is a Delegate that only counts NotifyMsg calls, and
// signals each on got when it is set.
type countDelegate struct {
	n   atomic.Int64
	got chan<- struct{}
}

func (*countDelegate) NodeMeta(int) []byte { return nil }
func (d *countDelegate) NotifyMsg([]byte) {
	d.n.Add(1)
	if d.got != nil {
		d.got <- struct{}{}
	}
}
func (*countDelegate) GetBroadcasts(int, int) [][]byte { return nil }
func (*countDelegate) LocalState(bool) []byte          { return nil }
func (*countDelegate) MergeRemoteState([]byte, bool)   {}

// benchNodes is the number of nodes of the broadcast benchmarks.
const benchNodes = 8

// newBenchCluster starts benchNodes nodes on 127.0.0.1, joined into one
// cluster, whose delegates count deliveries (and signal them on got when
// it is not nil). It returns the nodes, their delegates and a function
// that waits for a condition.
func newBenchCluster(b *testing.B, got chan<- struct{}) ([]*Memberlist, []*countDelegate, func(string, func() bool)) {
	nodes := make([]*Memberlist, benchNodes)
	counts := make([]*countDelegate, benchNodes)
	for i := range nodes {
		counts[i] = &countDelegate{got: got}
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
	b.Cleanup(func() {
		for _, ml := range nodes {
			_ = ml.Shutdown()
		}
	})
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
			if ml.NumMembers() != benchNodes {
				return false
			}
		}
		return true
	})
	return nodes, counts, waitFor
}

// reportCPU reports the process's CPU since cpu0 (from processCPU) per
// op and per delivery (benchNodes−1 per op), as the bench harness's
// cpu_ms_per_broadcast.
func reportCPU(b *testing.B, cpu0 time.Duration, ok bool) {
	cpu1, ok1 := processCPU()
	if !ok || !ok1 {
		return
	}
	cpu := float64((cpu1 - cpu0).Nanoseconds())
	b.ReportMetric(cpu/float64(b.N), "cpu-ns/op")
	b.ReportMetric(cpu/float64(b.N)/(benchNodes-1), "cpu-ns/delivery")
}

// BenchmarkRuntimeBroadcastTCP broadcasts 1 KiB payloads from 8 nodes in
// turn, as fast as Broadcast takes them (it blocks while the links'
// backlog is full), and waits until every other node delivered each: one
// op is one broadcast delivered to 7 nodes. Frames queue up, and links
// write many at once. Besides time and allocations per op it reports the
// process's CPU per broadcast and per delivery.
func BenchmarkRuntimeBroadcastTCP(b *testing.B) {
	nodes, counts, waitFor := newBenchCluster(b, nil)
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
	b.ReportAllocs()
	cpu0, ok := processCPU()
	b.ResetTimer()
	for i := range b.N {
		if err := nodes[i%benchNodes].Broadcast(payload); err != nil {
			b.Fatalf("broadcast %d: %v", i, err)
		}
	}
	want := base + int64(b.N)*(benchNodes-1)
	waitFor("every delivery", func() bool { return delivered() >= want })
	b.StopTimer()
	b.ReportMetric(float64(b.N)*(benchNodes-1)/b.Elapsed().Seconds(), "deliveries/s")
	reportCPU(b, cpu0, ok)
}

// BenchmarkRuntimeBroadcastTCPOneByOne broadcasts 1 KiB payloads from 8
// nodes in turn, each once the one before reached every other node: one
// op is one broadcast delivered to 7 nodes, with nothing else in flight,
// so every frame is read and written on its own, as at a steady rate well
// below saturation (N = 64 at 1,000 broadcasts/s: BENCHMARKS.md, session
// 11). It reports time, allocations and the process's CPU per broadcast
// and per delivery.
func BenchmarkRuntimeBroadcastTCPOneByOne(b *testing.B) {
	got := make(chan struct{}, benchNodes)
	nodes, _, _ := newBenchCluster(b, got)
	payload := make([]byte, 1024)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	timeout := time.NewTimer(time.Minute)
	defer timeout.Stop()
	cpu0, ok := processCPU()
	b.ResetTimer()
	for i := range b.N {
		if err := nodes[i%benchNodes].Broadcast(payload); err != nil {
			b.Fatalf("broadcast %d: %v", i, err)
		}
		for range benchNodes - 1 {
			select {
			case <-got:
			case <-timeout.C:
				b.Fatalf("broadcast %d: not delivered everywhere within a minute", i)
			}
		}
		timeout.Reset(time.Minute)
	}
	b.StopTimer()
	reportCPU(b, cpu0, ok)
}
