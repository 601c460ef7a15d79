package hyparlist

// TEMP: replaced by node.go from branch api

// Address names a node for a transport: the address to dial and,
// optionally, the name of the node expected there.
type Address struct {
	// Addr is the network address to dial, usually "host:port".
	Addr string
	// Name is the name of the node at Addr; optional.
	Name string
}
