// Delegate: the application's callbacks for metadata, user messages,
// broadcasts and state exchange.

package hyparlist

// Delegate is how an application plugs its own data into the cluster: node
// metadata, user broadcasts and a state exchange used for anti-entropy.
// Config.Delegate may be nil.
//
// The methods may be called from several goroutines at once and must be
// safe for concurrent use. hyparlist never calls them while holding a lock
// or state that the protocol needs: a slow method delays only the work that
// waits for its own result, never failure detection or the overlay.
type Delegate interface {
	// NodeMeta returns the local node's metadata, at most limit bytes
	// (limit is MetaMaxSize). It is called by Create and UpdateNode, and the
	// result is announced to the cluster in the local member's alive
	// announcement. A longer result makes Create and UpdateNode fail with
	// ErrMessageTooLarge (memberlist panics instead).
	NodeMeta(limit int) []byte

	// NotifyMsg receives one user message: a payload broadcast by another
	// node (through GetBroadcasts or the native Broadcast) or a direct
	// message sent with SendReliable or SendBestEffort. Each broadcast is
	// delivered at most once per node. The slice is only valid during the
	// call: copy it to keep it.
	NotifyMsg([]byte)

	// GetBroadcasts returns user payloads to broadcast to the whole
	// cluster. The runtime calls it every Config.GossipInterval. Each
	// returned payload costs overhead bytes on top of its length, and the
	// total of payloads plus overheads must not exceed limit
	// (Config.UDPBufferSize). Each new payload is handed to Plumtree once
	// and reaches every connected member; a payload returned again later,
	// as TransmitLimitedQueue does for its retransmissions or as an
	// application does when it re-queues a payload it received, is
	// recognised and not broadcast again.
	GetBroadcasts(overhead, limit int) [][]byte

	// LocalState returns the application state to send to a peer during
	// an anti-entropy exchange (every Config.PushPullInterval, with one
	// random neighbour) or while joining (join is true). The peer passes
	// it to its MergeRemoteState. Unlike memberlist, which calls it for
	// every push/pull, the node calls it at most once per second for each
	// value of join and sends that answer to every exchange of the second;
	// it sends the state to at most 128 peers per second, and to one peer
	// at most once per second and value of join (runtime_pushpull.go).
	LocalState(join bool) []byte

	// MergeRemoteState receives a peer's LocalState during an
	// anti-entropy exchange or a join (join is true). The slice is only
	// valid during the call.
	MergeRemoteState(buf []byte, join bool)
}
