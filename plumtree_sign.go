// Plumtree core: the hooks that sign the local node's broadcasts, admit
// received ones, and place the local sequence numbers.

package hyparlist

import "time"

// This file lets a driver have the local broadcasts signed: the core calls
// the signer once per Broadcast, when it assigns the message's ID, and then
// carries the signature with the payload, unchanged, in every GOSSIP it
// sends, relays or answers a GRAFT with. The core never checks signatures:
// the runtime checks them before a GOSSIP reaches the core
// (runtime_sign.go). The signer is a function, so that the core stays free of
// keys and I/O; a core without one (the simulator) sends unsigned
// messages.
//
// The admitter is the driver's say on a received message that the core
// does not remember: a new one, or one whose seen entry has expired
// (SeenTTL), which the core cannot tell apart. The runtime refuses there
// the replays of signed broadcasts (runtime_sign_replay.go). It is asked
// after the duplicate check, so that duplicates within SeenTTL still reach
// the tree's PRUNE logic, and exactly once per message taken.

// The forgetter is told each message ID the core stops remembering (its
// seen entry expired, or was dropped early at SeenMaxEntries): from then
// on a copy of it would be asked of the admitter as new. The runtime
// keeps, per origin name, the highest such number, at or below which a
// message its replay window does not cover is refused
// (runtime_sign_floor.go).

// broadcastSigner returns the signature of the broadcast (id, class,
// payload) that travels with it (opaque to the core; at most 96 bytes are
// carried on the wire). It must not keep or modify payload.
type broadcastSigner func(id MessageID, class Class, payload []byte) []byte

// broadcastAdmitter reports whether the core may take a received message
// (id, class, with the signature sig it carries) that it does not
// remember. A refused message is neither delivered nor relayed nor marked
// as seen, and is no longer grafted if it was missing. It must not keep
// or modify sig.
type broadcastAdmitter func(id MessageID, class Class, sig []byte) bool

// setSigner makes the core sign every later local broadcast with sign (nil:
// unsigned). Cloned cores share it.
func (p *Plumtree) setSigner(sign broadcastSigner) { p.signer = sign }

// setAdmitter makes the core ask admit about every later received message
// it does not remember (nil: take every one). Cloned cores share it.
func (p *Plumtree) setAdmitter(admit broadcastAdmitter) { p.admitter = admit }

// setForgetter makes the core call forget with each ID it stops
// remembering (nil: none). Cloned cores share it.
func (p *Plumtree) setForgetter(forget func(MessageID)) { p.forgetter = forget }

// setNextSequence sets the sequence number of the next local broadcast;
// later ones count up from it. Its top bit is ignored (it marks the
// shared tree, plumtree_shared.go). NewPlumtree starts at a random point;
// the runtime starts at its clock instead, so that a restarted node's
// sequence numbers are above its previous run's (runtime_sign_replay.go).
func (p *Plumtree) setNextSequence(seq uint64) { p.nextSeq = seq &^ ptSharedBit }

// sign returns the signature of a local broadcast, nil without a signer.
func (p *Plumtree) sign(id MessageID, class Class, payload []byte) []byte {
	if p.signer == nil {
		return nil
	}
	return p.signer(id, class, payload)
}

// admit asks the admitter about g, a message the core does not remember;
// a refused one is dropped from the missing table.
func (p *Plumtree) admit(g gossipMsg) bool {
	if p.admitter == nil || p.admitter(g.ID, g.Class, g.Sig) {
		return true
	}
	p.refused(g.ID)
	return false
}

// refused drops id, a message its driver refused, from the missing table:
// it is no longer grafted. The runtime calls it for a GOSSIP it refuses
// before the core sees it (runtime_sign_check.go).
func (p *Plumtree) refused(id MessageID) {
	if len(p.missing.m) > 0 {
		p.missing.take(id)
	}
}

// grafted reports whether id is missing and was grafted at least once: a
// GOSSIP of it is (most likely) a GRAFT's answer.
func (p *Plumtree) grafted(id MessageID) bool {
	m, ok := p.missing.m[id]
	return ok && m.grafts > 0
}

// knownAt reports whether the core holds id and still will at now: a seen
// ID whose SeenTTL has passed by now is forgotten at the core's next Step,
// before the message is looked at. A driver that passes a copy on unchecked
// because the core knows it (runtime_sign_check.go) asks this, not known:
// with the core's clock behind (an idle node steps it rarely), a copy that
// came after SeenTTL was passed on unchecked, then taken as new
// (session 16).
func (p *Plumtree) knownAt(id MessageID, now time.Time) bool {
	e, _ := p.seen.find(id)
	return e != nil && (!p.epochSet || e.expire > int64(now.Sub(p.epoch)))
}
