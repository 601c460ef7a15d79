// Runtime: the protocol loop, the one goroutine that owns the cores and routes
// their actions.

package hyparlist

import (
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"time"
)

// This file owns the protocol loop: the one goroutine that owns the three
// cores, the timer queue and the connection table, and routes every core's
// actions:
//
//	HyParView  Send → links, SetTimer → timers,
//	           NeighborUp/Down → link kept/closed, Plumtree, membership,
//	           NeighborDelegate
//	Plumtree   Send, SetTimer, Deliver: ClassMembership → membership,
//	           ClassUser → Delegate.NotifyMsg (via the message dispatcher)
//	membership Send, SetTimer, BroadcastPayload → Plumtree,
//	           MemberChanged → snapshot and EventDelegate,
//	           PushPullState/MergeRemoteState → Delegate, ProbeMember → a
//	           dial in the background (runtime_join.go),
//	           aliveCheck/mergeCheck/memberConflict → the application's
//	           filters and ConflictDelegate (runtime_checks.go)
//
// LeaveAnnounced is not used: Leave keeps the node in the overlay for a
// fixed spread time after the announcement (runtime_leave.go).
//
// A core's drained actions are routed before any core is stepped again:
// events for other cores go through a FIFO work queue, so no Drain slice
// is used after the next Step of its core, and the order "NeighborUp to
// Plumtree before membership" of membership.go holds.

// commandBacklog is the capacity of the loop's command queue; callers wait
// when it is full.
const commandBacklog = 256

// transientLinksPerDialer bounds the open links beyond the active view:
// MaxConcurrentDialers × transientLinksPerDialer. A send that would need
// one more is dropped (metric hyparlist.link.send_dropped); the protocols
// treat it as a lost message.
const transientLinksPerDialer = 8

// linkFailureBacklog is the capacity of the queue of link failures
// reported by writers; writers wait when it is full.
const linkFailureBacklog = 64

// coreID names a core in the work queue, or who asked for a timer.
type coreID uint8

const (
	coreHyParView coreID = iota
	corePlumtree
	coreMembership
	// coreRuntime owns the loop's own timers; it is not a core.
	coreRuntime
)

// work is an event waiting to be fed to a core.
type work struct {
	core coreID
	ev   Event
}

// Runtime timers (owner coreRuntime).
type (
	// silenceCheckTimer drives the check of neighbours' inbound silence.
	silenceCheckTimer struct{}
	// linkIdleTimer closes a transient link that has not been used for
	// transientLinkLinger.
	linkIdleTimer struct{ link *outLink }
	// statsTimer samples queue depths and view sizes into metrics.
	statsTimer struct{}
)

func (silenceCheckTimer) isTimer() {}
func (linkIdleTimer) isTimer()     {}
func (statsTimer) isTimer()        {}

