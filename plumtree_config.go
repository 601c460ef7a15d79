// Plumtree core: PlumtreeConfig, its defaults and Validate.

package hyparlist

import (
	"fmt"
	"time"
)

// errInvalidPlumtreeConfig is returned, wrapped with the offending field, by
// PlumtreeConfig.Validate and therefore by NewPlumtree; it wraps
// ErrInvalidConfig.
var errInvalidPlumtreeConfig = fmt.Errorf("%w (Plumtree core)", ErrInvalidConfig)

// PlumtreeConfig holds the parameters of a Plumtree core. The zero value is
// not valid: start from DefaultPlumtreeConfig. All nodes of a cluster should
// use the same values (the paper assumes so).
//
// Every table the core keeps is bounded by one of these fields; each field
// says what happens when its bound is reached.
type PlumtreeConfig struct {
	// GraftTimeout1 is how long a node waits, after the first IHAVE for a
	// message it does not have, for the payload to arrive by eager push
	// before it sends a GRAFT. Plumtree §3 (p. 8) leaves the value to
	// the deployment ("configured considering the diameter of the overlay
	// and a target maximum recovery latency"). Default 250ms, chosen
	// with the simulator (1–50 ms links): it must exceed the usual lag of
	// the eager copy behind the first IHAVE, or nodes graft payloads that
	// are still on their way and every new sender's broadcast pays
	// duplicates. At 10,000 nodes the RMR with random senders is 0.43
	// with 80ms (the iroh-gossip default) and 0.01 with 250ms; 350ms
	// gains little more (0.0004) and slows every repair graft. With
	// MaxTrees above 0, a message behind a newer payload of its root's
	// tree pushed here is grafted at once instead, and one of a root's
	// tree that has pushed nothing here after GraftTimeout2/2 less
	// IHaveInterval while a tree slot is free (plumtree_gap.go).
	GraftTimeout1 time.Duration

	// GraftTimeoutMin, when above 0, makes the wait after the first IHAVE
	// adaptive (not in the paper, plumtree_graftwait.go): twice a
	// decaying high estimate of how late eager copies have come after
	// their first IHAVE at this node, between GraftTimeoutMin and
	// GraftTimeout1. Zero waits GraftTimeout1 always, as the paper does.
	// At most GraftTimeout1. Default 0.
	GraftTimeoutMin time.Duration

	// GraftTimeout2 is how long a node waits after each GRAFT before it
	// grafts the next peer that announced the message. Plumtree §3
	// (p. 9): "smaller than the first, in the order of an average round
	// trip time to a neighbor". Default 40ms: iroh-gossip default.
	GraftTimeout2 time.Duration

	// IHaveInterval is the batching window of lazy push: announcements for
	// a peer are queued and sent as one IHAVE message when the window
	// closes. Zero sends each announcement at once. The paper sends IHAVE
	// through a lazy queue and leaves the dispatch policy open (§3).
	// Default 5ms: iroh-gossip default ("dispatch timeout").
	IHaveInterval time.Duration

	// IHaveMaxEntries is the most announcements in one IHAVE message and
	// the most message IDs in one GRAFT. A per-peer queue that reaches it
	// is sent at once, before its window closes, so no announcement is
	// ever dropped. Must not exceed the wire limit (1024 by default).
	// Default 256, chosen: a full IHAVE then stays a few KiB on the wire.
	IHaveMaxEntries int

	// OptimizationThreshold is the tree optimisation of Plumtree §3.8: a
	// node that learns, through an IHAVE on a lazy link, that a message
	// reached that neighbour at least this many hops earlier than it
	// reached the node through its eager parent, grafts the lazy link
	// (GRAFT with no IDs) and prunes the eager one. The paper's test is
	// r < round ∧ round − r ≥ threshold, with r the IHAVE's round and
	// round the eager payload's. Zero disables the optimisation. Default 7: iroh-gossip default, which it takes from
	// the paper's experimental settings.
	OptimizationThreshold uint16

	// CacheTTL is how long a received or broadcast payload is kept to
	// answer GRAFTs. Past it, a GRAFT for the message is answered with
	// nothing. The paper gives no value. Default 30s: iroh-gossip default
	// ("message cache retention").
	CacheTTL time.Duration

	// CacheMaxBytes bounds the payload cache: payload bytes plus the
	// origin name plus the origin's signature (96 bytes when signed,
	// plumtree_sign.go) plus a fixed per-entry overhead of 96 bytes. When it is
	// exceeded, the entries closest to expiry (the oldest) are evicted
	// first. A payload larger than the whole cache is delivered and
	// forwarded but not cached. Default 16 MiB, chosen: a few seconds of
	// a busy cluster's traffic at 1 KiB payloads.
	CacheMaxBytes int

	// SeenTTL is how long the ID of a delivered message is remembered for
	// duplicate detection. It must be at least CacheTTL: a payload a
	// neighbour can still send us must still be recognised. Default 90s:
	// iroh-gossip default ("message id retention"), CacheTTL plus a
	// minute of margin.
	SeenTTL time.Duration

	// MembershipCacheTTL and MembershipSeenTTL replace CacheTTL and SeenTTL
	// for messages of ClassMembership; MembershipSeenTTL must be at least
	// MembershipCacheTTL. Not in the paper: a membership announcement
	// that a node misses is repaired by the membership core's
	// anti-entropy within its PushPullInterval (10 s by default), so a
	// GRAFT for it answered later than that gains nothing, and a
	// membership announcement only needs to be cached while the tree's
	// own repair can ask for it (GraftTimeout1 plus a few GraftTimeout2
	// after its IHAVE). Membership churn comes in waves — N refutations
	// after a partition heals, N deaths while it lasts — and the shorter
	// TTLs bound what every node keeps of a wave to seconds instead of
	// minutes. Defaults 10s and 30s (the PushPullInterval default; the
	// seen TTL keeps CacheTTL's ratio to SeenTTL).
	MembershipCacheTTL time.Duration
	MembershipSeenTTL  time.Duration

	// SeenMaxEntries bounds the seen-ID set. When it is full the oldest
	// ID is forgotten early; a copy of that message arriving later (only
	// possible if it is still in some neighbour's cache or in flight) is
	// delivered a second time. Default 65536, chosen: above the number of
	// broadcasts a cluster sends in SeenTTL at several hundred per second.
	// Values above 2^24-1 act as 2^24-1 (the seen index's sequence width).
	SeenMaxEntries int

	// MissingMax bounds the number of messages announced by IHAVE but not
	// yet received. When it is full, announcements of further unknown
	// messages are ignored; they are recovered only if announced again
	// later (by another neighbour, or on a new link, see
	// NeighborUpAnnounce). Default 4096, chosen: well above what a
	// healthy node misses at once.
	MissingMax int

	// MissingMaxAnnouncers bounds the announcers remembered per missing
	// message, grafted in the order they announced, then again in turn
	// until the payload arrives or CacheTTL has passed since the first
	// announcement. Further announcers are ignored. Default 8, chosen: above HyParView's active view of 5, so
	// every neighbour fits.
	MissingMaxAnnouncers int

	// NeighborUpAnnounce is the number of most recent cached messages
	// announced (in one IHAVE, chunked by IHaveMaxEntries) to a new
	// neighbour. Zero disables it. Not in the paper: a node that joins or
	// reconnects after a crash wave may have missed broadcasts whose tree
	// went through dead nodes; the announcement lets it graft them from
	// its new neighbour. Default 64, chosen.
	NeighborUpAnnounce int

	// MaxPeers bounds the neighbours (eager plus lazy) the core tracks. A
	// NeighborUp beyond it is ignored, and the peer is then treated as a
	// non-neighbour. HyParView keeps far fewer (active view 5). Default
	// 64, chosen.
	MaxPeers int

	// MaxTrees bounds the tree roots (message origins) whose eager and
	// lazy sets the core keeps apart from the default tree. Not in the
	// paper (its one set is the default tree here), as in Partisan's
	// Plumtree: with many senders, the duplicates of one origin's
	// broadcasts would otherwise prune links another origin's tree needs,
	// and those are grafted back only after an IHAVE and GraftTimeout1.
	// A root's messages travel on its own tree only while it sends often
	// (its previous user payload less than TreeIdle ago); membership
	// announcements and the other payloads travel on a shared tree that
	// only they change (plumtree_shared.go). A root is tracked from its
	// first push on its own tree (or PRUNE or GRAFT for it), starting with
	// every neighbour eager (the first payload on it floods and its
	// duplicates leave the tree of first arrivals; with TreeIdle 0, or
	// when it replaces another tree with the table full, as a copy of the
	// shared tree), and from then on changed only
	// by its own PRUNEs and GRAFTs and by neighbours arriving or leaving
	// (plumtree_trees.go). Tracking one root more than MaxTrees forgets
	// the least recently used one, which then follows the default tree
	// again. A tracked root costs about 100 bytes. Only the first 64
	// neighbours have a place in the per-root sets; further ones follow
	// the default tree. Zero keeps the single default tree (the behaviour
	// before wire version 3), with no shared tree. Default 0 for the
	// core, so that the simulator's default figures stay those of one
	// tree; the runtime's Config.BroadcastTrees sets 1024, which removed
	// the repair rounds of random senders on real sockets (BENCHMARKS.md).
	MaxTrees int

	// TreeIdle tells a root that sends from one that does not. At the
	// root, a user payload less than TreeIdle after its previous one goes
	// on the root's own tree, any other on the shared tree, where it
	// costs one copy per node instead of starting a tree
	// (plumtree_shared.go); zero sends every user payload on the root's
	// own tree. When a
	// neighbour goes down, only the trees used less than TreeIdle ago are
	// grafted around the lost link at once; the others are repaired by
	// their root's next payload, as in the paper, so that a link lost in a
	// cluster of many quiet roots costs GRAFTs only for those that send.
	// Not in the paper. Trees are not dropped for being idle (they used
	// to be): a tree dropped and started again from the
	// default tree, which follows every root's PRUNEs and is no spanning
	// tree, cost a repair round on real sockets to every root that sent
	// less often than this (plumtree_trees.go). Zero counts every tree as
	// in use. Default 5s.
	TreeIdle time.Duration
}

