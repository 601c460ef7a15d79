package sim

import (
	"fmt"
	"math"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"time"
)

// This file runs the simulator's standard experiments, the source of the
// project's protocol figures (`hyparlist sim`).
//
// Every experiment starts from the same stable overlay: all nodes join
// (SimConfig.JoinInterval apart) and the overlay then runs
// ExperimentConfig.ShuffleRounds shuffle periods. The stable overlay is
// built once and each experiment runs on its own deep copy (Fork), which
// behaves exactly like a rebuild from the seed (TestForkEqualsRebuild) at
// a fraction of the cost. Independent experiments run in parallel
// (ExperimentConfig.Parallel).

// Experiment names.
const (
	ExperimentOverlay   = "overlay"
	ExperimentBroadcast = "broadcast"
	ExperimentFail      = "fail"
	ExperimentPartition = "partition"
)

// DefaultExperimentNames returns the experiments run when none are
// selected: all but "membership", whose N² member records (every node
// lists every node) do not fit in memory at the default 10,000 nodes (see
// sim_membership_experiment.go); it runs only when named.
func DefaultExperimentNames() []string {
	return []string{ExperimentOverlay, ExperimentBroadcast, ExperimentFail, ExperimentPartition}
}

// ExperimentNames returns the experiment names in the order RunExperiments
// reports them.
func ExperimentNames() []string {
	return []string{ExperimentOverlay, ExperimentBroadcast, ExperimentFail, ExperimentPartition, ExperimentMembership, ExperimentStorm}
}

// ExperimentConfig configures RunExperiments. Start from
// DefaultExperimentConfig.
type ExperimentConfig struct {
	// Sim configures every simulation (nodes, seed, network, cores).
	Sim SimConfig
	// Experiments selects experiments by name (see ExperimentNames); empty
	// means DefaultExperimentNames.
	Experiments []string
	// ShuffleRounds is the number of shuffle periods run after the joins
	// to stabilise the overlay. Default 50.
	ShuffleRounds int
	// Broadcasts is the number of broadcasts of the "broadcast"
	// experiment, sent one after the other, each once the previous one
	// settled. The first SingleSenderBroadcasts come from one node chosen
	// at random, the rest from nodes chosen at random each time. Defaults
	// 100 and 50.
	Broadcasts             int
	SingleSenderBroadcasts int
	// AllSendSenders is the number of nodes that broadcast at the same
	// instant in the all-send round of "broadcast": every node when it is
	// at least the number of nodes, else that many nodes chosen at random;
	// 0 skips the round. The cores keep about 1 KiB of state per (node,
	// message) for the cache TTL, so the round costs memory and time in
	// N × senders: a negative value (the default, -1) chooses
	// min(N, 10^6/N) senders, about 1 GiB of core state: every node up to
	// 1,000 nodes, 100 senders at 10,000, 10 at 100,000.
	AllSendSenders int
	// FailFractions lists the fractions of nodes crashed at once by the
	// "fail" experiment, one result each. Default 0, 0.5, 0.8, 0.9, 0.95.
	FailFractions []float64
	// FailWarmupBroadcasts is the number of broadcasts, from random nodes,
	// sent before the crash so that Plumtree has built its tree (a stable
	// system has). Default 10.
	FailWarmupBroadcasts int
	// HealingMaxRounds bounds the shuffle periods the "fail" experiment
	// waits for healing. Default 30.
	HealingMaxRounds int
	// PartitionRounds is how many shuffle periods the "partition"
	// experiment keeps the two halves apart; PartitionHealMaxRounds bounds
	// how long it then waits for one component. Defaults 10 and 30.
	PartitionRounds        int
	PartitionHealMaxRounds int
	// MembershipCrashFraction is the fraction of nodes the "membership"
	// experiment crashes at once. Default 0.01.
	MembershipCrashFraction float64
	// MembershipScenarios lists the scenarios the "membership" experiment
	// runs, among MembershipScenarioJoin, MembershipScenarioCrash,
	// MembershipScenarioPartition and MembershipScenarioGhosts; nil runs
	// all four. The join always
	// runs (the others start from its cluster) but is reported only if
	// listed; the partition, if listed without the crash, starts from the
	// uncrashed cluster.
	MembershipScenarios []string
	// StormDeadline bounds the "storm" experiment's wait for every node
	// to list every node (sim_storm.go). Default 60 s, the bench
	// harness's -join-timeout.
	StormDeadline time.Duration
	// Parallel is the number of simulations run at once. Default
	// GOMAXPROCS.
	Parallel int
	// Progress, if set, receives reports while experiments run. It is
	// called from the experiments' goroutines, one call at a time.
	Progress func(ExperimentProgress)
}

