// Command native shows hyparlist's own API next to the memberlist one:
// Memberlist.Broadcast sends a payload to every member at once over the
// Plumtree tree, Memberlist.Neighbors lists the HyParView active view
// (the few members each node keeps a TCP link to), and an EventDelegate
// that also implements NeighborDelegate is told when that view changes.
//
// It starts a few nodes on 127.0.0.1, broadcasts from the first, then
// crashes the last one and shows its neighbours replacing it.
//
//	go run ./examples/native -n 6
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hyparlist/hyparlist"
)

func main() {
	n := flag.Int("n", 6, "number of nodes")
	timeout := flag.Duration("timeout", 20*time.Second, "how long each step may take")
	flag.Parse()
	if _, err := run(*n, os.Stdout, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// node is one running node and what it observed.
type node struct {
	name string
	list *hyparlist.Memberlist
	obs  *observer
}

// result is what the run observed, for the test.
type result struct {
	nodes   []*node
	crashed *node
	// formerNeighbors are the crashed node's neighbours just before the
	// crash.
	formerNeighbors []string
}

// run starts n nodes, joins them, broadcasts one payload from the first
// node, crashes the last node and waits until its former neighbours have
// dropped it from their active views. Progress goes to out.
func run(n int, out io.Writer, timeout time.Duration) (*result, error) {
	if n < 3 {
		return nil, fmt.Errorf("need at least 3 nodes, got %d", n)
	}
	log := &syncLog{w: out}
	res := &result{}
	defer func() {
		for _, nd := range res.nodes {
			if nd != res.crashed {
				_ = nd.list.Leave(time.Second)
				_ = nd.list.Shutdown()
			}
		}
	}()
	for i := range n {
		nd, err := start(fmt.Sprintf("node-%d", i), log)
		if err != nil {
			return res, err
		}
		res.nodes = append(res.nodes, nd)
	}
	seed := res.nodes[0].list.LocalNode().Address()
	for _, nd := range res.nodes[1:] {
		if _, err := nd.list.Join([]string{seed}); err != nil {
			return res, fmt.Errorf("%s: join %s: %w", nd.name, seed, err)
		}
	}
	if err := waitUntil(timeout, func() bool {
		for _, nd := range res.nodes {
			if nd.list.NumMembers() != n || len(nd.list.Neighbors()) == 0 {
				return false
			}
		}
		return true
	}); err != nil {
		return res, fmt.Errorf("waiting for %d members everywhere: %w", n, err)
	}
	for _, nd := range res.nodes {
		log.printf("%s has %d members; its active view: %s", nd.name, nd.list.NumMembers(), names(nd.list.Neighbors()))
	}

	// One broadcast: pushed at once on the tree, delivered once to every
	// other node's NotifyMsg (not to the sender's).
	const payload = "hello, cluster"
	if err := res.nodes[0].list.Broadcast([]byte(payload)); err != nil {
		return res, fmt.Errorf("broadcast: %w", err)
	}
	if err := waitUntil(timeout, func() bool {
		for _, nd := range res.nodes[1:] {
			if len(nd.obs.messages()) == 0 {
				return false
			}
		}
		return true
	}); err != nil {
		return res, fmt.Errorf("waiting for the broadcast: %w", err)
	}
	log.printf("%q reached all %d other nodes", payload, n-1)

	// Crash the last node (Shutdown without Leave): its neighbours see
	// the link break, take it out of their active views and promote a
	// member of their passive views instead.
	res.crashed = res.nodes[n-1]
	res.formerNeighbors = strings.Fields(names(res.crashed.list.Neighbors()))
	log.printf("crashing %s, neighbour of %s", res.crashed.name, strings.Join(res.formerNeighbors, " "))
	if err := res.crashed.list.Shutdown(); err != nil {
		return res, fmt.Errorf("shutdown %s: %w", res.crashed.name, err)
	}
	if err := waitUntil(timeout, func() bool {
		for _, nd := range res.nodes[:n-1] {
			if slices.Contains(strings.Fields(names(nd.list.Neighbors())), res.crashed.name) {
				return false
			}
		}
		return true
	}); err != nil {
		return res, fmt.Errorf("waiting for %s to leave every active view: %w", res.crashed.name, err)
	}
	for _, nd := range res.nodes[:n-1] {
		log.printf("%s: active view now %s", nd.name, names(nd.list.Neighbors()))
	}
	return res, nil
}

// start creates a node on a free port of 127.0.0.1.
func start(name string, log *syncLog) (*node, error) {
	obs := &observer{name: name, log: log}
	conf := hyparlist.DefaultLocalConfig()
	conf.Name = name
	conf.BindAddr = "127.0.0.1"
	conf.BindPort = 0
	conf.Delegate = obs
	conf.Events = obs
	conf.LogOutput = io.Discard
	list, err := hyparlist.Create(conf)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	return &node{name: name, list: list, obs: obs}, nil
}

// names lists nodes' names, separated by spaces.
func names(nodes []*hyparlist.Node) string {
	s := make([]string, len(nodes))
	for i, n := range nodes {
		s[i] = n.Name
	}
	return strings.Join(s, " ")
}

// errTimeout is returned by waitUntil when the condition did not hold in
// time.
var errTimeout = errors.New("timed out")

// waitUntil polls cond until it holds or timeout passes.
func waitUntil(timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return errTimeout
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// syncLog writes lines to w from many goroutines.
type syncLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *syncLog) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format+"\n", args...)
}
