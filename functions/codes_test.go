package functions_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/teamspro/functions/functions"
	"github.com/teamspro/functions/internal/teamspro"
)

// TestOpenAPIListsEveryCode: every code of the one error type
// (teamspro.Codes) is in the Problem schema's enum and named in the
// document's description with the status statusOf gives it; only internal
// falls to 500.
func TestOpenAPIListsEveryCode(t *testing.T) {
	t.Parallel()
	doc := loadSpec(t)
	enum := enumOf(doc.Components.Schemas["Problem"].Value.Properties["code"].Value.Enum)
	for _, code := range teamspro.Codes() {
		status := functions.StatusOf(code)
		if !slices.Contains(enum, code) {
			t.Errorf("Problem.code: got enum %v, want it to list %s", enum, code)
		}
		if want := fmt.Sprintf("%s (%d", code, status); !strings.Contains(doc.Info.Description, want) {
			t.Errorf("the document's description does not say %s is %d (want %q in it)", code, status, want)
		}
		if (status == http.StatusInternalServerError) != (code == teamspro.EINTERNAL) {
			t.Errorf("%s maps to %d: only internal is 500", code, status)
		}
	}
	for _, c := range enum {
		if !slices.Contains(teamspro.Codes(), c) {
			t.Errorf("Problem.code lists %s, which no error carries", c)
		}
	}
}

// TestOpenAPIListsEveryReason: every reason the code can put under a code
// (a Reason* constant, or a string set as an error's Detail, in any file of
// the handler that uses the one error type) is in the Problem schema's
// reason enum. The source is read, so a new reason is held to this when it
// is written.
func TestOpenAPIListsEveryReason(t *testing.T) {
	t.Parallel()
	doc := loadSpec(t)
	enum := enumOf(doc.Components.Schemas["Problem"].Value.Properties["reason"].Value.Enum)
	reasons := sourceReasons(t, ".", filepath.Join("..", "internal"))
	if len(reasons) < 10 {
		t.Fatalf("found %d reasons in the source (%v), want the booking rules' at least", len(reasons), reasons)
	}
	for r, at := range reasons {
		if !slices.Contains(enum, r) {
			t.Errorf("%s: reason %q is not in the Problem schema's reason enum", at, r)
		}
	}
}

// usesErrorType reports whether f is of package teamspro or imports it.
func usesErrorType(f *ast.File) bool {
	if f.Name.Name == "teamspro" {
		return true
	}
	return slices.ContainsFunc(f.Imports, func(i *ast.ImportSpec) bool {
		return strings.HasSuffix(i.Path.Value, `/internal/teamspro"`)
	})
}

func enumOf(vs []any) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, v.(string))
	}
	return out
}

// sourceReasons returns the reasons declared or assigned in the non-test Go
// files under roots, each with where it was found.
func sourceReasons(t *testing.T, roots ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	fset := token.NewFileSet()
	str := func(e ast.Expr) (string, bool) {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(lit.Value)
		return s, err == nil
	}
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			if !usesErrorType(f) {
				return nil // another vocabulary (a fetcher's, a message decoder's)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.ValueSpec: // const ReasonX = "..."
					for i, name := range n.Names {
						if i < len(n.Values) && strings.HasPrefix(name.Name, "Reason") {
							if s, ok := str(n.Values[i]); ok {
								out[s] = fset.Position(name.Pos()).String()
							}
						}
					}
				case *ast.AssignStmt: // e.Detail = "..."
					for i, lhs := range n.Lhs {
						if sel, ok := lhs.(*ast.SelectorExpr); ok && sel.Sel.Name == "Detail" && i < len(n.Rhs) {
							if s, ok := str(n.Rhs[i]); ok {
								out[s] = fset.Position(n.Pos()).String()
							}
						}
					}
				case *ast.KeyValueExpr: // teamspro.Error{Detail: "..."}
					if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Detail" {
						if s, ok := str(n.Value); ok {
							out[s] = fset.Position(n.Pos()).String()
						}
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}
