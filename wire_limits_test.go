package hyparlist

import (
	"math"
	"reflect"
	"testing"
)

func TestWireLimitsValidate(t *testing.T) {
	if err := defaultWireLimits().validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	// Every field must be positive: set each one to 0 in turn.
	n := reflect.TypeFor[wireLimits]().NumField()
	for i := range n {
		l := defaultWireLimits()
		f := reflect.ValueOf(&l).Elem().Field(i)
		f.SetInt(0)
		before := l
		if err := l.validate(); err == nil {
			t.Errorf("%s = 0 accepted", reflect.TypeFor[wireLimits]().Field(i).Name)
		}
		if l != before {
			t.Error("Validate modified the limits")
		}
	}
	if beyond := uint64(math.MaxUint32) + 1; uint64(math.MaxInt) >= beyond {
		l := defaultWireLimits()
		l.MaxFrameSize = int(beyond)
		if err := l.validate(); err == nil {
			t.Error("MaxFrameSize beyond 32 bits accepted")
		}
	}
}
