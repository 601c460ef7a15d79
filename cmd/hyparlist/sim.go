package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/hyparlist/hyparlist/internal/sim"
)

func init() {
	register(command{
		name:    "sim",
		summary: "simulate HyParView + Plumtree at 10^4–10^5 nodes and report the protocol figures",
		run:     runSim,
	})
}

// hiddenSimFlags are profiling flags left out of the usage text.
var hiddenSimFlags = map[string]bool{"cpuprofile": true, "memprofile": true}

// simFlags are the parsed flags of the sim command.
type simFlags struct {
	cfg        sim.ExperimentConfig
	json       bool
	plots      string
	cpuprofile string
	memprofile string
	progress   bool
}

// parseSimFlags parses the sim command's arguments.
func parseSimFlags(args []string, stderr io.Writer) (*simFlags, error) {
	def := sim.DefaultExperimentConfig()
	f := &simFlags{cfg: def}
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", def.Sim.Nodes, "number of nodes")
	seed := fs.Uint64("seed", def.Sim.Seed, "random seed; the same seed gives the same figures")
	fail := fs.String("fail", joinFloats(def.FailFractions), "comma-separated fractions of nodes crashed at once, one fail experiment each")
	fs.IntVar(&f.cfg.Broadcasts, "broadcasts", def.Broadcasts, "broadcasts of the broadcast experiment (the first half from one sender)")
	fs.IntVar(&f.cfg.ShuffleRounds, "shuffles", def.ShuffleRounds, "shuffle periods run after the joins to stabilise the overlay")
	fs.IntVar(&f.cfg.AllSendSenders, "all-send", def.AllSendSenders, "nodes broadcasting at the same instant in the all-send round (all nodes if larger than -n; 0 skips it; -1: min(n, 10^6/n), about 1 GiB of core state)")
	fs.Float64Var(&f.cfg.Sim.Loss, "loss", def.Sim.Loss, "probability that a message is lost")
	fs.DurationVar(&f.cfg.Sim.Plumtree.GraftTimeout1, "graft-timeout", def.Sim.Plumtree.GraftTimeout1, "Plumtree's GraftTimeout1: wait after an IHAVE before grafting")
	fs.DurationVar(&f.cfg.Sim.Plumtree.GraftTimeoutMin, "graft-timeout-min", def.Sim.Plumtree.GraftTimeoutMin, "Plumtree's GraftTimeoutMin: shortest adaptive wait after an IHAVE (0: always -graft-timeout)")
	fs.DurationVar(&f.cfg.Sim.Plumtree.GraftTimeout2, "graft-timeout-2", def.Sim.Plumtree.GraftTimeout2, "Plumtree's GraftTimeout2: wait after a GRAFT before grafting the next announcer")
	fs.DurationVar(&f.cfg.Sim.Plumtree.IHaveInterval, "ihave-interval", def.Sim.Plumtree.IHaveInterval, "Plumtree's IHaveInterval: batching window of IHAVE announcements")
	fs.IntVar(&f.cfg.Sim.Plumtree.MaxTrees, "max-trees", def.Sim.Plumtree.MaxTrees, "Plumtree's MaxTrees: tree roots with their own eager/lazy sets (0: one shared tree, as before wire version 3)")
	contact := fs.String("contact", def.Sim.Contact.String(), "join contact: same (every node joins through node 0) or random")
	fs.DurationVar(&f.cfg.Sim.JoinInterval, "join-interval", def.Sim.JoinInterval, "virtual time between two joins (0: spread the joins over at most 100 s, 10ms apart at most)")
	shuffleTTL := fs.Uint("shuffle-ttl", uint(def.Sim.HyParView.ShuffleTTL), "HyParView's ShuffleTTL: hops of a SHUFFLE's random walk (1 to 255)")
	paper := fs.String("paper", "", "comma-separated HyParView features beyond the paper to turn back to the paper's behaviour, among "+strings.Join(sim.HyParViewFeatures(), ",")+", or "+sim.PaperFeatureAll+" (see BENCHMARKS.md)")
	fs.BoolVar(&f.cfg.Sim.Membership, "membership", def.Sim.Membership, "let the membership experiment (-experiments membership) run the membership core on every node besides HyParView and Plumtree; the other experiments never do")
	fs.Float64Var(&f.cfg.MembershipCrashFraction, "membership-crash", def.MembershipCrashFraction, "fraction of nodes crashed at once by the membership experiment")
	scenarios := fs.String("membership-scenarios", strings.Join(sim.MembershipScenarioNames(), ","), "comma-separated scenarios of the membership experiment, run in this order on one cluster (the join always runs)")
	cpuMode := fs.String("cpu", sim.CPUOff.String(), "CPU cost model: off (events take no time), node (a core per node) or shared (-cpu-cores cores shared by all nodes, as in the bench harness); node and shared also run the runtime's silence judge and its LAN timing (see BENCHMARKS.md, session 7)")
	cpuCores := fs.Int("cpu-cores", 2, "-cpu shared: cores shared by all nodes")
	costScale := fs.Float64("cpu-cost-scale", 1, "-cpu node|shared: multiply every calibrated CPU cost by this factor (sensitivity)")
	awareness := fs.Int("awareness", 8, "-cpu node|shared: the runtime's AwarenessMaxMultiplier (0: no local health awareness)")
	fs.DurationVar(&f.cfg.Sim.LatencyMin, "latency-min", def.Sim.LatencyMin, "shortest one-way link latency")
	fs.DurationVar(&f.cfg.Sim.LatencyMax, "latency-max", def.Sim.LatencyMax, "longest one-way link latency")
	fs.DurationVar(&f.cfg.StormDeadline, "storm-deadline", def.StormDeadline, "storm experiment: deadline for every node to list every node")
	fs.BoolVar(&f.progress, "progress", false, "show progress on stderr even when stdout is not a terminal")
	experiments := fs.String("experiments", strings.Join(sim.DefaultExperimentNames(), ","), "comma-separated experiments to run, among "+strings.Join(sim.ExperimentNames(), ",")+" (membership keeps N² member records: about 1 KiB each)")
	fs.IntVar(&f.cfg.Parallel, "parallel", def.Parallel, "simulations run at once (each needs its own memory)")
	fs.BoolVar(&f.json, "json", false, "print one JSON object per experiment per line instead of a table")
	fs.StringVar(&f.plots, "plots", "", "write SVG figures into this directory")
	fs.StringVar(&f.cpuprofile, "cpuprofile", "", "write a CPU profile to this file")
	fs.StringVar(&f.memprofile, "memprofile", "", "write a heap profile to this file at the peak of the live heap")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hyparlist sim [flags]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Runs the real HyParView and Plumtree cores of -n nodes on a virtual clock and")
		fmt.Fprintln(stderr, "network, and reports overlay, broadcast, failure and partition figures.")
		fmt.Fprintln(stderr)
		fs.VisitAll(func(fl *flag.Flag) {
			if hiddenSimFlags[fl.Name] {
				return
			}
			name, usage := flag.UnquoteUsage(fl)
			fmt.Fprintf(stderr, "  -%s %s\n    \t%s (default %q)\n", fl.Name, name, usage, fl.DefValue)
		})
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	f.cfg.Sim.Nodes, f.cfg.Sim.Seed = *n, *seed
	var err error
	if f.cfg.FailFractions, err = parseFloats(*fail); err != nil {
		return nil, fmt.Errorf("-fail: %w", err)
	}
	if f.cfg.Sim.Contact, err = sim.ParseSimContact(*contact); err != nil {
		return nil, fmt.Errorf("-contact: %w", err)
	}
	if f.cfg.Sim.HyParView, err = sim.WithPaper(f.cfg.Sim.HyParView, splitList(*paper)...); err != nil {
		return nil, fmt.Errorf("-paper: %w", err)
	}
	if *shuffleTTL < 1 || *shuffleTTL > 255 {
		return nil, fmt.Errorf("-shuffle-ttl %d out of range [1, 255]", *shuffleTTL)
	}
	f.cfg.Sim.HyParView.ShuffleTTL = uint8(*shuffleTTL)
	mode, err := sim.ParseSimCPUMode(*cpuMode)
	if err != nil {
		return nil, fmt.Errorf("-cpu: %w", err)
	}
	if mode != sim.CPUOff {
		sim.WithRuntimeLAN(&f.cfg.Sim, mode, *cpuCores, *awareness)
		if *costScale < 0 || *costScale > 1e6 {
			return nil, fmt.Errorf("-cpu-cost-scale %v out of range [0, 1e6]", *costScale)
		}
		f.cfg.Sim.CPU.Costs = f.cfg.Sim.CPU.Costs.Scaled(*costScale)
	}
	f.cfg.Experiments = splitList(*experiments)
	f.cfg.MembershipScenarios = splitList(*scenarios)
	if f.cfg.SingleSenderBroadcasts = f.cfg.Broadcasts / 2; f.cfg.Broadcasts == 1 {
		f.cfg.SingleSenderBroadcasts = 1
	}
	return f, nil
}

