package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"
)

func init() {
	register(command{
		name:    "demo",
		summary: "run a local cluster: join, broadcast, crash a quarter of it, heal, broadcast again",
		run:     runDemo,
	})
}

// demoFlags are the parsed flags of the demo command.
type demoFlags struct {
	nodes      int
	kill       float64
	broadcasts int
	deadline   time.Duration
	seed       uint64
	verbose    bool
	tls        bool
}

// parseDemoFlags parses the demo command's arguments.
func parseDemoFlags(args []string, stderr io.Writer) (demoFlags, error) {
	var f demoFlags
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&f.nodes, "n", 16, "number of nodes")
	fs.Float64Var(&f.kill, "kill", 0.25, "fraction of the nodes crashed (Shutdown without Leave)")
	fs.IntVar(&f.broadcasts, "broadcasts", 8, "broadcasts per API (native and queue) before and after the crash")
	fs.DurationVar(&f.deadline, "deadline", 30*time.Second, "how long each step may take to converge before the demo fails")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed choosing the senders and the crashed nodes")
	fs.BoolVar(&f.verbose, "v", false, "print the nodes' logs on stderr")
	fs.BoolVar(&f.tls, "tls", false, "run every stream inside mutual TLS, with a certificate authority made for the run (Config.TLS)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hyparlist demo [flags]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Starts -n nodes on 127.0.0.1 (real TCP, DefaultLocalConfig), joins them,")
		fmt.Fprintln(stderr, "broadcasts through Memberlist.Broadcast and a TransmitLimitedQueue, crashes a")
		fmt.Fprintln(stderr, "fraction of the nodes, waits for the overlay and the member lists to heal,")
		fmt.Fprintln(stderr, "broadcasts again and prints a delivery table. Exits 1 if a survivor missed a")
		fmt.Fprintln(stderr, "broadcast or the cluster did not converge within -deadline.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	switch {
	case fs.NArg() > 0:
		return f, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case f.nodes < 2:
		return f, fmt.Errorf("-n %d: need at least 2 nodes", f.nodes)
	case f.kill < 0 || f.kill >= 1:
		return f, fmt.Errorf("-kill %v: must be in [0, 1)", f.kill)
	case f.nodes-f.victims() < 2:
		return f, fmt.Errorf("-kill %v leaves %d of %d nodes: need at least 2 survivors", f.kill, f.nodes-f.victims(), f.nodes)
	case f.broadcasts < 1:
		return f, fmt.Errorf("-broadcasts %d: need at least 1", f.broadcasts)
	case f.deadline <= 0:
		return f, fmt.Errorf("-deadline %v: must be positive", f.deadline)
	}
	return f, nil
}

// victims returns the number of nodes to crash.
func (f demoFlags) victims() int { return int(f.kill * float64(f.nodes)) }

// runDemo is the demo command.
func runDemo(args []string, stdout, stderr io.Writer) int {
	f, err := parseDemoFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "hyparlist demo: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	out, isFile := stdout.(*os.File)
	d := &demoRun{
		f:    f,
		p:    &progress{w: stdout, tty: isFile && isTerminal(out), start: time.Now()},
		rng:  rand.New(rand.NewPCG(f.seed, f.seed)),
		logs: io.Discard,
	}
	if f.verbose {
		d.logs = stderr
	}
	return d.run(ctx)
}

// demoRun is one run of the demo.
type demoRun struct {
	f        demoFlags
	p        *progress
	rng      *rand.Rand
	logs     io.Writer
	c        *demoCluster
	sent     [numPhases]map[demoAPI][]msgKey
	failures []string
}

// fail records a failure; the demo goes on to show the whole picture and
// exits 1 at the end.
func (d *demoRun) fail(err error) {
	d.failures = append(d.failures, err.Error())
	d.p.linef("FAILED: %v", err)
}

