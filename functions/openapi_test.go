package functions_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/teamspro/functions/functions"
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
		return // unknown routes are tested for their 404/405 problems elsewhere
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
