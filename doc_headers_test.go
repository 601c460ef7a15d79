package hyparlist

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestFilesHaveHeaders: every non-test file of the package opens with a
// header comment saying what it owns, separated from the package clause
// (only doc.go carries the package documentation), as doc.go's "Reading
// the code" map assumes.
func TestFilesHaveHeaders(t *testing.T) {
	paths, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.PackageClauseOnly)
		if err != nil {
			t.Fatal(err)
		}
		if path == "doc.go" {
			if f.Doc == nil {
				t.Errorf("doc.go: no package documentation")
			}
			continue
		}
		if f.Doc != nil {
			t.Errorf("%s: a package doc comment outside doc.go (leave a blank line between the header and package)", path)
		}
		header := false
		for _, c := range f.Comments {
			if c.End() < f.Package && !strings.HasPrefix(c.Text(), "go:build") && !strings.HasPrefix(c.List[0].Text, "//go:build") {
				header = true
			}
		}
		if !header {
			t.Errorf("%s: no header comment before the package clause", path)
		}
	}
}
