package sim

import (
	"maps"
	"math/rand/v2"
	"slices"
)

// This file holds the simulator's network model: who can reach whom, how
// long a message takes, which messages are lost, and when a sender learns
// that a send failed.

// simNetwork is the simulated network. It owns reachability (crashed
// nodes, partitions), per-link latency, random loss and failure notices.
type simNetwork struct {
	latSeed   uint64 // keys the per-link latency hash
	latMin    int64  // nanoseconds
	latSpan   int64  // latMax - latMin + 1, nanoseconds
	loss      float64
	detectMin int64 // nanoseconds
	detectMax int64 // nanoseconds
	rng       simRand
	floodRng  simRand // loss draws of the flood baseline, see Simulation.Broadcast

	// up[i] is true while node i runs: started and not crashed.
	up []bool
	// side[i] is node i's side while partitioned.
	side        []uint8
	partitioned bool

	// pendingFail holds the (sender, destination) pairs for which a
	// LinkFailed notice is already scheduled: further sends on the same
	// broken link are dropped without a second notice, as they would be
	// queued on the same dead connection.
	pendingFail map[uint64]struct{}
}

// newSimNetwork returns a network for n nodes, none of them up yet.
func newSimNetwork(cfg *SimConfig, n int) *simNetwork {
	return &simNetwork{
		latSeed:     simMix64(cfg.Seed ^ streamLatency),
		latMin:      int64(cfg.LatencyMin),
		latSpan:     int64(cfg.LatencyMax-cfg.LatencyMin) + 1,
		loss:        cfg.Loss,
		detectMin:   int64(cfg.DetectionDelayMin),
		detectMax:   int64(cfg.DetectionDelayMax),
		rng:         newSimRand(cfg.Seed, streamNetwork),
		floodRng:    newSimRand(cfg.Seed, streamFlood),
		up:          make([]bool, n),
		side:        make([]uint8, n),
		pendingFail: make(map[uint64]struct{}),
	}
}

// grow makes room for node indices below n.
func (nw *simNetwork) grow(n int) {
	for len(nw.up) < n {
		nw.up = append(nw.up, false)
		nw.side = append(nw.side, 0)
	}
}

// latency returns the one-way latency of the ordered link from→to. It is a
// fixed function of the seed and the pair, so every message on a link takes
// the same time and, with the queue's insertion-order tie-break, links are
// FIFO like TCP connections.
func (nw *simNetwork) latency(from, to int32) int64 {
	h := simMix64(nw.latSeed ^ (uint64(uint32(from))<<32 | uint64(uint32(to))))
	return nw.latMin + int64(h%uint64(nw.latSpan))
}

// reachable reports whether a message from→to is delivered: both ends run
// and, during a partition, are on the same side.
func (nw *simNetwork) reachable(from, to int32) bool {
	if !nw.up[from] || !nw.up[to] {
		return false
	}
	return !nw.partitioned || nw.side[from] == nw.side[to]
}

// clone returns an independent copy of nw for Simulation.Fork.
func (nw *simNetwork) clone() *simNetwork {
	c := *nw
	c.rng, c.floodRng = nw.rng.clone(), nw.floodRng.clone()
	c.up = slices.Clone(nw.up)
	c.side = slices.Clone(nw.side)
	c.pendingFail = maps.Clone(nw.pendingFail)
	return &c
}

// lost draws whether one message is lost at random.
func (nw *simNetwork) lost(rng simRand) bool {
	return nw.loss > 0 && rng.Float64() < nw.loss
}

// detectionDelay draws how long a sender takes to notice a failed send.
func (nw *simNetwork) detectionDelay() int64 {
	if nw.detectMax <= nw.detectMin {
		return nw.detectMin
	}
	return nw.detectMin + nw.rng.Int64N(nw.detectMax-nw.detectMin+1)
}

// failKey packs an ordered pair for pendingFail.
func simFailKey(from, to int32) uint64 { return uint64(uint32(from))<<32 | uint64(uint32(to)) }

// Random streams derived from SimConfig.Seed. Node i uses streamNode+i.
const (
	streamNetwork uint64 = 1
	streamFlood   uint64 = 2
	streamLatency uint64 = 3
	streamScene   uint64 = 4 // scenario choices: contacts, crashes, senders
	streamMetrics uint64 = 5 // path-length sampling
	streamNode    uint64 = 1 << 32
)

// simRand is one random stream: a generator and its PCG source, kept so
// that Simulation.Fork can copy the stream's state.
type simRand struct {
	*rand.Rand
	src *rand.PCG
}

// newSimRand returns the PCG generator of one random stream of a seed.
func newSimRand(seed, stream uint64) simRand {
	src := rand.NewPCG(simMix64(seed), simMix64(stream^0x9e3779b97f4a7c15))
	return simRand{Rand: rand.New(src), src: src}
}

// clone returns an independent stream in the same state as r: both draw
// the same numbers from now on.
func (r simRand) clone() simRand {
	src := *r.src
	return simRand{Rand: rand.New(&src), src: &src}
}

// simMix64 is the SplitMix64 finaliser, a cheap well-mixing hash of x.
func simMix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
