package main

import (
	"bytes"
	"context"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDemoSmallCluster runs the demo in-process with 8 nodes on
// 127.0.0.1 and checks the exit code, the delivery table and that every
// goroutine the nodes started is gone afterwards.
func TestDemoSmallCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster and waits for a suspicion timeout")
	}
	checkSmallDemo(t)
}

// TestDemoSmallClusterTLS is TestDemoSmallCluster with every stream inside
// mutual TLS (-tls): certificates from a CA made for the run, node names
// checked against them.
func TestDemoSmallClusterTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster and waits for a suspicion timeout")
	}
	checkSmallDemo(t, "-tls")
}

// checkSmallDemo runs the demo on 8 nodes with the extra flags and checks
// its table: every survivor got every broadcast once, the crashed nodes
// left every list, and no goroutine outlives the nodes.
func checkSmallDemo(t *testing.T, extra ...string) {
	t.Helper()
	// os/signal starts its own goroutine, for good, on first use.
	_, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	stop()
	before := runtime.NumGoroutine()
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"demo", "-n", "8", "-broadcasts", "4", "-deadline", "30s"}, extra...), &stdout, &stderr)
	out := stdout.String()
	if code != 0 {
		t.Fatalf("exit code %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, stderr.String())
	}
	if tls := slices.Contains(extra, "-tls"); tls != strings.Contains(out, "mutual TLS") {
		t.Errorf("-tls %v, but the header says otherwise:\n%s", tls, out)
	}

	rows := tableRows(t, out)
	if len(rows) != 8 {
		t.Fatalf("table has %d node rows, want 8:\n%s", len(rows), out)
	}
	crashed := 0
	fraction := regexp.MustCompile(`^(\d+)/(\d+)$`)
	for _, r := range rows {
		// NODE STATE MEMBERS NEIGHBOURS 4×delivery EXTRA JOINS LEAVES
		if len(r) != 11 {
			t.Fatalf("row %q has %d fields, want 11 (a MISSED mark adds one)", r, len(r))
		}
		cells := r[4:8]
		if r[1] == "crashed" {
			crashed++
			cells = r[4:6]
		} else {
			if r[2] != "6" {
				t.Errorf("%s: %s members, want the 6 survivors", r[0], r[2])
			}
			if r[10] != "2" {
				t.Errorf("%s: %s leave events, want one per crashed node (2)", r[0], r[10])
			}
		}
		for _, c := range cells {
			if m := fraction.FindStringSubmatch(c); m == nil || m[1] != m[2] {
				t.Errorf("%s: delivery cell %q, want all delivered", r[0], c)
			}
		}
		if r[8] != "0" {
			t.Errorf("%s: %s extra deliveries, want 0", r[0], r[8])
		}
	}
	if crashed != 2 {
		t.Errorf("%d crashed rows, want 2 (a quarter of 8)", crashed)
	}
	if !strings.Contains(out, "\nOK after ") {
		t.Errorf("no OK verdict in output:\n%s", out)
	}

	// Every node was shut down: the goroutines they started must end.
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines after the demo, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDemoFailsOnDeadline checks that a cluster that cannot converge in
// time makes the demo exit 1: a suspicion timeout of seconds cannot pass
// within a 1ns deadline.
func TestDemoFailsOnDeadline(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"demo", "-n", "4", "-broadcasts", "1", "-deadline", "1ns"}, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit code %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "healing after 1ns: deadline exceeded") {
		t.Errorf("output does not report the healing deadline:\n%s", stdout.String())
	}
	if !strings.Contains(stdout.String(), "\nFAIL after ") {
		t.Errorf("no FAIL verdict in output:\n%s", stdout.String())
	}
}

// TestDemoFlagErrors checks that bad flags exit 2 with a message.
func TestDemoFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-n", "1"}, "at least 2 nodes"},
		{[]string{"-kill", "1"}, "must be in [0, 1)"},
		{[]string{"-kill", "-0.1"}, "must be in [0, 1)"},
		{[]string{"-n", "2", "-kill", "0.5"}, "need at least 2 survivors"},
		{[]string{"-broadcasts", "0"}, "need at least 1"},
		{[]string{"-deadline", "0s"}, "must be positive"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-nosuchflag"}, "flag provided but not defined"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"demo"}, tc.args...), &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("demo %v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}

// tableRows returns the fields of the delivery table's node rows.
func tableRows(t *testing.T, out string) [][]string {
	t.Helper()
	var rows [][]string
	in := false
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) > 0 && f[0] == "NODE":
			in = true
		case !in || len(f) == 0:
		case f[0] == "survivors":
			return rows
		default:
			rows = append(rows, f)
		}
	}
	t.Fatalf("no complete delivery table in output:\n%s", out)
	return nil
}
