// Membership core: the names whose records changed since a driver last
// asked, so that it can update its copy of the member list in proportion
// to the changes instead of to the table.

package hyparlist

// This file owns the optional change log of the member table. The runtime
// turns it on (runLoop.publish reads it); the simulator, which holds one
// table per simulated node and reads none of them this way, leaves it off,
// so it costs nothing there.

// touchedSlack is added to a quarter of the live members to bound the
// change log: a log that would grow past it is dropped and marked full, and
// the driver rebuilds its copy from the whole table, which is then as cheap
// per change as applying the changes one by one.
const touchedSlack = 64

// touchLog is the set of names whose records changed (inserted, set or
// removed) since the driver last took it.
type touchLog struct {
	on bool
	// all is set when the log overflowed: every record may have changed.
	all   bool
	names map[string]struct{}
}

// touch records that the record of name changed; nLive bounds the log.
func (t *touchLog) touch(name string, nLive int) {
	if !t.on || t.all {
		return
	}
	if len(t.names) >= nLive/4+touchedSlack {
		t.all = true
		clear(t.names)
		return
	}
	t.names[name] = struct{}{}
}

// trackChanges turns the change log on; until the first takeChanges, it
// reports every record as changed.
func (m *Membership) trackChanges() {
	m.table.touched = touchLog{on: true, all: true, names: make(map[string]struct{})}
}

// takeChanges calls fn with every name whose record changed since the
// last call, in no order, and empties the log. It reports false instead,
// calling fn with nothing, when the log overflowed or was just turned on:
// any record may have changed.
func (m *Membership) takeChanges(fn func(name string)) bool {
	t := &m.table.touched
	if t.all {
		t.all = false
		clear(t.names)
		return false
	}
	for name := range t.names {
		fn(name)
	}
	clear(t.names)
	return true
}
