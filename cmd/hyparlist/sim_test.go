package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hyparlist/hyparlist"
	"github.com/hyparlist/hyparlist/internal/sim"
)

// quickSim are sim flags for a run of a few seconds.
var quickSim = []string{"sim", "-n", "150", "-shuffles", "5", "-broadcasts", "4", "-all-send", "20", "-fail", "0,0.5"}

func TestSimJSONLines(t *testing.T) {
	var out, errb bytes.Buffer
	dir := filepath.Join(t.TempDir(), "plots")
	if code := run(append(quickSim, "-json", "-plots", dir, "-experiments", "overlay,broadcast,fail,partition,membership"), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	sc := bufio.NewScanner(&out)
	var experiments []string
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		for _, k := range []string{"nodes", "seed", "fail_fraction", "rmr", "wall_seconds", "peak_heap_bytes"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line without %q: %s", k, sc.Text())
			}
		}
		experiments = append(experiments, m["experiment"].(string))
		if m["experiment"] == "membership" {
			for _, k := range []string{"membership_scenario", "membership_converged_seconds", "membership_bytes_per_node_per_s"} {
				if _, ok := m[k]; !ok {
					t.Errorf("membership line without %q: %s", k, sc.Text())
				}
			}
		}
	}
	if got := strings.Join(experiments, ","); got != "overlay,broadcast,fail,fail,partition,membership,membership,membership,membership" {
		t.Fatalf("experiments %s", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "reliability.svg")); err != nil {
		t.Fatal(err)
	}
}

// TestSimMembershipScenarios: -membership-scenarios reports only the
// listed scenarios, in run order.
func TestSimMembershipScenarios(t *testing.T) {
	var out, errb bytes.Buffer
	args := []string{"sim", "-n", "60", "-json", "-experiments", "membership", "-membership-scenarios", "partition,crash"}
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got []string
	for sc := bufio.NewScanner(&out); sc.Scan(); {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, m["membership_scenario"].(string))
	}
	if strings.Join(got, ",") != "crash,partition" {
		t.Errorf("scenarios %v, want crash,partition", got)
	}
}

func TestSimTable(t *testing.T) {
	var out, errb bytes.Buffer
	args := append(quickSim, "-experiments", "overlay,fail", "-fail", "0.5")
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	text := out.String()
	for _, want := range []string{"experiment", "overlay", "fail", "reliability_first_broadcast", "avg_path_length"} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q:\n%s", want, text)
		}
	}
}

func TestDispatchErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"nope"},
		{"sim", "-fail", "x"},
		{"sim", "-contact", "other"},
		{"sim", "-paper", "aging,nope"},
		{"sim", "-experiments", "unknown", "-n", "10"},
		{"sim", "-experiments", "membership", "-membership-scenarios", "join,flood", "-n", "10"},
		{"sim", "extra"},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
		if errb.Len() == 0 {
			t.Errorf("%v: no error message", args)
		}
	}
	var out bytes.Buffer
	if code := run([]string{"help"}, &out, &out); code != 0 || !strings.Contains(out.String(), "sim") {
		t.Errorf("help: exit %d, %q", code, out.String())
	}
}

func TestSimPaperFlag(t *testing.T) {
	var errb bytes.Buffer
	f, err := parseSimFlags([]string{"-paper", "fanout, lost-retry"}, &errb)
	if err != nil {
		t.Fatal(err)
	}
	hv, def := f.cfg.Sim.HyParView, hyparlist.DefaultHyParViewConfig()
	if hv.RepairFanout != 1 || hv.LostPeerRetryInterval != 0 || hv.PaperPassiveView || hv.PaperNoProbe || hv.RejoinInterval != def.RejoinInterval {
		t.Errorf("-paper fanout,lost-retry: %+v", hv)
	}
	f, err = parseSimFlags([]string{"-paper", "all"}, &errb)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := sim.WithPaper(def, "all"); f.cfg.Sim.HyParView.PaperJoinEvicts != want.PaperJoinEvicts || !want.PaperJoinEvicts || f.cfg.Sim.HyParView.KeepaliveInterval != 0 {
		t.Errorf("-paper all: %+v", f.cfg.Sim.HyParView)
	}
	f, err = parseSimFlags(nil, &errb)
	if err != nil {
		t.Fatal(err)
	}
	if hv := f.cfg.Sim.HyParView; hv.PaperPassiveView || hv.PaperNoProbe || hv.RepairFanout != def.RepairFanout || hv.KeepaliveInterval != def.KeepaliveInterval {
		t.Errorf("no -paper: %+v", hv)
	}
}

func TestSimCPUFlags(t *testing.T) {
	var errb bytes.Buffer
	f, err := parseSimFlags(nil, &errb)
	if err != nil {
		t.Fatal(err)
	}
	if f.cfg.Sim.CPU.Enabled() {
		t.Errorf("the cost model is on by default: %+v", f.cfg.Sim.CPU)
	}
	f, err = parseSimFlags([]string{"-cpu", "shared", "-cpu-cores", "3", "-awareness", "0", "-cpu-cost-scale", "2"}, &errb)
	if err != nil {
		t.Fatal(err)
	}
	c := f.cfg.Sim.CPU
	if c.Mode != sim.CPUShared || c.Cores != 3 || c.AwarenessMax != 0 || c.SilenceLimit == 0 ||
		c.Costs.Frame != 2*sim.DefaultSimCPUCosts().Frame {
		t.Errorf("-cpu shared -cpu-cores 3 -awareness 0 -cpu-cost-scale 2: %+v", c)
	}
	for _, args := range [][]string{{"-cpu", "fast"}, {"-cpu", "node", "-cpu-cost-scale", "-1"}, {"-cpu", "shared", "-cpu-cores", "0"}} {
		f, err := parseSimFlags(args, &errb)
		if err == nil {
			err = f.cfg.Sim.Validate()
		}
		if err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func TestSimShuffleTTLFlag(t *testing.T) {
	var errb bytes.Buffer
	f, err := parseSimFlags(nil, &errb)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.cfg.Sim.HyParView.ShuffleTTL, hyparlist.DefaultHyParViewConfig().ShuffleTTL; got != want {
		t.Errorf("no -shuffle-ttl: ShuffleTTL %d, want the core's default %d", got, want)
	}
	f, err = parseSimFlags([]string{"-shuffle-ttl", "2"}, &errb)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.cfg.Sim.HyParView.ShuffleTTL; got != 2 {
		t.Errorf("-shuffle-ttl 2: ShuffleTTL %d", got)
	}
	for _, v := range []string{"0", "256", "-1"} {
		if _, err := parseSimFlags([]string{"-shuffle-ttl", v}, &errb); err == nil {
			t.Errorf("-shuffle-ttl %s: no error", v)
		}
	}
}
