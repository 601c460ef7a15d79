// The Memberlist type: Create, Shutdown, and the read-only API (Members,
// NumMembers, LocalNode, Neighbors, ...).

package hyparlist

import (
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Memberlist is a running cluster node. Create one with Create, connect
// it to a cluster with Join, and stop it with Leave and Shutdown. It has
// the methods of memberlist v0.7.0's Memberlist with the same meanings,
// plus Broadcast and Neighbors. All methods are safe for concurrent use,
// including from inside delegate callbacks.
//
// Inside, one loop goroutine owns the protocol state (the HyParView,
// Plumtree and membership cores, their timers and the connection table);
// connection readers and writers, a broadcast pump and two callback
// dispatchers talk to it over channels (see runtime_loop.go). Members,
// NumMembers, LocalNode and Neighbors read a snapshot the loop publishes,
// so they never wait for the loop.
type Memberlist struct {
	config *Config // the node's copy of the Config, taken at Create
	// live is the application's Config: the delegate fields memberlist
	// reads at each use are read from it (Events, Conflict, Ping).
	live      *Config
	transport NodeAwareTransport
	logger    *slog.Logger
	self      Peer
	lim       wireLimits
	crypto    frameCrypto
	// signKey signs the node's broadcasts (runtime_sign.go).
	signKey ed25519.PrivateKey
	tls     *tlsState // nil without Config.TLS (transport_tls.go)
	metrics *runtimeMetrics

	snap atomic.Pointer[snapshot]

	// Channels into the loop.
	inbox    *inboxQueue
	failures chan linkFailure
	cmds     chan command

	// dialers bounds the connections being set up
	// (Config.MaxConcurrentDialers, fewer while behind: runtime_dialers.go).
	dialers *dialerSlots
	// conns holds the streams of readers and writers, closed at Shutdown.
	conns connSet
	// inbound bounds the accepted streams (Config.MaxInboundStreams).
	inbound *inboundLimiter
	// sources holds the source IPs trusted by inbound
	// (runtime_admission.go).
	sources trustedSources
	// budget bounds the bytes of frames being received
	// (Config.MaxInboundFrameBytes, runtime_framebudget.go).
	budget *frameBudget
	// readBufs are the stream readers' buffers (runtime_readbuf.go).
	readBufs readBufPool
	// writers refuses new link writers once Shutdown waits for them
	// (runtime_writer.go).
	writers writerGate
	// writeBufs are the link writers' buffers (runtime_writer.go).
	writeBufs writeBufPool
	// logRate limits the log lines of refusals (logging_ratelimit.go).
	logRate *logLimiter
	// deny holds the vetoed nodes the node refuses to link to
	// (runtime_deny.go).
	deny denyList
	// owners maps peer names to the streams their DISCONNECTs are
	// honoured on (runtime_linkowner.go).
	owners linkOwners
	// exchanges bounds the application state handed out in anti-entropy
	// exchanges (runtime_pushpull.go). The loop owns it.
	exchanges stateExchanges

	recent *recentPayloads
	// backlog counts the broadcast payloads waiting in the links' user
	// queues; local broadcasts wait for room in it (runtime_backlog.go).
	backlog    *userBacklog
	msgQueue   *dispatcher
	eventQueue *dispatcher
	// pump runs the broadcast pump's rounds (runtime_pump.go); nil when
	// it does not run.
	pump    *pumpTimer
	pingSeq atomic.Uint32
	// checkPings are the checks waiting for a packet's answer
	// (runtime_checkpacket.go).
	checkPings packetChecks
	// health is the local health score, stored by the loop
	// (GetHealthScore).
	health atomic.Int32
	// ackWarnedAt is when an oversized AckPayload was last logged (Unix
	// nanoseconds), see ackPayload.
	ackWarnedAt atomic.Int64

	shutdownCh chan struct{}
	shutdownMu sync.Mutex
	isShutdown atomic.Bool
	loopDone   chan struct{}
	// wg counts the goroutines that never run application code: the
	// loop, connection readers and writers, dials. The dispatchers and the
	// pump, which do, are tracked by their appWorker (runtime_worker.go).
	wg      sync.WaitGroup
	leaveMu sync.Mutex
	left    bool
	// localVetoed is set at Create when the AliveDelegate refused the
	// local node: the snapshot leaves it out of the member list and its
	// NotifyJoin is not called, as in memberlist.
	localVetoed bool
}

// snapshot is what the loop publishes for the read-only methods.
type snapshot struct {
	members   []*Node // alive and suspect members, by name
	local     *Node
	neighbors []*Node // the active view, by name
}

// member returns the live member called name.
func (s *snapshot) member(name string) (*Node, bool) {
	i, found := slices.BinarySearchFunc(s.members, name, func(n *Node, name string) int { return strings.Compare(n.Name, name) })
	if !found {
		return nil, false
	}
	return s.members[i], true
}

// Create starts a node with a copy of conf: it validates the copy, opens
// the transport (a NetTransport on BindAddr:BindPort unless conf.Transport
// is set) and starts the protocol. It does not contact other nodes; call
// Join for that. When conf.BindPort is 0 and Create opened the transport,
// the port chosen is written back to conf.BindPort and conf.AdvertisePort,
// as memberlist does.
//
// With conf.SecretKey or keys in conf.Keyring, every frame and packet the
// node sends is encrypted with AES-GCM and every one it receives must be
// (see security_encryption.go; GossipVerifyIncoming and GossipVerifyOutgoing relax
// this while a cluster moves to encryption). SecretKey becomes the primary
// key of conf.Keyring; when conf.Keyring is nil, Create builds a keyring
// from SecretKey and stores it in conf.Keyring, as memberlist does, so
// that keys can be rotated through it. The node keeps conf and reads its
// Events, Conflict and Ping fields at each use, as memberlist does, so
// that an application may set them after Create; every
// other field is read once, here.
//
// The AliveDelegate, if set, is asked about the local node, and the
// EventDelegate's NotifyJoin for the local node has returned when Create
// returns, as in memberlist. If the AliveDelegate refuses the local node,
// Create still succeeds, as memberlist's does, but the node leaves itself
// out of Members and NumMembers and reports no NotifyJoin for itself.
//
// When Create fails it leaves nothing running: a NetTransport it opened is
// shut down, and so is conf.Transport when the failure comes after Create
// started using it (the advertise address, the protocol cores).
func Create(conf *Config) (*Memberlist, error) {
	return create(conf, globalSink{})
}

// create is Create with the sink the node's metrics go to.
func create(conf *Config, sink metricSink) (*Memberlist, error) {
	if conf == nil {
		return nil, fmt.Errorf("create: nil config: %w", ErrInvalidConfig)
	}
	cfg := conf.clone()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("create: %w", err)
	}
	if err := installSecretKey(cfg); err != nil {
		return nil, fmt.Errorf("create: %w", err)
	}
	conf.Keyring = cfg.Keyring
	var meta []byte
	if cfg.Delegate != nil {
		meta = cfg.Delegate.NodeMeta(MetaMaxSize)
		if len(meta) > MetaMaxSize {
			return nil, fmt.Errorf("create: Delegate.NodeMeta returned %d bytes, at most %d: %w", len(meta), MetaMaxSize, ErrMessageTooLarge)
		}
		meta = slices.Clone(meta)
	}
	logger := cfg.logger()

	transport := cfg.Transport
	if transport == nil {
		nt, err := NewNetTransport(&NetTransportConfig{
			BindAddrs:    []string{cfg.BindAddr},
			BindPort:     cfg.BindPort,
			Logger:       slog.NewLogLogger(logger.Handler(), slog.LevelInfo),
			MetricLabels: cfg.MetricLabels,
		})
		if err != nil {
			return nil, fmt.Errorf("create: network transport: %w", err)
		}
		if cfg.BindPort == 0 {
			port := nt.GetAutoBindPort()
			cfg.BindPort, cfg.AdvertisePort = port, port
			conf.BindPort, conf.AdvertisePort = port, port
		}
		transport = nt
	}
	m, err := newMemberlist(cfg, conf, transport, logger, meta, sink)
	if err != nil {
		_ = transport.Shutdown()
		return nil, fmt.Errorf("create: %w", err)
	}
	return m, nil
}

