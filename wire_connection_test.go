package hyparlist

import (
	"errors"
	"testing"
)

func TestNegotiateVersion(t *testing.T) {
	cases := []struct {
		min, max uint8
		want     uint8
		ok       bool
	}{
		{1, 1, 1, true},
		{0, 1, 1, true},
		{1, 9, WireVersion, true},
		{1, 2, 2, true},
		{2, 2, 2, true},
		{0, 255, WireVersion, true},
		{WireVersion + 1, 9, 0, false},
		{0, 0, 0, false},
		{1, 0, 0, false}, // min > max
	}
	for _, c := range cases {
		got, err := NegotiateVersion(c.min, c.max)
		if c.ok != (err == nil) || got != c.want {
			t.Errorf("NegotiateVersion(%d, %d) = %d, %v; want %d, ok %v", c.min, c.max, got, err, c.want, c.ok)
		}
		if err != nil && !errors.Is(err, ErrUnsupportedVersion) {
			t.Errorf("NegotiateVersion(%d, %d): err %v does not wrap ErrUnsupportedVersion", c.min, c.max, err)
		}
	}
}

func TestAnswerHello(t *testing.T) {
	self := Peer{Name: "acceptor", Addr: "10.0.0.1:7946"}
	ok := Hello{VersionMin: WireVersionMin, VersionMax: WireVersion, Label: "prod", Name: "dialer", Addr: "10.0.0.2:7946"}
	reject := func(r RejectReason) Message {
		return HelloReject{Reason: r, VersionMin: WireVersionMin, VersionMax: WireVersion}
	}
	cases := []struct {
		name  string
		hello func(h *Hello)
		label string
		want  Message
	}{
		{"accept", func(*Hello) {}, "prod", HelloAccept{Version: WireVersion, Name: self.Name, Addr: self.Addr}},
		{"accept newer dialer", func(h *Hello) { h.VersionMax = 200 }, "prod", HelloAccept{Version: WireVersion, Name: self.Name, Addr: self.Addr}},
		{"version", func(h *Hello) { h.VersionMin, h.VersionMax = WireVersion+1, WireVersion+2 }, "prod", reject(RejectVersion)},
		{"label", func(*Hello) {}, "staging", reject(RejectLabel)},
		{"empty label", func(h *Hello) { h.Label = "" }, "prod", reject(RejectLabel)},
		{"own name", func(h *Hello) { h.Name = self.Name }, "prod", reject(RejectName)},
		{"version before label", func(h *Hello) { h.VersionMin, h.VersionMax, h.Label = 9, 9, "x" }, "prod", reject(RejectVersion)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := ok
			c.hello(&h)
			if got := AnswerHello(h, c.label, self); got != c.want {
				t.Fatalf("AnswerHello = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestRejectReasonString(t *testing.T) {
	seen := map[string]bool{}
	for r := range RejectReason(255) {
		s := r.String()
		if seen[s] {
			t.Errorf("reason %d: duplicate name %q", r, s)
		}
		seen[s] = true
	}
	if got := RejectReason(77).String(); got != "reason(77)" {
		t.Errorf("unknown reason prints %q", got)
	}
}
