package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"sync"

	"github.com/hyparlist/hyparlist/internal/sim"
)

// peakProfiler writes the heap profile of -memprofile when the live heap
// peaks: a profile written at the end of a run shows only what is still
// referenced then, long after the simulation's peak was released. At every
// progress report (about every million events) it reads the live heap
// measured by the last garbage collection, and rewrites the profile
// whenever that grew by a tenth since the last profile.
type peakProfiler struct {
	path string
	next func(sim.ExperimentProgress) // the progress line, or nil

	mu      sync.Mutex
	written uint64 // live heap bytes when the profile was last written
	err     error
}

// peakGrowth is the factor by which the live heap must grow before the
// profile is rewritten.
const peakGrowth = 1.1

// update is an ExperimentConfig.Progress hook.
func (p *peakProfiler) update(ep sim.ExperimentProgress) {
	if p.next != nil {
		p.next(ep)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if h := liveHeap(); float64(h) > peakGrowth*float64(p.written) {
		p.written = h
		p.err = writeHeapProfile(p.path)
	}
}

// finish writes a profile if none was written yet (a run too short for a
// progress report) and returns the first write error.
func (p *peakProfiler) finish() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.written == 0 && p.err == nil {
		p.err = writeHeapProfile(p.path)
	}
	return p.err
}

// liveHeap returns the heap bytes the last garbage collection found live.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// writeHeapProfile writes a heap profile to path, after a collection so
// that it shows what is live.
func writeHeapProfile(path string) error {
	pf, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(pf); err != nil {
		pf.Close()
		return fmt.Errorf("heap profile %s: %w", path, err)
	}
	if err := pf.Close(); err != nil {
		return fmt.Errorf("heap profile %s: %w", path, err)
	}
	return nil
}
