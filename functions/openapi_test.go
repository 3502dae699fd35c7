package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/teamspro/functions/functions"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/teamspro"
)

var (
	specOnce   sync.Once
	spec       *openapi3.T
	specRouter routers.Router
	specErr    error
)

func loadSpec(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	specOnce.Do(func() {
		var b []byte
		if b, specErr = functions.OpenAPI(); specErr != nil {
			return
		}
		loader := openapi3.NewLoader()
		if spec, specErr = loader.LoadFromData(b); specErr != nil {
			return
		}
		if specErr = spec.Validate(context.Background()); specErr != nil {
			return
		}
		specRouter, specErr = gorillamux.NewRouter(spec)
	})
	if specErr != nil {
		t.Fatalf("OpenAPI document: %v", specErr)
	}
	return spec, specRouter
}

// validateAgainstOpenAPI checks a response against the document: every answer
// of every test request must be one the document describes.
func validateAgainstOpenAPI(t testing.TB, req *http.Request, res *http.Response, body []byte) {
	t.Helper()
	_, router := loadSpec(t)
	r2 := req.Clone(context.Background())
	r2.URL.Host, r2.URL.Scheme = "", ""
	r2.Host = ""
	route, params, err := router.FindRoute(r2)
	if err != nil {
		// No operation: the answer must be the problem the document's
		// description promises (404 for a path no route serves, 405 for a
		// served path with another method), checked against its schema.
		doc, _ := loadSpec(t)
		if req.Method == http.MethodOptions && res.StatusCode == http.StatusNoContent {
			return // a CORS preflight, answered before routing
		}
		if !strings.HasPrefix(req.URL.Path, "/api/") {
			// Not an API path: the tabs' pages, or the host's invocation
			// of a trigger (POST /<function>), which answers the host
			// protocol's envelope.
			var inv struct {
				Outputs map[string]any `json:"Outputs"`
				Logs    []string       `json:"Logs"`
			}
			if req.Method == http.MethodPost && res.StatusCode == http.StatusOK && (json.Unmarshal(body, &inv) != nil || inv.Outputs == nil) {
				t.Errorf("%s %s answered 200 %q, want the host's {Outputs, Logs, ReturnValue}", req.Method, req.URL.Path, body)
			}
			return
		}
		var p map[string]any
		if jerr := json.Unmarshal(body, &p); jerr != nil || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s %s matches no operation and answered %d %q, want a problem", req.Method, req.URL.Path, res.StatusCode, body)
			return
		}
		want := map[int]string{404: "not_found", 405: "method_not_allowed"}[res.StatusCode]
		if p["code"] != want {
			t.Errorf("%s %s matches no operation and answered %d %s, want 404 not_found or 405 method_not_allowed", req.Method, req.URL.Path, res.StatusCode, body)
		}
		if verr := doc.Components.Schemas["Problem"].Value.VisitJSON(p); verr != nil {
			t.Errorf("%s %s: the problem breaks the document's Problem schema: %v", req.Method, req.URL.Path, verr)
		}
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: r2, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Body: io.NopCloser(bytes.NewReader(body)), Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s answered %d, which the OpenAPI document does not allow: %v", req.Method, req.URL.Path, res.StatusCode, err)
	}
}

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	srv := newOfflineServer(t)
	doc, _ := loadSpec(t)
	served := map[string]bool{}
	for _, rt := range srv.Routes() {
		if rt.IsPage() {
			continue // the tabs' pages are not the API
		}
		key := rt.Method + " " + rt.Path
		served[key] = true
		item := doc.Paths.Find(rt.Path)
		if item == nil || item.GetOperation(rt.Method) == nil {
			t.Errorf("route %s is served but not in the OpenAPI document", key)
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

// TestOpenAPIInputsDescribed: every input the document takes says what it
// is: each parameter has a description and a typed schema; each JSON body of
// a POST or PUT lists its required members (a PATCH, a merge, lists none);
// each member of an input schema has a type (or a reference or composition).
func TestOpenAPIInputsDescribed(t *testing.T) {
	t.Parallel()
	doc, _ := loadSpec(t)
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
			checkTyped(t, name, "body", s, map[*openapi3.Schema]bool{})
		}
	}
}

func checkTyped(t *testing.T, op, at string, s *openapi3.Schema, seen map[*openapi3.Schema]bool) {
	t.Helper()
	if s == nil || seen[s] {
		return
	}
	seen[s] = true
	for name, p := range s.Properties {
		v := p.Value
		if v.Type == nil && len(v.OneOf)+len(v.AnyOf)+len(v.AllOf) == 0 && !v.ReadOnly {
			t.Errorf("%s: %s.%s has no type", op, at, name)
		}
		checkTyped(t, op, at+"."+name, v, seen)
		if v.Items != nil {
			checkTyped(t, op, at+"."+name+"[]", v.Items.Value, seen)
		}
	}
}

// TestOpenAPIListsEveryCode: the Problem schema lists every error code and
// every booking reason the handler answers.
func TestOpenAPIListsEveryCode(t *testing.T) {
	t.Parallel()
	doc, _ := loadSpec(t)
	p := doc.Components.Schemas["Problem"].Value
	codes := []string{teamspro.EINVALID, teamspro.EUNAUTHORIZED, teamspro.EFORBIDDEN, teamspro.ENOTFOUND, teamspro.EMETHODNOTALLOWED,
		teamspro.ECONFLICT, teamspro.EPRECONDITION, teamspro.ETOOLARGE, teamspro.EUNSUPPORTEDMEDIA, teamspro.EUNAVAILABLE, teamspro.EINTERNAL}
	reasons := []string{booking.ReasonSlotTaken, booking.ReasonWithinBuffer, booking.ReasonOutsideHours, booking.ReasonTooShort, booking.ReasonTooLong,
		booking.ReasonTooFarAhead, booking.ReasonTooLateNotice, booking.ReasonTooLateCancel, booking.ReasonNotAllowed, booking.ReasonInactiveRoom,
		booking.ReasonCrossesMidnight, booking.ReasonEndBeforeStart, booking.ReasonCheckInWindow, booking.ReasonNotPending, booking.ReasonNotActive,
		booking.ReasonHasFuture, booking.ReasonRoomNotInTab, booking.ReasonOccurrencesRefused}
	for _, tt := range []struct {
		member string
		want   []string
	}{{"code", codes}, {"reason", reasons}} {
		var have []string
		for _, v := range p.Properties[tt.member].Value.Enum {
			have = append(have, v.(string))
		}
		for _, w := range tt.want {
			if !slices.Contains(have, w) {
				t.Errorf("Problem.%s: got enum %v, want it to list %s", tt.member, have, w)
			}
		}
	}
}
