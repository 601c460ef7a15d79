package main

import (
	"fmt"
	"log"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// This file runs one system's cluster through the phases of a run: create
// N nodes, join them all to one seed at once, sit idle, broadcast, crash one
// node, stop. Every phase has a deadline: a system that does not converge,
// deliver or detect reports how far it got and a "timeouts" entry instead of
// hanging the run.

// cluster is one system's N nodes and what the harness measured of them.
type cluster struct {
	sys   system
	opt   options
	app   *app
	wire  *wireCounter
	nodes []benchNode
	rng   *rand.Rand
	logf  func(format string, args ...any)
	phase uint32

	base     memSnapshot
	fds      *fdSampler // nil before start and after stop
	common   result     // figures shared by every line of this cluster
	timeouts []string
	// stopTimeline ends -timeline's logging (timeline.go); nil when none runs.
	stopTimeline func()
}

func newCluster(sys system, opt options, logf func(string, ...any)) *cluster {
	return &cluster{
		sys:  sys,
		opt:  opt,
		app:  newApp(opt.n),
		wire: newWireCounter(opt.fdKinds),
		rng:  rand.New(rand.NewPCG(opt.seed, uint64(opt.n))),
		logf: logf,
	}
}

// start creates the nodes and joins them, then measures the idle window.
func (c *cluster) start() error {
	c.common = result{
		System: c.sys.name(), Config: c.opt.config, Nodes: c.opt.n,
		PayloadBytes: c.opt.payload, LoadAvgBefore: loadAvg(),
		GoVersion: goVersion(), Timestamp: time.Now().UTC().Format(time.RFC3339),
	}
	if c.sys.name() == "hyparlist" {
		v := hlBroadcastTrees(c.opt.maxTrees)
		c.common.MaxTrees = &v
		ihave, graft := hlTimers(c.opt.config, c.opt.ihaveInterval, c.opt.graftTimeout)
		ih, gt := float64(ihave)/float64(time.Millisecond), float64(graft)/float64(time.Millisecond)
		c.common.IHaveIntervalMs, c.common.GraftTimeoutMs = &ih, &gt
		gmin := float64(hlGraftTimeoutMin(c.opt.config, c.opt.graftTimeoutMin)) / float64(time.Millisecond)
		c.common.GraftTimeoutMinMs = &gmin
		verify := c.opt.verifyUser
		c.common.VerifyUserBroadcasts = &verify
		if c.opt.streamBuffer > 0 {
			c.common.StreamBufferBytes = c.opt.streamBuffer
		}
		c.common.MessageCacheMaxBytes = c.opt.cacheBytes
		if c.opt.keepaliveInterval > 0 {
			ka := float64(c.opt.keepaliveInterval) / float64(time.Millisecond)
			c.common.KeepaliveIntervalMs = &ka
		}
	}
	c.base = takeMem()
	c.common.FDLimit = fileLimit()
	c.fds = startFDSampler(c.wire.kinds, c.logf)
	env := nodeEnv{
		config: c.opt.config, app: c.app, wire: c.wire, maxTrees: c.opt.maxTrees,
		ihaveInterval: c.opt.ihaveInterval, graftTimeout: c.opt.graftTimeout,
		graftTimeoutMin: c.opt.graftTimeoutMin, verifyUser: c.opt.verifyUser,
		streamBuffer:      c.opt.streamBuffer,
		cacheBytes:        c.opt.cacheBytes,
		keepaliveInterval: c.opt.keepaliveInterval,
	}
	for i := range c.opt.n {
		nd, err := c.sys.newNode(i, env)
		if err != nil {
			c.stop()
			return fmt.Errorf("create %s node %d of %d: %w", c.sys.name(), i, c.opt.n, err)
		}
		c.nodes = append(c.nodes, nd)
	}
	c.stopTimeline = c.startTimeline(c.opt.timeline)
	c.join()
	c.idle()
	return nil
}

// join joins every node but the seed to the seed at once and waits for all
// (node, member) pairs.
func (c *cluster) join() {
	seed := c.nodes[0].addr()
	start := time.Now()
	var failed, returned atomic.Int64
	for _, nd := range c.nodes[1:] {
		go func() {
			if err := nd.join(seed); err != nil {
				failed.Add(1)
			}
			returned.Add(1)
		}()
	}
	cpuDir := c.opt.pprofDir
	if c.opt.joinCPUDir != "" {
		cpuDir = c.opt.joinCPUDir
	}
	stopCPU := startJoinCPU(cpuDir, fmt.Sprintf("%s-%s-n%d", c.sys.name(), c.opt.config, c.opt.n), c.logf)
	deadline := start.Add(c.opt.joinTimeout)
	nextTrace := start.Add(time.Second)
	for c.app.allAt.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		if c.opt.pprofDir != "" && time.Now().After(nextTrace) {
			c.logf("%s: join +%.0f s: %d of %d Join calls returned; %s", c.sys.name(), time.Since(start).Seconds(),
				returned.Load(), c.opt.n-1, c.app.missingSummary())
			nextTrace = nextTrace.Add(time.Second)
		}
	}
	stopCPU()
	c.common.JoinCounters = c.sys.counters()
	c.common.FDsJoinEnd, c.common.FDKindsJoinEnd = c.fds.now()
	c.common.JoinConvergenceMs = sinceMs(start, c.app.allAt.Load())
	c.common.Join99Ms = sinceMs(start, c.app.p99At.Load())
	if c.common.JoinConvergenceMs < 0 {
		c.timeouts = append(c.timeouts, "join")
	}
	c.common.JoinErrors = failed.Load()
	c.common.JoinPairsRatio = round3(float64(c.app.pairs.Load()) / float64(c.opt.n*(c.opt.n-1)))
	c.common.MembersMin = c.app.minMembers()
	c.logf("%s: join %d ms (99%%: %d ms), %d join errors, min members %d", c.sys.name(),
		c.common.JoinConvergenceMs, c.common.Join99Ms, c.common.JoinErrors, c.common.MembersMin)
}