// ExperimentProgress reports on a running experiment.
type ExperimentProgress struct {
	Job     string        // e.g. "fail 0.9"
	Phase   string        // e.g. "join", "shuffle", "broadcast 12/100"
	Virtual time.Duration // the job's virtual time
	Events  uint64        // events the job processed
	Done    bool          // the job finished
}

// DefaultExperimentConfig returns the defaults documented on
// ExperimentConfig, with DefaultSimConfig.
func DefaultExperimentConfig() ExperimentConfig {
	return ExperimentConfig{
		Sim:                     DefaultSimConfig(),
		ShuffleRounds:           50,
		Broadcasts:              100,
		SingleSenderBroadcasts:  50,
		AllSendSenders:          -1,
		FailFractions:           []float64{0, 0.5, 0.8, 0.9, 0.95},
		FailWarmupBroadcasts:    10,
		HealingMaxRounds:        30,
		PartitionRounds:         10,
		PartitionHealMaxRounds:  30,
		MembershipCrashFraction: 0.01,
		StormDeadline:           60 * time.Second,
		Parallel:                runtime.GOMAXPROCS(0),
	}
}

// validate checks c.
func (c *ExperimentConfig) validate() error {
	if err := c.Sim.Validate(); err != nil {
		return err
	}
	for _, e := range c.Experiments {
		if !slices.Contains(ExperimentNames(), e) {
			return fmt.Errorf("%w: unknown experiment %q (want one of %v)", ErrSimConfig, e, ExperimentNames())
		}
	}
	for _, f := range c.FailFractions {
		if math.IsNaN(f) || f < 0 || f >= 1 {
			return fmt.Errorf("%w: fail fraction %v out of range [0, 1)", ErrSimConfig, f)
		}
	}
	if f := c.MembershipCrashFraction; math.IsNaN(f) || f < 0 || f >= 1 {
		return fmt.Errorf("%w: membership crash fraction %v out of range [0, 1)", ErrSimConfig, f)
	}
	for _, sc := range c.MembershipScenarios {
		if !slices.Contains(membershipScenarios, sc) {
			return fmt.Errorf("%w: unknown membership scenario %q (want one of %v)", ErrSimConfig, sc, membershipScenarios)
		}
	}
	switch {
	case c.ShuffleRounds < 0, c.Broadcasts < 0, c.SingleSenderBroadcasts < 0,
		c.FailWarmupBroadcasts < 0, c.HealingMaxRounds < 0, c.PartitionRounds < 0, c.PartitionHealMaxRounds < 0:
		return fmt.Errorf("%w: negative experiment count", ErrSimConfig)
	case c.Parallel < 1:
		return fmt.Errorf("%w: Parallel %d must be positive", ErrSimConfig, c.Parallel)
	}
	return nil
}

// selected reports whether experiment name is to run.
func (c *ExperimentConfig) selected(name string) bool {
	if len(c.Experiments) == 0 {
		return slices.Contains(DefaultExperimentNames(), name)
	}
	return slices.Contains(c.Experiments, name)
}

