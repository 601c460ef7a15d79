package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// This file prints the side-by-side markdown tables of BENCHMARKS.md from
// JSON lines: each cell as "hyparlist / memberlist (memberlist ÷
// hyparlist)".

// tableKey identifies one cell of the grid.
type tableKey struct {
	n       int
	config  string
	payload int
}

func writeTables(path string, w io.Writer) error {
	rs, err := readResults(path)
	if err != nil {
		return err
	}
	cells := map[tableKey]map[string]result{} // by "system/api"; the latest line wins
	var keys []tableKey
	var sweeps, raws []result
	for _, r := range rs {
		switch {
		case r.Error != "":
			continue
		case r.Mode == "sweep_summary":
			sweeps = append(sweeps, r)
			continue
		case r.Mode == "raw":
			raws = append(raws, r)
			continue
		case r.Mode != "run":
			continue
		}
		k := tableKey{r.Nodes, r.Config, r.PayloadBytes}
		if cells[k] == nil {
			cells[k] = map[string]result{}
			keys = append(keys, k)
		}
		cells[k][r.System+"/"+r.API] = r
	}
	slices.SortFunc(keys, func(a, b tableKey) int {
		if a.n != b.n {
			return a.n - b.n
		}
		if a.config != b.config {
			return strings.Compare(a.config, b.config)
		}
		return a.payload - b.payload
	})

	fmt.Fprintln(w, "Broadcast: each cell is hyparlist / memberlist (memberlist ÷ hyparlist); memberlist always uses the queue path.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| N | config | payload | hyparlist path | delivered | all nodes p50 ms | all nodes p99 ms | copies per receiver | bytes per broadcast per node | CPU ms per broadcast | duplicate NotifyMsg per broadcast | load before |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, k := range keys {
		ml, ok := cells[k]["memberlist/queue"]
		if !ok {
			continue
		}
		for _, api := range []string{"native", "queue"} {
			hl, ok := cells[k]["hyparlist/"+api]
			if !ok {
				continue
			}
			fmt.Fprintf(w, "| %d | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |\n",
				k.n, k.config, k.payload, api,
				strconv.FormatFloat(hl.DeliveredRatio, 'f', 4, 64)+" / "+strconv.FormatFloat(ml.DeliveredRatio, 'f', 4, 64),
				pair(hl.LatencyP50Ms, ml.LatencyP50Ms, true),
				pair(hl.LatencyP99Ms, ml.LatencyP99Ms, true),
				pair(hl.PayloadCopiesPerReceiver, ml.PayloadCopiesPerReceiver, true),
				pair(hl.WireBytesPerBroadcast, ml.WireBytesPerBroadcast, true),
				pair(hl.CPUMsPerBroadcast, ml.CPUMsPerBroadcast, true),
				pair(hl.DuplicateNotifyPerBroadcast, ml.DuplicateNotifyPerBroadcast, false),
				first(hl.LoadAvgBefore), first(ml.LoadAvgBefore))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Cluster: hyparlist / memberlist (memberlist ÷ hyparlist).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| N | config | payload | join: all pairs ms | join: 99% ms | crash detected by all ms | idle cores | idle bytes/s per node | heap KiB per node | goroutines per node | member flaps | hyparlist links failed silent | timeouts |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, k := range keys {
		ml, ok1 := cells[k]["memberlist/queue"]
		hl, ok2 := cells[k]["hyparlist/native"]
		if !ok2 {
			hl, ok2 = cells[k]["hyparlist/queue"]
		}
		if !ok1 || !ok2 {
			continue
		}
		silent := "—"
		if hl.LinksFailedSilent != nil {
			silent = strconv.FormatInt(*hl.LinksFailedSilent, 10)
		}
		fmt.Fprintf(w, "| %d | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |\n",
			k.n, k.config, k.payload,
			pair(float64(hl.JoinConvergenceMs), float64(ml.JoinConvergenceMs), true),
			pair(float64(hl.Join99Ms), float64(ml.Join99Ms), true),
			pair(float64(hl.CrashDetectionMs), float64(ml.CrashDetectionMs), true),
			pair(hl.IdleCPUCores, ml.IdleCPUCores, true),
			pair(hl.IdleBytesPerNodePerS, ml.IdleBytesPerNodePerS, true),
			pair(float64(hl.HeapBytesPerNode)/1024, float64(ml.HeapBytesPerNode)/1024, true),
			pair(hl.GoroutinesPerNode, ml.GoroutinesPerNode, true),
			pair(float64(hl.MemberFlaps), float64(ml.MemberFlaps), false),
			silent, list(hl.Timeouts), list(ml.Timeouts))
	}
	if len(sweeps) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| sweep | N | payload | config | highest rate held (broadcasts/s) |")
		fmt.Fprintln(w, "|---|---|---|---|---|")
		for _, s := range sweeps {
			fmt.Fprintf(w, "| %s %s | %d | %d | %s | %s |\n", s.System, s.API, s.Nodes, s.PayloadBytes, s.Config, num(s.HighestRateHeld))
		}
	}
	for _, r := range raws {
		fmt.Fprintf(w, "\nRaw ceiling: %d loopback TCP connections, %d B messages: %s messages/s on %s cores (load before %s).\n",
			r.RawConns, r.PayloadBytes, num(r.RawMessagesPerS), num(r.RawCores), first(r.LoadAvgBefore))
	}
	return nil
}

// pair formats "h / m (m÷h)"; -1 means the phase timed out.
func pair(h, m float64, ratio bool) string {
	s := num(h) + " / " + num(m)
	if ratio && h > 0 && m > 0 {
		s += " (" + num(m/h) + "×)"
	}
	return s
}

func num(v float64) string {
	switch {
	case v < 0:
		return "timeout"
	case v == 0:
		return "0"
	case v >= 100:
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'g', 2, 64)
}

func first(load string) string {
	f := strings.Fields(load)
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	var seen []string
	for _, t := range s {
		if !slices.Contains(seen, t) {
			seen = append(seen, t)
		}
	}
	return strings.Join(seen, ", ")
}
