// Runtime: keeping vetoed nodes out of the overlay.

package hyparlist

import (
	"sync"
	"time"
)

// This file keeps vetoed nodes out of the overlay.
//
// An AliveDelegate or MergeDelegate veto, or an address outside
// Config.CIDRsAllowed (runtime_checks.go), keeps a node out of the member
// list, but HyParView knows nothing of delegates: the node would keep its
// links, relay broadcasts and come back through the passive view. So
// when a veto leaves a node outside the member list, the runtime also
// disconnects it and denies it for vetoDenyTime:
//
//   - the node is told DISCONNECT (not alive, so that it forgets this
//     node), and HyParView forgets it (active and passive view, lost and
//     pending peers) as if it had left;
//   - while denied, its connections are refused at the handshake
//     (rejectVetoed), the messages still arriving from it are dropped,
//     FORWARD_JOIN walks for it end here, shuffles do not bring it into
//     the passive view, and HyParView's messages to it are not sent (it
//     is forgotten again instead).
//
// An AliveDelegate veto denies the record's node; a MergeDelegate veto of
// a join exchange denies the other side and every node its records name.
// A live member is never denied (a vetoed metadata update leaves the
// member as it was, connected). Every new veto renews the time; a node
// still denied when it expires is consulted again like any other, so a
// delegate that changes its mind is heard within vetoDenyTime. An
// explicit Join through a denied node lifts its deny. Not in the papers
// nor in memberlist, which keeps no links to drop.

// vetoDenyTime is how long a vetoed node stays denied after its latest
// veto. A minute is long enough that a refused node does not churn the
// overlay (it retries at most once per minute, and each retry is vetoed
// again), short enough that a changed delegate decision takes effect soon.
const vetoDenyTime = time.Minute

// maxDeniedPeers bounds the deny list. When it is full, the entry that
// expires first makes room.
const maxDeniedPeers = 1024

// denyList is the set of denied node names, each with its expiry. The loop
// writes it; connection handshakes read it, so it has its own lock.
type denyList struct {
	mu    sync.Mutex
	until map[string]time.Time
}

// add denies name until the given time.
func (d *denyList) add(name string, until time.Time, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.until == nil {
		d.until = make(map[string]time.Time)
	}
	if _, ok := d.until[name]; !ok && len(d.until) >= maxDeniedPeers {
		d.evictLocked(now)
	}
	d.until[name] = until
}

// evictLocked drops the expired entries, or the one that expires first if
// none has.
func (d *denyList) evictLocked(now time.Time) {
	first, firstAt := "", time.Time{}
	for name, at := range d.until {
		if !at.After(now) {
			delete(d.until, name)
			continue
		}
		if first == "" || at.Before(firstAt) || (at.Equal(firstAt) && name < first) {
			first, firstAt = name, at
		}
	}
	if len(d.until) >= maxDeniedPeers {
		delete(d.until, first)
	}
}

// denied reports whether name is denied at now; an expired entry is
// dropped.
func (d *denyList) denied(name string, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	at, ok := d.until[name]
	if ok && !at.After(now) {
		delete(d.until, name)
		return false
	}
	return ok
}

// remove lifts the deny of name.
func (d *denyList) remove(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.until, name)
}

// len returns the number of entries, expired ones included.
func (d *denyList) len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.until)
}

// onVeto denies the nodes a rejected verdict is about: the record's node
// for an aliveVerdict, the other side and the named nodes for a
// mergeVerdict.
func (l *runLoop) onVeto(ev Event) {
	var peers []Peer
	switch v := ev.(type) {
	case aliveVerdict:
		if v.Accept {
			return
		}
		peers = append(peers, Peer{Name: v.Check.Record.Name, Addr: v.Check.Record.Addr})
	case mergeVerdict:
		if v.Accept {
			return
		}
		peers = append(peers, v.Check.From)
		for _, r := range v.Check.Records {
			peers = append(peers, Peer{Name: r.Name, Addr: r.Addr})
		}
	default:
		return
	}
	var denied []string
	for _, p := range peers {
		if l.deny(p) {
			denied = append(denied, p.Name)
		}
	}
	if len(denied) > 0 {
		l.m.logger.Info("disconnecting vetoed nodes", "nodes", denied, "for", vetoDenyTime)
	}
}

// deny disconnects p and denies it for vetoDenyTime, unless it is the
// local node or a live member; it reports whether p is denied.
func (l *runLoop) deny(p Peer) bool {
	if p.Name == "" || p.Name == l.m.self.Name {
		return false
	}
	if mem, ok := l.ms.Member(p.Name); ok && mem.State.live() {
		return false
	}
	if l.hv.isActive(p.Name) {
		l.send(p, disconnectMsg{Alive: false})
	}
	l.m.deny.add(p.Name, l.now.Add(vetoDenyTime), l.now)
	l.forget(p)
	if k := l.links[p.Name]; k != nil && !k.neighbor {
		l.closeLink(k)
	}
	return true
}

// forget makes HyParView drop p from every view, as if p had left: a
// DISCONNECT that does not keep p as a backup.
func (l *runLoop) forget(p Peer) {
	l.feed(coreHyParView, Receive{From: p, Msg: disconnectMsg{Alive: false}})
}

// denied reports whether the node called name is denied now.
func (l *runLoop) denied(name string) bool {
	return l.m.deny.denied(name, l.now)
}

// addrAllowed reports whether addr ("ip:port") is inside
// Config.CIDRsAllowed; every address is when the list is empty, none that
// does not parse when it is not.
func (l *runLoop) addrAllowed(addr string) bool {
	if !l.m.config.IPMustBeChecked() {
		return true
	}
	ip, _ := splitNodeAddr(addr)
	return ip != nil && l.m.config.IPAllowed(ip) == nil
}

// refused reports whether the overlay must not link to p: p is denied, or
// its address is outside Config.CIDRsAllowed.
func (l *runLoop) refused(p Peer) bool {
	return l.denied(p.Name) || !l.addrAllowed(p.Addr)
}

// screen filters an inbound message for the deny list and
// Config.CIDRsAllowed: it reports false for a message from a refused node
// (one that advertises an address outside the allowed networks, even if
// its stream came from inside them) or a FORWARD_JOIN walk for one, and
// removes refused nodes from a shuffle's peers. So HyParView never learns
// of a node it must not dial.
func (l *runLoop) screen(in inbound) (inbound, bool) {
	if l.m.deny.len() == 0 && !l.m.config.IPMustBeChecked() {
		return in, true
	}
	if l.refused(in.from) {
		return in, false
	}
	switch v := in.msg.(type) {
	case forwardJoinMsg:
		return in, !l.refused(v.Joiner)
	case shuffleMsg:
		v.Peers = l.allowedPeers(v.Peers)
		in.msg = v
	case shuffleReplyMsg:
		v.Peers = l.allowedPeers(v.Peers)
		in.msg = v
	}
	return in, true
}

// allowedPeers returns ps without the refused nodes, in a new slice when
// it drops any.
func (l *runLoop) allowedPeers(ps []Peer) []Peer {
	var out []Peer
	for i, p := range ps {
		if !l.refused(p) {
			if out != nil {
				out = append(out, p)
			}
			continue
		}
		if out == nil {
			out = append(make([]Peer, 0, len(ps)-1), ps[:i]...)
		}
	}
	if out == nil {
		return ps
	}
	return out
}