// RunExperiments runs the selected experiments and hands each result to
// emit, in the order of ExperimentNames (fail results in the order of
// FailFractions), as soon as it and all results before it are ready. emit
// is called from the calling goroutine. It returns the first error.
func RunExperiments(cfg ExperimentConfig, emit func(SimResult)) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	r := &expRunner{cfg: cfg, start: time.Now()}
	var jobs []expJob
	if cfg.selected(ExperimentOverlay) || cfg.selected(ExperimentBroadcast) {
		jobs = append(jobs, expJob{name: "overlay", long: true, run: r.overlayAndBroadcast})
	}
	if cfg.selected(ExperimentFail) {
		for _, f := range cfg.FailFractions {
			jobs = append(jobs, expJob{name: fmt.Sprintf("fail %g", f), run: func(p *jobProgress) ([]SimResult, error) {
				return r.fail(p, f)
			}})
		}
	}
	if cfg.selected(ExperimentPartition) {
		jobs = append(jobs, expJob{name: "partition", long: true, run: r.partition})
	}
	forks := len(jobs)
	if j, ok := r.membershipJob(); ok {
		jobs = append(jobs, j)
	}
	if j, ok := r.stormJob(); ok {
		jobs = append(jobs, j)
	}

	stopSampler := r.startHeapSampler()
	defer stopSampler()
	if len(jobs) == 0 {
		return nil
	}
	if forks > 0 {
		base, err := r.build(&jobProgress{r: r, job: "stable overlay"})
		if err != nil {
			return err
		}
		r.base, r.forksLeft, r.buildWall = base, forks, time.Since(r.start)
		(&jobProgress{r: r, job: "stable overlay"}).report(true)
	}

	type done struct {
		i   int
		res []SimResult
		err error
	}
	// Parallel workers take the jobs in runOrder: the longest (overlay
	// and broadcast, then partition) first, so that the short fail jobs
	// fill the gaps at the end.
	results := make(chan done)
	queue := make(chan int)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < min(cfg.Parallel, len(jobs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range queue {
				res, err := jobs[i].run(&jobProgress{r: r, job: jobs[i].name})
				select {
				case results <- done{i, res, err}:
				case <-quit:
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(queue)
		for _, i := range runOrder(jobs) {
			select {
			case queue <- i:
			case <-quit:
				return
			}
		}
	}()
	defer wg.Wait()
	defer close(quit)

	pending := make([][]SimResult, len(jobs))
	ready := make([]bool, len(jobs))
	next := 0
	for range jobs {
		d := <-results
		if d.err != nil {
			return fmt.Errorf("experiment %s: %w", jobs[d.i].name, d.err)
		}
		pending[d.i], ready[d.i] = d.res, true
		for next < len(jobs) && ready[next] {
			for _, res := range pending[next] {
				emit(res)
			}
			pending[next] = nil
			next++
		}
	}
	return nil
}

// expJob is one independent simulation producing one or more results.
type expJob struct {
	name string
	long bool // runs many shuffle periods: start it early
	run  func(*jobProgress) ([]SimResult, error)
}

// runOrder returns the job indices with the long jobs first, otherwise in
// order.
func runOrder(jobs []expJob) []int {
	var long, short []int
	for i, j := range jobs {
		if j.long {
			long = append(long, i)
		} else {
			short = append(short, i)
		}
	}
	return append(long, short...)
}

// expRunner holds what the jobs of one RunExperiments share.
type expRunner struct {
	cfg       ExperimentConfig
	start     time.Time
	buildWall time.Duration // wall time of building the stable overlay

	mu       sync.Mutex // serialises Progress calls and guards peakHeap
	peakHeap uint64

	// stableRate is the membership traffic of the last shuffle period of
	// the build (see membershipRate).
	stableRate float64

	forkMu    sync.Mutex  // guards base and forksLeft
	base      *Simulation // the stable overlay, until every job forked it
	forksLeft int
}

// fork returns a copy of the stable overlay for one job; the last job's
// fork releases the original.
func (r *expRunner) fork(p *jobProgress) (*Simulation, error) {
	p.set("fork")
	r.forkMu.Lock()
	defer r.forkMu.Unlock()
	s, err := r.base.Fork()
	if r.forksLeft--; r.forksLeft == 0 {
		r.base = nil
	}
	if err != nil {
		return nil, err
	}
	p.sim = s
	s.SetProgress(func(SimProgress) { p.report(false) })
	return s, nil
}

// jobProgress reports one job's progress.
type jobProgress struct {
	r     *expRunner
	job   string
	phase string
	sim   *Simulation
}

// set reports a new phase of the job.
func (p *jobProgress) set(phase string) {
	p.phase = phase
	p.report(false)
}

func (p *jobProgress) report(done bool) {
	if p.r.cfg.Progress == nil {
		return
	}
	ep := ExperimentProgress{Job: p.job, Phase: p.phase, Done: done}
	if p.sim != nil {
		ep.Virtual, ep.Events = p.sim.Now(), p.sim.Events()
	}
	p.r.mu.Lock()
	defer p.r.mu.Unlock()
	p.r.cfg.Progress(ep)
}

// startHeapSampler samples the heap size every 50 ms until stopped, to
// report the peak. It also samples once when stopped.
func (r *expRunner) startHeapSampler() (stop func()) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return
		}
		v := sample[0].Value.Uint64()
		r.mu.Lock()
		r.peakHeap = max(r.peakHeap, v)
		r.mu.Unlock()
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				read()
			}
		}
	}()
	return func() {
		close(quit)
		wg.Wait()
		read()
	}
}