// runLoop is the loop's state. Every field is owned by the loop goroutine
// (before it starts, by Create).
type runLoop struct {
	m  *Memberlist
	hv *HyParView
	pt *Plumtree
	ms *Membership
	// memberStats is the membership core's stats when sampleStats last
	// emitted them (runtime_metrics_members.go).
	memberStats membershipStats
	// treeStats is the Plumtree core's stats then
	// (runtime_metrics_grafts.go).
	treeStats plumtreeStats
	// sigs counts the signature checks (runtime_sign_check.go), and
	// sigStats is sigs when sampleStats last emitted it.
	sigs, sigStats sigCounts
	// origins binds broadcast origins to their keys (runtime_sign.go).
	origins originKeys

	// viewsStepped is set when HyParView stepped since the views' IPs were
	// last published; viewAddrs are the views' addresses they were taken
	// from, addrScratch the buffer they are compared in, and
	// lastViewSources what was published (runtime_admission.go);
	// viewSourcesBuilt counts the times the addresses were parsed.
	viewsStepped     bool
	viewAddrs        []string
	addrScratch      []string
	lastViewSources  []string
	viewSourcesBuilt uint64

	now    time.Time
	timers *timerQueue
	due    []timerEntry

	links     map[string]*outLink
	lastHeard map[string]time.Time // active neighbours: last inbound frame
	maxLinks  int

	queue     []work
	queueHead int

	dirty bool // the snapshot must be rebuilt
	// records is the membership core's recordsVersion at the last check:
	// a membership step dirties the snapshot only if it changed a record.
	records uint64
	// members are the members' Nodes in the published snapshot, by name
	// (runtime_publish.go).
	members []*Node
	// connected is closed while the active view is not empty; Join waits
	// on it.
	connected     chan struct{}
	connectedOpen bool
	// leave is the state of a Leave in progress (runtime_leave.go).
	leave leaveState
	// leftOrder holds members' left announcements behind their earlier
	// broadcasts (runtime_leave_order.go).
	leftOrder leftOrder
	// left is set when Leave has disconnected: the cores stop and inbound
	// messages are ignored.
	left bool
	// meta is the local metadata until Start.
	meta []byte
	// joinWaits are the Joins waiting for a MergeDelegate verdict
	// (runtime_checks.go), at most maxJoinWaits.
	joinWaits []joinWait
	// listedWaits are the Joins waiting for the node to list their
	// contact (runtime_join_settle.go), at most maxJoinWaits.
	listedWaits []listedWait
	// callbacks are the application callbacks of the current iteration,
	// handed to the dispatchers after the snapshot is published.
	callbacks []pendingCallback
	// pings are the unanswered LinkPings per neighbour, at most
	// maxOutstandingLinkPings each (runtime_ping.go).
	pings map[string][]sentPing
	// health is the local health score (runtime_awareness.go); lag is
	// the largest lag measured since the last silence check.
	health awareness
	lag    time.Duration
	// deferredLinks are the links holding announcements of refused
	// payloads, flushed by a deferFlushTimer while deferArmed
	// (runtime_backpressure.go).
	deferredLinks []*outLink
	deferArmed    bool
	// answering is the neighbour whose GRAFT of message IDs Plumtree's
	// actions answer while they are routed; heldLinks are the links
	// holding answers, retried by a heldAnswerTimer while heldArmed
	// (runtime_graftanswer.go).
	answering string
	heldLinks []*outLink
	heldArmed bool
	// wakes are the links whose writers start at the end of the
	// iteration (runtime_writebatch.go).
	wakes []*outLink
	// checks are the confirmation checks of new members waiting for or
	// holding a dialer (runtime_confirm.go).
	checks confirmChecks
}

// newRunLoop builds the cores for m.
func newRunLoop(m *Memberlist, rng *rand.Rand, meta []byte) (*runLoop, error) {
	cc := m.config.coreConfigs()
	hv, err := NewHyParView(m.self, cc.hyparview, rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())))
	if err != nil {
		return nil, fmt.Errorf("hyparview core: %w", err)
	}
	pt, err := NewPlumtree(m.self, cc.plumtree, rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())))
	if err != nil {
		return nil, fmt.Errorf("plumtree core: %w", err)
	}
	ms, err := NewMembership(m.self, cc.membership, rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())))
	if err != nil {
		return nil, fmt.Errorf("membership core: %w", err)
	}
	ms.trackChanges() // publish applies the changes only (runtime_publish.go)
	l := &runLoop{
		m:         m,
		hv:        hv,
		pt:        pt,
		ms:        ms,
		timers:    newTimerQueue(),
		links:     make(map[string]*outLink),
		lastHeard: make(map[string]time.Time),
		maxLinks:  m.config.ActiveViewSize + transientLinksPerDialer*m.config.MaxConcurrentDialers,
		connected: make(chan struct{}),
		meta:      meta,
		health:    newAwareness(m.config.AwarenessMaxMultiplier, m.config.keepaliveTimeout()/awarenessLagDivisor),
	}
	if err := l.initSigning(); err != nil {
		return nil, err
	}
	return l, nil
}

