package functions_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/teamspro/functions/functions"
	"github.com/teamspro/functions/internal/openapitest"
)

func loadSpec(t testing.TB) *openapi3.T {
	t.Helper()
	return openapitest.New(t).Doc()
}

// TestOpenAPIDescribesEveryRoute: every route served is in the OpenAPI
// document or on openapitest's explicit NonAPI list (the tabs' pages, the
// host's trigger invocations, CORS preflights), never both and never
// neither; every operation of the document is served; and every NonAPI
// entry still serves something, so the list cannot hide a route by being
// stale.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	srv := newOfflineServer(t)
	v := openapitest.New(t)
	doc := v.Doc()
	served := map[string]bool{}
	used := map[string]bool{"OPTIONS /": true} // the CORS middleware, before routing (TestCORS)
	for _, rt := range srv.Routes() {
		key := rt.Method + " " + rt.Path
		item := doc.Paths.Find(rt.Path)
		documented := item != nil && item.GetOperation(rt.Method) != nil
		nonAPI, listed := v.NonAPIRoute(rt.Method, rt.Path)
		switch {
		case documented && rt.IsPage():
			t.Errorf("route %s serves pages, yet the OpenAPI document describes it", key)
		case documented:
			served[key] = true
		case listed && rt.IsPage():
			used[nonAPI.Pattern] = true
		case rt.IsPage():
			t.Errorf("route %s serves pages but no openapitest.NonAPI entry lists it", key)
		default:
			t.Errorf("route %s is served but not in the OpenAPI document", key)
		}
	}
	for _, tr := range srv.Triggers() {
		rt, ok := v.NonAPIRoute("POST", "/"+tr.Function)
		if !ok {
			t.Errorf("trigger %s: POST /%s is on no openapitest.NonAPI entry", tr.Function, tr.Function)
			continue
		}
		used[rt.Pattern] = true
	}
	for _, rt := range openapitest.NonAPI {
		if !used[rt.Pattern] {
			t.Errorf("openapitest.NonAPI lists %s (%s), which serves nothing: remove it", rt.Pattern, rt.Why)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !served[strings.ToUpper(method)+" "+path] {
				t.Errorf("%s %s is in the OpenAPI document but not served", method, path)
			}
		}
	}
}

// TestOpenAPIListsSharedAnswers: the answers the shared mechanisms give on
// any route are listed by every operation they can reach: 500 everywhere
// (a bug, a panic); 401 and 503 behind sign-in (authentication, tab and
// key lookups read storage); 403 on admin routes; 400, 413 and 415 where a
// JSON body goes through the one decoder. A new route is held to this as
// soon as it is in the route table.
func TestOpenAPIListsSharedAnswers(t *testing.T) {
	t.Parallel()
	srv := newOfflineServer(t)
	doc := loadSpec(t)
	for _, rt := range srv.Routes() {
		if rt.IsPage() {
			continue
		}
		item := doc.Paths.Find(rt.Path)
		if item == nil || item.GetOperation(rt.Method) == nil {
			continue // TestOpenAPIDescribesEveryRoute
		}
		op := item.GetOperation(rt.Method)
		want := []string{"500"}
		if rt.Access != functions.Public {
			want = append(want, "401", "503")
		}
		if rt.Access == functions.Admin {
			want = append(want, "403")
		}
		if op.RequestBody != nil && op.RequestBody.Value.Content.Get("application/json") != nil {
			want = append(want, "400", "413", "415")
		}
		for _, status := range want {
			if op.Responses.Value(status) == nil {
				t.Errorf("%s %s: lists no %s answer", rt.Method, rt.Path, status)
			}
		}
	}
}

// TestOpenAPIInputsDescribed: every input the document takes says what it
// is: each parameter has a description and a typed schema; each JSON body of
// a POST or PUT lists its required members (a PATCH, a merge, lists none).
// TestOpenAPIInputFormats walks the members.
func TestOpenAPIInputsDescribed(t *testing.T) {
	t.Parallel()
	doc := loadSpec(t)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			for _, p := range append(item.Parameters, op.Parameters...) {
				v := p.Value
				if v.Description == "" {
					t.Errorf("%s: parameter %s has no description", name, v.Name)
				}
				if v.Schema == nil || v.Schema.Value == nil || (v.Schema.Value.Type == nil && len(v.Schema.Value.AnyOf)+len(v.Schema.Value.OneOf) == 0) {
					t.Errorf("%s: parameter %s has no typed schema", name, v.Name)
				}
			}
			if op.RequestBody == nil {
				continue
			}
			mt := op.RequestBody.Value.Content.Get("application/json")
			if mt == nil {
				continue // CSV import
			}
			s := mt.Schema.Value
			switch method {
			case http.MethodPost, http.MethodPut:
				if len(s.Required) == 0 && !strings.HasSuffix(path, "/split") && !strings.Contains(path, "/occurrences/") {
					t.Errorf("%s: the body lists no required member", name)
				}
			case http.MethodPatch:
				if len(s.Required) > 0 {
					t.Errorf("%s: a PATCH merges, yet the body requires %v", name, s.Required)
				}
			}
		}
	}
}