// installSecretKey turns Config.SecretKey into the primary key of the
// keyring, as memberlist does.
func installSecretKey(cfg *Config) error {
	if len(cfg.SecretKey) == 0 {
		return nil
	}
	if cfg.Keyring == nil {
		k, err := NewKeyring(nil, cfg.SecretKey)
		if err != nil {
			return err
		}
		cfg.Keyring = k
		return nil
	}
	if err := cfg.Keyring.AddKey(cfg.SecretKey); err != nil {
		return err
	}
	return cfg.Keyring.UseKey(cfg.SecretKey)
}

// newMemberlist builds the node on an open transport and starts its
// goroutines.
func newMemberlist(cfg, live *Config, transport Transport, logger *slog.Logger, meta []byte, sink metricSink) (*Memberlist, error) {
	ip, port, err := transport.FinalAdvertiseAddr(cfg.AdvertiseAddr, cfg.AdvertisePort)
	if err != nil {
		return nil, fmt.Errorf("advertise address: %w", err)
	}
	lim := cfg.wireLimits()
	signKey, err := newSigningKey(cfg.SigningKey)
	if err != nil {
		return nil, err
	}
	m := &Memberlist{
		config:     cfg,
		live:       live,
		transport:  asNodeAware(transport),
		logger:     logger,
		self:       Peer{Name: cfg.Name, Addr: net.JoinHostPort(ip.String(), strconv.Itoa(port))},
		lim:        lim,
		crypto:     newFrameCrypto(cfg),
		signKey:    signKey,
		tls:        newTLSState(cfg),
		metrics:    newRuntimeMetrics(sink, cfg.MetricLabels),
		inbox:      newInboxQueue(cfg.HandoffQueueDepth),
		failures:   make(chan linkFailure, linkFailureBacklog),
		cmds:       make(chan command, commandBacklog),
		dialers:    newDialerSlots(cfg.MaxConcurrentDialers),
		inbound:    newInboundLimiter(cfg.MaxInboundStreams, cfg.MaxInboundStreamsPerIP, cfg.MaxHandshakesPerIP),
		budget:     newFrameBudget(cfg.MaxInboundFrameBytes),
		logRate:    newLogLimiter(logRateInterval, maxLogRateKeys),
		recent:     newRecentPayloads(max(cfg.MessageCacheTTL, time.Second), recentPayloadsMax),
		backlog:    newUserBacklog(cfg.PeerSendQueueBytes, cfg.PeerSendQueueDepth),
		shutdownCh: make(chan struct{}),
		loopDone:   make(chan struct{}),
	}
	m.msgQueue = newDispatcher("messages", dispatchQueueMaxBytes, m.shutdownCh)
	m.eventQueue = newDispatcher("events", dispatchQueueMaxBytes, m.shutdownCh)

	m.localVetoed = m.localAliveVetoed(meta)
	seed := rand.Uint64()
	l, err := newRunLoop(m, rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), meta)
	if err != nil {
		return nil, err
	}
	// The first steps run here, before any goroutine, so that Members and
	// LocalNode hold the local node when Create returns, and the
	// EventDelegate has been told of it (start runs the local NotifyJoin
	// on this goroutine).
	l.start()

	if iv := cfg.broadcastPullInterval(); cfg.Delegate != nil && iv > 0 {
		m.pump = m.startPump(iv)
	}
	m.wg.Add(2)
	go l.run()
	go m.runAcceptor()
	return m, nil
}