// start feeds Start to every core and publishes the first snapshot. It
// runs on Create's goroutine, before the loop goroutine starts.
func (l *runLoop) start() {
	l.now = time.Now()
	l.feed(coreMembership, updateMeta{Meta: l.meta})
	l.meta = nil
	l.feed(coreHyParView, Start{})
	l.feed(corePlumtree, Start{})
	l.feed(coreMembership, Start{})
	if iv := l.m.config.keepaliveInterval(); l.m.config.linkSilenceLimit() > 0 {
		l.timers.add(l.now, iv, coreRuntime, silenceCheckTimer{})
	}
	if iv := l.m.config.QueueCheckInterval; iv > 0 {
		l.timers.add(l.now, iv, coreRuntime, statsTimer{})
	}
	l.runQueue()
	l.wakeWriters()
	l.publish()
	l.publishViewSources()
	// The first iteration's callbacks (the local node's NotifyJoin) run
	// here, on Create's goroutine, so that they have returned when Create
	// returns, as memberlist's do: applications read their own member
	// right after Create.
	for i, c := range l.callbacks {
		c.run()
		l.callbacks[i] = pendingCallback{}
	}
	l.callbacks = l.callbacks[:0]
}

// run is the loop goroutine.
func (l *runLoop) run() {
	defer l.m.wg.Done()
	defer close(l.m.loopDone)
	defer l.stop()
	for {
		select {
		case <-l.m.inbox.ready:
			in, ok := l.m.inbox.take()
			if !ok {
				continue
			}
			l.now = time.Now()
			l.onInbound(in)
			l.takeMoreInbound()
		case f := <-l.m.failures:
			l.now = time.Now()
			l.onWriterFailure(f)
		case c := <-l.m.cmds:
			l.now = time.Now()
			c.apply(l)
		case <-l.timers.C():
			l.now = time.Now()
			l.onTimers()
		case <-l.m.shutdownCh:
			return
		}
		l.runQueue()
		l.startChecks()
		// Published before the writers are woken, so that a node that
		// gets an answer of this iteration (a join exchange's) finds the
		// sender's member list already showing what the answer shows
		// (TestRuntimeJoinCompletesExchange failed about 1 in 1,000 runs
		// when the answer went out first).
		l.publish()
		l.publishViewSources()
		l.wakeWriters()
		l.flushCallbacks()
	}
}

// maxInboundBatch bounds the frames the loop handles in one iteration:
// the first, and up to maxInboundBatch−1 more that wait in the inbox. The
// member list is published (publish, O(N) for N members) and the
// callbacks are flushed once per iteration, so a loop that falls behind
// does that work once per batch instead of once per frame: in a join storm
// of 1,000 nodes, publishing after every frame took 42 % of the process's
// CPU. 64 frames take well under a millisecond to handle, so timers and
// commands wait little longer than for one.
const maxInboundBatch = 64

// takeMoreInbound handles, each with its core steps, up to
// maxInboundBatch−1 more frames that wait in the inbox.
func (l *runLoop) takeMoreInbound() {
	for range maxInboundBatch - 1 {
		l.runQueue()
		in, ok := l.m.inbox.take()
		if !ok {
			return
		}
		l.now = time.Now()
		l.onInbound(in)
	}
}

// stop aborts every link when the loop exits.
func (l *runLoop) stop() {
	l.memberStats = l.m.metrics.memberStats(l.memberStats, l.ms.counters())
	l.treeStats = l.m.metrics.graftStats(l.treeStats, l.pt.counters())
	l.sigStats = l.m.metrics.sigStats(l.sigStats, l.sigs)
	l.wakeWriters()
	l.timers.stop()
	for _, k := range l.links {
		k.abort()
	}
	clear(l.links)
}

// feed queues ev for core c.
func (l *runLoop) feed(c coreID, ev Event) {
	l.queue = append(l.queue, work{core: c, ev: ev})
}

// runQueue steps the cores with the queued events, in order, routing each
// core's actions before the next step.
func (l *runLoop) runQueue() {
	for l.queueHead < len(l.queue) {
		w := l.queue[l.queueHead]
		l.queue[l.queueHead] = work{}
		l.queueHead++
		switch w.core {
		case coreHyParView:
			l.hv.Step(l.now, w.ev)
			l.viewsStepped = true
			l.routeHyParView(l.hv.Drain())
		case corePlumtree:
			l.pt.Step(l.now, w.ev)
			l.answering = graftAsker(w.ev)
			l.routePlumtree(l.pt.Drain())
			l.answering = ""
		case coreMembership:
			l.ms.Step(l.now, w.ev)
			if v := l.ms.recordsVersion(); v != l.records {
				l.records = v
				l.dirty = true
			}
			l.routeMembership(l.ms.Drain())
		}
	}
	l.queue = l.queue[:0]
	l.queueHead = 0
}