// DefaultPlumtreeConfig returns the defaults documented on each field of
// PlumtreeConfig.
func DefaultPlumtreeConfig() PlumtreeConfig {
	return PlumtreeConfig{
		GraftTimeout1:         250 * time.Millisecond,
		GraftTimeout2:         40 * time.Millisecond,
		IHaveInterval:         5 * time.Millisecond,
		IHaveMaxEntries:       256,
		OptimizationThreshold: 7,
		CacheTTL:              30 * time.Second,
		CacheMaxBytes:         16 << 20,
		SeenTTL:               90 * time.Second,
		MembershipCacheTTL:    10 * time.Second,
		MembershipSeenTTL:     30 * time.Second,
		SeenMaxEntries:        65536,
		MissingMax:            4096,
		MissingMaxAnnouncers:  8,
		NeighborUpAnnounce:    64,
		MaxPeers:              64,
		MaxTrees:              0,
		TreeIdle:              5 * time.Second,
	}
}

// Validate reports the first invalid field of c, in an error that wraps
// ErrInvalidConfig. It does not modify c.
func (c PlumtreeConfig) Validate() error {
	if err := ptFirstNonPositive([]ptField[time.Duration]{
		{"GraftTimeout1", c.GraftTimeout1},
		{"GraftTimeout2", c.GraftTimeout2},
		{"CacheTTL", c.CacheTTL},
		{"SeenTTL", c.SeenTTL},
		{"MembershipCacheTTL", c.MembershipCacheTTL},
		{"MembershipSeenTTL", c.MembershipSeenTTL},
	}); err != nil {
		return err
	}
	if c.GraftTimeoutMin < 0 || c.GraftTimeoutMin > c.GraftTimeout1 {
		return fmt.Errorf("%w: GraftTimeoutMin must be between 0 and GraftTimeout1 (%v), got %v", errInvalidPlumtreeConfig, c.GraftTimeout1, c.GraftTimeoutMin)
	}
	if c.IHaveInterval < 0 {
		return fmt.Errorf("%w: IHaveInterval must not be negative, got %v", errInvalidPlumtreeConfig, c.IHaveInterval)
	}
	if c.SeenTTL < c.CacheTTL {
		return fmt.Errorf("%w: SeenTTL (%v) must be at least CacheTTL (%v)", errInvalidPlumtreeConfig, c.SeenTTL, c.CacheTTL)
	}
	if c.MembershipSeenTTL < c.MembershipCacheTTL {
		return fmt.Errorf("%w: MembershipSeenTTL (%v) must be at least MembershipCacheTTL (%v)", errInvalidPlumtreeConfig, c.MembershipSeenTTL, c.MembershipCacheTTL)
	}
	if err := ptFirstNonPositive([]ptField[int]{
		{"IHaveMaxEntries", c.IHaveMaxEntries},
		{"CacheMaxBytes", c.CacheMaxBytes},
		{"SeenMaxEntries", c.SeenMaxEntries},
		{"MissingMax", c.MissingMax},
		{"MissingMaxAnnouncers", c.MissingMaxAnnouncers},
		{"MaxPeers", c.MaxPeers},
	}); err != nil {
		return err
	}
	if c.NeighborUpAnnounce < 0 {
		return fmt.Errorf("%w: NeighborUpAnnounce must not be negative, got %d", errInvalidPlumtreeConfig, c.NeighborUpAnnounce)
	}
	if c.MaxTrees < 0 {
		return fmt.Errorf("%w: MaxTrees must not be negative, got %d", errInvalidPlumtreeConfig, c.MaxTrees)
	}
	if c.TreeIdle < 0 {
		return fmt.Errorf("%w: TreeIdle must not be negative, got %v", errInvalidPlumtreeConfig, c.TreeIdle)
	}
	return nil
}

// ptField is a named config value for validation.
type ptField[T int | time.Duration] struct {
	name string
	v    T
}

// ptFirstNonPositive reports the first field that is not positive.
func ptFirstNonPositive[T int | time.Duration](fields []ptField[T]) error {
	for _, f := range fields {
		if f.v <= 0 {
			return fmt.Errorf("%w: %s must be positive, got %v", errInvalidPlumtreeConfig, f.name, f.v)
		}
	}
	return nil
}
