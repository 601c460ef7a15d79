package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestSmoke runs both systems at N=8 with a few broadcasts and a short idle
// window, and checks that every JSON line parses, carries DESIGN.md's
// fields and has sane values. It uses real sockets; every phase has a
// deadline, so a broken system fails the checks instead of hanging.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("real-socket smoke run")
	}
	opt := options{
		systems: []string{"hyparlist", "memberlist"}, api: "both", config: "lan",
		n: 8, payload: 256, rate: 5, broadcasts: 5, seed: 1,
		joinTimeout: 30 * time.Second, drainTimeout: 10 * time.Second,
		crashTimeout: 30 * time.Second, idle: time.Second,
	}
	if err := opt.validate(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	emit := emitter(&out, true)
	if err := runSystems(opt, emit, t.Logf); err != nil {
		t.Fatal(err)
	}
	required := []string{"system", "api", "config", "nodes", "payload_bytes", "broadcasts", "rate",
		"delivered_ratio", "duplicate_notify", "latency_p50_ms", "latency_p99_ms", "latency_max_ms",
		"delivery_p50_ms", "delivery_p99_ms", "payload_copies_per_receiver", "payload_copies_per_broadcast",
		"wire_bytes_per_broadcast", "cpu_ms_per_broadcast", "idle_cpu_cores", "idle_bytes_per_node_per_s",
		"heap_bytes_per_node", "goroutines_per_node", "join_convergence_ms", "join_99_ms",
		"crash_detection_ms", "load_avg_before", "go_version", "timestamp", "timeouts"}
	var got []string
	dec := json.NewDecoder(&out)
	for {
		var m map[string]any
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("JSON line does not parse: %v", err)
		}
		line := m["system"].(string) + "/" + m["api"].(string)
		got = append(got, line)
		for _, k := range required {
			if _, ok := m[k]; !ok {
				t.Errorf("%s: field %q missing", line, k)
			}
		}
		num := func(k string) float64 { f, _ := m[k].(float64); return f }
		if m["nodes"] != 8.0 || m["broadcasts"] != 5.0 || m["payload_bytes"] != 256.0 {
			t.Errorf("%s: nodes, broadcasts, payload = %v, %v, %v", line, m["nodes"], m["broadcasts"], m["payload_bytes"])
		}
		if r := num("delivered_ratio"); r <= 0 || r > 1 {
			t.Errorf("%s: delivered_ratio %v not in (0, 1]", line, r)
		}
		if line == "hyparlist/native" && num("delivered_ratio") != 1 {
			t.Errorf("%s: delivered_ratio %v, want 1", line, m["delivered_ratio"])
		}
		for _, k := range []string{"wire_bytes_per_broadcast", "heap_bytes_per_node", "goroutines_per_node", "cpu_ms_per_broadcast"} {
			if num(k) <= 0 {
				t.Errorf("%s: %s = %v, want > 0", line, k, m[k])
			}
		}
		// A phase that timed out reports -1 and names itself in "timeouts".
		// hyparlist must finish every phase. memberlist is the reference, not
		// the system under test: at N=8 it sometimes leaves one member unlisted
		// for longer than the join deadline (seen once in CI: min members 7
		// after 30 s), so its timeouts are logged as its result, while the
		// report must still be consistent.
		var timeouts []string
		for _, v := range m["timeouts"].([]any) {
			timeouts = append(timeouts, v.(string))
		}
		if m["system"] == "hyparlist" && len(timeouts) > 0 {
			t.Errorf("%s: timeouts %v, want none", line, timeouts)
		}
		phase := map[string]string{"join_convergence_ms": "join", "join_99_ms": "join",
			"crash_detection_ms": "crash_detection", "latency_p50_ms": "delivery"}
		for _, k := range []string{"join_convergence_ms", "join_99_ms", "crash_detection_ms", "latency_p50_ms"} {
			if num(k) >= 0 {
				continue
			}
			switch {
			case m["system"] == "hyparlist":
				t.Errorf("%s: %s = %v: the phase timed out", line, k, m[k])
			case !slices.Contains(timeouts, phase[k]):
				t.Errorf("%s: %s = %v but timeouts %v does not name %q", line, k, m[k], timeouts, phase[k])
			default:
				t.Logf("%s: %s timed out (memberlist's own result, reported as such)", line, k)
			}
		}
		if num("latency_p50_ms") > num("latency_p99_ms") || num("latency_p99_ms") > num("latency_max_ms") {
			t.Errorf("%s: latency percentiles out of order: %v %v %v", line,
				m["latency_p50_ms"], m["latency_p99_ms"], m["latency_max_ms"])
		}
		if c := num("payload_copies_per_receiver"); c < 0.9 {
			t.Errorf("%s: %v payload copies per receiver: the wire count misses payloads", line, c)
		}
		if _, ok := m["links_failed_silent"]; ok != (m["system"] == "hyparlist") {
			t.Errorf("%s: links_failed_silent present = %v", line, ok)
		}
	}
	want := []string{"hyparlist/native", "hyparlist/queue", "memberlist/queue"}
	if !slices.Equal(got, want) {
		t.Errorf("lines %v, want %v", got, want)
	}
}

