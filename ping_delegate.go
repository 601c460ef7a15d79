package hyparlist

import "time"

// PingDelegate observes round-trip times to other members and can attach a
// small payload to the answers this node sends. Config.Ping may be nil.
//
// memberlist measures round trips with its periodic probes. hyparlist does
// not probe (failure detection uses the active-view links, see
// Config.KeepaliveInterval); it reports the round trips it does measure,
// such as Memberlist.Ping. Only direct round trips are reported. The
// methods are called outside any lock the protocol needs.
type PingDelegate interface {
	// AckPayload returns bytes to attach to a ping answer sent by this
	// node.
	AckPayload() []byte
	// NotifyPingComplete reports a completed round trip to other: how long
	// it took and the AckPayload the other node attached.
	NotifyPingComplete(other *Node, rtt time.Duration, payload []byte)
}