// sinceMs is the time from start to the Unix-ns instant at, or -1 if at is 0.
func sinceMs(start time.Time, at int64) int64 {
	if at == 0 {
		return -1
	}
	return max(0, time.Unix(0, at).Sub(start).Milliseconds())
}

// idle measures heap and goroutines per node, then bytes and CPU during a
// quiet window.
func (c *cluster) idle() {
	if c.opt.idleAfter > 0 {
		time.Sleep(c.opt.idleAfter)
	}
	c.common.IdleAfterS = c.opt.idleAfter.Seconds()
	m := takeMem()
	n := int64(c.opt.n)
	c.common.HeapBytesPerNode = (int64(m.heap) - int64(c.base.heap)) / n
	// Each node's counting transport adds one goroutine (its stream
	// forwarder); it is not the library's.
	c.common.GoroutinesPerNode = round3(float64(m.goroutines-c.base.goroutines)/float64(n) - 1)
	if c.opt.pprofDir != "" {
		if err := writeProfiles(c.opt.pprofDir, fmt.Sprintf("%s-%s-n%d", c.sys.name(), c.opt.config, c.opt.n)); err != nil {
			c.logf("%s: profiles: %v", c.sys.name(), err)
		}
	}
	idleCPUDir := c.opt.pprofDir
	if c.opt.joinCPUDir != "" {
		idleCPUDir = c.opt.joinCPUDir
	}
	stopCPU := startCPUProfile(idleCPUDir, fmt.Sprintf("%s-%s-n%d-idle-cpu.pb.gz", c.sys.name(), c.opt.config, c.opt.n), c.logf)
	w0, cpu0, t0, sent0, cnt0 := c.wire.snapshot(), cpuTime(), time.Now(), c.sys.sentByType(), c.sys.counters()
	time.Sleep(c.opt.idle)
	stopCPU()
	w1, cpu1, secs := c.wire.snapshot(), cpuTime(), time.Since(t0).Seconds()
	c.common.IdleCounters = diffCounters(cnt0, c.sys.counters())
	if sent1 := c.sys.sentByType(); sent1 != nil {
		c.common.IdleBytesByType = map[string]float64{}
		for typ, b := range sent1 {
			if d := b - sent0[typ]; d > 0 {
				c.common.IdleBytesByType[typ] = round3(float64(d) / float64(n) / secs)
			}
		}
	}
	end := takeMem()
	if c.opt.heapProfile != "" {
		if err := writeProfile(heapProfilePath(c.opt.heapProfile, c.sys.name(), len(c.opt.systems)), "heap", 0); err != nil {
			c.logf("%s: heap profile: %v", c.sys.name(), err)
		}
	}
	c.common.HeapBytesPerNodeEnd = (int64(end.heap) - int64(c.base.heap)) / n
	c.common.GoroutinesPerNodeEnd = round3(float64(end.goroutines-c.base.goroutines)/float64(n) - 1)
	c.common.IdleWindowS = round3(secs)
	c.common.IdleCPUCores = round3((cpu1 - cpu0).Seconds() / secs)
	c.common.IdleBytesPerNodePerS = round3(float64(w1.bytes-w0.bytes) / float64(n) / secs)
	c.logf("%s: idle %.2f cores, %.0f B/s per node, heap %d B/node, %.1f goroutines/node (at the window's end: %d B, %.1f)", c.sys.name(),
		c.common.IdleCPUCores, c.common.IdleBytesPerNodePerS, c.common.HeapBytesPerNode, c.common.GoroutinesPerNode,
		c.common.HeapBytesPerNodeEnd, c.common.GoroutinesPerNodeEnd)
}

