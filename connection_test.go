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
		{1, 9, wireVersion, true},
		{1, 2, 2, true},
		{2, 2, 2, true},
		{0, 255, wireVersion, true},
		{wireVersion + 1, 9, 0, false},
		{0, 0, 0, false},
		{1, 0, 0, false}, // min > max
	}
	for _, c := range cases {
		got, err := negotiateVersion(c.min, c.max)
		if c.ok != (err == nil) || got != c.want {
			t.Errorf("NegotiateVersion(%d, %d) = %d, %v; want %d, ok %v", c.min, c.max, got, err, c.want, c.ok)
		}
		if err != nil && !errors.Is(err, errUnsupportedVersion) {
			t.Errorf("NegotiateVersion(%d, %d): err %v does not wrap ErrUnsupportedVersion", c.min, c.max, err)
		}
	}
}

func TestAnswerHello(t *testing.T) {
	self := Peer{Name: "acceptor", Addr: "10.0.0.1:7946"}
	ok := helloMsg{VersionMin: wireVersionMin, VersionMax: wireVersion, Label: "prod", Name: "dialer", Addr: "10.0.0.2:7946"}
	reject := func(r rejectReason) Message {
		return helloRejectMsg{Reason: r, VersionMin: wireVersionMin, VersionMax: wireVersion}
	}
	cases := []struct {
		name  string
		hello func(h *helloMsg)
		label string
		want  Message
	}{
		{"accept", func(*helloMsg) {}, "prod", helloAcceptMsg{Version: wireVersion, Name: self.Name, Addr: self.Addr}},
		{"accept newer dialer", func(h *helloMsg) { h.VersionMax = 200 }, "prod", helloAcceptMsg{Version: wireVersion, Name: self.Name, Addr: self.Addr}},
		{"version", func(h *helloMsg) { h.VersionMin, h.VersionMax = wireVersion+1, wireVersion+2 }, "prod", reject(rejectVersion)},
		{"label", func(*helloMsg) {}, "staging", reject(rejectLabel)},
		{"empty label", func(h *helloMsg) { h.Label = "" }, "prod", reject(rejectLabel)},
		{"own name", func(h *helloMsg) { h.Name = self.Name }, "prod", reject(rejectName)},
		{"version before label", func(h *helloMsg) { h.VersionMin, h.VersionMax, h.Label = 9, 9, "x" }, "prod", reject(rejectVersion)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := ok
			c.hello(&h)
			if got := answerHello(h, c.label, self); got != c.want {
				t.Fatalf("AnswerHello = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestRejectReasonString(t *testing.T) {
	seen := map[string]bool{}
	for r := range rejectReason(255) {
		s := r.String()
		if seen[s] {
			t.Errorf("reason %d: duplicate name %q", r, s)
		}
		seen[s] = true
	}
	if got := rejectReason(77).String(); got != "reason(77)" {
		t.Errorf("unknown reason prints %q", got)
	}
}
