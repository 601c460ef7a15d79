// Config: every field of a node's configuration, with its unit, default and
// memberlist counterpart.

package hyparlist

import (
	"bytes"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"slices"
	"time"
)

// Protocol versions accepted in Config.ProtocolVersion. They exist for
// source compatibility with memberlist: the version is advertised in the
// node's member record, so every node shows it as Node.PMin, PMax and PCur,
// but hyparlist's wire format does not depend on it (connections negotiate
// their own wire version in the handshake).
const (
	// ProtocolVersionMin is the lowest accepted Config.ProtocolVersion.
	ProtocolVersionMin uint8 = 1
	// ProtocolVersion2Compatible is the default Config.ProtocolVersion,
	// memberlist's default.
	ProtocolVersion2Compatible = 2
	// ProtocolVersionMax is the highest accepted Config.ProtocolVersion.
	ProtocolVersionMax = 5
)

// MetaMaxSize is the largest node metadata, in bytes, that
// Delegate.NodeMeta may return.
const MetaMaxSize = 512

// Config configures a node. It has every field of memberlist v0.7.0's
// Config, with the same names and types, plus the HyParView and Plumtree
// settings. Start from DefaultLANConfig, DefaultWANConfig or
// DefaultLocalConfig and change what you need; Validate reports what is
// wrong. Create copies the Config, so changing it afterwards has no effect
// (the Keyring, delegates, loggers and writers are shared, not copied).
//
// Fields that belong to memberlist's SWIM protocol say what they map to in
// hyparlist, or that they are accepted only so that memberlist programs
// build ("no effect"). Defaults are given as LAN / WAN / Local.
type Config struct {
	// Name is the node's name, unique in the cluster. Required, at most
	// 256 bytes. Default: the host name.
	Name string

	// Transport carries the node's packets and streams. Nil makes Create
	// build a NetTransport listening on BindAddr:BindPort (and shut it
	// down with the node); a Transport given here is shut down by
	// Shutdown too, as in memberlist. Use a MockNetwork's transports in
	// tests. Default: nil.
	Transport Transport

	// Label, when set, is bound into the handshake of every connection:
	// nodes with different labels refuse each other, which keeps separate
	// clusters apart on a shared network. At most LabelMaxSize bytes.
	// Default: "".
	Label string

	// SkipInboundLabelCheck accepts inbound connections whose handshake
	// carries no label, for moving a running cluster onto a label.
	// Default: false.
	SkipInboundLabelCheck bool

	// BindAddr and BindPort are the IP address and port the default
	// transport listens on, for TCP (overlay links, SendReliable) and UDP
	// (SendBestEffort) alike; port 0 picks a free port. Default: "0.0.0.0",
	// 7946.
	BindAddr string
	BindPort int

	// AdvertiseAddr and AdvertisePort are the address and port announced
	// to other nodes, for NAT traversal; empty and 0 mean the bound ones.
	// Default: "", 7946.
	AdvertiseAddr string
	AdvertisePort int

	// ProtocolVersion is the memberlist protocol version this node claims,
	// between ProtocolVersionMin and ProtocolVersionMax. It is advertised
	// as Node.PCur and does not change the wire format.
	// Default: ProtocolVersion2Compatible.
	ProtocolVersion uint8

	// TCPTimeout bounds dialling a node, the connection handshake, and
	// each read or write of a short-lived exchange (join, anti-entropy,
	// SendReliable). Default: 10s / 30s / 1s.
	TCPTimeout time.Duration

	// IndirectChecks is memberlist's number of indirect probes. hyparlist
	// does not probe: each node watches its own active-view links.
	// No effect. Default: 3 / 3 / 1.
	IndirectChecks int

	// RetransmitMult is memberlist's gossip retransmission multiplier.
	// hyparlist does not retransmit: Plumtree delivers each broadcast to
	// every connected node once. Applications still pass it to their
	// TransmitLimitedQueue, where it bounds how long a broadcast stays
	// queued. No effect on hyparlist itself. Default: 4 / 4 / 2.
	RetransmitMult int

	// SuspicionMult scales how long a suspected member has to refute
	// before it is declared dead:
	//
	//	SuspicionTimeout = SuspicionMult × max(1, log10(N)) × ProbeInterval
	//
	// for a cluster of N members, as in memberlist. A member becomes
	// suspect when a neighbour loses its link to it. Zero declares
	// suspects dead at once. The longest timeout,
	// SuspicionMaxTimeoutMult × SuspicionTimeout with N = MaxMembers (the
	// member table's bound, 100,000 by default), may be at most 24h:
	// larger products fail Validate instead of overflowing.
	// Default: 4 / 6 / 3.
	SuspicionMult int

	// SuspicionMaxTimeoutMult bounds the suspicion timeout from above, as
	// in memberlist (Lifeguard): a suspicion starts at SuspicionMaxTimeoutMult
	// × SuspicionTimeout and shortens towards SuspicionTimeout as further
	// neighbours independently report losing their link to the member.
	// See SuspicionMult for the 24h maximum. Default: 6.
	SuspicionMaxTimeoutMult int

	// PushPullInterval is the time between anti-entropy exchanges: the
	// node sends one random neighbour its member list and
	// Delegate.LocalState and merges the answer, repairing anything
	// broadcasts missed. An exchange whose answer changed the member list
	// is followed by another 1–2 s later (at most 8 per interval), so that
	// what a burst of joins missed is repaired in seconds. Zero disables
	// them. Default: 30s / 60s / 15s.
	PushPullInterval time.Duration

	// ProbeInterval is memberlist's failure-detection period. In hyparlist
	// it is the keepalive interval on active-view links unless
	// KeepaliveInterval is set, and the time unit of SuspicionTimeout.
	// Default: 1s / 5s / 1s.
	ProbeInterval time.Duration

	// ProbeTimeout is memberlist's probe round-trip allowance. In
	// hyparlist it is the keepalive timeout unless KeepaliveTimeout is
	// set. Set it near the network's 99th-percentile round trip.
	// Default: 500ms / 3s / 200ms.
	ProbeTimeout time.Duration

	// DisableTcpPings turns off memberlist's TCP fallback probes. Every
	// hyparlist link is TCP already. No effect. Default: false.
	DisableTcpPings bool

	// DisableTcpPingsForNode is DisableTcpPings per node. No effect.
	// Default: nil.
	DisableTcpPingsForNode func(nodeName string) bool

	// AwarenessMaxMultiplier bounds the local health score (Lifeguard's
	// local health awareness, as in memberlist; GetHealthScore reports
	// it): the score rises while the node's own protocol loop falls
	// behind (its timers fire, or received frames wait, more than half
	// the keepalive timeout late) and falls by one per keepalive interval
	// while it keeps up, between 0 and AwarenessMaxMultiplier − 1. While
	// the score is s, the node waits (s+1) × the link silence limit
	// before it judges a neighbour silent, and a suspicion that expires
	// is given (s+1) × its timeout once more, so that a slow node does
	// not fail healthy neighbours for its own slowness. memberlist
	// stretches its probe interval and timeout instead. 0 or 1 turns it
	// off. Default: 8.
	AwarenessMaxMultiplier int

	// GossipInterval is how often the node drains Delegate.GetBroadcasts
	// and hands the new payloads to Plumtree: each round pulls until the
	// Delegate returns nothing, at most 1 MiB and 64 pulls a round
	// (runtime_pump.go). While the node has delivered or pulled a user
	// broadcast in the last 10 s, rounds run four times as often, so that
	// the next broadcast waits less for its round (runtime_pump_pace.go).
	// Zero pulls at the keepalive interval instead (memberlist then still
	// piggybacks broadcasts on its probes).
	// Default: 200ms / 500ms / 100ms.
	GossipInterval time.Duration

	// GossipNodes is memberlist's gossip fan-out. In hyparlist the fan-out
	// is the Plumtree eager set, bounded by ActiveViewSize. No effect.
	// Default: 3 / 4 / 3.
	GossipNodes int

	// GossipToTheDeadTime is how long after a member is declared dead (or
	// left) the node remembers it: meanwhile it tries now and then to
	// reach a dead member, so that a node cut off by a partition can
	// refute and the partition heals, and the name stays reserved for the
	// member's address (see DeadNodeReclaimTime). HyParView retries lost
	// neighbours for longer (10 minutes), so longer partitions heal too.
	// Default: 30s / 60s / 15s.
	GossipToTheDeadTime time.Duration

	// GossipVerifyIncoming, with encryption enabled (keys in Keyring),
	// refuses unencrypted frames and packets: a stream that carries one
	// is closed, a packet dropped. Off, both encrypted and plain ones are
	// accepted. GossipVerifyOutgoing, with encryption enabled, encrypts
	// everything the node sends; off, it sends in the clear. Every stream
	// and packet is covered, not only gossip. To move a running cluster
	// to encryption, as with memberlist: give every node the key with
	// both off, then turn GossipVerifyOutgoing on everywhere, then
	// GossipVerifyIncoming. With keys, GossipVerifyIncoming also refuses
	// streams that are not bound to their handshake and sealed packets
	// without replay protection, which is what nodes before wire version
	// 4 send (security_bind.go, security_replay.go): turn it off while
	// an encrypted cluster upgrades from version 3. Without keys both have
	// no effect. Default: true, true.
	GossipVerifyIncoming bool
	GossipVerifyOutgoing bool

	// EnableCompression compresses frames. Compression is not
	// implemented yet: no effect for now. Default: true.
	EnableCompression bool

	// SecretKey, when set, becomes the primary key of the keyring (Create
	// adds it to Keyring, or builds a Keyring from it and stores it in
	// Keyring) and enables encryption: AES-GCM over every frame and
	// packet, with the cluster Label as authenticated data (33 bytes per
	// stream frame, 61 per packet; see security_encryption.go). 16, 24 or 32 bytes
	// (AES-128, -192, -256); another length fails Validate. Default: nil.
	SecretKey []byte

	// Keyring holds the encryption keys: the primary key encrypts what
	// the node sends, and every key is tried on what it receives.
	// Encryption is on while it holds a key. It is shared with the
	// running node, so keys can be rotated through it in a running
	// cluster: AddKey the new key on every node, then UseKey it on every
	// node, then RemoveKey the old one. Default: nil.
	Keyring *Keyring

	// TLS, when set, runs every stream inside mutual TLS (transport_tls.go):
	// both ends present a certificate from Certificates (or
	// GetCertificate and GetClientCertificate) and verify the other's
	// chain, the dialler against RootCAs, the acceptor against ClientCAs
	// (RootCAs when nil); nil pools mean the system roots. The chain is
	// always verified (InsecureSkipVerify is ignored; GetConfigForClient
	// must be nil) but not against the dialled host: instead the name a
	// peer gives in its handshake must be held by its certificate (see
	// TLSNodeName), or the stream is refused and counted in
	// hyparlist.tls.refused. One certificate per node, with
	// both server and client authentication usages (or none), serves both
	// sides. Packets have no TLS: under TLS, SendBestEffort sends a packet
	// only when the Keyring seals it, and otherwise carries the message
	// over a TLS stream; unsealed packets are dropped. TLS and the Keyring
	// may be combined. Every node of a cluster must use TLS or none. Not
	// in memberlist. Under TLS, application broadcasts are always
	// checked as membership announcements are, whatever
	// VerifyUserBroadcasts says. Default: nil (no TLS).
	TLS *tls.Config

	// TLSNodeName maps a peer's verified leaf certificate to the one node
	// name it may use. nil applies the default rule: a DNS name (subject
	// alternative name) of the certificate equal to the node name, or,
	// when the certificate has no DNS names, its subject common name.
	// Only with TLS. Not in memberlist. Default: nil.
	TLSNodeName func(cert *x509.Certificate) (string, error)

	// SigningKey is the Ed25519 key the node signs its broadcasts with
	// (their origin, sequence number, class and payload; wire_sign.go). A
	// name is bound to the first key seen signing for it on every node
	// (runtime_sign.go; under TLS only to the key read in a handshake
	// the node dialled, runtime_sign_tls.go), and a broadcast signed by
	// another key is not taken while the member is alive or suspect
	// there, until that node has dialled the member's address and read
	// the key it gives there (one dial per node; runtime_sign.go): it is
	// held meanwhile (at most 256 broadcasts and 4 MiB per node,
	// runtime_sign_hold.go), then
	// delivered if that is its key, refused otherwise. Keep the key
	// across restarts (store it) so that a restarted node is heard at
	// once; with a new key its first broadcasts after a restart wait for
	// that dial. With the same key, the node's clock must not go back
	// across the restart: its sequence numbers start at the clock and
	// must be above its previous run's (runtime_sign_replay.go). nil:
	// Create draws a new key. Must be
	// ed25519.PrivateKeySize bytes, or Validate fails. Not in memberlist.
	// Default: nil.
	SigningKey ed25519.PrivateKey

	// AcceptUnsignedBroadcasts accepts broadcasts that carry no signature
	// (from nodes older than wire version 6, and relayed through them)
	// and peers older than wire version 6, for a rolling upgrade from an
	// older version. A broadcast that carries a signature is checked
	// either way. Off (the default), a peer of an older version is
	// refused in the handshake (HelloReject reason version) and an
	// unsigned broadcast is dropped (hyparlist.msg.refused reason
	// unsigned). Not in memberlist. Default: false.
	AcceptUnsignedBroadcasts bool

	// VerifyUserBroadcasts checks the origin's signature of application
	// broadcasts (Broadcast, GetBroadcasts) as of membership ones. Off, the
	// node still signs its own, but delivers and relays application
	// broadcasts without checking them (so anyone with a link can
	// broadcast in another node's name to it); membership announcements
	// are checked either way. The check costs one Ed25519 verification,
	// about 50 µs, per broadcast a node receives (BENCHMARKS.md, "Session 8:
	// signed records"): 5 % of a core at 1,000 broadcasts a second. Off by
	// default because the check is not yet part of the broadcast path's
	// back-pressure: a node that receives more broadcasts than it can
	// check falls behind (seconds of latency, and deliveries later than a
	// second at N = 32 beyond about 1,000 broadcasts/s on 2 shared cores).
	// Turn it on where members are not all trusted and the rate is well
	// within that. Under TLS (Config.TLS set) the check is always made,
	// whatever this field says: names are bound to certificates there,
	// and an unchecked broadcast would let any certificate holder speak
	// in another node's name. Without TLS it stays opt-in, since names
	// are trusted on first use anyway. Not in memberlist. Default: false.
	VerifyUserBroadcasts bool

	// Delegate plugs application data into the cluster (metadata,
	// broadcasts, anti-entropy state); nil for none. Read at Create.
	Delegate Delegate

	// DelegateProtocolVersion, DelegateProtocolMin and DelegateProtocolMax
	// are the application's own protocol versions, advertised in the node's
	// member record as Node.DCur, DMin and DMax on every node, for the
	// application to check. Read at Create. Default: 0.
	DelegateProtocolVersion uint8
	DelegateProtocolMin     uint8
	DelegateProtocolMax     uint8

	// Events receives member joins, leaves and updates; nil for none.
	// Read from the caller's Config at each use, as memberlist does: it
	// may be set after Create.
	Events EventDelegate
	// Conflict is told about name conflicts; nil for none. Read from the
	// caller's Config at each use, as memberlist does.
	Conflict ConflictDelegate
	// Merge can veto joins; nil for none. Read at Create.
	Merge MergeDelegate
	// Ping observes round-trip times, measured on every active-view link
	// once per keepalive interval (see PingDelegate); nil for none. Read
	// from the caller's Config at each use, as memberlist does: it may be
	// set after Create.
	Ping PingDelegate
	// Alive can filter members; nil for none. Read at Create.
	Alive AliveDelegate

	// DNSConfigPath is memberlist's resolv.conf path for Join's own DNS
	// lookups. hyparlist resolves Join hosts with Go's resolver.
	// No effect. Default: "/etc/resolv.conf".
	DNSConfigPath string

	// LogOutput receives log lines in memberlist's format ("[LEVEL]
	// hyparlist: message key=value"). At most one of LogOutput, Logger and
	// StructuredLogger may be set; with none, logs go to os.Stderr.
	// Default: nil.
	LogOutput io.Writer

	// Logger receives log lines like LogOutput, through a *log.Logger.
	// Default: nil.
	Logger *log.Logger

	// HandoffQueueDepth bounds the queue of received messages waiting for
	// the protocol loop. When it is full, connection readers wait (TCP
	// back-pressure) instead of memberlist's dropping of UDP packets.
	// Between 0 and 65536 (memberlist has no maximum: its queue is a
	// list; with back-pressure a deeper one gains nothing). The queue's
	// memory grows with what it holds, not with this bound. Default: 1024.
	HandoffQueueDepth int

	// UDPBufferSize is the largest packet SendBestEffort sends (larger
	// messages get ErrMessageTooLarge), and the smallest limit passed to
	// Delegate.GetBroadcasts: the GetBroadcasts pump pulls only while that
	// much fits in the links' broadcast backlog, with a limit of the room
	// left there (at most 1 MiB); broadcasts themselves travel over TCP
	// links. It must not exceed MaxFrameSize. Default: 1400.
	UDPBufferSize int

	// DeadNodeReclaimTime is how long a member must have been dead before
	// a node with the same name and a different address may take its
	// place. Zero allows it only once the dead member is forgotten, after
	// GossipToTheDeadTime, as in memberlist. A left member's name may be
	// taken at once; a live member's never: such a claim is ignored and
	// reported to the ConflictDelegate. Default: 0.
	DeadNodeReclaimTime time.Duration

	// RequireNodeNames makes memberlist require node names in addresses.
	// Every hyparlist handshake carries the node name. No effect.
	// Default: false.
	RequireNodeNames bool

	// CIDRsAllowed, when not empty, limits the networks connections are
	// accepted from (list IPv4 and IPv6 networks separately), and the
	// addresses members may have: as in memberlist, a member record whose
	// address is outside them is refused like an AliveDelegate veto (the
	// node never lists, reports or dials it), and the node drops the
	// messages of a node that advertises such an address. Nil or empty
	// allows all. memberlist documents an empty list as "block all", but
	// its code allows all, and ParseCIDRs(nil) returns an empty list, so
	// hyparlist allows all too. Default: nil.
	CIDRsAllowed []net.IPNet

	// MetricLabels are added to every metric the node emits.
	// Default: nil.
	MetricLabels []MetricLabel

	// QueueCheckInterval is how often the node samples the depth of its
	// queues into metrics and warns about queues near their bound.
	// Default: 30s.
	QueueCheckInterval time.Duration

	// MsgpackUseNewTimeFormat selects memberlist's msgpack time encoding.
	// hyparlist's wire format carries no time values. No effect.
	// Default: false.
	MsgpackUseNewTimeFormat bool

	// --- HyParView (Leitão, Pereira, Rodrigues, DSN 2007) ---

	// ActiveViewSize is the number of TCP-connected neighbours each node
	// keeps, between 1 and 64. Default: 5 (HyParView §5.1: log10(N)+1
	// for N = 10,000).
	ActiveViewSize int

	// PassiveViewSize is the number of backup peers each node remembers
	// to repair its active view, between 1 and 4096. Default: 30
	// (HyParView §5.1: k·(log10(N)+1) with k = 6).
	PassiveViewSize int

	// ActiveRandomWalkLength (ARWL) is the number of hops a FORWARD_JOIN
	// travels. Default: 6 (HyParView §5.1).
	ActiveRandomWalkLength int

	// PassiveRandomWalkLength (PRWL) is the hop at which a FORWARD_JOIN
	// adds the joiner to a passive view; at most ActiveRandomWalkLength.
	// Default: 3 (HyParView §5.1).
	PassiveRandomWalkLength int

	// ShuffleActive (ka) and ShufflePassive (kp) are the numbers of
	// active- and passive-view entries sent in a SHUFFLE, at most
	// ActiveViewSize and PassiveViewSize, and with the sender at most 256
	// entries (1 + ShuffleActive + ShufflePassive, the wire limit).
	// Default: 3 and 4 (HyParView §5.1).
	ShuffleActive  int
	ShufflePassive int

	// ShuffleInterval is the time between shuffles. The paper counts in
	// cycles; not in the paper: a time period. A shuffle walks
	// ActiveRandomWalkLength hops carrying 1 + ShuffleActive +
	// ShufflePassive peers, so it was over half of an idle node's traffic
	// at 10s (BENCHMARKS.md, session 7), and at 30s, with its reply and
	// the reply's connection, as much of an idle LAN node's bytes as its
	// keepalives (session 14). The passive view it refreshes is only read
	// when a neighbour is lost, and the member list's anti-entropy runs at
	// PushPullInterval, so the LAN and WAN profiles shuffle at twice their
	// PushPullInterval, the period memberlist's own push-pull takes from
	// 33 to 64 nodes (pushPullScale); the local profile as the LAN one (at
	// 15s the shuffle was a third of an idle local node's bytes, session
	// 11). The period counts in time only: the overlay's shape and healing
	// are measured per shuffle in the simulator, whose cores keep their
	// own default (HyParViewConfig.ShuffleInterval), so the healing of the
	// passive views after many crashes, counted there in shuffles, takes
	// twice as long in time as at 30s (a lost neighbour is still replaced
	// at once from the passive view). It also caps the
	// back-off of RepairInterval.
	// Default: 60s / 120s / 60s.
	ShuffleInterval time.Duration

	// RepairInterval is the period of the top-up of an active view that is
	// not full (a NEIGHBOR request to a passive peer), and how long a peer
	// that rejected such a request, or did not answer it, is not asked
	// again. Zero means ShuffleInterval. A lost neighbour is replaced at
	// once regardless; this is the retry when that found nobody. While
	// every round is turned away (the cluster is full), the rounds space
	// out to 2, 4, ... periods, up to ShuffleInterval (60 s / 120 s /
	// 60 s), until the active view changes.
	// Default: 10s / 30s / 5s (the shuffle periods before session 7).
	RepairInterval time.Duration

	// KeepaliveInterval is the time between keepalives on an active-view
	// link; with a PingDelegate, each keepalive also measures the link's
	// round trip. Zero means ProbeInterval; with both zero, keepalives are
	// off and a node only notices a dead neighbour when its connection
	// breaks.
	// Default: 0 (= ProbeInterval).
	KeepaliveInterval time.Duration

	// KeepaliveTimeout is the grace period after a missed keepalive: an
	// active-view link on which nothing arrived for KeepaliveInterval +
	// KeepaliveTimeout is declared failed. Zero means ProbeTimeout.
	// Default: 0 (= ProbeTimeout).
	KeepaliveTimeout time.Duration

	// --- Plumtree (Leitão, Pereira, Rodrigues, SRDS 2007) ---

	// IHaveInterval is how long lazy IHAVE announcements are batched
	// before they are sent (the Plumtree paper leaves the lazy-push
	// schedule to the implementation). Default: 100ms / 250ms / 50ms.
	IHaveInterval time.Duration

	// GraftTimeout is how long a node waits for a payload announced by an
	// IHAVE before it GRAFTs a sender of the announcement (the Plumtree
	// paper's missing-message timer). Default: 500ms / 3s / 200ms, the profile's
	// ProbeTimeout: a round-trip allowance. With BroadcastTrees above 0, a
	// payload announced while a newer payload of its origin's tree has
	// already been pushed to the node (for an origin's first payload, the
	// second) is grafted at once, since it will not come by push; one
	// announced from an origin's tree that has pushed nothing to the node
	// is grafted after a quarter of this wait less IHaveInterval (25ms /
	// 500ms / at once) while fewer than BroadcastTrees origins have a
	// tree there; and an announcement from a neighbour the node holds
	// eager in the payload's tree is grafted after half this wait.
	GraftTimeout time.Duration

	// GraftTimeoutMin, when above 0, lets each node shorten the wait after
	// an IHAVE from GraftTimeout down to GraftTimeoutMin while the eager
	// copies of payloads come soon after their IHAVE at that node, and
	// lengthen it again as soon as one comes late (a GRAFT made before
	// the eager copy came): the wait is twice a decaying high estimate of
	// that lag, between GraftTimeoutMin and GraftTimeout
	// (PlumtreeConfig.GraftTimeoutMin). Zero always waits GraftTimeout.
	// Between 0 and GraftTimeout. Default: 0 in every profile. On the
	// bench harness near saturation (1 KiB, random origins, 2 cores),
	// 20ms with an IHaveInterval of 10ms lowered the 99th percentile of
	// the time to every node from 599–644 ms to 265–360 ms at N = 32 and
	// 3,000/s in back-to-back pairs, but at N = 64 and 1,000/s (about
	// all the CPU) one run of two went from 612 ms to 1.8 s with 2.8× the
	// GRAFTs, so it is not the default (BENCHMARKS.md, "Session 9: the
	// size of the repair round").
	GraftTimeoutMin time.Duration

	// MessageCacheTTL is how long a delivered payload is kept to answer
	// GRAFTs; at least IHaveInterval + GraftTimeout. Default: 30s / 60s /
	// 15s (the profile's PushPullInterval: later losses are left to
	// anti-entropy).
	MessageCacheTTL time.Duration

	// MessageCacheMaxBytes bounds the payload bytes in the message cache;
	// the oldest entries go first. Between 1 and 1 GiB. Default: 32 MiB.
	MessageCacheMaxBytes int

	// BroadcastTrees bounds the tree roots (broadcast origins) that keep
	// eager and lazy links of their own (PlumtreeConfig.MaxTrees): with
	// many senders, one origin's duplicates then no longer prune the links
	// another origin's tree needs, and its broadcasts need no repair round
	// (IHAVE + GraftTimeout). An origin sends on its own tree while it
	// broadcasts at least every 5 s; its first broadcast, a broadcast
	// after a longer pause and every membership announcement go on a
	// shared tree that only those messages change, one payload copy per
	// node. A root's own tree starts at its second broadcast within 5 s,
	// which floods once so that the tree is the one of first arrivals
	// (shallow: each node's parent is its fastest path to the root; a tree
	// that replaces another, the table full, starts as a copy of the shared
	// tree and does not flood), and is kept until the least recently used root beyond BroadcastTrees goes
	// back to the default tree. Each costs about 100 bytes. Zero keeps one
	// tree for every origin and message, as before wire version 3.
	// Between 0 and 65,536. Default: 1024 (bench/, 1 KiB, random origins:
	// see BENCHMARKS.md, "Per-root trees on real sockets" and "Session 7:
	// first pushes of per-root trees").
	BroadcastTrees int

	// --- Runtime limits ---

	// MaxFrameSize is the largest frame body, in bytes, sent or accepted;
	// a larger payload is refused with ErrMessageTooLarge. Between
	// 272,640 bytes (266.25 KiB: the largest anti-entropy frame, 256 member
	// records of maximal name, address, metadata and versions) and 1 GiB, and at
	// least UDPBufferSize. Default: 20 MiB (memberlist's largest
	// push/pull state, so that the same LocalState fits).
	MaxFrameSize int

	// PeerSendQueueDepth is the number of frames that may wait to be
	// written to one peer, in each of its two queues (broadcast payloads,
	// and everything else). A broadcast payload that finds its queue full
	// is announced instead (an IHAVE, metric hyparlist.link.user_deferred)
	// and the peer fetches it once it has caught up; a neighbour whose
	// other queue is full is disconnected (and HyParView replaces it)
	// instead of slowing down everyone. Between 1 and 16384 (a queue's
	// memory grows with what it holds, not with this bound). Default: 1024.
	PeerSendQueueDepth int

	// PeerSendQueueBytes bounds, besides PeerSendQueueDepth, the bytes
	// that may wait in each of a peer's two send queues (broadcasts, and
	// everything else): a queue that would exceed it is full, with the
	// same outcome as PeerSendQueueDepth's. A single frame larger than the
	// bound is still queued when the queue is empty, so a queue holds at
	// most max(PeerSendQueueBytes, MaxFrameSize) (the frame count alone
	// allowed PeerSendQueueDepth × MaxFrameSize). Not in memberlist.
	// Default: 8 MiB, about 70 ms of a 1 Gbit/s link and a second of a
	// 64 Mbit/s one: a neighbour that falls further behind is better
	// replaced, and eight 1 MiB LocalState exchanges still fit.
	PeerSendQueueBytes int

	// StreamBufferBytes sets the kernel's send and receive buffers
	// (SO_SNDBUF, SO_RCVBUF) of every stream the node dials or accepts,
	// when the Transport's streams are sockets. Without a bound, Linux
	// grows them up to net.ipv4.tcp_rmem's maximum (often 6 to 32 MiB),
	// so a neighbour that reads slowly (one checking signatures,
	// VerifyUserBroadcasts, or an overloaded one) is sent seconds of
	// frames before this node's send queues fill and Broadcast waits;
	// bounded, the senders' queues fill and Broadcast waits sooner
	// (runtime_sockbuf.go). Linux doubles the value for its bookkeeping.
	// 0 keeps the kernel's sizes (autotuned). Between 4 KiB and 64 MiB
	// when set; 256 KiB is about 2 ms of a 1 Gbit/s link. Not on by
	// default: in one measured pair it did not make a node that checks
	// signatures slow its senders enough to keep deliveries within a
	// second (BENCHMARKS.md, "Session 11: signature checks and
	// back-pressure"). Not in memberlist. Default: 0.
	StreamBufferBytes int

	// MaxConcurrentDialers bounds the outgoing connections being set up at
	// once (links, liveness probes, Join, SendReliable, Ping), and with it
	// the open links beyond the active view (8 per dialer). While the node
	// is behind (GetHealthScore above 0) the bound is halved per step of
	// the score, down to 4, so that a node short of CPU or descriptors
	// holds fewer sockets in slow dials (runtime_dialers.go). The checks
	// of members learned second-hand have a bound of their own, 32
	// (SECURITY.md). Between 1 and 256. Default: 8.
	MaxConcurrentDialers int

	// MaxInboundStreams bounds the streams other nodes have open to this
	// one; each costs a goroutine and a 16 KiB read buffer. A stream
	// beyond it is closed as soon as it is accepted, and so is one beyond
	// the 128 that may be in their handshake at once (each gets at most
	// min(TCPTimeout, 5s) to finish it); both are counted in the metric
	// hyparlist.stream.refused (see runtime_inbound.go). Peers in the
	// node's views and nodes it dialled lately get 64 more slots, kept
	// for them. Not in memberlist, which has no bound. Default: 1024. A
	// node of a 10,000-node cluster has about ActiveViewSize (5)
	// long-lived inbound links plus short-lived streams (shuffle replies,
	// joins, anti-entropy, probes, SendReliable), each open for a few
	// seconds at most; 1024 leaves two orders of magnitude of headroom.
	// Memory: each stream holds a goroutine, a 16 KiB read buffer and a
	// frame of up to 16 KiB outside MaxInboundFrameBytes, so the streams
	// hold at most about (MaxInboundStreams + 64) × 40 KiB (42 MiB with
	// the default), plus MaxInboundFrameBytes (or one frame of up to
	// MaxFrameSize, when that is larger) for the frames being received.
	MaxInboundStreams int

	// MaxInboundFrameBytes bounds the bytes of the frames over 16 KiB
	// that all accepted streams together are receiving at once (a sealed
	// frame counts twice: the sealed bytes and their plain copy). A stream
	// whose next frame does not fit waits, which slows its sender through
	// TCP, until other frames are done; one that waits past its idle
	// limit is closed and counted in hyparlist.stream.refused (reason
	// frame_budget). A single frame larger than the bound is received
	// when no other frame holds any of it. Between 1 MiB and 1 GiB. Not
	// in memberlist. Default: 32 MiB, a default MaxFrameSize frame and a
	// dozen 1 MiB ones.
	MaxInboundFrameBytes int

	// MaxMembers bounds the member table, tombstones included. When it is
	// full, the oldest tombstone makes room for a live member; otherwise a
	// record of a new name is ignored, so a flood of forged records (in a
	// cluster without keys) cannot grow the table, and with it the heap,
	// past it. It also sets the log10(N) factor of the longest suspicion
	// timeout (see SuspicionMaxTimeoutMult). Between 1 and 1,000,000. Not
	// in memberlist, which has no bound. Default: 100,000, ten times the
	// largest cluster the project targets; about 100 MB of records with
	// maximal metadata. Set it to a few times your cluster's size to keep
	// a flood small.
	MaxMembers int

	// MaxNewMembersPerSecond bounds the rate at which the records one
	// neighbour sends (announcements it relays and anti-entropy records)
	// may add names to the member table, so that a node that completed a
	// handshake in a cluster without keys cannot fill every table at once
	// with forged records. Records over it are dropped, counted in
	// hyparlist.member.new_dropped, and come again by anti-entropy. Records of members
	// already known (updates, suspicions, leaves, restarts) are not
	// limited, nor the records of the node's own join exchange (the
	// contact of Join), which brings the whole cluster at once. Records
	// from nodes that are not neighbours share one allowance. Zero
	// disables the limit; at most 1,000,000. Not in memberlist. Default:
	// 1,000 a second, the rate of a 100,000-node cluster that starts
	// within 100 s, even if every announcement reaches a node through one
	// neighbour.
	MaxNewMembersPerSecond int

	// NewMembersBurst is the most new names one neighbour may add at once
	// when it has been quiet (the bucket size of MaxNewMembersPerSecond);
	// a new neighbour's allowance starts at one second's worth and fills
	// at the rate.
	// Between 1 and 1,000,000 when the limit is on. Default: 10,000, a
	// tenth of MaxMembers.
	NewMembersBurst int

	// MemberConfirmTimeout is how long a member learned only second-hand
	// (relayed in another node's announcement, or by anti-entropy) may
	// go without a word from itself (its own announcement, a message, a
	// link) before this node dials it once; if the dial fails, the member
	// is marked dead here without an announcement (NotifyLeave, metric
	// hyparlist.member.unconfirmed_removed). While this node is itself
	// behind (GetHealthScore above 0), a dial that times out or breaks
	// without a refusal puts the check off instead, by MemberConfirmTimeout
	// times the health multiplier, at most 3 times (metric
	// hyparlist.member.checks_retried), and a check that falls due then
	// is put off the same way without a dial, at most 3 times as well
	// (hyparlist.member.checks_put_off). Forged records of nodes that
	// do not exist go this way within seconds (SECURITY.md). Zero turns
	// the check off. Not in memberlist, which probes every member in turn.
	// Default: 5s.
	MemberConfirmTimeout time.Duration

	// MaxInboundStreamsPerIP bounds the streams one source IP may have
	// open to this node once half of MaxInboundStreams are taken, unless
	// the source is trusted: the IP of a peer in the active or passive
	// view, or one this node dialled in the last minute. (Below half, a
	// burst from one address gets in.) A stream beyond it is closed at
	// once and counted in
	// hyparlist.stream.refused (reason source_limit). It keeps an outsider
	// on one address from taking every MaxInboundStreams slot. At least 1;
	// a value above MaxInboundStreams acts as MaxInboundStreams. Not in
	// memberlist. Default: 64, the streams
	// of a dozen nodes behind one NAT address that are not in the views.
	MaxInboundStreamsPerIP int

	// MaxHandshakesPerIP bounds the streams one untrusted source IP (see
	// MaxInboundStreamsPerIP) may have in their handshake at once, once
	// half of the 128 handshake slots are taken. A handshake takes one
	// round trip, so a node needs one or two at a time; a stream beyond
	// it waits, unread, up to min(2.5s, TCPTimeout/2) for one of its
	// source's handshakes to end (at most 64 such streams per source),
	// then is closed and counted in hyparlist.stream.refused (reason
	// source_handshake_limit). It keeps
	// an outsider on one address from holding the 128 handshake slots
	// with connections that send nothing. Between 1 and 128. Not in
	// memberlist. Default: 8.
	MaxHandshakesPerIP int

	// StructuredLogger receives the node's logs as structured records.
	// It replaces LogOutput and Logger; at most one of the three may be
	// set. Default: nil.
	StructuredLogger *slog.Logger
}

