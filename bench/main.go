// Command bench runs hyparlist and hashicorp/memberlist side by side: N
// nodes of each in one process on 127.0.0.1 with real sockets, the same
// application on both, and one JSON line of figures per system and
// broadcast path. See README.md in this directory and BENCHMARKS.md.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"runtime"
	"strings"
	"time"
)

// options is everything a run is parameterised by.
type options struct {
	systems      []string
	api          string
	config       string
	n            int
	payload      int
	rate         float64
	broadcasts   int
	joinTimeout  time.Duration
	drainTimeout time.Duration
	crashTimeout time.Duration
	// settle is how long a phase waits after its drain deadline for the
	// deliveries still missing (-settle): late_deliveries and
	// lost_after_settle tell late from lost. 0: no wait.
	settle time.Duration
	// warmup is how long each broadcast phase is preceded by a warm-up at
	// the same rate whose figures are reported apart (-warmup); 0: none.
	warmup    time.Duration
	idle      time.Duration // quiet window after the joins (-idle-window)
	idleAfter time.Duration // wait between the joins' end and the idle window
	seed      uint64
	// maxTrees is hyparlist's Config.BroadcastTrees, or -1 for the
	// library's default.
	maxTrees int
	// ihaveInterval and graftTimeout are hyparlist's Config.IHaveInterval
	// and Config.GraftTimeout, or 0 for the -config profile's.
	ihaveInterval time.Duration
	graftTimeout  time.Duration
	// graftTimeoutMin is hyparlist's Config.GraftTimeoutMin, or -1 for
	// the profile's.
	graftTimeoutMin time.Duration
	// verifyUser is hyparlist's Config.VerifyUserBroadcasts.
	verifyUser bool
	// streamBuffer is hyparlist's Config.StreamBufferBytes.
	streamBuffer int
	// cacheBytes is hyparlist's Config.MessageCacheMaxBytes (0: the
	// default).
	cacheBytes int
	// keepaliveInterval is hyparlist's Config.KeepaliveInterval, or 0
	// for the profile's (ProbeInterval).
	keepaliveInterval time.Duration
	// fdKinds counts the open streams by kind (fds.go).
	fdKinds  bool
	pprofDir string // where the idle window's goroutine and heap profiles go; "" for none
	// joinCPUDir is where -join-cpu writes the join's and the idle window's CPU profiles alone
	// (no heap sampling, no dumps); "" for none.
	joinCPUDir string
	// timeline is -timeline's interval (timeline.go); 0: none.
	timeline time.Duration
	// heapProfile is where -heap-profile writes each cluster's heap
	// profile, taken at the idle window's end; "" for none.
	heapProfile string

	sweepMax     float64
	sweepSeconds float64
	rawSeconds   float64
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: go run . [flags]

Runs N nodes of hyparlist and/or hashicorp/memberlist in this process on
127.0.0.1 (real UDP and TCP sockets), all joining one seed at once, with
the same application (a Delegate with a TransmitLimitedQueue and Serf-style
re-queueing; for hyparlist also the native Broadcast), and prints one line
of figures per system and broadcast path. Modes: a single run (default),
-sweep (sustained rate) and -raw (loopback TCP ceiling, no protocol);
-plot turns JSON lines into SVG plots and -table into markdown tables.

Flags:
`)
		fs.PrintDefaults()
	}
	var (
		sysFlag = fs.String("system", "both", "hyparlist, memberlist or both")
		opt     options
		jsonOut = fs.Bool("json", false, "print one JSON object per line instead of text")
		sweep   = fs.Bool("sweep", false, "sweep the rate 2, 4, 8, ... broadcasts/s (default -n 32, -payload 1024) until delivery < 100% or p99 > 1 s")
		raw     = fs.Bool("raw", false, "measure the raw ceiling: -n loopback TCP connections moving -payload byte messages with no protocol")
		plotIn  = fs.String("plot", "", "read JSON lines from this file and write SVG plots to -plot-dir")
		plotDir = fs.String("plot-dir", "plots", "directory for -plot's SVG files")
		nofile  = fs.Uint64("nofile", 0, "experiment: set the process's RLIMIT_NOFILE, soft and hard, to this (raising the hard limit needs CAP_SYS_RESOURCE; every system of the run shares it); 0: the soft limit is raised to the hard one, as always")
		table   = fs.String("table", "", "read JSON lines from this file and print BENCHMARKS.md's side-by-side markdown tables")
	)
	fs.StringVar(&opt.api, "api", "both", "broadcast path: queue (Delegate.GetBroadcasts via TransmitLimitedQueue), native (hyparlist's Broadcast) or both")
	fs.StringVar(&opt.config, "config", "lan", "lan (DefaultLANConfig) or local (DefaultLocalConfig)")
	fs.IntVar(&opt.n, "n", 16, "nodes per system")
	fs.IntVar(&opt.payload, "payload", 256, "bytes per broadcast payload (at least 28)")
	fs.Float64Var(&opt.rate, "rate", 1, "broadcasts per second, each from a random node")
	fs.IntVar(&opt.broadcasts, "broadcasts", 100, "broadcasts per API")
	fs.DurationVar(&opt.joinTimeout, "join-timeout", time.Minute, "deadline for every node to list every other")
	fs.DurationVar(&opt.drainTimeout, "drain-timeout", 15*time.Second, "deadline after the last broadcast for delivery and empty queues")
	fs.DurationVar(&opt.settle, "settle", 0, "after a phase's figures, wait up to this long for the deliveries still missing at the drain deadline and report them as late_deliveries, the rest as lost_after_settle (0: no wait)")
	fs.DurationVar(&opt.warmup, "warmup", 0, "before each broadcast phase, broadcast at the phase's rate for this long and report that apart (the line's warmup object), so the measured phase runs with the nodes' message caches and the heap already grown (hyparlist's caches hold MessageCacheTTL, 30 s on LAN, up to MessageCacheMaxBytes); 0: no warm-up")
	fs.DurationVar(&opt.crashTimeout, "crash-timeout", time.Minute, "deadline for every node to drop the crashed node")
	fs.Uint64Var(&opt.seed, "seed", 1, "seed of the origins and payloads")
	fs.IntVar(&opt.maxTrees, "max-trees", -1, "hyparlist only: Config.BroadcastTrees, the tree roots with eager/lazy links of their own (-1: the library's default)")
	fs.DurationVar(&opt.ihaveInterval, "ihave-interval", 0, "hyparlist only: Config.IHaveInterval, the batching window of IHAVE announcements (0: the -config profile's)")
	fs.DurationVar(&opt.graftTimeout, "graft-timeout", 0, "hyparlist only: Config.GraftTimeout, the wait after an IHAVE before a GRAFT (0: the -config profile's)")
	fs.DurationVar(&opt.keepaliveInterval, "keepalive-interval", 0, "hyparlist only: Config.KeepaliveInterval, the time between keepalives on an active-view link (0: the -config profile's, its ProbeInterval)")
	fs.DurationVar(&opt.graftTimeoutMin, "graft-timeout-min", -1, "hyparlist only: Config.GraftTimeoutMin, the shortest adaptive wait after an IHAVE (0: always -graft-timeout; -1: the -config profile's)")
	fs.IntVar(&opt.cacheBytes, "cache-bytes", 0, "hyparlist only: Config.MessageCacheMaxBytes, the payload bytes each node caches to answer GRAFTs (0: the library's default); with N nodes in one process, N caches filling are the heap's growth in a run")
	fs.IntVar(&opt.streamBuffer, "stream-buffer", 0, "hyparlist only: Config.StreamBufferBytes, the kernel send and receive buffers of every stream (0: the kernel's sizes)")
	fs.BoolVar(&opt.verifyUser, "verify-user", false, "hyparlist only: set Config.VerifyUserBroadcasts (every node checks the origin's signature of every application broadcast it receives)")
	fs.DurationVar(&opt.idleAfter, "idle-after", 0, "wait this long after every node lists every other before the idle window (0: the window starts at once and includes the joins' tail)")
	fs.DurationVar(&opt.idle, "idle-window", 10*time.Second, "length of the idle window (a 10 s window sees a sixth of a 60 s shuffle period: lengthen it to average periodic traffic)")
	fs.BoolVar(&opt.fdKinds, "fd-kinds", false, "count the open streams by the library function that dialled them (fd_kinds_peak, fd_kinds_join_end); costs a stack walk per dial")
	fs.StringVar(&opt.pprofDir, "pprof", "", "write a goroutine dump and a heap profile of each cluster, taken at the start of the idle window, and CPU profiles of the join, of the idle window and of each broadcast phase, to this directory")
	fs.DurationVar(&opt.timeline, "timeline", 0, "log one line per interval on stderr from the joins to the end: links failed, announcements, frames, signature checks, CPU, and the nodes by local health score; and after each broadcast phase what the missed deliveries have in common (0: none)")
	fs.StringVar(&opt.joinCPUDir, "join-cpu", "", "write only the CPU profiles of each cluster's join and idle window to this directory, without -pprof's heap sampling and dumps (which slow a 1,000-node run)")
	fs.StringVar(&opt.heapProfile, "heap-profile", "", "write a heap profile of each cluster, taken at the idle window's end, to this file (with -system both, the system's name goes before the extension); samples the heap every 4 KiB")
	fs.Float64Var(&opt.sweepMax, "sweep-max", 64, "-sweep: highest rate tried")
	fs.Float64Var(&opt.sweepSeconds, "sweep-seconds", 10, "-sweep: seconds of broadcasts per step (at least 10 broadcasts)")
	fs.Float64Var(&opt.rawSeconds, "raw-seconds", 5, "-raw: seconds to measure")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *sweep || *raw {
		if !set["n"] {
			opt.n = 32
		}
		if !set["payload"] {
			opt.payload = 1024
		}
	}
	if opt.idle <= 0 {
		return fmt.Errorf("-idle-window %v: must be positive", opt.idle)
	}
	if opt.cacheBytes < 0 || opt.streamBuffer < 0 {
		return fmt.Errorf("-cache-bytes %d, -stream-buffer %d: must not be negative (0: the default)", opt.cacheBytes, opt.streamBuffer)
	}
	if opt.pprofDir != "" || opt.heapProfile != "" {
		// Sample the heap finely enough to see per-node items of a few KiB.
		runtime.MemProfileRate = 4096
	}
	switch *sysFlag {
	case "both":
		opt.systems = []string{"hyparlist", "memberlist"}
	case "hyparlist", "memberlist":
		opt.systems = []string{*sysFlag}
	default:
		return fmt.Errorf("-system %q: want hyparlist, memberlist or both", *sysFlag)
	}
	if *plotIn != "" {
		return writePlots(*plotIn, *plotDir)
	}
	if *table != "" {
		return writeTables(*table, stdout)
	}
	if err := opt.validate(); err != nil {
		return err
	}
	if err := raiseFileLimit(*nofile); err != nil {
		return err
	}
	logger := log.New(stderr, "", log.Ltime)
	emit := emitter(stdout, *jsonOut)
	switch {
	case *raw:
		r, err := rawCeiling(opt.n, opt.payload, time.Duration(opt.rawSeconds*float64(time.Second)))
		if err != nil {
			return err
		}
		emit(r)
		return nil
	case *sweep:
		return runSweep(opt, emit, logger.Printf)
	}
	return runSystems(opt, emit, logger.Printf)
}

// emitter prints results as JSON lines or as text.
func emitter(w io.Writer, asJSON bool) func(result) {
	enc := json.NewEncoder(w)
	return func(r result) {
		if r.Timeouts == nil {
			r.Timeouts = []string{}
		}
		if asJSON {
			_ = enc.Encode(r)
			return
		}
		b, _ := json.MarshalIndent(r, "", "  ")
		s := strings.NewReplacer(`"`, "", ",\n", "\n").Replace(string(b))
		fmt.Fprintln(w, s)
	}
}