// peak returns the peak heap seen so far.
func (r *expRunner) peak() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.peakHeap
}

// newResult starts a result for experiment name.
func (r *expRunner) newResult(name string) SimResult {
	return SimResult{
		Experiment: name, Nodes: r.cfg.Sim.Nodes, Seed: r.cfg.Sim.Seed,
		Contact: r.cfg.Sim.Contact.String(), Loss: r.cfg.Sim.Loss,
	}
}

// finish fills the run-wide fields of res; start is when the job began.
func (r *expRunner) finish(res *SimResult, s *Simulation, start time.Time) {
	res.VirtualSeconds = s.Now().Seconds()
	res.Events = s.Events()
	res.WallSeconds = (r.buildWall + time.Since(start)).Seconds()
	res.PeakHeapBytes = r.peak()
}

// build creates a simulation and brings it to the stable overlay: all
// nodes join, then ShuffleRounds shuffle periods run.
func (r *expRunner) build(p *jobProgress) (*Simulation, error) {
	cfg := r.cfg.Sim
	cfg.Membership = false // see SimConfig.Membership
	s, err := NewSimulation(cfg)
	if err != nil {
		return nil, err
	}
	p.sim = s
	s.SetProgress(func(SimProgress) { p.report(false) })
	p.set("join")
	s.JoinAll()
	p.set("shuffle")
	s.RunShuffleRounds(max(r.cfg.ShuffleRounds-1, 0))
	// The membership traffic of the stable overlay: the last period.
	before, t0 := s.Stats(), s.Now()
	s.RunShuffleRounds(min(r.cfg.ShuffleRounds, 1))
	r.stableRate = membershipRate(before, s.Stats(), s.UpCount(), s.Now()-t0)
	return s, nil
}

// membershipRate returns HyParView messages per up node per second between
// two snapshots d apart.
func membershipRate(before, after MessageStats, up int, d time.Duration) float64 {
	if up == 0 || d <= 0 {
		return 0
	}
	return float64(after.Sub(before).MembershipSent()) / float64(up) / d.Seconds()
}

// overlayAndBroadcast is the "overlay" experiment, followed on the same
// simulation by the "broadcast" experiment.
func (r *expRunner) overlayAndBroadcast(p *jobProgress) ([]SimResult, error) {
	start := time.Now()
	s, err := r.fork(p)
	if err != nil {
		return nil, err
	}
	var out []SimResult
	if r.cfg.selected(ExperimentOverlay) {
		res := r.newResult(ExperimentOverlay)
		res.MembershipMsgsPerNodePerSecond = r.stableRate
		res.setOverlay(s.Overlay())
		r.finish(&res, s, start)
		out = append(out, res)
	}
	if r.cfg.selected(ExperimentBroadcast) {
		res := r.newResult(ExperimentBroadcast)
		r.broadcasts(p, s, &res)
		r.finish(&res, s, start)
		out = append(out, res)
	}
	p.report(true)
	return out, nil
}

// rmrSum accumulates an aggregate RMR over several broadcasts.
type rmrSum struct {
	payload, receivers float64
}

func (a *rmrSum) add(st BroadcastStats, deliveredEver int) {
	if deliveredEver > 1 {
		a.payload += float64(st.PayloadReceived)
		a.receivers += float64(deliveredEver - 1)
	}
}

// value returns the aggregate RMR, or nil when nothing was summed.
func (a *rmrSum) value() *float64 {
	if a.receivers == 0 {
		return nil
	}
	return simPtr(a.payload/a.receivers - 1)
}