func (l *runLoop) routeHyParView(actions []Action) {
	for _, a := range actions {
		switch a := a.(type) {
		case Send:
			switch _, ok := a.Msg.(keepaliveMsg); {
			case l.denied(a.To.Name):
				l.forget(a.To) // a vetoed node: no link to it
			case ok:
				l.keepalive(a.To)
			default:
				l.send(a.To, a.Msg)
			}
		case SetTimer:
			l.timers.add(l.now, a.After, coreHyParView, a.Timer)
		case NeighborUp:
			l.neighborUp(a.Peer)
		case NeighborDown:
			l.neighborDown(a.Peer)
		}
	}
}

func (l *runLoop) routePlumtree(actions []Action) {
	for _, a := range actions {
		switch a := a.(type) {
		case Send:
			l.send(a.To, a.Msg)
		case SetTimer:
			l.timers.add(l.now, a.After, corePlumtree, a.Timer)
		case Deliver:
			l.deliver(a)
		}
	}
}

func (l *runLoop) routeMembership(actions []Action) {
	for _, a := range actions {
		switch a := a.(type) {
		case Send:
			l.send(a.To, a.Msg)
		case SetTimer:
			l.timers.add(l.now, a.After, coreMembership, a.Timer)
		case BroadcastPayload:
			l.feed(corePlumtree, a)
		case MemberChanged:
			l.memberEvent(a.Event, a.Member)
		case ProbeMember:
			l.probe(a)
		case PushPullState:
			l.localState(a.Peer, a.Join)
		case mergeRemoteState:
			l.mergeRemoteState(a.From, a.State, a.Join)
		case aliveCheck:
			l.askAlive(a)
		case mergeCheck:
			l.askMerge(a)
		case memberConflict:
			l.notifyMemberConflict(a)
		}
	}
}

// deliver hands a Plumtree delivery to its consumer.
func (l *runLoop) deliver(d Deliver) {
	switch d.Class {
	case ClassMembership:
		if l.holdLeft(d) {
			return // runtime_leave_order.go
		}
		l.feed(coreMembership, d)
	case ClassUser:
		if d.From.Name == l.m.self.Name {
			return // a local broadcast: the application already has it
		}
		l.m.metrics.delivered(d.Hops)
		l.deliverBroadcast(d.Payload)
	}
	if len(l.leftOrder.held) > 0 {
		l.delivered(d.ID) // runtime_leave_order.go
	}
}

// onInbound feeds a message read from a stream to the core that owns its
// type.
func (l *runLoop) onInbound(in inbound) {
	if in.ended {
		l.onLinkEnded(in.from)
		return
	}
	if l.left {
		l.answerAfterLeave(in)
		return
	}
	if l.staleHold(in) { // runtime_linkhold.go
		return
	}
	in, ok := l.screen(in)
	if !ok {
		return
	}
	l.heard(in)
	switch v := in.msg.(type) {
	case linkPingMsg:
		l.onLinkPing(in, v)
		return
	case pingAckMsg:
		l.onPingAck(in.from, v)
		return
	}
	if _, ok := in.msg.(joinMsg); ok {
		l.renewLinkOnJoin(in.from)
	}
	if endsExchange(in.msg) {
		l.closeAnswered(in.from)
	}
	if g, ok := in.msg.(gossipMsg); ok && !l.acceptOrigin(in.from, g) {
		return
	}
	ev := Receive{From: in.from, Msg: in.msg}
	switch t := in.msg.Type(); {
	case t < typeGossip:
		l.feed(coreHyParView, ev)
	case t < typeMemberDigest:
		l.feed(corePlumtree, ev)
	case t < typeHello:
		l.feed(coreMembership, ev)
	}
}