// broadcastPhase sends broadcasts messages at rate per second from random
// origins through api, waits for them to reach every node (or the drain
// deadline) and for the queues to empty, and reports the figures.
func (c *cluster) broadcastPhase(api string, rate float64, broadcasts int) result {
	c.phase++
	p := newPhase(c.phase, c.opt.n, broadcasts)
	c.app.requeue.Store(api == "queue")
	c.app.cur.Store(p)
	r := c.common
	r.API, r.Rate, r.Broadcasts = api, rate, broadcasts
	r.LoadAvgBefore = loadAvg()
	var timeouts []string

	stopCPU := startCPUProfile(c.opt.pprofDir, fmt.Sprintf("%s-%s-n%d-%s-r%g-bcast-cpu.pb.gz",
		c.sys.name(), c.opt.config, c.opt.n, api, rate), c.logf)
	before := c.sys.counters()
	w0, cpu0, t0 := c.wire.snapshot(), cpuTime(), time.Now()
	sys0, flt0 := kernelUse()
	var stop atomic.Bool
	var sendErrs, accepted atomic.Int64
	var sendEnd atomic.Int64
	var waited, waitedMax atomic.Int64 // ns inside native Broadcast calls, total and longest
	sent := make(chan struct{})
	origins := make([]int, broadcasts)
	for i := range broadcasts {
		origins[i] = c.rng.IntN(c.opt.n)
	}
	seed := c.rng.Uint64()
	go func() {
		defer close(sent)
		defer func() { sendEnd.Store(time.Now().UnixNano()) }()
		rng := rand.New(rand.NewPCG(seed, 1))
		for seq := range broadcasts {
			if stop.Load() {
				return
			}
			if d := time.Until(t0.Add(time.Duration(float64(seq) / rate * float64(time.Second)))); d > 0 {
				time.Sleep(d)
			}
			o := origins[seq]
			b := makePayload(c.opt.payload, p.id, uint32(seq), o, rng)
			p.markSent(seq, o, time.Now().UnixNano())
			if api == "native" {
				start := time.Now()
				err := c.nodes[o].broadcast(b)
				took := time.Since(start).Nanoseconds()
				waited.Add(took)
				if took > waitedMax.Load() {
					waitedMax.Store(took)
				}
				if err != nil {
					sendErrs.Add(1)
				} else {
					accepted.Add(1)
				}
			} else {
				c.nodes[o].queue(b)
				accepted.Add(1)
			}
		}
	}()
	sendFor := time.Duration(float64(broadcasts)/rate*float64(time.Second)) + c.opt.drainTimeout
	select {
	case <-sent:
	case <-time.After(sendFor):
		stop.Store(true)
		timeouts = append(timeouts, "send")
	}
	want := int64(broadcasts) * int64(c.opt.n-1)
	drainEnd := time.Now().Add(c.opt.drainTimeout)
	for p.firsts.Load() < want && time.Now().Before(drainEnd) {
		time.Sleep(5 * time.Millisecond)
	}
	if p.firsts.Load() < want {
		timeouts = append(timeouts, "delivery")
	}
	for c.queuedBy(drainEnd) > 0 {
		time.Sleep(20 * time.Millisecond)
	}
	if c.queuedBy(time.Now().Add(time.Second)) != 0 {
		timeouts = append(timeouts, "queue_drain")
	}
	w1, cpu1, secs := c.wire.snapshot(), cpuTime(), time.Since(t0).Seconds()
	sys1, flt1 := kernelUse()
	stopCPU()
	c.app.requeue.Store(false)

	r.PhaseS = round3(secs)
	r.SendErrors = sendErrs.Load()
	r.BroadcastsAccepted = accepted.Load()
	if end := sendEnd.Load(); end > 0 {
		r.AchievedRate = round3(float64(accepted.Load()) / max(time.Unix(0, end).Sub(t0).Seconds(), 1e-3))
	}
	r.LostDeliveries = accepted.Load()*int64(c.opt.n-1) - p.firsts.Load()
	if r.LostDeliveries > 0 && c.opt.timeline > 0 {
		c.logf("%s/%s missed: %s", c.sys.name(), api, c.missedSummary(p, origins))
	}
	r.BroadcastWaitS = round3(float64(waited.Load()) / 1e9)
	r.BroadcastWaitMaxMs = round3(float64(waitedMax.Load()) / 1e6)
	c.fillDelivery(&r, p)
	b := float64(broadcasts)
	r.WireBytesPerBroadcast = round3(float64(w1.bytes-w0.bytes) / b / float64(c.opt.n))
	r.PayloadCopiesPerBroadcast = round3(float64(w1.copies-w0.copies) / b)
	r.PayloadCopiesPerReceiver = round3(float64(w1.copies-w0.copies) / b / float64(c.opt.n-1))
	r.CPUMsPerBroadcast = round3(float64((cpu1 - cpu0).Microseconds()) / 1000 / b)
	r.SysCPUMsPerBroadcast = round3(float64((sys1 - sys0).Microseconds()) / 1000 / b)
	r.MinorFaultsPerBroadcast = round3(float64(flt1-flt0) / b)
	r.PhaseCounters = diffCounters(before, c.sys.counters())
	r.Timeouts = timeouts // finish adds the cluster's own
	c.settle(&r, p, accepted.Load())
	c.logf("%s/%s rate %g: delivered %.4f, p50 %.1f ms, p99 %.1f ms, dup %d, %.0f B/bcast/node, %.2f copies/recv",
		r.System, api, rate, r.DeliveredRatio, r.LatencyP50Ms, r.LatencyP99Ms, r.DuplicateNotify,
		r.WireBytesPerBroadcast, r.PayloadCopiesPerReceiver)
	return r
}