// Shutdown stops the node without telling the cluster: its connections
// close, so its neighbours notice at once and the cluster declares it dead
// after the suspicion timeout. Call Leave first to go away gracefully.
// Shutdown stops every goroutine the node started and the transport (also
// a Transport given in Config); it returns when they are gone, except for
// a delegate callback still running, whose goroutine exits when the
// callback returns without calling anything more. Streams being dialled
// or in their handshake are closed at once (a dial in progress ends when
// the transport's Shutdown ends it, as NetTransport's and MockTransport's
// do). Calling it again does nothing and returns nil.
func (m *Memberlist) Shutdown() error {
	m.shutdownMu.Lock()
	defer m.shutdownMu.Unlock()
	if m.isShutdown.Load() {
		return nil
	}
	m.isShutdown.Store(true)
	close(m.shutdownCh)
	var err error
	if terr := m.transport.Shutdown(); terr != nil {
		err = fmt.Errorf("shutdown transport: %w", terr)
		m.logger.Error("failed to shut down transport", "error", terr)
	}
	<-m.loopDone
	m.conns.closeAll()
	m.closeWriters()
	m.wg.Wait()
	m.msgQueue.wait()
	m.eventQueue.wait()
	m.pump.stop()
	return err
}

// localAliveVetoed asks the AliveDelegate about the local node, as
// memberlist does when it marks itself alive, and reports a refusal.
func (m *Memberlist) localAliveVetoed(meta []byte) bool {
	ad := m.config.Alive
	if ad == nil {
		return false
	}
	n := m.memberNode(Member{Name: m.self.Name, Addr: m.self.Addr, Meta: meta, State: memberStateAlive})
	if err := ad.NotifyAlive(n); err != nil {
		m.logger.Warn("alive delegate refused the local node; it is left out of its own member list", "member", n.Name, "error", err)
		return true
	}
	return false
}

// shutDown reports whether Shutdown has been called.
func (m *Memberlist) shutDown() bool { return m.isShutdown.Load() }

