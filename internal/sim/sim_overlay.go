package sim

import "math"

// OverlayStats describes the overlay formed by the HyParView views of the
// nodes that are up, at one instant. The graph of the metrics is the
// undirected graph with an edge {a, b} when a lists b in its active view or
// b lists a, both up (Plumtree's links are the active views).
type OverlayStats struct {
	// Up is the number of nodes up.
	Up int
	// Isolated counts up nodes without an edge.
	Isolated int
	// Components is the number of connected components; LargestComponent
	// the size of the largest one, and LargestComponentFraction its share
	// of Up.
	Components               int
	LargestComponent         int
	LargestComponentFraction float64
	// AsymmetricLinks counts ordered pairs (a, b) of up nodes where a's
	// active view holds b but b's does not hold a.
	AsymmetricLinks int
	// DeadLinks counts active-view entries of up nodes that name nodes
	// that are down (not yet noticed).
	DeadLinks int
	// ActiveDegreeMin, ActiveDegreeMax and ActiveDegreeMean describe the
	// active view sizes of up nodes, as the cores report them.
	ActiveDegreeMin, ActiveDegreeMax int
	ActiveDegreeMean                 float64
	// PassiveDegreeMean is the mean passive view size of up nodes.
	PassiveDegreeMean float64
	// InDegreeStddev is the standard deviation of the active in-degree
	// (how many up nodes list a node in their active view) over up nodes.
	InDegreeStddev float64
	// PassiveInDegreeMean is the mean passive in-degree (how many up
	// nodes list a node in their passive view) over up nodes.
	PassiveInDegreeMean float64
	// ContactPassiveInDegree is the passive in-degree of node 0, the
	// contact of every join with ContactSame.
	ContactPassiveInDegree int
	// AvgPathLength is the mean shortest-path length within the largest
	// component. It is exact when the component has at most
	// SimConfig.PathSamples nodes, and otherwise estimated by BFS from
	// PathSamples sources drawn with the simulation's metrics stream.
	AvgPathLength float64
	PathSources   int
	// ClusteringCoefficient is the mean local clustering coefficient over
	// up nodes (nodes of degree below 2 count as 0).
	ClusteringCoefficient float64
	// ActiveInDegreeHist[k] and PassiveInDegreeHist[k] count up nodes of
	// active (passive) in-degree k.
	ActiveInDegreeHist, PassiveInDegreeHist []int
}

// overlaySnapshot is the overlay graph plus what the metrics need.
type overlaySnapshot struct {
	graph *simGraph
	label []int32 // component of each node, -1 when down
	sizes []int
	best  int32 // label of the largest component
}

// snapshot reads the active views of the up nodes into a graph.
func (s *Simulation) snapshot() ([][]int32, *overlaySnapshot) {
	out := make([][]int32, len(s.nodes))
	for i := range s.nodes {
		if !s.net.up[i] {
			continue
		}
		view := s.nodes[i].hv.ActiveView()
		list := make([]int32, 0, len(view))
		for _, p := range view {
			if j, ok := s.nodeIndex(p.Name); ok {
				list = append(list, j)
			}
		}
		out[i] = list
	}
	g := newSimGraph(s.net.up, out)
	snap := &overlaySnapshot{graph: g}
	snap.label, snap.sizes = g.components()
	snap.best, _ = simLargestComponent(snap.sizes)
	return out, snap
}

// LargestComponent returns, for each node, whether it is up and in the
// largest component of the overlay now.
func (s *Simulation) LargestComponent() []bool {
	_, snap := s.snapshot()
	in := make([]bool, len(s.nodes))
	for i, l := range snap.label {
		in[i] = l >= 0 && l == snap.best
	}
	return in
}

// Overlay measures the overlay now. It reads the cores' views and does not
// change the run (path-length sampling uses its own random stream).
func (s *Simulation) Overlay() OverlayStats {
	out, snap := s.snapshot()
	n := len(s.nodes)
	st := OverlayStats{Components: len(snap.sizes), ActiveDegreeMin: math.MaxInt}
	activeIn := make([]int, n)
	passiveIn := make([]int, n)
	var activeSum, passiveSum int
	for i := range s.nodes {
		if !s.net.up[i] {
			continue
		}
		st.Up++
		view := s.nodes[i].hv.ActiveView()
		activeSum += len(view)
		st.ActiveDegreeMin = min(st.ActiveDegreeMin, len(view))
		st.ActiveDegreeMax = max(st.ActiveDegreeMax, len(view))
		for _, j := range out[i] {
			if !s.net.up[j] {
				st.DeadLinks++
				continue
			}
			activeIn[j]++
			if !simContainsIndex(out[j], int32(i)) {
				st.AsymmetricLinks++
			}
		}
		st.DeadLinks += len(view) - len(out[i]) // names that are not nodes
		passive := s.nodes[i].hv.PassiveView()
		passiveSum += len(passive)
		for _, p := range passive {
			if j, ok := s.nodeIndex(p.Name); ok && s.net.up[j] {
				passiveIn[j]++
			}
		}
		if len(snap.graph.neighbors(int32(i))) == 0 {
			st.Isolated++
		}
	}
	if st.Up == 0 {
		st.ActiveDegreeMin = 0
		return st
	}
	up := float64(st.Up)
	st.ActiveDegreeMean = float64(activeSum) / up
	st.PassiveDegreeMean = float64(passiveSum) / up
	var inSum, inSq, pinSum float64
	for i := range s.nodes {
		if !s.net.up[i] {
			continue
		}
		a, p := activeIn[i], passiveIn[i]
		inSum += float64(a)
		inSq += float64(a) * float64(a)
		pinSum += float64(p)
		st.ActiveInDegreeHist = simAddHist(st.ActiveInDegreeHist, a)
		st.PassiveInDegreeHist = simAddHist(st.PassiveInDegreeHist, p)
	}
	mean := inSum / up
	st.InDegreeStddev = math.Sqrt(max(inSq/up-mean*mean, 0))
	st.PassiveInDegreeMean = pinSum / up
	if n > 0 {
		st.ContactPassiveInDegree = passiveIn[0]
	}
	_, st.LargestComponent = simLargestComponent(snap.sizes)
	st.LargestComponentFraction = float64(st.LargestComponent) / up
	sources := simPathSources(snap.label, snap.best, s.cfg.PathSamples, s.metrics.Rand)
	st.PathSources = len(sources)
	st.AvgPathLength, _ = snap.graph.avgPathLength(sources)
	st.ClusteringCoefficient = snap.graph.clustering()
	return st
}

// simContainsIndex reports whether list holds v.
func simContainsIndex(list []int32, v int32) bool {
	for _, w := range list {
		if w == v {
			return true
		}
	}
	return false
}

// simAddHist increments h[k], growing h as needed.
func simAddHist(h []int, k int) []int {
	for len(h) <= k {
		h = append(h, 0)
	}
	h[k]++
	return h
}
