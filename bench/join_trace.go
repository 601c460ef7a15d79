package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
)

// This file is the join's trace for -pprof: a CPU profile of the join
// phase and a timeline of what is still missing, to see what the last
// (node, member) pairs wait for.

// startJoinCPU starts a CPU profile of the join in dir and returns the
// function that stops it; with no dir (or an error, logged) it does nothing.
func startJoinCPU(dir, prefix string, logf func(string, ...any)) func() {
	return startCPUProfile(dir, prefix+"-join-cpu.pb.gz", logf)
}

// startCPUProfile starts a CPU profile written to dir/file and returns the
// function that stops it; with no dir (or an error, logged) it does
// nothing. -pprof takes one of the join and one of each broadcast phase.
func startCPUProfile(dir, file string, logf func(string, ...any)) func() {
	if dir == "" {
		return func() {}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		logf("cpu profile %s: %v", file, err)
		return func() {}
	}
	path := filepath.Join(dir, file)
	f, err := os.Create(path)
	if err != nil {
		logf("cpu profile %s: %v", file, err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		logf("cpu profile %s: %v", file, err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			logf("cpu profile: close %s: %v", path, err)
		}
	}
}

// missingSummary says how the pairs still missing are spread: how many
// nodes lack some member and how many members some node lacks, with the
// worst of each, so that a tail of one unknown member (its announcement
// lost) reads differently from a tail of one node that knows few members
// (it waits for anti-entropy).
func (a *app) missingSummary() string {
	lackers, lacked := make([]int, a.n), make([]int, a.n)
	missing := 0
	for i := range a.n {
		if !a.alive[i].Load() {
			continue
		}
		for j := range a.n {
			if j != i && !a.present[i*a.n+j].Load() {
				lackers[i]++
				lacked[j]++
				missing++
			}
		}
	}
	if missing == 0 {
		return "none missing"
	}
	return fmt.Sprintf("%d pairs missing; nodes lacking some member: %s; members lacked by some node: %s",
		missing, worst(lackers), worst(lacked))
}

// worst lists how many entries of counts are non-zero and the five largest
// as index:count.
func worst(counts []int) string {
	type ic struct{ i, c int }
	var top []ic
	nz := 0
	for i, c := range counts {
		if c == 0 {
			continue
		}
		nz++
		top = append(top, ic{i, c})
	}
	for k := range top {
		for m := k + 1; m < len(top); m++ {
			if top[m].c > top[k].c {
				top[k], top[m] = top[m], top[k]
			}
		}
		if k == 4 {
			top = top[:5]
			break
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d (", nz)
	for k, t := range top {
		if k > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "n%d:%d", t.i, t.c)
	}
	b.WriteString(")")
	return b.String()
}
