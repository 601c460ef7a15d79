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
// encryption, as in memberlist.
//
// # Pure cores
//
// HyParView, Plumtree and Membership are pure, deterministic state
// machines: they take events and the current time and return actions,
// with randomness injected. A Memberlist drives them from one goroutine
// over real connections; the simulator drives the same code on a virtual
// clock and network.
package hyparlist
