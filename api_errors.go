// The sentinel errors of the public API.

package hyparlist

import "errors"

// Sentinel errors of the public API. Functions wrap them with context
// (fmt.Errorf("...: %w", ErrX)); test for them with errors.Is, never by
// comparing error strings.
var (
	// ErrShutdown is returned by every Memberlist method that needs the
	// running node (Join, Leave, UpdateNode, SendReliable, Broadcast, ...)
	// once Shutdown has been called.
	ErrShutdown = errors.New("hyparlist: node is shut down")

	// ErrNoContact is returned by Join when none of the given hosts could be
	// reached and joined; the wrapped error lists each host's failure.
	// A Join that reaches at least one host does not return it.
	ErrNoContact = errors.New("hyparlist: no contact host could be joined")

	// ErrNoAddress is returned by SendReliable, SendBestEffort, SendTo,
	// their older names and Ping when the destination has no address: a
	// nil *Node, a Node without an IP, or a nil net.Addr (memberlist
	// panics in these cases), and wrapped by the errors of a dial to a
	// peer with no known address and of a Join host that is empty.
	ErrNoAddress = errors.New("hyparlist: destination has no address")

	// ErrMergeCanceled is wrapped by the Join error for a contact whose
	// join exchange the MergeDelegate vetoed.
	ErrMergeCanceled = errors.New("hyparlist: merge canceled by the merge delegate")

	// ErrMessageTooLarge is returned when a payload handed to the library
	// (a broadcast, a direct message, a LocalState or a frame being encoded)
	// is larger than Config.MaxFrameSize allows; nothing is sent. Create
	// and UpdateNode return it when Delegate.NodeMeta returns more than
	// MetaMaxSize bytes (memberlist panics in that case).
	ErrMessageTooLarge = errors.New("hyparlist: message too large")

	// ErrInvalidConfig is returned, wrapped with the offending field, by
	// Create, and by the Validate methods of the cores' configurations
	// (HyParViewConfig, PlumtreeConfig, MembershipConfig) and therefore by
	// NewHyParView, NewPlumtree and NewMembership.
	ErrInvalidConfig = errors.New("hyparlist: invalid config")

	// ErrInvalidArgument is wrapped by the errors NewHyParView,
	// NewPlumtree and NewMembership return for a local peer they cannot
	// use (no name, a name or address too long) or a nil random source.
	ErrInvalidArgument = errors.New("hyparlist: invalid argument")

	// ErrNotAllowed is returned by Config.IPAllowed for an address outside
	// Config.CIDRsAllowed; the runtime refuses such connections.
	ErrNotAllowed = errors.New("hyparlist: address not allowed")

	// ErrInvalidKey is returned by ValidateKey, NewKeyring and
	// Keyring.AddKey for a key that is not 16, 24 or 32 bytes long.
	ErrInvalidKey = errors.New("hyparlist: invalid encryption key")

	// ErrKeyNotFound is returned by Keyring.UseKey for a key that is not
	// installed on the ring. The texts of the keyring errors contain
	// memberlist's, which applications match on (serf's key command looks
	// for "not allowed").
	ErrKeyNotFound = errors.New("hyparlist: requested key is not in the keyring")

	// ErrRemovePrimaryKey is returned by Keyring.RemoveKey for the primary
	// key: make another key primary with UseKey first.
	ErrRemovePrimaryKey = errors.New("hyparlist: removing the primary key is not allowed")
)