// run executes the steps and returns the exit code.
func (d *demoRun) run(ctx context.Context) int {
	p := d.p
	security := ""
	if d.f.tls {
		security = ", mutual TLS"
	}
	p.linef("hyparlist demo: %d nodes on 127.0.0.1%s, crash %d, %d broadcasts per API per phase",
		d.f.nodes, security, d.f.victims(), d.f.broadcasts)
	c, err := startCluster(d.f.nodes, d.f.tls, d.logs)
	if err != nil {
		p.linef("FAILED: %v", err)
		return 1
	}
	d.c = c
	defer func() {
		if err := c.shutdown(); err != nil {
			p.linef("shutdown: %v", err)
		}
	}()
	p.linef("started %d nodes (%s .. %s)", d.f.nodes, c.nodes[0].ml.LocalNode().Address(), c.nodes[len(c.nodes)-1].ml.LocalNode().Address())

	steps := []func(context.Context) error{
		d.joinStep,
		func(ctx context.Context) error { return d.broadcastStep(ctx, phaseBefore) },
		d.crashStep,
		func(ctx context.Context) error { return d.broadcastStep(ctx, phaseAfter) },
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			if ctx.Err() != nil {
				p.linef("interrupted: %v", err)
				return 130
			}
			d.fail(err)
		}
	}

	fmt.Fprintln(p.w)
	total := printDeliveryTable(p.w, c, d.sent)
	fmt.Fprintln(p.w)
	if !total.ok() {
		d.failures = append(d.failures, fmt.Sprintf("survivors received %d of %d expected broadcasts, %d extra deliveries",
			total.delivered, total.expected, total.extra))
	}
	if len(d.failures) > 0 {
		fmt.Fprintf(p.w, "FAIL after %.1fs:\n  %s\n", time.Since(p.start).Seconds(), strings.Join(d.failures, "\n  "))
		return 1
	}
	fmt.Fprintf(p.w, "OK after %.1fs: every survivor received every broadcast exactly once, and the cluster converged after the crash\n",
		time.Since(p.start).Seconds())
	return 0
}

// joinStep joins every node through the first and waits until every node
// lists all of them.
func (d *demoRun) joinStep(ctx context.Context) error {
	start := time.Now()
	if err := d.c.join(); err != nil {
		return err
	}
	d.p.linef("joined %d nodes through %s in %v", len(d.c.nodes)-1, d.c.nodes[0].name, roundDur(time.Since(start)))
	return d.waitConverged(ctx, "membership", start)
}

// waitConverged waits until the live nodes' member lists and active views
// agree (overlayState.converged) and reports how long it took from start.
func (d *demoRun) waitConverged(ctx context.Context, what string, start time.Time) error {
	st, err := d.p.waitFor(ctx, what, d.f.deadline, func() (bool, string) {
		s := d.c.overlay()
		return s.converged(), s.String()
	})
	if err != nil {
		return fmt.Errorf("%w (%s)", err, st)
	}
	d.p.linef("%s converged after %v: %s", what, roundDur(time.Since(start)), st)
	return nil
}

// broadcastStep sends the phase's broadcasts from random live nodes
// through both APIs and waits until every live node has them.
func (d *demoRun) broadcastStep(ctx context.Context, phase demoPhase) error {
	live := d.c.alive()
	d.sent[phase] = map[demoAPI][]msgKey{}
	start := time.Now()
	for _, api := range demoAPIs {
		for seq := range d.f.broadcasts {
			from := live[d.rng.IntN(len(live))]
			k := msgKey{phase: phase, api: api, origin: from.name, seq: seq}
			switch api {
			case apiNative:
				if err := from.ml.Broadcast(k.payload()); err != nil {
					return fmt.Errorf("%s: Broadcast: %w", from.name, err)
				}
			case apiQueue:
				from.del.queue.QueueBroadcast(queueBroadcast(k.payload()))
			}
			d.sent[phase][api] = append(d.sent[phase][api], k)
		}
	}
	what := fmt.Sprintf("%s the crash: broadcasts", phase)
	_, err := d.p.waitFor(ctx, what, d.f.deadline, func() (bool, string) {
		var t tally
		for _, n := range live {
			for _, api := range demoAPIs {
				t = t.add(d.c.rec.tally(n.name, phase, api, d.sent[phase][api]))
			}
		}
		return t.delivered == t.expected, fmt.Sprintf("%d of %d deliveries", t.delivered, t.expected)
	})
	if err != nil {
		return err
	}
	d.p.linef("%s the crash: %d native + %d queued broadcasts reached all %d live nodes in %v",
		phase, d.f.broadcasts, d.f.broadcasts, len(live), roundDur(time.Since(start)))
	return nil
}

// crashStep shuts down a random set of nodes without Leave and waits for
// the survivors to heal.
func (d *demoRun) crashStep(ctx context.Context) error {
	perm := d.rng.Perm(len(d.c.nodes))[:d.f.victims()]
	slices.Sort(perm)
	victims := make([]*demoNode, 0, len(perm))
	names := make([]string, 0, len(perm))
	for _, i := range perm {
		victims = append(victims, d.c.nodes[i])
		names = append(names, d.c.nodes[i].name)
	}
	start := time.Now()
	if err := d.c.crash(victims); err != nil {
		return fmt.Errorf("crash: %w", err)
	}
	d.p.linef("crashed %d nodes (Shutdown without Leave): %s", len(victims), strings.Join(names, " "))
	d.p.linef("right after the crash: %s", d.c.overlay())
	return d.waitConverged(ctx, "healing", start)
}

// roundDur rounds a duration for display.
func roundDur(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