// onTimers routes every due timer to its owner.
func (l *runLoop) onTimers() {
	l.due = l.timers.due(l.now, l.due[:0])
	l.timers.fired(l.now)
	for i, e := range l.due {
		l.due[i] = timerEntry{}
		l.noteLag(l.now.Sub(e.at))
		if e.owner == coreRuntime {
			l.onRuntimeTimer(e.timer)
		} else {
			l.feed(e.owner, TimerFired{Timer: e.timer})
		}
	}
}

// onRuntimeTimer handles the loop's own timers.
func (l *runLoop) onRuntimeTimer(t Timer) {
	switch t := t.(type) {
	case silenceCheckTimer:
		l.drainInbox()
		l.updateHealth()
		l.checkSilence()
		l.timers.add(l.now, l.m.config.keepaliveInterval(), coreRuntime, t)
	case linkIdleTimer:
		l.onLinkIdle(t.link)
	case statsTimer:
		l.sampleStats()
		l.timers.add(l.now, l.m.config.QueueCheckInterval, coreRuntime, t)
	case leaveTimer:
		l.finishLeave()
	case leftHoldTimer:
		l.onLeftHoldTimer(t)
	case deferFlushTimer:
		l.flushDeferred()
	case heldAnswerTimer:
		l.retryHeldAnswers()
	}
}

// neighborUp keeps a long-lived link to p and tells the other cores.
func (l *runLoop) neighborUp(p Peer) {
	if k := l.link(p); k != nil {
		k.neighbor = true
		k.heartbeat.Store(true)
		k.up = l.m.owners.ups.Add(1) // runtime_linkhold.go
	}
	l.lastHeard[p.Name] = l.now.Add(l.m.config.TCPTimeout) // see runtime_silence.go
	l.feed(corePlumtree, NeighborUp{Peer: p})
	l.feed(coreMembership, NeighborUp{Peer: p})
	l.dirty = true
	if !l.connectedOpen {
		close(l.connected)
		l.connectedOpen = true
	}
	l.notifyNeighbor(true, l.peerNode(p))
}

// neighborDown closes the link to p once its queue is written (only what
// p needs, if nothing was written yet: runtime_linkgiveup.go) and tells
// the other cores.
func (l *runLoop) neighborDown(p Peer) {
	l.m.metrics.neighborDown()
	delete(l.lastHeard, p.Name)
	l.forgetPings(p.Name)
	if k := l.links[p.Name]; k != nil {
		l.closeDownLink(k) // runtime_linkgiveup.go
	}
	l.feed(corePlumtree, NeighborDown{Peer: p})
	l.feed(coreMembership, NeighborDown{Peer: p})
	l.dirty = true
	if len(l.lastHeard) == 0 && l.connectedOpen {
		l.connected = make(chan struct{})
		l.connectedOpen = false
	}
	l.notifyNeighbor(false, l.peerNode(p))
}

// linkFailed drops the link to p, if any, and reports the failure to
// HyParView and membership; weak says the failure is weak evidence of a
// crash (LinkFailed.Weak).
func (l *runLoop) linkFailed(p Peer, weak bool) {
	l.failLink(LinkFailed{Peer: p, Weak: weak})
}

// failLink drops the link to ev.Peer, if any, and reports ev to HyParView
// and membership.
func (l *runLoop) failLink(ev LinkFailed) {
	if k := l.links[ev.Peer.Name]; k != nil {
		delete(l.links, ev.Peer.Name)
		k.abort()
	}
	l.forgetPings(ev.Peer.Name)
	l.feed(coreHyParView, ev)
	l.feed(coreMembership, ev)
}

// onWriterFailure handles a link whose writer failed.
func (l *runLoop) onWriterFailure(f linkFailure) {
	if l.links[f.link.peer.Name] != f.link {
		return // already replaced or closed
	}
	l.m.metrics.linkFailed(f.reason)
	l.m.logger.Debug("link failed", "peer", f.link.peer.Name, "reason", f.reason, "error", f.err)
	l.failLink(LinkFailed{Peer: f.link.peer, Weak: f.reason != linkFailedEnded && !checkFailureRefused(f.err),
		Local: l.noteLocalFailure(f.err)})
}

