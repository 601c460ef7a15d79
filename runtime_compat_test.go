package hyparlist

// nativeMethods are hyparlist's documented additions.
type nativeMethods interface {
	Broadcast(payload []byte) error
	Neighbors() []*Node
}

var (
	_ nativeMethods    = (*Memberlist)(nil)
	_ EventDelegate    = (*recorder)(nil)
	_ NeighborDelegate = (*recorder)(nil)
	_ Delegate         = (*recorder)(nil)
)
