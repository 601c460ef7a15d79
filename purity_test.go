package hyparlist

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// This file guards the layers of the flat package: the pure cores
// (HyParView, Plumtree, membership, and the events, actions and messages
// they exchange) must not do I/O, lock, start goroutines or read the
// clock. The runtime gives them the time as an argument and carries out
// their actions; only then can the simulator drive the same code on
// virtual time.

// pureCoreGlobs name the files of the pure cores.
var pureCoreGlobs = []string{"hyparview*.go", "plumtree*.go", "membership*.go", "core.go", "wire_types.go"}

// impureImports are the packages a core must not import (a path or a
// path prefix followed by "/"): I/O, locks, the global random source,
// unsafe memory.
var impureImports = []string{"net", "sync", "os", "io", "log", "syscall", "unsafe", "math/rand", "crypto/rand", "runtime"}

// pureTimeNames are the names of package time a core may use: the time it
// is handed (time.Time) and durations. Everything else (Now, Since,
// Sleep, After, AfterFunc, Tick, NewTimer, Timer, ...) reads the clock or
// schedules on it.
var pureTimeNames = []string{"Duration", "Time", "Nanosecond", "Microsecond", "Millisecond", "Second", "Minute", "Hour"}

// pureRandNames are the names of math/rand/v2 a core may use: the type of
// the generator it is given. The package-level functions draw from the
// global, unseeded source.
var pureRandNames = []string{"Rand"}

// pureCoreFiles returns the non-test files of the pure cores.
func pureCoreFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, g := range pureCoreGlobs {
		m, err := filepath.Glob(g)
		if err != nil {
			t.Fatal(err)
		}
		if len(m) == 0 {
			t.Fatalf("purity guard: no file matches %q; update pureCoreGlobs", g)
		}
		for _, f := range m {
			if !strings.HasSuffix(f, "_test.go") {
				files = append(files, f)
			}
		}
	}
	slices.Sort(files)
	return files
}

// impurities returns what in the parsed file f breaks the cores' rules,
// one line each.
func impurities(fset *token.FileSet, f *ast.File) []string {
	var out []string
	report := func(n ast.Node, format string, args ...any) {
		out = append(out, fmt.Sprintf("%s: %s", fset.Position(n.Pos()), fmt.Sprintf(format, args...)))
	}
	local := map[string]string{} // import name in the file → path
	for _, imp := range f.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			report(imp, "bad import %s", imp.Path.Value)
			continue
		}
		for _, bad := range impureImports {
			if path == bad || strings.HasPrefix(path, bad+"/") && !(bad == "math/rand" && path == "math/rand/v2") {
				report(imp, "imports %q", path)
			}
		}
		name := filepath.Base(path)
		if path == "math/rand/v2" {
			name = "rand"
		}
		if imp.Name != nil {
			name = imp.Name.Name
		}
		local[name] = path
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			report(n, "starts a goroutine")
		case *ast.SelectorExpr:
			pkg, ok := n.X.(*ast.Ident)
			if !ok || pkg.Obj != nil { // a local variable, not a package
				return true
			}
			switch local[pkg.Name] {
			case "time":
				if !slices.Contains(pureTimeNames, n.Sel.Name) {
					report(n, "uses time.%s (the time comes in as an argument)", n.Sel.Name)
				}
			case "math/rand/v2":
				if !slices.Contains(pureRandNames, n.Sel.Name) {
					report(n, "uses rand.%s (randomness is injected)", n.Sel.Name)
				}
			}
		}
		return true
	})
	return out
}

// TestCoresArePure fails if a core file imports an I/O, lock or
// global-state package, reads or schedules on the clock, draws from the
// global random source, or starts a goroutine.
func TestCoresArePure(t *testing.T) {
	fset := token.NewFileSet()
	for _, name := range pureCoreFiles(t) {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, msg := range impurities(fset, f) {
			t.Errorf("%s", msg)
		}
	}
}

// TestPurityGuardCatches checks the guard itself on small sources.
func TestPurityGuardCatches(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want string // substring of the one expected report; "" for none
	}{
		{"import \"time\"\nfunc f(now time.Time) time.Duration { return now.Sub(now) + time.Second }", ""},
		{"import \"time\"\nfunc f() { _ = time.Now() }", "uses time.Now"},
		{"import \"time\"\nfunc f() { time.Sleep(1) }", "uses time.Sleep"},
		{"import \"time\"\nfunc f() { <-time.After(1) }", "uses time.After"},
		{"import \"time\"\nvar t *time.Timer", "uses time.Timer"},
		{"import clock \"time\"\nfunc f() { _ = clock.Now() }", "uses time.Now"},
		{"import \"sync\"\nvar mu sync.Mutex", "imports \"sync\""},
		{"import \"sync/atomic\"\nvar n atomic.Int64", "imports \"sync/atomic\""},
		{"import \"net\"\nvar a net.Addr", "imports \"net\""},
		{"import \"os\"\nvar f = os.Stdout", "imports \"os\""},
		{"func f() { go f() }", "starts a goroutine"},
		{"import \"math/rand/v2\"\nfunc f(r *rand.Rand) int { return r.IntN(3) }", ""},
		{"import \"math/rand/v2\"\nfunc f() int { return rand.IntN(3) }", "uses rand.IntN"},
		{"import \"math/rand\"\nvar r *rand.Rand", "imports \"math/rand\""},
	} {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "x.go", "package p\n"+tc.src, 0)
		if err != nil {
			t.Fatalf("%q: %v", tc.src, err)
		}
		got := impurities(fset, f)
		switch {
		case tc.want == "" && len(got) > 0:
			t.Errorf("%q: reported %v, want nothing", tc.src, got)
		case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
			t.Errorf("%q: reported %v, want one report of %q", tc.src, got, tc.want)
		}
	}
}
