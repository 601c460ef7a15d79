package hyparlist

import (
	"reflect"
	"time"
	"unsafe"
)

// This file lets a simulation fork: Fork returns an independent deep copy,
// so that several experiments can start from one stable overlay instead of
// rebuilding it from the seed each time (building is most of the cost at
// 10^5 nodes).
//
// The cores do not offer a Clone method, so the copy is made by reflection
// over the whole object graph reachable from the Simulation: cores, random
// generators, queued events with their messages and timers. Unexported
// fields are reached with reflect.NewAt on their address (hence unsafe):
// every struct is rebuilt field by field, every pointer, map and slice
// backing array is copied once and shared where the original shared it
// (timers a core compares by pointer identity stay identical to the ones
// in the queue). Strings, funcs and *time.Location values are immutable or
// global and are shared. Channels must not occur (the cores are pure).
//
// TestForkEqualsRebuild checks the result: a fork must behave exactly like
// a fresh simulation built from the same seed, and the original must be
// unaffected by what the fork does.

// Fork returns a deep copy of s that evolves independently: the same
// events on both give the same results. The progress function is shared.
func (s *Simulation) Fork() *Simulation {
	c := &deepCopier{seen: make(map[copyKey]reflect.Value), pointers: make(map[reflect.Type]bool)}
	dst := reflect.New(reflect.TypeFor[Simulation]())
	c.copy(dst.Elem(), reflect.ValueOf(s).Elem())
	f := dst.Interface().(*Simulation)
	f.bc.s = f // the tracker's back pointer was copied like any other
	return f
}

// copyKey identifies an already copied object: its address and type (a
// struct and its first field share an address).
type copyKey struct {
	addr uintptr
	typ  reflect.Type
}

// deepCopier copies object graphs, preserving sharing.
type deepCopier struct {
	seen     map[copyKey]reflect.Value
	pointers map[reflect.Type]bool // memo of hasPointers
}

// sharedTypes are pointer targets that are copied by reference.
var sharedTypes = map[reflect.Type]bool{
	reflect.TypeFor[time.Location](): true,
}

// forkSettable returns a settable view of v, which must be addressable.
func forkSettable(v reflect.Value) reflect.Value {
	if v.CanSet() {
		return v
	}
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
}

// copy deep-copies src into dst. dst is settable. src is never read-only:
// every struct field is re-derived with settable, so values reached
// through unexported fields can be read and assigned like any other.
func (c *deepCopier) copy(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		if sharedTypes[src.Type().Elem()] {
			dst.Set(src)
			return
		}
		key := copyKey{src.Pointer(), src.Type()}
		if p, ok := c.seen[key]; ok {
			dst.Set(p)
			return
		}
		p := reflect.New(src.Type().Elem())
		c.seen[key] = p
		dst.Set(p)
		c.copy(p.Elem(), src.Elem())
	case reflect.Struct:
		if !c.forkHasPointers(src.Type()) {
			dst.Set(src)
			return
		}
		if !src.CanAddr() { // a map entry or an interface's value
			tmp := reflect.New(src.Type()).Elem()
			tmp.Set(src)
			src = tmp
		}
		for i := 0; i < src.NumField(); i++ {
			c.copy(forkSettable(dst.Field(i)), forkSettable(src.Field(i)))
		}
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		// The whole backing array is copied once and shared by every
		// slice of it that starts at the same element.
		key := copyKey{src.Pointer(), src.Type()}
		if s, ok := c.seen[key]; ok && s.Cap() >= src.Cap() {
			dst.Set(s.Slice3(0, src.Len(), src.Cap()))
			return
		}
		full := src.Slice(0, src.Cap())
		s := reflect.MakeSlice(src.Type(), src.Cap(), src.Cap())
		c.seen[key] = s
		dst.Set(s.Slice3(0, src.Len(), src.Cap()))
		if !c.forkHasPointers(src.Type().Elem()) {
			reflect.Copy(s, full)
			return
		}
		for i := 0; i < full.Len(); i++ {
			c.copy(s.Index(i), full.Index(i))
		}
	case reflect.Array:
		if !c.forkHasPointers(src.Type()) {
			dst.Set(src)
			return
		}
		for i := 0; i < src.Len(); i++ {
			c.copy(dst.Index(i), src.Index(i))
		}
	case reflect.Map:
		if src.IsNil() {
			return
		}
		key := copyKey{src.Pointer(), src.Type()}
		if m, ok := c.seen[key]; ok {
			dst.Set(m)
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		c.seen[key] = m
		dst.Set(m)
		kt, vt := src.Type().Key(), src.Type().Elem()
		for it := src.MapRange(); it.Next(); {
			k := reflect.New(kt).Elem()
			c.copy(k, it.Key())
			v := reflect.New(vt).Elem()
			c.copy(v, it.Value())
			m.SetMapIndex(k, v)
		}
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		elem := src.Elem()
		v := reflect.New(elem.Type()).Elem()
		c.copy(v, elem)
		dst.Set(v)
	case reflect.Chan:
		panic("hyparlist: Fork: channel in simulation state") // the cores are pure; see the file comment
	default:
		// Booleans, numbers, strings (immutable), funcs (shared).
		dst.Set(src)
	}
}

// forkHasPointers reports, with a memo, whether values of t contain pointers.
func (c *deepCopier) forkHasPointers(t reflect.Type) bool {
	v, ok := c.pointers[t]
	if !ok {
		v = forkHasPointers(t)
		c.pointers[t] = v
	}
	return v
}

// forkHasPointers reports whether values of t contain pointers (and so need a
// deep copy).
func forkHasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface, reflect.String, reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return true
	case reflect.Array:
		return t.Len() > 0 && forkHasPointers(t.Elem())
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if forkHasPointers(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
}