// settle waits up to -settle for the deliveries r counted as lost and
// reports how many came late and how many are still missing.
func (c *cluster) settle(r *result, p *phase, accepted int64) {
	if c.opt.settle <= 0 || r.LostDeliveries <= 0 {
		return
	}
	want := accepted * int64(c.opt.n-1)
	at, before := p.firsts.Load(), c.sys.counters()
	end := time.Now().Add(c.opt.settle)
	for p.firsts.Load() < want && time.Now().Before(end) {
		time.Sleep(20 * time.Millisecond)
	}
	late, lost := p.firsts.Load()-at, want-p.firsts.Load()
	r.LateDeliveries, r.LostAfterSettle = &late, &lost
	r.SettleCounters = diffCounters(before, c.sys.counters())
	c.logf("%s/%s settle: %d late deliveries, %d still missing", c.sys.name(), r.API, late, lost)
}

// queuedBy is queued, or -1 once deadline has passed or if the queues'
// locks are not free by then (the count is left running).
func (c *cluster) queuedBy(deadline time.Time) int {
	d := time.Until(deadline)
	if d <= 0 {
		return -1
	}
	res := make(chan int, 1)
	go func() { res <- c.queued() }()
	select {
	case q := <-res:
		return q
	case <-time.After(d):
		return -1
	}
}

