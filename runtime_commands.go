// Runtime: the commands the API and background goroutines send to the loop.

package hyparlist

import "net"

// This file declares the commands the API and the background goroutines
// send to the loop (Memberlist.submit). Each one runs on the loop
// goroutine; a command that answers does so on a buffered channel, so the
// loop never waits for its caller.

// command is a request executed by the loop.
type command interface {
	apply(l *runLoop)
}

// cmdBroadcast hands a payload to Plumtree (Broadcast, the pump).
type cmdBroadcast struct {
	class   Class
	payload []byte
	// reserved is the backlog the caller reserved for the payload
	// (runtime_backlog.go), released once it is queued on every link.
	reserved int
}

func (c cmdBroadcast) apply(l *runLoop) {
	if c.reserved > 0 {
		defer l.m.backlog.remove(c.reserved)
	}
	if l.left {
		return
	}
	l.feed(corePlumtree, BroadcastPayload{Class: c.class, Payload: c.payload})
	l.runQueue()
}

// cmdJoin joins the overlay through contact, which Join has reached on
// conn. The loop answers with what Join waits for (joinResult).
type cmdJoin struct {
	contact Peer
	conn    net.Conn
	version uint8 // conn's wire version
	reply   chan<- joinResult
}

func (c cmdJoin) apply(l *runLoop) {
	l.m.deny.remove(c.contact.Name) // an explicit Join lifts a veto's deny
	switch {
	case l.left:
		_ = c.conn.Close()
	case l.links[c.contact.Name] != nil:
		// A link exists already; the handshake only served to learn the
		// contact's name.
		_ = c.conn.Close()
	default:
		if k := l.openLink(c.contact, c.conn); k == nil {
			_ = c.conn.Close()
		} else {
			k.version.Store(uint32(c.version))
		}
	}
	if l.left {
		// A node that left does not rejoin: nothing to wait for.
		done := make(chan struct{})
		close(done)
		c.reply <- joinResult{connected: done}
		return
	}
	var merge <-chan error
	var listed <-chan struct{}
	// JOIN goes first: the contact renews its link to a node that sends
	// JOIN (runtime_rejoin.go), which would lose its answers to a join
	// exchange that came before.
	l.feed(coreHyParView, JoinCluster{Contact: c.contact})
	if !l.connectedOpen {
		// The join exchange is with the contact, at once.
		merge = l.addJoinWait(c.contact.Name)
		listed = l.addListedWait(c.contact.Name)
		l.feed(coreMembership, joinVia{Contact: c.contact})
	}
	c.reply <- joinResult{connected: l.connected, merge: merge, listed: listed}
}

// loopFunc is a command that runs a function on the loop.
type loopFunc func(l *runLoop)

func (f loopFunc) apply(l *runLoop) { f(l) }

// cmdUpdateMeta announces new local metadata; the loop answers with what
// to wait for before the announcement is written out.
type cmdUpdateMeta struct {
	meta  []byte
	reply chan<- []flushWait
}

func (c cmdUpdateMeta) apply(l *runLoop) {
	if l.left {
		c.reply <- nil
		return
	}
	l.feed(coreMembership, updateMeta{Meta: c.meta})
	l.runQueue()
	l.publish() // LocalNode has the new metadata when UpdateNode returns
	c.reply <- l.flushLinks()
}

// cmdLocalState carries Delegate.LocalState's answer (a copy, nil when
// there is nothing to send) back to the exchanges waiting for it
// (runtime_pushpull.go).
type cmdLocalState struct {
	join  bool
	state []byte
}

func (c cmdLocalState) apply(l *runLoop) { l.onLocalState(c.join, c.state) }

// cmdProbeResult carries the outcome of a ProbeMember dial, or of its
// packet when packet is set (runtime_checkpacket.go).
type cmdProbeResult struct {
	probe   ProbeMember
	reached Peer
	err     error
	packet  bool
}

func (c cmdProbeResult) apply(l *runLoop) {
	l.endCheckSlot(c.probe, c.packet)
	if !l.left {
		l.onProbeResult(c.probe, c.reached, c.err)
	}
}

// cmdPacketUnanswered carries a ProbeMember whose packet got no answer:
// it is dialled now (runtime_checkpacket.go).
type cmdPacketUnanswered struct{ probe ProbeMember }

func (c cmdPacketUnanswered) apply(l *runLoop) { l.onPacketUnanswered(c.probe) }
