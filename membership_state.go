// Membership core: the member record model and the precedence rule between two
// records.

package hyparlist

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

// This file holds the member record model of the membership core and the
// SWIM precedence rule that decides which of two records about one member
// wins.

// memberState is a member's liveness as the membership core sees it. The
// values are on the wire and equal memberlist's NodeStateType values
// (StateAlive=0 ... StateLeft=3), so a runtime maps one to the other by a
// plain conversion.
type memberState uint8

// Member states, in precedence order: for one incarnation a later state
// overrides an earlier one. The values are on the wire: never renumber.
const (
	// memberStateAlive: the member announced itself, or refuted a suspicion.
	memberStateAlive memberState = 0
	// memberStateSuspect: a neighbour lost its link to the member; the
	// member has until the suspicion timeout to refute.
	memberStateSuspect memberState = 1
	// memberStateDead: the suspicion timed out without a refutation.
	memberStateDead memberState = 2
	// memberStateLeft: the member announced a graceful leave.
	memberStateLeft memberState = 3
)

// String returns the state's name, as used in logs and metrics.
func (s memberState) String() string {
	switch s {
	case memberStateAlive:
		return "alive"
	case memberStateSuspect:
		return "suspect"
	case memberStateDead:
		return "dead"
	case memberStateLeft:
		return "left"
	}
	return "unknown"
}

// live reports whether a member in this state counts as a member of the
// cluster (Members lists it).
func (s memberState) live() bool { return s == memberStateAlive || s == memberStateSuspect }

// Limits on one member record. They bound every record the core accepts,
// from an announcement, an anti-entropy message or the local application.
const (
	// maxMemberNameLen is the longest member name, in bytes.
	maxMemberNameLen = 256
	// maxMemberAddrLen is the longest member address, in bytes.
	maxMemberAddrLen = 256
	// maxMemberMetaLen is the largest member metadata, in bytes; the same
	// limit as memberlist's MetaMaxSize (512).
	maxMemberMetaLen = 512
)

// errInvalidMemberRecord reports a member record that breaks a limit above
// or has an unknown state.
var errInvalidMemberRecord = errors.New("invalid member record")

// Member is one node of the cluster as the local node sees it.
type Member struct {
	Name string
	Addr string
	// Meta is the application's metadata for the node (Delegate.NodeMeta).
	Meta []byte
	// Incarnation orders the member's own announcements; only the member
	// itself raises it (SWIM §4.2).
	Incarnation uint32
	// State is the member's liveness. Its values are NodeStateType's
	// (StateAlive, StateSuspect, StateDead, StateLeft): compare
	// NodeStateType(State) with them.
	State memberState
	// StateChange is when the local node saw State begin. It is local
	// knowledge, never on the wire (a tombstone learned by anti-entropy is
	// back-dated by the age its sender reported).
	StateChange time.Time
	// Versions are the protocol versions the member advertises; zero when
	// its record came only from nodes that do not carry them.
	Versions memberVersions
}

// peer returns the member's name and address.
func (m Member) peer() Peer { return Peer{Name: m.Name, Addr: m.Addr} }

// clone returns a copy that shares no memory with m.
func (m Member) clone() Member {
	m.Meta = cloneBytes(m.Meta)
	return m
}

// memberRecord is one member record as it travels between nodes: in a
// membership announcement (a Plumtree broadcast) and in anti-entropy
// messages.
type memberRecord struct {
	Name        string
	Addr        string
	Meta        []byte
	Incarnation uint32
	// State is the record's liveness, as Member.State.
	State memberState
	// AgeSeconds is, for a dead or left record sent by anti-entropy, how
	// long ago the sender saw that state begin, so that every node reclaims
	// a tombstone at about the same time. It is zero otherwise and is not
	// part of announcements.
	AgeSeconds uint32
	// Versions are the member's protocol versions, zero when unknown. They
	// travel from wire version 4 on; a link to an older node drops them.
	Versions memberVersions
}

// validate checks r against the record limits.
func (r memberRecord) validate() error {
	switch {
	case r.Name == "":
		return fmt.Errorf("empty name: %w", errInvalidMemberRecord)
	case len(r.Name) > maxMemberNameLen:
		return fmt.Errorf("name of %d bytes exceeds %d: %w", len(r.Name), maxMemberNameLen, errInvalidMemberRecord)
	case len(r.Addr) > maxMemberAddrLen:
		return fmt.Errorf("address of %d bytes exceeds %d: %w", len(r.Addr), maxMemberAddrLen, errInvalidMemberRecord)
	case len(r.Meta) > maxMemberMetaLen:
		return fmt.Errorf("meta of %d bytes exceeds %d: %w", len(r.Meta), maxMemberMetaLen, errInvalidMemberRecord)
	case r.State > memberStateLeft:
		return fmt.Errorf("state %d: %w", r.State, errInvalidMemberRecord)
	}
	return nil
}

// supersedes reports whether a record (inc, st) replaces a held record
// (heldInc, heldSt) about the same member. SWIM §4.2 precedence, extended
// with left as memberlist does:
//   - a higher incarnation always wins;
//   - for one incarnation, alive < suspect < dead < left: suspect overrides
//     alive, dead overrides alive and suspect, and left is final;
//   - an equal (incarnation, state) changes nothing here; contentWins
//     breaks ties between different addresses or metadata.
func supersedes(inc uint32, st memberState, heldInc uint32, heldSt memberState) bool {
	if inc != heldInc {
		return inc > heldInc
	}
	return st > heldSt
}

// contentWins breaks the tie between two records of the same incarnation
// and state that differ in address or metadata: the greater address, then
// the greater metadata, wins. Not in SWIM: one incarnation of a node never
// has two contents, but a node restarted with its incarnation reset can
// produce one; without a rule, nodes holding either version would disagree
// (and their digests differ) forever. With it they converge on one
// version, and if that is not the node's own, the node refutes it.
func contentWins(r memberRecord, held *memberIdent) bool {
	if r.Addr != held.addr {
		return r.Addr > held.addr
	}
	return bytes.Compare(r.Meta, held.meta) > 0
}

// cloneBytes returns a copy of b, or nil for an empty b.
func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}