// queued sums the nodes' TransmitLimitedQueue lengths.
func (c *cluster) queued() int {
	q := 0
	for i, nd := range c.nodes {
		if c.app.alive[i].Load() {
			q += nd.queued()
		}
	}
	return q
}

// fillDelivery computes delivery and latency figures from a phase record.
func (c *cluster) fillDelivery(r *result, p *phase) {
	n := c.opt.n
	var whole, per []int64
	for seq := range p.broadcasts {
		s := p.sent[seq].Load()
		if s == 0 {
			continue
		}
		var last int64
		complete := true
		for i := range n {
			t := p.recv[seq*n+i].Load()
			if t == 0 {
				complete = false
				continue
			}
			if t != s {
				per = append(per, t-s)
			}
			last = max(last, t-s)
		}
		if complete {
			whole = append(whole, last)
		}
	}
	pairs := float64(p.broadcasts) * float64(n-1)
	r.DeliveredRatio = round3(float64(p.firsts.Load())/pairs*1000) / 1000
	r.MessagesComplete = round3(float64(len(whole)) / float64(p.broadcasts))
	r.DuplicateNotify = p.notify.Load() - p.firsts.Load()
	r.DuplicateNotifyPerBroadcast = round3(float64(r.DuplicateNotify) / float64(p.broadcasts))
	lat := sortedMs(whole)
	r.LatencyP50Ms = round3(percentile(lat, 50))
	r.LatencyP99Ms = round3(percentile(lat, 99))
	r.LatencyMaxMs = round3(percentile(lat, 100))
	r.LatencyQuantilesMs = quantiles(lat)
	d := sortedMs(per)
	r.DeliveryP50Ms = round3(percentile(d, 50))
	r.DeliveryP99Ms = round3(percentile(d, 99))
}

// crash shuts the last node down without Leave and waits until no other
// node lists it.
func (c *cluster) crash() int64 {
	if c.opt.n < 3 {
		return -1
	}
	victim := c.opt.n - 1
	c.app.crash(victim)
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := c.nodes[victim].shutdown(); err != nil {
			c.logf("%s: shut down node %d: %v", c.sys.name(), victim, err)
		}
	}()
	deadline := start.Add(c.opt.crashTimeout)
	for c.app.listing(victim) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if left := c.app.listing(victim); left > 0 {
		c.timeouts = append(c.timeouts, "crash_detection")
		c.logf("%s: crash of node %d not detected by %d nodes in %s", c.sys.name(), victim,
			left, c.opt.crashTimeout)
		return -1
	}
	ms := time.Since(start).Milliseconds()
	c.logf("%s: crash detected by every node in %d ms", c.sys.name(), ms)
	select {
	case <-done:
	case <-time.After(c.opt.crashTimeout):
	}
	return ms
}

// stop shuts every live node down, giving up after a deadline.
func (c *cluster) stop() {
	if c.stopTimeline != nil {
		c.stopTimeline()
		c.stopTimeline = nil
	}
	if c.fds != nil {
		var at time.Duration
		c.common.FDsPeak, at, c.common.FDKindsPeak = c.fds.finish()
		c.common.FDsPeakS = round3(at.Seconds())
		c.fds = nil
	}
	var wg sync.WaitGroup
	for i, nd := range c.nodes {
		if int64(i) == c.app.crashed.Load() {
			continue // already shut down by crash
		}
		c.app.alive[i].Store(false)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = nd.shutdown()
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		log.Printf("%s: shutdown still running after 30 s; going on", c.sys.name())
	}
	c.nodes = nil
}

// diffCounters returns after - before, or nil when the system has none.
func diffCounters(before, after map[string]int64) map[string]int64 {
	if after == nil {
		return nil
	}
	out := make(map[string]int64, len(after))
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}