// TestPlots writes the plots and tables of a few lines.
func TestPlots(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	var buf bytes.Buffer
	buf.WriteString("# a results file's note on its runs\n")
	emit := emitter(&buf, true)
	for _, n := range []int{16, 64} {
		for _, sys := range []string{"hyparlist", "memberlist"} {
			emit(result{Mode: "run", System: sys, API: "queue", Config: "lan", Nodes: n, PayloadBytes: 256,
				WireBytesPerBroadcast: float64(n * 10), IdleCPUCores: 0.01 * float64(n), MessagesComplete: 1,
				LatencyQuantilesMs: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21}})
		}
	}
	if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-plot", in, "-plot-dir", dir}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	if err := run([]string{"-table", in}, &table, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(table.Bytes(), []byte("| 64 | lan | 256 | queue |")) {
		t.Errorf("-table has no row for the N=64 cell:\n%s", table.String())
	}
	for _, f := range []string{"latency_cdf_lan_256B_n16.svg", "bytes_per_broadcast_lan_256B.svg", "idle_cpu_lan.svg"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("<svg")) || !bytes.Contains(b, []byte("memberlist")) {
			t.Errorf("%s is not a plot of both systems", f)
		}
	}
}

// TestCountingConnFindsSplitMarkers checks that a payload marker split
// across two writes is counted once, and one inside a write too.
func TestCountingConnFindsSplitMarkers(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	go func() { _, _ = io.Copy(io.Discard, b) }()
	w := &wireCounter{}
	c := newCountingConn(a, w, true)
	msg := append(append([]byte("xx"), benchMagic[:]...), "yy"...)
	msg = append(msg, benchMagic[:]...)
	for i := range len(msg) + 1 {
		for _, part := range [][]byte{msg[:i], msg[i:]} {
			if _, err := c.Write(part); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got, want := w.copies.Load(), int64(2*(len(msg)+1)); got != want {
		t.Errorf("counted %d markers, want %d", got, want)
	}
	if got, want := w.streamBytes.Load(), int64(len(msg)*(len(msg)+1)); got != want {
		t.Errorf("counted %d bytes, want %d", got, want)
	}
}

// TestPercentile checks the nearest-rank percentiles.
func TestPercentile(t *testing.T) {
	s := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, c := range []struct{ p, want float64 }{{0, 1}, {50, 5}, {99, 10}, {100, 10}, {10, 1}, {11, 2}} {
		if got := percentile(s, c.p); got != c.want {
			t.Errorf("percentile(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	if percentile(nil, 50) != -1 {
		t.Error("empty percentile is not -1")
	}
}

// TestRawCeiling moves messages over two loopback connections.
func TestRawCeiling(t *testing.T) {
	r, err := rawCeiling(2, 1024, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if r.RawMessagesPerS <= 0 || r.RawCores <= 0 {
		t.Errorf("raw ceiling %v msg/s on %v cores", r.RawMessagesPerS, r.RawCores)
	}
}

// TestFlagErrors checks that bad flags are refused with an error.
func TestFlagErrors(t *testing.T) {
	for _, args := range [][]string{{"-system", "x"}, {"-payload", "10"}, {"-n", "1"}, {"-api", "x"},
		{"-config", "wan"}, {"-rate", "0"}, {"extra"}, {"-ihave-interval", "-1ms"}, {"-graft-timeout", "-1ms"}, {"-keepalive-interval", "-1s"},
		{"-cache-bytes", "-1"}, {"-stream-buffer", "-1"}, {"-warmup", "-1s"}} {
		if err := run(args, io.Discard, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// TestHeapProfilePath: -heap-profile's file is used as given for one
// system and takes the system's name before its extension for two.
func TestHeapProfilePath(t *testing.T) {
	for _, c := range []struct {
		file, system string
		systems      int
		want         string
	}{
		{"/tmp/h.pb.gz", "hyparlist", 1, "/tmp/h.pb.gz"},
		{"/tmp/h.pb.gz", "memberlist", 2, "/tmp/h-memberlist.pb.gz"},
		{"heap", "hyparlist", 2, "heap-hyparlist"},
	} {
		if got := heapProfilePath(c.file, c.system, c.systems); got != c.want {
			t.Errorf("heapProfilePath(%q, %q, %d) = %q, want %q", c.file, c.system, c.systems, got, c.want)
		}
	}
}

// TestVerifyUserRecorded runs hyparlist at N=4 with -verify-user and
// checks that every broadcast is delivered and the JSON line records the
// setting.
func TestVerifyUserRecorded(t *testing.T) {
	if testing.Short() {
		t.Skip("real-socket run")
	}
	var m map[string]any
	runSmall(t, func(o *options) { o.verifyUser = true }, &m)
	if m["verify_user_broadcasts"] != true {
		t.Errorf("verify_user_broadcasts = %v, want true", m["verify_user_broadcasts"])
	}
	if m["delivered_ratio"] != 1.0 {
		t.Errorf("delivered_ratio = %v, want 1", m["delivered_ratio"])
	}
}

// TestWarmupApart runs hyparlist at N=4 with -warmup and checks that the
// warm-up's broadcasts are reported in the line's warmup object and not
// in the measured phase's figures.
func TestWarmupApart(t *testing.T) {
	if testing.Short() {
		t.Skip("real-socket run")
	}
	var r result
	runSmall(t, func(o *options) { o.rate, o.warmup = 20, 500*time.Millisecond }, &r)
	if r.Warmup == nil {
		t.Fatal("no warmup object in the line")
	}
	if r.Warmup.Broadcasts != 10 || r.Warmup.DeliveredRatio != 1 {
		t.Errorf("warm-up: %d broadcasts, delivered %v; want 10, 1", r.Warmup.Broadcasts, r.Warmup.DeliveredRatio)
	}
	if r.BroadcastsAccepted != 5 || r.DeliveredRatio != 1 || r.DuplicateNotify != 0 {
		t.Errorf("measured phase: %d accepted, delivered %v, %d duplicates; want 5, 1, 0",
			r.BroadcastsAccepted, r.DeliveredRatio, r.DuplicateNotify)
	}
}

// runSmall runs hyparlist's native path at N=4 (5 broadcasts at 5/s,
// then what tweak changes) and decodes the first JSON line into line.
func runSmall(t *testing.T, tweak func(*options), line any) {
	t.Helper()
	opt := options{
		systems: []string{"hyparlist"}, api: "native", config: "lan",
		n: 4, payload: 256, rate: 5, broadcasts: 5, seed: 1,
		joinTimeout: 30 * time.Second, drainTimeout: 10 * time.Second,
		crashTimeout: 30 * time.Second, idle: time.Second,
	}
	tweak(&opt)
	if err := opt.validate(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := runSystems(opt, emitter(&out, true), t.Logf); err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(&out).Decode(line); err != nil {
		t.Fatalf("JSON line does not parse: %v", err)
	}
}