// runSim is the sim command.
func runSim(args []string, stdout, stderr io.Writer) int {
	f, err := parseSimFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "hyparlist sim: %v\n", err)
		return 2
	}
	if f.cpuprofile != "" {
		pf, err := os.Create(f.cpuprofile)
		if err != nil {
			fmt.Fprintf(stderr, "hyparlist sim: %v\n", err)
			return 1
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			fmt.Fprintf(stderr, "hyparlist sim: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	var prog *progressLine
	if f.progress || isTerminal(os.Stdout) {
		prog = &progressLine{w: stderr}
		f.cfg.Progress = prog.update
	}
	var peak *peakProfiler
	if f.memprofile != "" {
		peak = &peakProfiler{path: f.memprofile, next: f.cfg.Progress}
		f.cfg.Progress = peak.update
	}
	var results []sim.SimResult
	err = sim.RunExperiments(f.cfg, func(r sim.SimResult) {
		results = append(results, r)
		if f.json {
			prog.clear()
			line, _ := json.Marshal(r) // SimResult has no unmarshalable fields
			fmt.Fprintf(stdout, "%s\n", line)
		}
	})
	prog.clear()
	if err != nil {
		fmt.Fprintf(stderr, "hyparlist sim: %v\n", err)
		return 1
	}
	if !f.json {
		printTable(stdout, results)
	}
	if f.plots != "" {
		if err := writeSimPlots(f.plots, results); err != nil {
			fmt.Fprintf(stderr, "hyparlist sim: %v\n", err)
			return 1
		}
	}
	if peak != nil {
		if err := peak.finish(); err != nil {
			fmt.Fprintf(stderr, "hyparlist sim: %v\n", err)
			return 1
		}
	}
	return 0
}

// isTerminal reports whether f is a terminal: a character device other
// than the null device.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(st, null)
}

// progressLine keeps one status line per running job on a terminal,
// rewritten in place at most every 200 ms.
type progressLine struct {
	w     io.Writer
	mu    sync.Mutex
	jobs  []string // running jobs, in start order
	state map[string]string
	last  time.Time
	shown bool
}

// update records a progress report and redraws the line if due.
func (p *progressLine) update(ep sim.ExperimentProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == nil {
		p.state = map[string]string{}
	}
	if _, ok := p.state[ep.Job]; !ok {
		p.jobs = append(p.jobs, ep.Job)
	}
	if ep.Done {
		delete(p.state, ep.Job)
		p.jobs = slices.DeleteFunc(p.jobs, func(j string) bool { return j == ep.Job })
	} else {
		p.state[ep.Job] = fmt.Sprintf("%s: %s t=%.0fs ev=%.1fM", ep.Job, ep.Phase, ep.Virtual.Seconds(), float64(ep.Events)/1e6)
	}
	if time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	parts := make([]string, 0, len(p.jobs))
	for _, j := range p.jobs {
		parts = append(parts, p.state[j])
	}
	fmt.Fprintf(p.w, "\r\033[K%s", strings.Join(parts, " | "))
	p.shown = true
}

// clear erases the status line; it is a no-op on a nil progressLine.
func (p *progressLine) clear() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

// printTable prints the results as a table: one row per metric, one
// column per experiment; "-" where an experiment does not measure a metric.
func printTable(w io.Writer, results []sim.SimResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	t := reflect.TypeOf(sim.SimResult{})
	for i := 0; i < t.NumField(); i++ {
		key, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if key == "" || key == "-" {
			continue
		}
		row := []string{key}
		for _, r := range results {
			row = append(row, formatValue(reflect.ValueOf(r).Field(i)))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	tw.Flush()
}

// formatValue formats one SimResult field for the table.
func formatValue(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "-"
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', 5, 64)
	case reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Int:
		return strconv.FormatInt(v.Int(), 10)
	}
	return fmt.Sprint(v.Interface())
}

// parseFloats parses a comma-separated list of numbers.
func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, part := range splitList(s) {
		v, err := strconv.ParseFloat(part, 64)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// joinFloats formats a list of numbers for a flag default.
func joinFloats(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
