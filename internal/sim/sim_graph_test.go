package sim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// simGraphOf builds a graph on n present vertices from an edge list.
func simGraphOf(n int, edges [][2]int32) *simGraph {
	present := make([]bool, n)
	for i := range present {
		present[i] = true
	}
	out := make([][]int32, n)
	for _, e := range edges {
		out[e[0]] = append(out[e[0]], e[1])
	}
	return newSimGraph(present, out)
}

func TestGraphComponents(t *testing.T) {
	// Two triangles, an isolated vertex, and a duplicate and a reversed
	// edge that must collapse.
	g := simGraphOf(7, [][2]int32{{0, 1}, {1, 2}, {2, 0}, {3, 4}, {4, 5}, {5, 3}, {0, 1}, {1, 0}})
	label, sizes := g.components()
	if len(sizes) != 3 {
		t.Fatalf("%d components, want 3", len(sizes))
	}
	best, size := simLargestComponent(sizes)
	if size != 3 || label[0] != best || label[3] == label[0] || sizes[label[6]] != 1 {
		t.Fatalf("labels %v sizes %v", label, sizes)
	}
	if n := len(g.neighbors(0)); n != 2 {
		t.Fatalf("vertex 0 has %d neighbours after deduplication, want 2", n)
	}
}

func TestGraphSkipsAbsentVertices(t *testing.T) {
	present := []bool{true, false, true}
	g := newSimGraph(present, [][]int32{{1, 2, 7, 0}, {0, 2}, nil})
	label, sizes := g.components()
	if label[1] != -1 || len(sizes) != 1 || sizes[0] != 2 {
		t.Fatalf("labels %v sizes %v", label, sizes)
	}
}

func TestAvgPathLength(t *testing.T) {
	// Path 0-1-2-3: distances 1,2,3,1,2,1 each counted from both ends.
	g := simGraphOf(4, [][2]int32{{0, 1}, {1, 2}, {2, 3}})
	avg, pairs := g.avgPathLength([]int32{0, 1, 2, 3})
	if pairs != 12 || math.Abs(avg-20.0/12) > 1e-12 {
		t.Fatalf("avg %v over %d pairs, want %v over 12", avg, pairs, 20.0/12)
	}
	// A cycle of 10: from any vertex the mean distance is 25/9.
	var edges [][2]int32
	for i := int32(0); i < 10; i++ {
		edges = append(edges, [2]int32{i, (i + 1) % 10})
	}
	g = simGraphOf(10, edges)
	label, sizes := g.components()
	best, _ := simLargestComponent(sizes)
	src := simPathSources(label, best, 3, rand.New(rand.NewPCG(1, 1)))
	if len(src) != 3 {
		t.Fatalf("%d sources, want 3", len(src))
	}
	avg, _ = g.avgPathLength(src)
	if math.Abs(avg-25.0/9) > 1e-12 {
		t.Fatalf("cycle avg %v, want %v", avg, 25.0/9)
	}
}

func TestClustering(t *testing.T) {
	complete := simGraphOf(4, [][2]int32{{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}})
	if c := complete.clustering(); math.Abs(c-1) > 1e-12 {
		t.Fatalf("K4 clustering %v, want 1", c)
	}
	star := simGraphOf(5, [][2]int32{{0, 1}, {0, 2}, {0, 3}, {0, 4}})
	if c := star.clustering(); c != 0 {
		t.Fatalf("star clustering %v, want 0", c)
	}
	// Triangle 0-1-2 with a pendant 3 on 0: C(0)=1/3, C(1)=C(2)=1, C(3)=0.
	g := simGraphOf(4, [][2]int32{{0, 1}, {1, 2}, {2, 0}, {0, 3}})
	want := (1.0/3 + 1 + 1 + 0) / 4
	if c := g.clustering(); math.Abs(c-want) > 1e-12 {
		t.Fatalf("clustering %v, want %v", c, want)
	}
}
