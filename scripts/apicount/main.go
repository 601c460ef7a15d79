// Command apicount counts the exported API of a Go package directory: exported
// top-level types, funcs, consts, vars, methods on exported types, and exported
// fields of exported struct types. _test.go files are skipped.
//
// Usage, from the repository root: go run ./scripts/apicount [-v] [-prefix sim] [DIR]
// With -prefix, it also prints the counts contributed by files whose name
// starts with the prefix.
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	verbose := flag.Bool("v", false, "list every exported identifier")
	prefix := flag.String("prefix", "", "also count files with this name prefix")
	flag.Parse()
	dir := "."
	if flag.NArg() > 0 {
		dir = flag.Arg(0)
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	fset := token.NewFileSet()
	var ids, fields, pids, pfields int
	var names []string
	seen := map[string]bool{}
	for _, p := range paths {
		base := filepath.Base(p)
		if strings.HasSuffix(base, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if f.Name.Name == "main" {
			continue
		}
		inPrefix := *prefix != "" && strings.HasPrefix(base, *prefix)
		add := func(kind, name string, isField bool) {
			// A name declared in several files (build-tag alternatives,
			// such as metrics_compat.go and metrics_hashicorp.go) counts once.
			if seen[kind+" "+name] {
				return
			}
			seen[kind+" "+name] = true
			names = append(names, fmt.Sprintf("%s\t%s\t%s", base, kind, name))
			if isField {
				fields++
				if inPrefix {
					pfields++
				}
				return
			}
			ids++
			if inPrefix {
				pids++
			}
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				if d.Recv != nil {
					r := recvName(d.Recv)
					if !ast.IsExported(r) {
						continue
					}
					add("method", r+"."+d.Name.Name, false)
					continue
				}
				add("func", d.Name.Name, false)
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						if !s.Name.IsExported() {
							continue
						}
						add("type", s.Name.Name, false)
						if st, ok := s.Type.(*ast.StructType); ok {
							for _, fl := range st.Fields.List {
								if len(fl.Names) == 0 {
									if n := embeddedName(fl.Type); ast.IsExported(n) {
										add("field", s.Name.Name+"."+n, true)
									}
									continue
								}
								for _, n := range fl.Names {
									if n.IsExported() {
										add("field", s.Name.Name+"."+n.Name, true)
									}
								}
							}
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								add(d.Tok.String(), n.Name, false)
							}
						}
					}
				}
			}
		}
	}
	if *verbose {
		sort.Strings(names)
		for _, n := range names {
			fmt.Println(n)
		}
	}
	fmt.Printf("identifiers %d fields %d\n", ids, fields)
	if *prefix != "" {
		fmt.Printf("from %s*.go: identifiers %d fields %d\n", *prefix, pids, pfields)
	}
}

func recvName(recv *ast.FieldList) string {
	return embeddedName(recv.List[0].Type)
}

func embeddedName(typ ast.Expr) string {
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	switch t := typ.(type) {
	case *ast.IndexExpr:
		typ = t.X
	case *ast.IndexListExpr:
		typ = t.X
	}
	switch t := typ.(type) {
	case *ast.Ident:
		return t.Name
	case *ast.SelectorExpr:
		return t.Sel.Name
	}
	return ""
}
