// Command memberlist_compat is a small program written against
// hashicorp/memberlist's API. Its only difference from a memberlist
// program is the import line: it imports hyparlist under the name
// memberlist. It starts a few nodes on 127.0.0.1 that share a secret key
// (so all their traffic is encrypted), joins them, has every node
// broadcast a message through a TransmitLimitedQueue, sends one direct
// message with SendReliable, and leaves.
//
//	go run ./examples/memberlist_compat -n 4
package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sync/atomic"
	"time"

	memberlist "github.com/hyparlist/hyparlist"
)

func main() {
	n := flag.Int("n", 4, "number of nodes")
	timeout := flag.Duration("timeout", 20*time.Second, "how long each step may take")
	flag.Parse()
	reports, err := runCluster(*n, os.Stdout, *timeout)
	for _, r := range reports {
		fmt.Printf("%s saw members %v and received %d messages\n", r.name, r.members, len(r.received))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// nodeReport is what one node saw.
type nodeReport struct {
	name     string
	members  []string // "name/role", from Members()
	received []string // messages delivered to NotifyMsg, in order
	keys     int      // keys in the node's keyring
}

// node is one running cluster member.
type node struct {
	list     *memberlist.Memberlist
	delegate *delegate
	conf     *memberlist.Config
}

// runCluster starts n nodes on 127.0.0.1, joins them, broadcasts one
// message from every node, sends a direct message from the first node to
// the second, and makes every node leave. It returns what each node saw
// before leaving.
func runCluster(n int, out io.Writer, timeout time.Duration) ([]nodeReport, error) {
	if n < 2 {
		return nil, fmt.Errorf("need at least 2 nodes, got %d", n)
	}
	log := &syncLog{w: out}
	// The cluster's AES-256 key. A real deployment distributes one key to
	// every node (memberlist programs often read it from a file or flag).
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	var nodes []*node
	defer func() {
		for _, nd := range nodes {
			if err := nd.list.Leave(time.Second); err != nil {
				log.printf("%s: leave: %v", nd.list.LocalNode().Name, err)
			}
			if err := nd.list.Shutdown(); err != nil {
				log.printf("%s: shutdown: %v", nd.list.LocalNode().Name, err)
			}
		}
	}()

	for i := range n {
		nd, err := startNode(fmt.Sprintf("node-%d", i), key, log)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, nd)
	}

	// Everyone joins through the first node.
	seed := nodes[0].list.LocalNode().Address()
	for _, nd := range nodes[1:] {
		if _, err := nd.list.Join([]string{seed}); err != nil {
			return nil, fmt.Errorf("join %s: %w", seed, err)
		}
	}
	if err := waitUntil(timeout, func() bool {
		for _, nd := range nodes {
			if nd.list.NumMembers() != n {
				return false
			}
		}
		return true
	}); err != nil {
		return nil, fmt.Errorf("waiting for %d members everywhere: %w", n, err)
	}
	log.printf("every node sees %d members", n)

	// Every node broadcasts one message; everyone else must receive it.
	for _, nd := range nodes {
		nd.delegate.broadcast(greeting(nd.list.LocalNode().Name))
	}
	// A direct message over TCP from the first node to the second.
	var target *memberlist.Node
	for _, m := range nodes[0].list.Members() {
		if m.Name == nodes[1].list.LocalNode().Name {
			target = m
		}
	}
	if target == nil {
		return nil, fmt.Errorf("%s is not in the member list", nodes[1].list.LocalNode().Name)
	}
	if err := nodes[0].list.SendReliable(target, []byte(direct)); err != nil {
		return nil, fmt.Errorf("send to %s: %w", target.Name, err)
	}
	err := waitUntil(timeout, func() bool {
		for i, nd := range nodes {
			for j, from := range nodes {
				if i != j && !nd.delegate.hasReceived(broadcastPrefix+greeting(from.list.LocalNode().Name)) {
					return false
				}
			}
		}
		return nodes[1].delegate.hasReceived(direct)
	})
	if err != nil {
		err = fmt.Errorf("waiting for the messages: %w", err)
	}

	reports := make([]nodeReport, len(nodes))
	for i, nd := range nodes {
		r := nodeReport{name: nd.list.LocalNode().Name, received: nd.delegate.messages(), keys: len(nd.conf.Keyring.GetKeys())}
		for _, m := range nd.list.Members() {
			r.members = append(r.members, m.Name+"/"+string(m.Meta))
		}
		slices.Sort(r.members)
		reports[i] = r
	}
	return reports, err
}

// direct is the message the first node sends the second.
const direct = directPrefix + "hello"

// greeting is the text node broadcasts.
func greeting(node string) string { return "hello from " + node }

// startNode creates a node listening on a free port of 127.0.0.1 that
// encrypts its traffic with key.
func startNode(name string, key []byte, log *syncLog) (*node, error) {
	// The node calls GetBroadcasts as soon as Create starts it, so the
	// queue must exist before; it learns the cluster size from the node
	// once Create has returned it.
	var list atomic.Pointer[memberlist.Memberlist]
	numNodes := func() int {
		if l := list.Load(); l != nil {
			return l.NumMembers()
		}
		return 1
	}
	conf := memberlist.DefaultLocalConfig()
	d := &delegate{
		role:       "worker",
		seen:       map[string]bool{},
		broadcasts: &memberlist.TransmitLimitedQueue{NumNodes: numNodes, RetransmitMult: conf.RetransmitMult},
	}
	conf.Name = name
	conf.BindAddr = "127.0.0.1"
	conf.BindPort = 0 // pick a free port
	conf.Delegate = d
	conf.Events = &events{node: name, log: log}
	conf.LogOutput = io.Discard
	conf.SecretKey = key // Create builds conf.Keyring from it

	l, err := memberlist.Create(conf)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	list.Store(l)
	return &node{list: l, delegate: d, conf: conf}, nil
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