// link returns the link to p, opening one if needed; nil if none can be
// opened (no address, or too many links).
func (l *runLoop) link(p Peer) *outLink {
	if k := l.links[p.Name]; k != nil {
		return k
	}
	return l.openLink(p, nil)
}

// openLink starts a link to p, writing to conn when it is not nil.
func (l *runLoop) openLink(p Peer, conn net.Conn) *outLink {
	if p.Addr == "" || len(l.links) >= l.maxLinks {
		return nil
	}
	k := newOutLink(p, l.m.config.PeerSendQueueDepth, l.m.config.PeerSendQueueBytes)
	k.backlog = l.m.backlog
	k.beatAfter = l.m.config.heartbeatAfter()
	k.wake = func() { l.m.startWriter(k) }
	k.lastUsed = l.now
	l.links[p.Name] = k
	l.m.wg.Add(1)
	go l.m.runWriter(k, conn)
	l.armIdle(k)
	return k
}

// armIdle arms the idle timer of a transient link.
func (l *runLoop) armIdle(k *outLink) {
	if !k.neighbor && !k.idleTimer {
		k.idleTimer = true
		l.timers.add(l.now, transientLinkLinger, coreRuntime, linkIdleTimer{link: k})
	}
}

// onLinkIdle closes a transient link unused for transientLinkLinger.
func (l *runLoop) onLinkIdle(k *outLink) {
	k.idleTimer = false
	if l.links[k.peer.Name] != k || k.neighbor {
		return
	}
	if idle := l.now.Sub(k.lastUsed); idle < transientLinkLinger {
		k.idleTimer = true
		l.timers.add(l.now, transientLinkLinger-idle, coreRuntime, linkIdleTimer{link: k})
		return
	}
	l.closeLink(k)
}

// closeLink removes k from the table and closes it once its queue is
// written (at once if the queue is full).
func (l *runLoop) closeLink(k *outLink) {
	if l.links[k.peer.Name] == k {
		delete(l.links, k.peer.Name)
	}
	k.neighbor = false
	k.heartbeat.Store(false)
	k.flushDeferred() // best effort: the peer may still graft them
	if !k.enqueue(outFrame{close: true}) {
		k.abort()
	}
}

// send queues msg on the link to p. An answer to p's GRAFT that does not
// fit in the user queue waits for room (holdAnswer, runtime_graftanswer.go),
// any other broadcast payload is announced instead (deferUser), a GRAFT of message
// IDs dropped (dropGraft, runtime_linkgraft.go); any other full queue
// fails the link. A peer that cannot be linked (no address, too many
// links) loses the message, which the protocols tolerate.
func (l *runLoop) send(p Peer, msg Message) {
	k := l.link(p)
	if k == nil {
		l.m.metrics.sendDropped()
		return
	}
	k.lastUsed = l.now
	k.sent++
	if !l.heldFirst(k, msg) && !l.queueFrame(k, outFrame{msg: msg, afterUser: l.leave.active}) && !l.holdAnswer(k, msg) && !l.deferUser(k, msg) && !l.dropGraft(msg) {
		l.m.metrics.linkFailed("queue_full")
		queued, depth := k.depth()
		l.m.logger.Warn("send queue full, disconnecting peer", "peer", p.Name, "frames", queued, "depth", depth,
			"bytes", k.queuedBytes(), "max_bytes", k.maxBytes)
		l.linkFailed(k.peer, true)
		return
	}
	if l.singleUse(k) && endsExchange(msg) {
		l.closeLink(k) // see runtime_oneshot.go
		return
	}
	l.armIdle(k)
}

// flushLinks queues a flush marker on every link and returns what to wait
// for: per link, the marker or the writer's exit.
func (l *runLoop) flushLinks() []flushWait {
	var waits []flushWait
	for _, name := range l.linkNames() {
		k := l.links[name]
		c := make(chan struct{})
		if k.enqueue(outFrame{flushed: c}) {
			waits = append(waits, flushWait{flushed: c, done: k.done})
		}
	}
	return waits
}

