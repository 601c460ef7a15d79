// Runtime: a JOIN from a node it already holds a link to (a restart).

package hyparlist

// This file handles a JOIN from a node the runtime already holds a link
// to. HyParView's JOIN comes from a node that does not count this one as a
// neighbour: most often a node restarted under the same name (at the same
// address or another), whose old stream this node has not yet found dead.
// Writing HyParView's answer on the old stream would fail and be taken for
// a crash of the new node (membership then suspects it and, with short
// timeouts, declares it dead before its refutation arrives); memberlist
// instead takes the restarted node's alive message at once. So the old
// link is dropped quietly and a new one opened to the address the JOIN
// came from, keeping its role (neighbour or transient).

// renewLinkOnJoin replaces the link to p, if any, with a new one.
func (l *runLoop) renewLinkOnJoin(p Peer) {
	old := l.links[p.Name]
	if old == nil {
		return
	}
	delete(l.links, p.Name)
	old.abort() // its writer's failure is ignored: it is no longer in links
	l.forgetPings(p.Name)
	if k := l.openLink(p, nil); k != nil {
		k.neighbor = old.neighbor
	}
}
