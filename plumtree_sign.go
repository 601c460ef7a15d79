// Plumtree core: the hook that signs the local node's broadcasts.

package hyparlist

// This file lets a driver have the local broadcasts signed: the core calls
// the signer once per Broadcast, when it assigns the message's ID, and then
// carries the signature with the payload, unchanged, in every GOSSIP it
// sends, relays or answers a GRAFT with. The core never checks signatures:
// the runtime checks them before a GOSSIP reaches the core
// (runtime_sign.go). The signer is a function, so that the core stays free of
// keys and I/O; a core without one (the simulator) sends unsigned
// messages.

// BroadcastSigner returns the signature of the broadcast (id, class,
// payload) that travels with it (opaque to the core; at most 96 bytes are
// carried on the wire). It must not keep or modify payload.
type BroadcastSigner func(id MessageID, class Class, payload []byte) []byte

// SetSigner makes the core sign every later local broadcast with sign (nil:
// unsigned). Cloned cores share it.
func (p *Plumtree) SetSigner(sign BroadcastSigner) { p.signer = sign }

// sign returns the signature of a local broadcast, nil without a signer.
func (p *Plumtree) sign(id MessageID, class Class, payload []byte) []byte {
	if p.signer == nil {
		return nil
	}
	return p.signer(id, class, payload)
}