// linkNames returns the names of the open links, sorted.
func (l *runLoop) linkNames() []string {
	names := make([]string, 0, len(l.links))
	for n := range l.links {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// flushWait is what a caller of UpdateNode or Leave waits for on one
// link: flushed closes when the frames before it are written, done when
// the link's writer exits (written or broken).
type flushWait struct {
	flushed <-chan struct{}
	done    <-chan struct{}
}

// probe acts on ProbeMember: it checks in the background whether the
// member can be reached, first in a packet outside the dialer slots
// (runtime_checkpacket.go). Its dial is skipped when every dialer slot is
// busy, or, while the node is behind, when it would take the last free
// one (runtime_dialers.go).
func (l *runLoop) probe(a ProbeMember) {
	if a.Confirm {
		l.queueCheck(a) // runtime_confirm.go
		return
	}
	if l.refused(a.Peer) || l.askInPacket(a) {
		return
	}
	if !l.m.dialers.tryAcquireSpare(l.m.config.MaxConcurrentDialers) {
		return
	}
	l.m.wg.Add(1)
	go l.m.runProbe(a)
}

// onProbeResult acts on the outcome of a probe: a dead member that
// answered is asked for a link (a JOIN, so that its side of a healed
// partition learns of this one); a live member that did not is reported as
// a failed link, or as unreachable when the probe was a confirmation check.
func (l *runLoop) onProbeResult(a ProbeMember, reached Peer, err error) {
	switch {
	case err == nil && a.Dead:
		l.feed(coreHyParView, JoinCluster{Contact: reached})
	case err != nil && a.Confirm:
		// A member no neighbour vouched for: membership alone decides
		// (membership_confirm.go); it is no neighbour's failed link.
		l.feed(coreMembership, MemberUnreachable{Peer: a.Peer, Refused: checkFailureRefused(err), Local: l.noteLocalFailure(err)})
	case err != nil && !a.Dead:
		l.m.metrics.linkFailed("probe")
		l.failLink(LinkFailed{Peer: a.Peer, Weak: !checkFailureRefused(err), Local: l.noteLocalFailure(err)})
	}
}

// memberEvent records a member change for the snapshot and tells the
// EventDelegate.
func (l *runLoop) memberEvent(t NodeEventType, mem Member) {
	n := l.m.memberNode(mem)
	l.dirty = true
	l.floorListed(mem.Name)
	if l.m.localVetoed && mem.Name == l.m.self.Name {
		return // not in its own member list (Create)
	}
	l.notifyMember(t, n)
}

// peerNode returns the member node for p, or a node built from its
// address when it is not a known member.
func (l *runLoop) peerNode(p Peer) *Node {
	if mem, ok := l.ms.Member(p.Name); ok {
		return l.m.memberNode(mem)
	}
	return l.m.memberNode(Member{Name: p.Name, Addr: p.Addr})
}

// sampleStats records view sizes and queue depths as gauges.
func (l *runLoop) sampleStats() {
	msgItems, msgBytes := l.m.msgQueue.queued()
	evItems, evBytes := l.m.eventQueue.queued()
	cache := l.pt.counters()
	l.m.metrics.gauges(runtimeGauges{
		active:         l.hv.numActive(),
		passive:        l.hv.numPassive(),
		eager:          len(l.pt.eagerPeers()),
		lazy:           len(l.pt.lazyPeers()),
		members:        l.ms.NumMembers(),
		cacheMessages:  cache.CachedMessages,
		cacheBytes:     cache.CachedBytes,
		links:          len(l.links),
		timers:         l.timers.len(),
		inbox:          l.m.inbox.len(),
		inboundStreams: l.m.inbound.open(),
		dispatchMsgs:   msgItems + evItems,
		dispatchSize:   msgBytes + evBytes,
		recent:         l.m.recent.len(),
	})
	l.memberStats = l.m.metrics.memberStats(l.memberStats, l.ms.counters())
	l.treeStats = l.m.metrics.graftStats(l.treeStats, l.pt.counters())
	l.sigStats = l.m.metrics.sigStats(l.sigStats, l.sigs)
}