// Members returns the live members of the cluster (alive or suspect, see
// Node.State), the local node included until it leaves, sorted by name.
// The Nodes are shared: do not modify them (copy one to change it).
func (m *Memberlist) Members() []*Node {
	return slices.Clone(m.snap.Load().members)
}

// NumMembers returns the number of live members (alive or suspect). The
// count may change between a call to NumMembers and a call to Members.
func (m *Memberlist) NumMembers() (alive int) {
	return len(m.snap.Load().members)
}

// LocalNode returns the local node as the cluster sees it: its advertised
// address, metadata and state.
func (m *Memberlist) LocalNode() *Node {
	return m.snap.Load().local
}

// Neighbors returns the local node's HyParView active view: the members it
// holds long-lived links to and that broadcasts travel through, sorted by
// name. Not in memberlist. The Nodes are shared: do not modify them.
func (m *Memberlist) Neighbors() []*Node {
	return slices.Clone(m.snap.Load().neighbors)
}

// GetHealthScore returns the local health score, as memberlist's: 0 when
// the node keeps up, up to Config.AwarenessMaxMultiplier − 1 while its
// protocol loop falls behind (it measures how late its timers fire and
// how long frames wait for it, runtime_awareness.go). While the score is
// s, the node waits s+1 times longer before it judges a neighbour silent
// or a suspected member dead. Lower is healthier.
func (m *Memberlist) GetHealthScore() int { return int(m.health.Load()) }

// ProtocolVersion returns Config.ProtocolVersion. It does not change the
// wire format (connections negotiate their own version).
func (m *Memberlist) ProtocolVersion() uint8 { return m.config.ProtocolVersion }

// Broadcast sends payload to every member: it is pushed at once on the
// Plumtree eager links and delivered once to the Delegate.NotifyMsg of
// every other member that stays connected (not to the local node). Not in
// memberlist. The payload is copied.
//
// Broadcast blocks while the broadcast payloads waiting to be written to
// the node's links, with this one, would exceed one link's send queue
// (Config.PeerSendQueueBytes bytes or Config.PeerSendQueueDepth payloads
// in all): a burst faster than the slowest neighbour can take goes at
// that neighbour's pace instead of overflowing its queue. It returns when
// there is room; a neighbour that does not catch up is disconnected after
// Config.TCPTimeout without progress, which frees the room. Call it from
// a goroutine of its own when it must not wait, not from a callback that
// the node's progress depends on.
//
// It returns ErrMessageTooLarge for a payload that does not fit in a
// frame (Config.MaxFrameSize), and ErrShutdown after Shutdown, also when
// the node shuts down while Broadcast waits (wrapped: use errors.Is).
func (m *Memberlist) Broadcast(payload []byte) error {
	return m.broadcast(ClassUser, payload)
}

// broadcast hands a copy of payload to Plumtree once there is room in the
// backlog, after the size check, so that an oversized payload is never
// copied.
func (m *Memberlist) broadcast(class Class, payload []byte) error {
	if len(payload) > m.config.MaxFrameSize-gossipFrameOverhead(m.self.Name) {
		return fmt.Errorf("broadcast %d bytes: %w", len(payload), ErrMessageTooLarge)
	}
	if m.shutDown() {
		return ErrShutdown
	}
	cost := broadcastCost(m.self.Name, payload)
	if err := m.backlog.reserve(cost, m.shutdownCh); err != nil {
		return fmt.Errorf("broadcast %d bytes: %w", len(payload), err)
	}
	err := m.submit(cmdBroadcast{class: class, payload: clonePayload(payload), reserved: cost})
	if err != nil {
		m.backlog.remove(cost)
	}
	return err
}

// broadcastCost is the backlog a local broadcast of payload reserves: the
// frameCost of its Gossip frame on one link.
func broadcastCost(origin string, payload []byte) int {
	return frameCost(outFrame{msg: gossipMsg{ID: MessageID{Origin: origin}, Class: ClassUser, Payload: payload}})
}

// gossipFrameOverhead bounds the bytes a Gossip frame from origin needs
// beyond its payload: header, msgpack headers, message ID, class, round.
func gossipFrameOverhead(origin string) int {
	return frameHeaderSize + 32 + len(origin)
}

// submit hands a command to the loop, waiting while its queue is full; it
// returns ErrShutdown if the node shuts down first.
func (m *Memberlist) submit(c command) error {
	if m.shutDown() {
		return ErrShutdown
	}
	select {
	case m.cmds <- c:
		return nil
	case <-m.shutdownCh:
		return ErrShutdown
	}
}

// publish stores a new snapshot.
func (m *Memberlist) publish(s *snapshot) { m.snap.Store(s) }
