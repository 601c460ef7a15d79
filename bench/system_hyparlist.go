package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hyparlist/hyparlist"
)

// hyparlistSystem runs hyparlist nodes: DefaultLANConfig or
// DefaultLocalConfig changed only for name, address, port, delegates,
// transport and log output (and BroadcastTrees with -max-trees,
// IHaveInterval with -ihave-interval, GraftTimeout with -graft-timeout,
// GraftTimeoutMin with -graft-timeout-min).
type hyparlistSystem struct{ sink *counterSink }

// hlBroadcastTrees is the Config.BroadcastTrees a hyparlist node runs
// with for the -max-trees flag's value (-1: the default).
func hlBroadcastTrees(flag int) int {
	if flag < 0 {
		return hyparlist.DefaultLANConfig().BroadcastTrees
	}
	return flag
}

// hlTimers is the Config.IHaveInterval and Config.GraftTimeout a
// hyparlist node runs with for the -config profile and the
// -ihave-interval and -graft-timeout flags' values (0: the profile's).
func hlTimers(profile string, ihave, graft time.Duration) (time.Duration, time.Duration) {
	cfg := hyparlist.DefaultLANConfig()
	if profile == "local" {
		cfg = hyparlist.DefaultLocalConfig()
	}
	if ihave > 0 {
		cfg.IHaveInterval = ihave
	}
	if graft > 0 {
		cfg.GraftTimeout = graft
	}
	return cfg.IHaveInterval, cfg.GraftTimeout
}

// hlGraftTimeoutMin is the Config.GraftTimeoutMin a hyparlist node runs
// with for the -config profile and the -graft-timeout-min flag's value
// (negative: the profile's).
func hlGraftTimeoutMin(profile string, flag time.Duration) time.Duration {
	if flag >= 0 {
		return flag
	}
	if profile == "local" {
		return hyparlist.DefaultLocalConfig().GraftTimeoutMin
	}
	return hyparlist.DefaultLANConfig().GraftTimeoutMin
}

func (*hyparlistSystem) name() string   { return "hyparlist" }
func (*hyparlistSystem) apis() []string { return []string{"native", "queue"} }

func (s *hyparlistSystem) counters() map[string]int64 { return s.sink.values() }

func (s *hyparlistSystem) sentByType() map[string]int64 { return s.sink.sentByType() }

// hlBroadcast is queuedMsg as a hyparlist.Broadcast.
type hlBroadcast struct{ queuedMsg }

func (hlBroadcast) Invalidates(hyparlist.Broadcast) bool { return false }

// hlNode is one hyparlist node and its application.
type hlNode struct {
	i    int
	app  *app
	m    atomic.Pointer[hyparlist.Memberlist]
	q    *hyparlist.TransmitLimitedQueue
	port int
}

func (s *hyparlistSystem) newNode(i int, env nodeEnv) (benchNode, error) {
	var cfg *hyparlist.Config
	switch env.config {
	case "lan":
		cfg = hyparlist.DefaultLANConfig()
	case "local":
		cfg = hyparlist.DefaultLocalConfig()
	default:
		return nil, fmt.Errorf("unknown config %q", env.config)
	}
	nt, err := hyparlist.NewNetTransport(&hyparlist.NetTransportConfig{
		BindAddrs: []string{"127.0.0.1"},
		Logger:    log.New(io.Discard, "", 0),
	})
	if err != nil {
		return nil, fmt.Errorf("hyparlist node %d: transport: %w", i, err)
	}
	n := &hlNode{i: i, app: env.app, port: nt.GetAutoBindPort()}
	n.q = &hyparlist.TransmitLimitedQueue{NumNodes: func() int { return env.app.numMembers(i) }, RetransmitMult: cfg.RetransmitMult}
	cfg.Name = nodeName(i)
	cfg.BindAddr, cfg.AdvertiseAddr = "127.0.0.1", "127.0.0.1"
	cfg.BindPort, cfg.AdvertisePort = n.port, n.port
	cfg.Transport = newHLTransport(nt, env.wire)
	cfg.Delegate = n
	cfg.Events = n
	cfg.LogOutput = io.Discard
	if env.maxTrees >= 0 {
		cfg.BroadcastTrees = env.maxTrees
	}
	cfg.VerifyUserBroadcasts = env.verifyUser
	cfg.StreamBufferBytes = env.streamBuffer
	if env.cacheBytes > 0 {
		cfg.MessageCacheMaxBytes = env.cacheBytes
	}
	if env.keepaliveInterval > 0 {
		cfg.KeepaliveInterval = env.keepaliveInterval
	}
	cfg.IHaveInterval, cfg.GraftTimeout = hlTimers(env.config, env.ihaveInterval, env.graftTimeout)
	cfg.GraftTimeoutMin = min(hlGraftTimeoutMin(env.config, env.graftTimeoutMin), cfg.GraftTimeout)
	env.app.alive[i].Store(true)
	m, err := hyparlist.Create(cfg)
	if err != nil {
		env.app.alive[i].Store(false)
		return nil, fmt.Errorf("hyparlist node %d: %w", i, err)
	}
	n.m.Store(m)
	return n, nil
}

func (n *hlNode) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(n.port)) }

func (n *hlNode) join(seed string) error {
	_, err := n.m.Load().Join([]string{seed})
	return err
}

func (n *hlNode) queue(msg []byte) { n.q.QueueBroadcast(hlBroadcast{msg}) }

func (n *hlNode) broadcast(msg []byte) error { return n.m.Load().Broadcast(msg) }

func (n *hlNode) queued() int { return n.q.NumQueued() }

func (n *hlNode) numMembers() int {
	if m := n.m.Load(); m != nil {
		return m.NumMembers()
	}
	return 1
}

// healthScore is the node's local health score (0 before it exists).
func (n *hlNode) healthScore() int {
	if m := n.m.Load(); m != nil {
		return m.GetHealthScore()
	}
	return 0
}

func (n *hlNode) shutdown() error { return n.m.Load().Shutdown() }

// Delegate.

func (n *hlNode) NodeMeta(int) []byte { return nil }

func (n *hlNode) NotifyMsg(b []byte) {
	if n.app.onMsg(n.i, b) && n.app.requeue.Load() {
		n.q.QueueBroadcast(hlBroadcast{slices.Clone(b)})
	}
}

func (n *hlNode) GetBroadcasts(overhead, limit int) [][]byte {
	return n.q.GetBroadcasts(overhead, limit)
}

func (n *hlNode) LocalState(bool) []byte        { return nil }
func (n *hlNode) MergeRemoteState([]byte, bool) {}

// EventDelegate.

func (n *hlNode) NotifyJoin(m *hyparlist.Node)   { n.app.onJoin(n.i, m.Name) }
func (n *hlNode) NotifyLeave(m *hyparlist.Node)  { n.app.onLeave(n.i, m.Name) }
func (n *hlNode) NotifyUpdate(m *hyparlist.Node) {}
