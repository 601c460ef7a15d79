// Package hyparlist gives Go programs cluster membership and reliable
// cluster-wide broadcast that scale to thousands of nodes, behind an API
// compatible with hashicorp/memberlist v0.5.x and v0.7.0 (Create, Join,
// Members, Leave, Delegate, EventDelegate, TransmitLimitedQueue, ...).
// The metrics label type is v0.5.x's (go-metrics/compat) by default and
// v0.7.0's with the hashicorpmetrics build tag.
//
// # Three layers
//
// HyParView (Leitão, Pereira, Rodrigues, DSN 2007) is the overlay: each
// node keeps a small symmetric active view of TCP-connected neighbours
// (5 by default) and a larger passive view (30) from which it repairs the
// active view when a neighbour fails. Joins travel by random walks
// (FORWARD_JOIN) and passive views are refreshed by periodic SHUFFLEs. A
// broken connection or a missed keepalive is how a node learns that a
// neighbour failed.
//
// Plumtree (Leitão, Pereira, Rodrigues, SRDS 2007, "Epidemic Broadcast
// Trees") broadcasts over the active views: payloads are pushed eagerly
// along a spanning tree and announced lazily (IHAVE) on the other links; a
// node missing an announced payload GRAFTs the link into the tree, and a
// duplicate PRUNEs one out. Every broadcast carries a Class: ClassUser for
// the application's payloads, ClassMembership for the member list's.
//
// Membership keeps the whole cluster's member list on every node, which
// HyParView alone cannot (it knows only neighbours), so that Members and
// EventDelegate behave as in memberlist:
//
//   - Announcements. A node announces its own record (name, address,
//     metadata, protocol versions, incarnation, state alive) as a
//     ClassMembership broadcast;
//     UpdateNode announces a higher incarnation, Leave announces left.
//     Records merge by SWIM's precedence: a higher incarnation wins, and
//     for one incarnation alive < suspect < dead < left.
//   - Suspicion and refutation. A node whose link to a neighbour fails
//     announces it suspect. The suspected node hears that over its other
//     links and refutes by announcing alive at a higher incarnation;
//     otherwise it is declared dead when the suspicion times out. The
//     timeout is memberlist's (SuspicionMult × log10(N) × ProbeInterval,
//     up to SuspicionMaxTimeoutMult times longer) and shrinks, as in
//     Lifeguard, as further neighbours confirm the suspicion: a crash,
//     which breaks all of a node's links at once, is declared quickly,
//     while a single flaky link leaves ample time to refute.
//   - Anti-entropy. Every PushPullInterval a node compares a digest of
//     its member list (a hash per bucket of names) with one neighbour and
//     exchanges only the records of the buckets that differ, together
//     with Delegate.LocalState; a quiet cluster pays a few bytes per
//     exchange. Dead members are re-contacted now and then and random
//     non-neighbours are checked, so that healed partitions merge back
//     and no crash goes unnoticed.
//
// A name belongs to one address: a record claiming a live member's name
// at another address is refused and reported to the ConflictDelegate
// until the member has been dead for DeadNodeReclaimTime. AliveDelegate
// and MergeDelegate filter records and joins as in memberlist.
//
// # Fair sharing between the classes
//
// On every link the node keeps two send queues, one for ClassUser
// broadcasts and one for everything else (membership announcements and
// anti-entropy, Plumtree and HyParView control, keepalives), and writes
// from them in turn. A burst of application broadcasts delays a membership
// announcement or a keepalive by at most one payload, and membership
// traffic cannot stall broadcasts either. On receipt, membership records go
// straight to the protocol loop, while application payloads go to
// Delegate.NotifyMsg through a queue of their own, so a slow application
// does not hold back failure detection.
//
// # A slow node does not fail its neighbours
//
// A neighbour is heard when its frame is read, not when the protocol loop
// gets round to it; the loop handles what waits in its inbox before it
// judges silence; a link's writer sends a keepalive of its own when it has
// written nothing for a while, so a stalled loop does not make its node
// look silent; and the node measures how far its loop falls behind
// (Lifeguard's local health awareness, GetHealthScore) and waits up to
// Config.AwarenessMaxMultiplier times longer before judging a neighbour
// silent or a suspect dead.
//
// # Labels and encryption
//
// Every stream opens with a handshake that carries the node's name and
// Config.Label; a node refuses another cluster's label. With a
// Config.SecretKey or keys in Config.Keyring, every frame on every stream,
// the handshake included, and every packet is sealed with AES-GCM under
// the primary key, the label serving as authenticated data; received ones
// are opened with any installed key, so keys rotate without downtime
// (AddKey, UseKey, RemoveKey on every node in turn). A node without the
// key cannot complete a handshake. GossipVerifyIncoming and
// GossipVerifyOutgoing relax this while a running cluster moves to
// encryption, as in memberlist. Unlike memberlist, a captured stream or
// packet replayed to a node is refused: streams are bound to the fresh
// nonces of their handshake and packets carry a per-sender sequence
// (wire version 4).
//
// Config.TLS runs every stream in mutual TLS instead of, or beside, the
// keyring, and binds each node's name to its certificate (a DNS name, or
// Config.TLSNodeName). Every broadcast is signed by its origin (Ed25519,
// Config.SigningKey) and checked by every node against the key bound to
// the origin's name (under TLS, the key read in an authenticated
// handshake), so that no node can broadcast in another's name or say that
// another left, nor replay a signed broadcast after SeenTTL. SECURITY.md
// says what is protected and what is not.
//
// # Pure cores
//
// HyParView, Plumtree and Membership are pure, deterministic state
// machines: they take events and the current time and return actions,
// with randomness injected. A Memberlist drives them from one goroutine
// over real connections; the simulator (internal/sim, not importable)
// drives the same code on a virtual clock and network through the same
// exported API. TestCoresArePure (purity_test.go) fails if a core file
// imports net, os, sync or the like, reads the clock or starts a
// goroutine.
//
// # Reading the code
//
// The package is flat; a file's prefix names its layer. From the bottom up:
//
//   - Pure cores (no goroutines, locks, clock or I/O; the purity every
//     other layer relies on): core.go (the events, actions and timers the
//     cores share), hyparview*.go (the overlay; hyparview_decline.go
//     the acceptance a requester declined, which starts no repair),
//     plumtree*.go (broadcast
//     trees), membership*.go (the member list, its join exchange
//     (membership_join.go) and anti-entropy messages, the confirmation of
//     members learned second-hand (membership_confirm.go; put off and
//     retried while the node is behind, membership_confirm_retry.go), an
//     exchange's tombstone of a live member held as a suspicion
//     (membership_exchange_dead.go), the accusations a node behind
//     withholds (membership_accuse_behind.go), the rule that only a
//     member's own announcement may say it left (membership_sign.go) or
//     carry its incarnation past the ceiling (membership_incarnation.go),
//     the log of
//     changed members the runtime publishes from (membership_touched.go),
//     when it announces (membership_announce.go; the reasons it counts,
//     membership_announce_kinds.go) and the encoding of its
//     announcements; plumtree_sign.go carries a
//     broadcast's signature and asks the driver about each message it
//     does not remember (and each IHAVE entry: one taken before is not
//     grafted), plumtree_graftwait.go the adaptive first graft
//     timeout (GraftTimeoutMin), plumtree_relink.go the GRAFT of what a
//     parent announced while its link was lazy, plumtree_gap.go the GRAFT
//     at once of what is missing behind a newer payload of its tree or
//     announced from a root's tree the node is outside of,
//     plumtree_parent.go the link to a root's-tree parent that a late
//     copy does not prune, plumtree_ihavewait.go the shorter wait for
//     what a neighbour eager in the message's tree announced,
//     plumtree_reannounce.go the GRAFT one round trip later of what a
//     grafted neighbour announced again, plumtree_treepeers.go
//     the TreePeers
//     accessor). Each core has a Config,
//     Validate and defaults in its *_config.go.
//   - Wire: wire_types.go (message type numbers, the HyParView and
//     Plumtree messages; only the Message interface and MessageType are
//     public), wire_broadcast.go (BroadcastOf), wire_append.go
//     (AppendMessage, the encoder tools use to size messages), wire_sign.go (a
//     broadcast's signature), wire_connection.go (handshake, user messages,
//     pings), wire.go (frames), wire_codec.go, wire_msgpack.go and
//     wire_member.go (bodies), wire_limits.go and wire_errors.go. Security
//     wraps frames: security_encryption.go seals them under
//     security_keyring.go's keys, security_bind.go binds a stream to its
//     handshake and security_replay.go keeps a packet from being accepted
//     twice; security_label.go is the cluster label;
//     security_wrongstate.go counts frames a stream's state does not allow;
//     transport_tls.go is mutual TLS with names bound to certificates.
//   - Runtime loop: runtime_loop.go is the one goroutine that steps the
//     cores and routes their actions; runtime_*.go are its parts:
//     commands from the API, timers, links and their send queues
//     (runtime_conn.go, runtime_linkqueue.go and the ring it and the
//     inbox keep, runtime_fifo.go, runtime_linkowner.go,
//     runtime_linkend.go; runtime_readerend.go closes a stream its
//     dialler closed while its reader waits for the loop, and
//     runtime_linkhold.go holds a DISCONNECT that came over a newer
//     stream until then;
//     runtime_writebatch.go starts their writers once
//     per loop iteration, runtime_linkprune.go keeps one PRUNE per tree
//     waiting, runtime_linkgraft.go merges the GRAFTs of message IDs
//     queued together, runtime_graftanswer.go holds a GRAFT's answers
//     a full user queue refuses until it drains, runtime_oneshot.go closes a link to a non-neighbour after
//     an exchange's last message, runtime_deadline.go moves the streams'
//     deadlines only when they come near, runtime_sockbuf.go bounds their
//     kernel buffers with Config.StreamBufferBytes), the member list Members reads
//     (runtime_publish.go, rebuilt from the changed members only),
//     message counters tallied per write (runtime_metrics_tally.go), the
//     cores' own counts emitted as metrics (runtime_metrics_members.go,
//     runtime_metrics_grafts.go), the
//     dispatchers that run application callbacks, the GetBroadcasts pump
//     (runtime_pump.go, its pace runtime_pump_pace.go) and the payloads it
//     recognises (runtime_recent*.go), joins and leaves
//     (runtime_join*.go, runtime_leave.go; runtime_leave_order.go holds a
//     member's left behind the broadcasts it sent just before it), the
//     dialer slots, fewer while the node is behind, with the first dials
//     of active-view links ahead of the others up to a cap
//     (runtime_dialers.go), the links of neighbours gone down before
//     their stream opened, which keep only what their peer needs and
//     otherwise give up their dial (runtime_linkgiveup.go),
//     the dials that confirm second-hand members (runtime_confirm.go),
//     asked first in a packet, which costs no descriptor
//     (runtime_checkpacket.go),
//     dials that fail for want of the node's own resources
//     (runtime_localfail.go), the check of broadcast signatures
//     (runtime_sign_check.go) and the binding of each origin name to its
//     key (runtime_sign.go; under TLS runtime_sign_tls.go), the hold of a
//     broadcast until its origin's key check ends (under TLS, or a live
//     member's new key: runtime_sign_hold.go; a full hold shared among
//     names and keys: runtime_sign_share.go), the window of
//     each origin's sequence numbers that refuses replays
//     (runtime_sign_replay.go) and its floors, the highest number Plumtree
//     forgot, kept per name and key across bindings (runtime_sign_floor.go), and
//     the bounds
//     that keep overload from failing healthy links.
//   - Transport: transport.go (the contract), net_*.go (UDP and TCP
//     sockets), mock_*.go (the in-memory MockNetwork for tests).
//   - memberlist API surface: api_memberlist.go (Create, Members, ...),
//     api_*.go (Node, the optional delegates, point-to-point sends,
//     errors), delegate.go, broadcast_queue.go, config*.go, logging*.go
//     and metrics_*.go.
//
// One broadcast, from Broadcast to another node's NotifyMsg:
//
//  1. Memberlist.Broadcast calls Memberlist.broadcast (api_memberlist.go),
//     which checks the size, reserves room in the backlog
//     (runtime_backlog.go) and submits a cmdBroadcast to the loop.
//  2. On the loop goroutine, runLoop.run calls cmdBroadcast.apply
//     (runtime_commands.go), which feeds a BroadcastPayload to Plumtree;
//     runLoop.runQueue (runtime_loop.go) calls Plumtree.Step, whose
//     Plumtree.broadcast (plumtree.go) signs it (plumtree_sign.go) and
//     Plumtree.push emits a Send of a
//     Gossip for each eager peer and queue an IHave for each lazy one, in
//     the message's tree: the shared tree for a membership announcement
//     or a sender's first payload in a while (plumtree_shared.go), else
//     its sender's own tree (plumtree_trees.go).
//  3. runLoop.routePlumtree hands each Send to runLoop.send, which puts
//     the frame on the link's user queue (runLoop.queueFrame,
//     linkQueues.push, runtime_linkqueue.go); at the end of the loop
//     iteration runLoop.wakeWriters (runtime_writebatch.go) starts the
//     writer of every link that got frames.
//  4. The link's writer goroutine, Memberlist.runWriter and writeLoop
//     (runtime_conn.go), takes it, encodes it with Memberlist.appendFrame,
//     frameCrypto.appendFrame (security_encryption.go), encodeMessage
//     (wire.go) and encodeBody (wire_codec.go), and writes it to the
//     stream the Transport dialled.
//  5. On the other node, the reader of that accepted stream,
//     Memberlist.runReader (runtime_conn.go), reads it with
//     frameCrypto.readFrame and readFrameAfterHeader, which decodes the
//     body (decodeBody), and handleStreamMessage sends it to the loop's
//     inbox.
//  6. runLoop.onInbound (runtime_loop.go) checks its origin's signature
//     unless Plumtree already holds its ID or the replay window of the
//     origin's bound key refuses it anyway (runLoop.checkSignature,
//     runtime_sign_check.go), and that the signing key is the one bound
//     to the origin (runLoop.acceptOrigin, runtime_sign.go), and feeds it
//     to Plumtree as a Receive; Plumtree.Step calls Plumtree.receiveGossip,
//     which, for a message it does not remember, asks the loop whether its
//     origin's window of sequence numbers admits it (runLoop.admitBroadcast,
//     runtime_sign_replay.go; below the window, its floor decides:
//     runtime_sign_floor.go), then emits a Deliver (and pushes the Gossip
//     on along its tree).
//  7. runLoop.routePlumtree calls runLoop.deliver, which gives a ClassUser
//     delivery to runLoop.deliverBroadcast (runtime_callbacks.go); after
//     the loop iteration, runLoop.flushCallbacks hands it to the message
//     dispatcher, whose goroutine (dispatcher.run, runtime_dispatch.go)
//     calls Delegate.NotifyMsg.
package hyparlist
