package hyparlist

import (
	"bytes"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// update makes golden tests rewrite their files in testdata instead of
// comparing against them: go test -run Golden -update. Shared by every
// golden test of the package.
var update = flag.Bool("update", false, "rewrite golden files in testdata")

// hexGolden compares got with the hex golden file path, or rewrites the
// file with -update. In the file, lines starting with '#' are comments and
// whitespace between hex digits is ignored; comment and lines are the
// layout the file is written with.
func hexGolden(t *testing.T, path, comment string, lines ...[]byte) {
	t.Helper()
	var got []byte
	for _, l := range lines {
		got = append(got, l...)
	}
	if *update {
		var b strings.Builder
		for _, c := range strings.Split(comment, "\n") {
			b.WriteString("# " + c + "\n")
		}
		for _, l := range lines {
			b.WriteString(hex.EncodeToString(l) + "\n")
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := readHexFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: encoding changed\n got %x\nwant %x\n(if intended, this is a wire format change: bump WireVersion or add a message type, then -update)", path, got, want)
	}
}

// readHexFile reads a hex golden file written by hexGolden.
func readHexFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var digits strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		digits.WriteString(strings.Join(strings.Fields(line), ""))
	}
	return hex.DecodeString(digits.String())
}

// checkGolden compares got with testdata/name, or rewrites the file when
// -update is given.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if string(want) == got {
		return
	}
	gotLines, wantLines := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	i := 0
	for i < len(gotLines) && i < len(wantLines) && gotLines[i] == wantLines[i] {
		i++
	}
	line := func(ls []string) string {
		if i < len(ls) {
			return ls[i]
		}
		return "<end of file>"
	}
	t.Errorf("%s differs from the golden file at line %d (run with -update to accept):\n got: %s\nwant: %s\n--- full output:\n%s",
		path, i+1, line(gotLines), line(wantLines), got)
}