// broadcasts runs the "broadcast" experiment on the stable overlay s.
func (r *expRunner) broadcasts(p *jobProgress, s *Simulation, res *SimResult) {
	before, t0 := s.Stats(), s.Now()
	var all, single, random rmrSum
	var ldhSum, floodLDHSum, latSum float64
	ldhMax, missed, dups := 0, 0, 0
	var payload uint64
	sender := s.RandomUpNode()
	n := r.cfg.Broadcasts
	res.BroadcastRandomFrom = min(r.cfg.SingleSenderBroadcasts, n)
	for k := 0; k < n; k++ {
		p.set(fmt.Sprintf("broadcast %d/%d", k+1, n))
		origin := sender
		if k >= r.cfg.SingleSenderBroadcasts {
			origin = s.RandomUpNode()
		}
		idx, err := s.Broadcast(origin, true)
		if err != nil {
			continue // cannot happen: origin is up
		}
		r.settle(res, s, idx)
		st := s.BroadcastStats(idx)
		ever := s.deliveredEver(idx)
		res.BroadcastRMR = append(res.BroadcastRMR, st.RMR)
		res.BroadcastLDH = append(res.BroadcastLDH, st.LDH)
		res.BroadcastFloodLDH = append(res.BroadcastFloodLDH, st.FloodLDH)
		if k > 0 {
			all.add(st, ever)
			if k < r.cfg.SingleSenderBroadcasts {
				single.add(st, ever)
			}
		}
		if k >= r.cfg.SingleSenderBroadcasts {
			random.add(st, ever)
		}
		ldhSum += float64(st.LDH)
		floodLDHSum += float64(st.FloodLDH)
		latSum += st.LastDelivery.Seconds()
		ldhMax = max(ldhMax, st.LDH)
		missed += st.Up - st.Delivered
		dups += st.Duplicates
		payload += st.PayloadReceived
	}
	phase := s.Stats().Sub(before)
	if n > 0 {
		res.RMR, res.RMRSingleSender, res.RMRRandomSenders = all.value(), single.value(), random.value()
		res.LDH = simPtr(ldhSum / float64(n))
		res.LDHMax = simPtr(ldhMax)
		res.LDHFlood = simPtr(floodLDHSum / float64(n))
		res.LatencyMeanSeconds = simPtr(latSum / float64(n))
		res.PayloadMsgsPerBroadcast = simPtr(float64(phase.PayloadSent()) / float64(n))
		res.ControlMsgsPerBroadcast = simPtr(float64(phase.ControlSent()) / float64(n))
	}
	res.MembershipMsgsPerNodePerSecond = membershipRate(before, s.Stats(), s.UpCount(), s.Now()-t0)

	if k := r.allSendSenders(s.UpCount()); k > 0 {
		p.set("all-send")
		senders := s.pickUpNodes(k)
		idxs := make([]int, 0, len(senders))
		for _, o := range senders {
			if idx, err := s.Broadcast(o, false); err == nil {
				idxs = append(idxs, idx)
			}
		}
		r.settle(res, s, idxs...)
		var sum rmrSum
		for _, idx := range idxs {
			st := s.BroadcastStats(idx)
			sum.add(st, s.deliveredEver(idx))
			missed += st.Up - st.Delivered
			dups += st.Duplicates
		}
		res.RMRAllSend = sum.value()
		res.AllSendSenders = simPtr(len(idxs))
	}
	res.MissedDeliveries = simPtr(missed)
	res.DuplicateDeliveries = simPtr(dups)
	p.set("measure")
	res.setOverlay(s.Overlay())
}

// allSendSenders returns the number of senders of the all-send round with
// up nodes up (see ExperimentConfig.AllSendSenders).
func (r *expRunner) allSendSenders(up int) int {
	if k := r.cfg.AllSendSenders; k >= 0 {
		return k
	}
	return min(up, max(1, allSendPairBudget/max(up, 1)))
}

// allSendPairBudget is the (node, message) pairs the automatic all-send
// round aims at.
const allSendPairBudget = 1_000_000

