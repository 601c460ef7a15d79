package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/hashicorp/memberlist"
)

// memberlistSystem runs hashicorp/memberlist nodes: DefaultLANConfig or
// DefaultLocalConfig changed only for name, address, port, delegates,
// transport and log output.
type memberlistSystem struct{}

func (memberlistSystem) name() string               { return "memberlist" }
func (memberlistSystem) apis() []string             { return []string{"queue"} }
func (memberlistSystem) counters() map[string]int64 { return nil }

func (memberlistSystem) sentByType() map[string]int64 { return nil }

// mlBroadcast is queuedMsg as a memberlist.Broadcast.
type mlBroadcast struct{ queuedMsg }

func (mlBroadcast) Invalidates(memberlist.Broadcast) bool { return false }

// mlNode is one memberlist node and its application.
type mlNode struct {
	i    int
	app  *app
	m    atomic.Pointer[memberlist.Memberlist]
	q    *memberlist.TransmitLimitedQueue
	port int
}

func (memberlistSystem) newNode(i int, env nodeEnv) (benchNode, error) {
	var cfg *memberlist.Config
	switch env.config {
	case "lan":
		cfg = memberlist.DefaultLANConfig()
	case "local":
		cfg = memberlist.DefaultLocalConfig()
	default:
		return nil, fmt.Errorf("unknown config %q", env.config)
	}
	nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{
		BindAddrs: []string{"127.0.0.1"},
		Logger:    log.New(io.Discard, "", 0),
	})
	if err != nil {
		return nil, fmt.Errorf("memberlist node %d: transport: %w", i, err)
	}
	n := &mlNode{i: i, app: env.app, port: nt.GetAutoBindPort()}
	n.q = &memberlist.TransmitLimitedQueue{NumNodes: func() int { return env.app.numMembers(i) }, RetransmitMult: cfg.RetransmitMult}
	cfg.Name = nodeName(i)
	cfg.BindAddr, cfg.AdvertiseAddr = "127.0.0.1", "127.0.0.1"
	cfg.BindPort, cfg.AdvertisePort = n.port, n.port
	cfg.Transport = newMLTransport(nt, env.wire)
	cfg.Delegate = n
	cfg.Events = n
	cfg.LogOutput = io.Discard
	env.app.alive[i].Store(true)
	m, err := memberlist.Create(cfg)
	if err != nil {
		env.app.alive[i].Store(false)
		return nil, fmt.Errorf("memberlist node %d: %w", i, err)
	}
	n.m.Store(m)
	return n, nil
}

func (n *mlNode) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(n.port)) }

func (n *mlNode) join(seed string) error {
	_, err := n.m.Load().Join([]string{seed})
	return err
}

func (n *mlNode) queue(msg []byte) { n.q.QueueBroadcast(mlBroadcast{msg}) }

func (n *mlNode) broadcast([]byte) error { return errNoNative }

func (n *mlNode) queued() int { return n.q.NumQueued() }

func (n *mlNode) numMembers() int {
	if m := n.m.Load(); m != nil {
		return m.NumMembers()
	}
	return 1
}

func (n *mlNode) shutdown() error { return n.m.Load().Shutdown() }

// Delegate.

func (n *mlNode) NodeMeta(int) []byte { return nil }

func (n *mlNode) NotifyMsg(b []byte) {
	if n.app.onMsg(n.i, b) && n.app.requeue.Load() {
		n.q.QueueBroadcast(mlBroadcast{slices.Clone(b)})
	}
}

func (n *mlNode) GetBroadcasts(overhead, limit int) [][]byte {
	return n.q.GetBroadcasts(overhead, limit)
}

func (n *mlNode) LocalState(bool) []byte        { return nil }
func (n *mlNode) MergeRemoteState([]byte, bool) {}

// EventDelegate.

func (n *mlNode) NotifyJoin(m *memberlist.Node)   { n.app.onJoin(n.i, m.Name) }
func (n *mlNode) NotifyLeave(m *memberlist.Node)  { n.app.onLeave(n.i, m.Name) }
func (n *mlNode) NotifyUpdate(m *memberlist.Node) {}