// EncryptionEnabled reports whether the Keyring holds at least one key.
// (A SecretKey alone is turned into a keyring by Create.)
func (c *Config) EncryptionEnabled() bool {
	return c.Keyring != nil && len(c.Keyring.GetKeys()) > 0
}

// IPMustBeChecked reports whether connections are filtered by
// CIDRsAllowed, that is whether the list is not empty.
func (c *Config) IPMustBeChecked() bool {
	return len(c.CIDRsAllowed) > 0
}

// IPAllowed returns nil if connections from ip are accepted, and an error
// wrapping ErrNotAllowed if ip is outside every network of a non-empty
// CIDRsAllowed.
func (c *Config) IPAllowed(ip net.IP) error {
	if !c.IPMustBeChecked() {
		return nil
	}
	for _, n := range c.CIDRsAllowed {
		if n.Contains(ip) {
			return nil
		}
	}
	return fmt.Errorf("%s: %w", ip, ErrNotAllowed)
}

// BuildVsnArray returns the version numbers a node advertises, in
// memberlist's order: ProtocolVersionMin, ProtocolVersionMax,
// ProtocolVersion, DelegateProtocolMin, DelegateProtocolMax,
// DelegateProtocolVersion.
func (c *Config) BuildVsnArray() []uint8 {
	return []uint8{
		ProtocolVersionMin, ProtocolVersionMax, c.ProtocolVersion,
		c.DelegateProtocolMin, c.DelegateProtocolMax, c.DelegateProtocolVersion,
	}
}

// clone returns a copy of c that Create can keep: slices the node reads
// later are copied; the Keyring, delegates, loggers and writers are
// shared, as they are meant to be.
func (c *Config) clone() *Config {
	cp := *c
	cp.SecretKey = bytes.Clone(c.SecretKey)
	cp.SigningKey = bytes.Clone(c.SigningKey)
	cp.MetricLabels = slices.Clone(c.MetricLabels)
	if c.CIDRsAllowed != nil {
		cp.CIDRsAllowed = make([]net.IPNet, len(c.CIDRsAllowed))
		for i, n := range c.CIDRsAllowed {
			cp.CIDRsAllowed[i] = net.IPNet{IP: slices.Clone(n.IP), Mask: slices.Clone(n.Mask)}
		}
	}
	return &cp
}
