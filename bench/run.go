package main

import (
	"fmt"
	"slices"
)

// This file runs the modes that build clusters: the single run and the
// sustained-rate sweep.

// apisFor returns the broadcast paths of sys that -api selects.
func apisFor(sys system, api string) []string {
	if api == "both" {
		return sys.apis()
	}
	if slices.Contains(sys.apis(), api) {
		return []string{api}
	}
	return nil
}

// runSystems runs one cluster per system and emits one result per
// (system, api).
func runSystems(opt options, emit func(result), logf func(string, ...any)) error {
	sink := &counterSink{}
	if err := installSink(sink); err != nil {
		return err
	}
	for _, name := range opt.systems {
		sys, err := newSystem(name, sink)
		if err != nil {
			return err
		}
		apis := apisFor(sys, opt.api)
		if len(apis) == 0 {
			logf("%s has no %q broadcast path; skipped", name, opt.api)
			continue
		}
		sink.reset()
		c := newCluster(sys, opt, logf)
		if err := c.start(); err != nil {
			emit(errorResult(c, "run", err))
			continue
		}
		var rs []result
		for _, api := range apis {
			w := c.warmUp(api)
			r := c.broadcastPhase(api, opt.rate, opt.broadcasts)
			r.Warmup = w
			rs = append(rs, r)
		}
		crash := c.crash()
		c.stop()
		for _, r := range rs {
			r.Mode = "run"
			r.CrashDetectionMs = crash
			c.finish(&r)
			emit(r)
		}
	}
	return nil
}

// finish adds what is known only at the end of a cluster's life.
func (c *cluster) finish(r *result) {
	r.MemberFlaps = c.app.flaps.Load()
	r.FDsPeak, r.FDsPeakS, r.FDKindsPeak = c.common.FDsPeak, c.common.FDsPeakS, c.common.FDKindsPeak
	r.Timeouts = append(append([]string{}, c.timeouts...), r.Timeouts...)
	if total := c.sys.counters(); total != nil {
		r.Counters = total
		silent := total["link.failed.silent"]
		r.LinksFailedSilent = &silent
	}
}

func errorResult(c *cluster, mode string, err error) result {
	r := c.common
	r.Mode, r.Error, r.Timeouts = mode, err.Error(), []string{}
	r.JoinConvergenceMs, r.Join99Ms, r.CrashDetectionMs = -1, -1, -1
	return r
}

// holds says whether a sweep step held: everything delivered and p99 of
// the time to all nodes at most 1 s.
func holds(r result) bool {
	return r.DeliveredRatio >= 1 && r.LatencyP99Ms >= 0 && r.LatencyP99Ms <= 1000
}

// runSweep steps the rate 2, 4, 8, ... up to opt.sweepMax for each system
// and API on one cluster each, until a step does not hold, and emits every
// step and a summary with the highest rate that held.
func runSweep(opt options, emit func(result), logf func(string, ...any)) error {
	sink := &counterSink{}
	if err := installSink(sink); err != nil {
		return err
	}
	for _, name := range opt.systems {
		sys, err := newSystem(name, sink)
		if err != nil {
			return err
		}
		for _, api := range apisFor(sys, opt.api) {
			sink.reset()
			c := newCluster(sys, opt, logf)
			if err := c.start(); err != nil {
				emit(errorResult(c, "sweep", err))
				continue
			}
			highest := 0.0
			for rate := 2.0; rate <= opt.sweepMax; rate *= 2 {
				b := max(10, int(rate*opt.sweepSeconds))
				r := c.broadcastPhase(api, rate, b)
				r.Mode, r.CrashDetectionMs = "sweep", -1
				c.finish(&r)
				emit(r)
				if !holds(r) {
					break
				}
				highest = rate
			}
			c.stop()
			s := c.common
			s.Mode, s.API, s.HighestRateHeld, s.Timeouts = "sweep_summary", api, highest, []string{}
			s.CrashDetectionMs = -1
			emit(s)
			logf("sweep %s/%s: highest rate held %g/s", name, api, highest)
		}
	}
	return nil
}

// validate checks the options.
func (o options) validate() error {
	switch {
	case o.n < 2:
		return fmt.Errorf("-n %d: need at least 2 nodes", o.n)
	case o.payload < headerSize:
		return fmt.Errorf("-payload %d: need at least %d bytes for the message header", o.payload, headerSize)
	case o.rate <= 0:
		return fmt.Errorf("-rate %g: must be positive", o.rate)
	case o.broadcasts < 1:
		return fmt.Errorf("-broadcasts %d: need at least 1", o.broadcasts)
	case o.config != "lan" && o.config != "local":
		return fmt.Errorf("-config %q: want lan or local", o.config)
	case o.api != "queue" && o.api != "native" && o.api != "both":
		return fmt.Errorf("-api %q: want queue, native or both", o.api)
	case o.ihaveInterval < 0:
		return fmt.Errorf("-ihave-interval %v: must not be negative", o.ihaveInterval)
	case o.graftTimeout < 0:
		return fmt.Errorf("-graft-timeout %v: must not be negative", o.graftTimeout)
	case o.warmup < 0:
		return fmt.Errorf("-warmup %v: must not be negative", o.warmup)
	case o.keepaliveInterval < 0:
		return fmt.Errorf("-keepalive-interval %v: must not be negative", o.keepaliveInterval)
	}
	return nil
}
