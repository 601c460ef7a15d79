package main

import (
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// TestPackageDocListsCommands: the package doc in main.go names every
// registered subcommand.
func TestPackageDocListsCommands(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", nil, parser.PackageClauseOnly|parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	if f.Doc == nil {
		t.Fatal("main.go has no package doc")
	}
	doc := f.Doc.Text()
	if len(commands) == 0 {
		t.Fatal("no command registered")
	}
	for _, c := range commands {
		if !strings.Contains(doc, "hyparlist "+c.name+" ") {
			t.Errorf("package doc does not list %q:\n%s", c.name, doc)
		}
	}
}
