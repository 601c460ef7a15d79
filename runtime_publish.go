// Runtime: publishing the member list, in proportion to what changed.

package hyparlist

import (
	"slices"
	"strings"
)

// This file owns runLoop.publish. In a join storm the member table changes
// on almost every loop iteration, so the snapshot is not rebuilt from the
// table: the membership core logs the names whose records changed
// (membership_touched.go), and publish copies the previous member list
// once (readers hold it, so it is never changed in place) and applies only
// those names, each with a binary search. A full rebuild is left for the
// first publish and for a change log that overflowed, which bounds it at
// about a quarter of the members.

// publish stores a new snapshot when something changed.
func (l *runLoop) publish() {
	if !l.dirty {
		return
	}
	l.dirty = false
	var changed []string
	if l.ms.takeChanges(func(name string) { changed = append(changed, name) }) {
		l.members = l.applyChanges(l.members, changed)
	} else {
		l.members = l.rebuildMembers()
	}
	s := &snapshot{members: l.members}
	if n, ok := s.member(l.m.self.Name); ok {
		s.local = n
	} else {
		s.local = l.m.memberNode(l.ms.localMember())
	}
	for _, p := range l.hv.ActiveView() {
		n, ok := s.member(p.Name)
		if !ok {
			n = l.m.memberNode(Member{Name: p.Name, Addr: p.Addr})
		}
		s.neighbors = append(s.neighbors, n)
	}
	slices.SortFunc(s.neighbors, compareNodes)
	l.m.publish(s)
	if len(l.listedWaits) > 0 {
		l.settleListedWaits(s)
	}
}

// listed reports whether the snapshot lists e: it is alive or suspect and
// is not the local node refused by the AliveDelegate (Create).
func (l *runLoop) listed(e *memberEntry) bool {
	return e != nil && e.state.live() && !(l.m.localVetoed && e.id.name == l.m.self.Name)
}

// rebuildMembers returns the Nodes of every listed member, by name.
func (l *runLoop) rebuildMembers() []*Node {
	out := make([]*Node, 0, l.ms.NumMembers())
	l.ms.eachLive(func(e *memberEntry) {
		if l.listed(e) {
			out = append(out, l.m.memberNode(l.ms.member(e)))
		}
	})
	slices.SortFunc(out, compareNodes)
	return out
}

// applyChanges returns a copy of prev, sorted by name, with the members
// called names rebuilt, added or removed as the table holds them now. prev
// is left as it is: a published snapshot holds it.
func (l *runLoop) applyChanges(prev []*Node, names []string) []*Node {
	if len(names) == 0 {
		return prev
	}
	out := make([]*Node, len(prev), len(prev)+len(names))
	copy(out, prev)
	for _, name := range names {
		i, found := slices.BinarySearchFunc(out, name, func(n *Node, name string) int { return strings.Compare(n.Name, name) })
		e := l.ms.table.get(name)
		switch {
		case l.listed(e) && found:
			out[i] = l.m.memberNode(l.ms.member(e))
		case l.listed(e):
			out = slices.Insert(out, i, l.m.memberNode(l.ms.member(e)))
		case found:
			out = slices.Delete(out, i, i+1)
		}
	}
	return out
}

// compareNodes orders Nodes by name.
func compareNodes(a, b *Node) int { return strings.Compare(a.Name, b.Name) }
