package main

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"testing"

	"github.com/hyparlist/hyparlist/internal/sim"
)

// TestWriteSimPlots checks that every figure is well-formed SVG with some
// content.
func TestWriteSimPlots(t *testing.T) {
	cfg := sim.DefaultExperimentConfig()
	cfg.Sim.Nodes, cfg.Sim.Seed = 200, 5
	cfg.ShuffleRounds, cfg.Broadcasts, cfg.SingleSenderBroadcasts, cfg.AllSendSenders = 10, 6, 3, 50
	cfg.FailFractions, cfg.FailWarmupBroadcasts, cfg.HealingMaxRounds = []float64{0.3, 0.9}, 2, 5
	cfg.Experiments = []string{sim.ExperimentOverlay, sim.ExperimentBroadcast, sim.ExperimentFail}
	var results []sim.SimResult
	if err := sim.RunExperiments(cfg, func(r sim.SimResult) { results = append(results, r) }); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "plots")
	if err := writeSimPlots(dir, results); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"reliability.svg", "active_in_degree.svg", "passive_in_degree.svg", "broadcasts.svg"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(bytes.NewReader(data))
		elems := 0
		for {
			tok, err := dec.Token()
			if err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("%s: %v", name, err)
				}
				break
			}
			if _, ok := tok.(xml.StartElement); ok {
				elems++
			}
		}
		if elems < 10 {
			t.Errorf("%s has only %d elements", name, elems)
		}
	}
}
