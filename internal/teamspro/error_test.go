package teamspro

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestCodesListsEveryCode: Codes names every E* constant of error.go, so
// that what is checked against it (the document's Problem schema, the
// status mapping) cannot miss a code added here.
func TestCodesListsEveryCode(t *testing.T) {
	t.Parallel()
	f, err := parser.ParseFile(token.NewFileSet(), "error.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !strings.HasPrefix(n.Name, "E") || !ok || lit.Kind != token.STRING {
					continue
				}
				v, _ := strconv.Unquote(lit.Value)
				declared = append(declared, v)
			}
		}
	}
	if len(declared) == 0 {
		t.Fatal("found no E* code constant in error.go")
	}
	got := Codes()
	for _, c := range declared {
		if !slices.Contains(got, c) {
			t.Errorf("Codes() lacks %q, declared in error.go", c)
		}
	}
	for _, c := range got {
		if !slices.Contains(declared, c) {
			t.Errorf("Codes() lists %q, which error.go does not declare", c)
		}
	}
}
