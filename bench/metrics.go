package main

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	metrics "github.com/hashicorp/go-metrics/compat"
)

// This file measures: percentiles, process CPU (getrusage), the load
// average, heap and goroutines, and a go-metrics sink that keeps the
// counters hyparlist reports about its own failures.

// percentile returns the nearest-rank p-th percentile (0..100) of sorted,
// or -1 for an empty slice.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return -1
	}
	k := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(k, 0), len(sorted)-1)]
}

// quantiles returns the 0th, 5th, ..., 100th percentiles of sorted, for
// the latency CDF plots.
func quantiles(sorted []float64) []float64 {
	if len(sorted) == 0 {
		return nil
	}
	q := make([]float64, 0, 21)
	for p := 0; p <= 100; p += 5 {
		q = append(q, round3(percentile(sorted, float64(p))))
	}
	return q
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// cpuTime is the process's user plus system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// kernelUse is the process's system CPU time and minor page faults so
// far.
func kernelUse() (time.Duration, int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Stime.Nano()), int64(ru.Minflt) // int32 on 32-bit Linux
}

// loadAvg returns the first three fields of /proc/loadavg.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// memSnapshot is the heap in use and the goroutine count after a GC.
type memSnapshot struct {
	heap       uint64
	goroutines int
}

func takeMem() memSnapshot {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memSnapshot{heap: ms.HeapAlloc, goroutines: runtime.NumGoroutine()}
}

// raiseFileLimit lifts RLIMIT_NOFILE to its hard limit: every node holds
// listeners and streams. With nofile > 0 (-nofile) it sets both limits to
// nofile instead (raising the hard limit needs CAP_SYS_RESOURCE, and at
// most /proc/sys/fs/nr_open); the limit is the process's, so it applies alike
// to every system of the run.
func raiseFileLimit(nofile uint64) error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return fmt.Errorf("getrlimit: %w", err)
	}
	if nofile > 0 {
		l.Cur, l.Max = nofile, nofile
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			return fmt.Errorf("setrlimit %d (raising the hard limit needs CAP_SYS_RESOURCE): %w", nofile, err)
		}
		return nil
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			return fmt.Errorf("setrlimit: %w", err)
		}
	}
	return nil
}

// fileLimit is the process's soft RLIMIT_NOFILE, or 0 if unknown.
func fileLimit() int {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0
	}
	return int(min(l.Cur, 1<<31-1))
}

// counterSink is a go-metrics sink that keeps hyparlist's failure and
// repair counters ("link.failed.silent", "plumtree.graft", ...) and drops
// everything else, so that it costs either library little.
type counterSink struct {
	mu sync.Mutex
	c  map[string]int64
	// sent is hyparlist's hyparlist.msg.sent_bytes per message type.
	sent map[string]int64
}

// framesPrefix names, among the counters, the frames sent of one type
// (hyparlist.msg.sent), e.g. "frames_sent.keepalive".
const framesPrefix = "frames_sent."

// sentBytes adds val to the bytes sent of the type in labels.
func (s *counterSink) sentBytes(labels []metrics.Label, val float32) {
	typ := "unknown"
	for _, l := range labels {
		if l.Name == "type" {
			typ = l.Value
		}
	}
	s.mu.Lock()
	if s.sent == nil {
		s.sent = map[string]int64{}
	}
	s.sent[typ] += int64(val)
	s.mu.Unlock()
}

// sentByType returns a copy of the bytes sent per message type.
func (s *counterSink) sentByType() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.sent))
	for k, v := range s.sent {
		out[k] = v
	}
	return out
}

var _ metrics.MetricSink = (*counterSink)(nil)

// installSink makes s go-metrics' global sink, where both libraries emit.
func installSink(s *counterSink) error {
	cfg := metrics.DefaultConfig("")
	cfg.EnableHostname = false
	cfg.EnableRuntimeMetrics = false
	if _, err := metrics.NewGlobal(cfg, s); err != nil {
		return fmt.Errorf("metrics sink: %w", err)
	}
	return nil
}

// kept lists the hyparlist counters the sink keeps (second key element).
var kept = map[string]bool{"link": true, "relay": true, "sig": true, "origin": true, "member": true, "plumtree": true, "stream": true, "packet": true, "dispatch": true, "state_exchange": true}

func (s *counterSink) IncrCounterWithLabels(key []string, val float32, labels []metrics.Label) {
	if len(key) < 3 || key[0] != "hyparlist" {
		return
	}
	name := key[1] + "." + key[2]
	if name == "msg.sent_bytes" {
		s.sentBytes(labels, val)
		return
	}
	if name == "msg.sent" {
		name = framesPrefix + "unknown"
		for _, l := range labels {
			if l.Name == "type" {
				name = framesPrefix + l.Value
			}
		}
		s.mu.Lock()
		if s.c == nil {
			s.c = map[string]int64{}
		}
		s.c[name] += int64(val)
		s.mu.Unlock()
		return
	}
	if !kept[key[1]] && name != "msg.decode_failed" && name != "msg.encode_failed" && name != "msg.refused" && name != "msg.disconnect_late" && name != "msg.disconnect_stale" {
		return
	}
	for _, l := range labels {
		if l.Name == "reason" || l.Name == "kind" {
			name += "." + l.Value
		}
	}
	s.mu.Lock()
	if s.c == nil {
		s.c = map[string]int64{}
	}
	s.c[name] += int64(val)
	s.mu.Unlock()
}

func (s *counterSink) IncrCounter(key []string, val float32) { s.IncrCounterWithLabels(key, val, nil) }
func (*counterSink) SetGauge([]string, float32)              {}
func (*counterSink) SetGaugeWithLabels([]string, float32, []metrics.Label) {
}
func (*counterSink) EmitKey([]string, float32)                              {}
func (*counterSink) AddSample([]string, float32)                            {}
func (*counterSink) AddSampleWithLabels([]string, float32, []metrics.Label) {}

// values returns a copy of the counters.
func (s *counterSink) values() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.c))
	for k, v := range s.c {
		out[k] = v
	}
	return out
}

// reset zeroes the counters.
func (s *counterSink) reset() {
	s.mu.Lock()
	s.c = nil
	s.mu.Unlock()
}

// sortedMs converts durations in ns to sorted milliseconds.
func sortedMs(ns []int64) []float64 {
	out := make([]float64, len(ns))
	for i, v := range ns {
		out[i] = float64(v) / 1e6
	}
	slices.Sort(out)
	return out
}
