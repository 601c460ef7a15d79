package sim

import (
	"errors"
	"strings"
	"testing"

	"github.com/hyparlist/hyparlist"
)

func TestWithPaper(t *testing.T) {
	def := hyparlist.DefaultHyParViewConfig()
	all, err := WithPaper(def, PaperFeatureAll)
	if err != nil {
		t.Fatal(err)
	}
	if paperSwitches(all) != [6]bool{true, true, true, true, true, true} || all.KeepaliveInterval != 0 || all.RejoinInterval != 0 ||
		all.LostPeerRetryInterval != 0 || all.RepairFanout != 1 {
		t.Errorf("all: %+v", all)
	}
	if err := all.Validate(); err != nil {
		t.Errorf("all features off does not validate: %v", err)
	}
	if paperSwitches(def) != [6]bool{} || def.KeepaliveInterval == 0 {
		t.Error("WithPaper modified its argument")
	}
	// Each name changes the configuration, and no two names the same way.
	var seen []hyparlist.HyParViewConfig
	for _, name := range HyParViewFeatures() {
		c, err := WithPaper(def, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c.Seeds = nil
		for _, prev := range append(seen, def) {
			if paperSwitches(c) == paperSwitches(prev) && c.KeepaliveInterval == prev.KeepaliveInterval &&
				c.RejoinInterval == prev.RejoinInterval && c.LostPeerRetryInterval == prev.LostPeerRetryInterval &&
				c.RepairFanout == prev.RepairFanout {
				t.Errorf("%s: same configuration as another feature or the default", name)
			}
		}
		seen = append(seen, c)
	}
	if _, err := WithPaper(def, "aging", "nope"); !errors.Is(err, ErrSimConfig) || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown feature: %v", err)
	}
}

// paperSwitches returns c's Paper switches.
func paperSwitches(c hyparlist.HyParViewConfig) [6]bool {
	return [6]bool{c.PaperPassiveView, c.PaperAsymmetricLinks, c.PaperNoProbe,
		c.PaperNoWanted, c.PaperIsolatedRepair, c.PaperJoinEvicts}
}
