package hyparlist

import (
	"net"
	"time"
)

// memberlistMethods is every exported method of memberlist v0.7.0's
// *Memberlist, with its signature; Memberlist must have them all.
type memberlistMethods interface {
	GetHealthScore() int
	Join(existing []string) (int, error)
	Leave(timeout time.Duration) error
	LocalNode() *Node
	Members() []*Node
	NumMembers() (alive int)
	Ping(node string, addr net.Addr) (time.Duration, error)
	ProtocolVersion() uint8
	SendBestEffort(to *Node, msg []byte) error
	SendReliable(to *Node, msg []byte) error
	SendTo(to net.Addr, msg []byte) error
	SendToAddress(a Address, msg []byte) error
	SendToTCP(to *Node, msg []byte) error
	SendToUDP(to *Node, msg []byte) error
	Shutdown() error
	UpdateNode(timeout time.Duration) error
}

// nativeMethods are hyparlist's documented additions.
type nativeMethods interface {
	Broadcast(payload []byte) error
	Neighbors() []*Node
}

var (
	_ memberlistMethods                  = (*Memberlist)(nil)
	_ nativeMethods                      = (*Memberlist)(nil)
	_ func(*Config) (*Memberlist, error) = Create
	_ error                              = NoPingResponseError{}
	_ EventDelegate                      = (*recorder)(nil)
	_ NeighborDelegate                   = (*recorder)(nil)
	_ Delegate                           = (*recorder)(nil)
)
