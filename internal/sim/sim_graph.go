package sim

import (
	"math/rand/v2"
	"slices"
)

// This file holds the graph algorithms behind the overlay metrics: an
// undirected graph in compressed sparse row form, connected components,
// average shortest path length by breadth-first search, and the
// clustering coefficient.

// simGraph is an undirected simple graph on vertices 0..n-1, some of which
// may be absent (crashed or never started nodes).
type simGraph struct {
	present []bool
	off     []int32 // neighbours of v are adj[off[v]:off[v+1]]
	adj     []int32 // sorted per vertex, no duplicates, no self-loops
}

// newSimGraph builds the undirected graph whose edges are the pairs {v, w}
// with w in out[v] or v in out[w], both present. Self-loops and entries
// naming absent or out-of-range vertices are ignored.
func newSimGraph(present []bool, out [][]int32) *simGraph {
	n := len(present)
	deg := make([]int32, n+1)
	valid := func(v, w int32) bool {
		return w >= 0 && int(w) < n && w != v && present[w]
	}
	for v := range out {
		if !present[v] {
			continue
		}
		for _, w := range out[v] {
			if valid(int32(v), w) {
				deg[v]++
				deg[w]++
			}
		}
	}
	g := &simGraph{present: present, off: make([]int32, n+1)}
	for v := 0; v < n; v++ {
		g.off[v+1] = g.off[v] + deg[v]
	}
	g.adj = make([]int32, g.off[n])
	fill := slices.Clone(g.off[:n])
	for v := range out {
		if !present[v] {
			continue
		}
		for _, w := range out[v] {
			if valid(int32(v), w) {
				g.adj[fill[v]] = w
				fill[v]++
				g.adj[fill[w]] = int32(v)
				fill[w]++
			}
		}
	}
	// Sort and deduplicate each list in place, then compact.
	var write int32
	for v := 0; v < n; v++ {
		list := g.adj[g.off[v]:g.off[v+1]]
		slices.Sort(list)
		list = slices.Compact(list)
		g.off[v] = write
		write += int32(copy(g.adj[write:], list))
	}
	g.off[n] = write
	g.adj = g.adj[:write]
	return g
}

// neighbors returns v's neighbours, sorted.
func (g *simGraph) neighbors(v int32) []int32 { return g.adj[g.off[v]:g.off[v+1]] }

// components labels every present vertex with its component (0, 1, ...;
// -1 for absent vertices) and returns the labels and component sizes.
func (g *simGraph) components() (label []int32, sizes []int) {
	n := len(g.present)
	label = make([]int32, n)
	for i := range label {
		label[i] = -1
	}
	queue := make([]int32, 0, 64)
	for s := 0; s < n; s++ {
		if !g.present[s] || label[s] >= 0 {
			continue
		}
		c := int32(len(sizes))
		label[s] = c
		size := 0
		queue = append(queue[:0], int32(s))
		for len(queue) > 0 {
			v := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			size++
			for _, w := range g.neighbors(v) {
				if label[w] < 0 {
					label[w] = c
					queue = append(queue, w)
				}
			}
		}
		sizes = append(sizes, size)
	}
	return label, sizes
}

// simLargestComponent returns the label and size of the largest component
// (the lowest label among equals), or -1, 0 for an empty graph.
func simLargestComponent(sizes []int) (int32, int) {
	best, size := int32(-1), 0
	for c, sz := range sizes {
		if sz > size {
			best, size = int32(c), sz
		}
	}
	return best, size
}

// avgPathLength returns the mean length of the shortest paths from each
// source to every other vertex it reaches, over all those pairs, and the
// number of pairs.
func (g *simGraph) avgPathLength(sources []int32) (float64, int64) {
	dist := make([]int32, len(g.present))
	for i := range dist {
		dist[i] = -1
	}
	var sum, pairs int64
	queue := make([]int32, 0, 1024)
	for _, s := range sources {
		queue = append(queue[:0], s)
		dist[s] = 0
		for head := 0; head < len(queue); head++ {
			v := queue[head]
			for _, w := range g.neighbors(v) {
				if dist[w] < 0 {
					dist[w] = dist[v] + 1
					sum += int64(dist[w])
					pairs++
					queue = append(queue, w)
				}
			}
		}
		for _, v := range queue {
			dist[v] = -1
		}
	}
	if pairs == 0 {
		return 0, 0
	}
	return float64(sum) / float64(pairs), pairs
}

// simPathSources picks the BFS sources among the vertices with label comp:
// all of them when there are at most k, else k chosen uniformly without
// replacement by rng.
func simPathSources(label []int32, comp int32, k int, rng *rand.Rand) []int32 {
	var members []int32
	for v, l := range label {
		if l == comp && comp >= 0 {
			members = append(members, int32(v))
		}
	}
	if len(members) <= k {
		return members
	}
	// Partial Fisher–Yates shuffle.
	for i := 0; i < k; i++ {
		j := i + rng.IntN(len(members)-i)
		members[i], members[j] = members[j], members[i]
	}
	return members[:k]
}

// clustering returns the mean local clustering coefficient over present
// vertices: for a vertex of degree d ≥ 2, the fraction of the d(d−1)/2
// pairs of its neighbours that are adjacent; vertices of degree below 2
// count as 0 (the convention of Watts and Strogatz's average).
func (g *simGraph) clustering() float64 {
	n := len(g.present)
	mark := make([]int32, n) // mark[w] == v+1: w is a neighbour of v
	var sum float64
	count := 0
	for v := 0; v < n; v++ {
		if !g.present[v] {
			continue
		}
		count++
		nb := g.neighbors(int32(v))
		d := len(nb)
		if d < 2 {
			continue
		}
		for _, w := range nb {
			mark[w] = int32(v) + 1
		}
		links := 0
		for _, w := range nb {
			for _, x := range g.neighbors(w) {
				if mark[x] == int32(v)+1 {
					links++
				}
			}
		}
		// Each link between neighbours was seen from both ends.
		sum += float64(links) / float64(d*(d-1))
	}
	if count == 0 {
		return 0
	}
	return sum / float64(count)
}