// fail is the "fail" experiment for one fraction.
func (r *expRunner) fail(p *jobProgress, fraction float64) ([]SimResult, error) {
	start := time.Now()
	s, err := r.fork(p)
	if err != nil {
		return nil, err
	}
	res := r.newResult(ExperimentFail)
	res.FailFraction = fraction
	p.set("warm-up")
	for k := 0; k < r.cfg.FailWarmupBroadcasts; k++ {
		if idx, err := s.Broadcast(s.RandomUpNode(), false); err == nil {
			r.settle(&res, s, idx)
		}
	}
	p.set("crash")
	before, t0 := s.Stats(), s.Now()
	if _, err := s.Crash(fraction); err != nil {
		return nil, err
	}
	first, err := s.Broadcast(s.RandomUpNode(), true)
	if err != nil {
		return nil, fmt.Errorf("first broadcast after the crash: %w", err)
	}
	r.settle(&res, s, first)
	st := s.BroadcastStats(first)
	res.ReliabilityFirstBroadcast = simPtr(simFrac(st.Delivered, st.Up))
	res.ReliabilityFirstBroadcastEarly = simPtr(simFrac(st.EarlyDelivered, st.Up))
	res.ReliabilityFirstBroadcastFlood = simPtr(simFrac(st.FloodDelivered, st.Up))
	res.FirstBroadcastSettleSeconds = simPtr((st.SettledAt - st.SentAt).Seconds())

	// Healing: a fresh broadcast from a node of the largest component
	// once the first settled, then one per shuffle period, until one
	// reaches every survivor or HealingMaxRounds periods have passed.
	healedLC, healedAll := -1, -1
	var after float64
	for k := 0; k <= r.cfg.HealingMaxRounds; k++ {
		p.set(fmt.Sprintf("healing %d", k))
		if k > 0 {
			s.RunShuffleRounds(1)
		}
		origin := s.randomNodeIn(s.LargestComponent())
		if origin < 0 {
			break
		}
		idx, err := s.Broadcast(origin, false)
		if err != nil {
			return nil, err
		}
		r.settle(&res, s, idx)
		pst := s.BroadcastStats(idx)
		after = simFrac(pst.Delivered, pst.Up)
		if healedLC < 0 && s.reachedAll(idx, s.LargestComponent()) {
			healedLC = k
		}
		if pst.Delivered == pst.Up {
			healedAll = k
			break
		}
	}
	res.HealingRounds = simPtr(healedLC)
	res.HealingRoundsAll = simPtr(healedAll)
	res.ReliabilityAfterHealing = simPtr(after)
	return r.complete(p, s, &res, start, before, t0), nil
}

// complete finishes the result of a job that started at start and whose
// disturbance (crash, partition) began at virtual time t0 with message
// counters before.
func (r *expRunner) complete(p *jobProgress, s *Simulation, res *SimResult, start time.Time, before MessageStats, t0 time.Duration) []SimResult {
	res.MembershipMsgsPerNodePerSecond = membershipRate(before, s.Stats(), s.UpCount(), s.Now()-t0)
	p.set("measure")
	res.setOverlay(s.Overlay())
	r.finish(res, s, start)
	p.report(true)
	return []SimResult{*res}
}

// partition is the "partition" experiment.
func (r *expRunner) partition(p *jobProgress) ([]SimResult, error) {
	start := time.Now()
	s, err := r.fork(p)
	if err != nil {
		return nil, err
	}
	res := r.newResult(ExperimentPartition)
	p.set("partitioned")
	before, t0 := s.Stats(), s.Now()
	if err := s.Partition(0.5); err != nil {
		return nil, err
	}
	s.RunShuffleRounds(r.cfg.PartitionRounds)
	res.ComponentsDuringPartition = simPtr(s.Overlay().Components)
	s.Heal()
	healed := -1
	for k := 1; k <= r.cfg.PartitionHealMaxRounds; k++ {
		p.set(fmt.Sprintf("healing %d", k))
		s.RunShuffleRounds(1)
		if _, snap := s.snapshot(); len(snap.sizes) == 1 {
			healed = k
			break
		}
	}
	res.PartitionHealRounds = simPtr(healed)
	if origin := s.RandomUpNode(); origin >= 0 {
		if idx, err := s.Broadcast(origin, false); err == nil {
			r.settle(&res, s, idx)
			st := s.BroadcastStats(idx)
			res.ReliabilityAfterHealing = simPtr(simFrac(st.Delivered, st.Up))
		}
	}
	return r.complete(p, s, &res, start, before, t0), nil
}

// settle runs s until the broadcasts settle and counts in res those that
// did not within SimConfig.SettleMax.
func (r *expRunner) settle(res *SimResult, s *Simulation, broadcasts ...int) {
	if res.UnsettledBroadcasts == nil {
		res.UnsettledBroadcasts = simPtr(0)
	}
	if !s.RunUntilSettled(broadcasts...) {
		for _, idx := range broadcasts {
			if !s.BroadcastStats(idx).Settled {
				*res.UnsettledBroadcasts++
			}
		}
	}
}

// simFrac returns a/b, or 0 when b is 0.
func simFrac(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
