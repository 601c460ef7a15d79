// PingDelegate: round-trip times and ack payloads, as Serf uses them for
// network coordinates.

package hyparlist

import "time"

// PingDelegate observes round-trip times to other members and attaches a
// small payload to the answers this node sends; Serf builds its network
// coordinates from both. Config.Ping may be nil.
//
// memberlist reports the round trip of every successful direct probe.
// hyparlist has no probe schedule (failure detection uses the active-view
// links, see Config.KeepaliveInterval); it measures on the keepalive
// traffic of those links instead: NotifyPingComplete is called about once
// per keepalive interval for each active-view neighbour, with the
// neighbour's AckPayload, and after every successful Memberlist.Ping (which
// memberlist does not report). Members outside the active view are not
// measured, and nothing is measured with keepalives off. A neighbour
// running a release before wire version 2 cannot carry the payload: its
// links are not measured and its Ping answers report a nil payload.
//
// AckPayload is called on the goroutine reading the connection of the
// node being answered, once per answer, so keep it fast; a payload longer
// than 1024 bytes is not sent (the answer carries none, and a
// warning is logged at most once a minute). NotifyPingComplete runs on the
// event goroutine, in order with the EventDelegate's calls, never after
// Shutdown. Neither is called under a lock the protocol needs.
type PingDelegate interface {
	// AckPayload returns bytes to attach to a ping answer sent by this
	// node, at most 1024 bytes.
	AckPayload() []byte
	// NotifyPingComplete reports a completed round trip to other: how long
	// it took and the AckPayload the other node attached.
	NotifyPingComplete(other *Node, rtt time.Duration, payload []byte)
}
