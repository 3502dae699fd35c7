// Package openapitest holds every answer the tests receive to the OpenAPI
// document the handler serves (functions.OpenAPI). It is the one place that
// decides whether an answer is one the document allows: the functions tests
// put Handler in front of the server they drive, the handler tests put it in
// front of the booted binary (so the tabs' requests from Chromium and the
// README walkthrough's curl are held to it too), and Transport does the same
// on the client side where only a client can be wrapped.
//
// A request the document has an operation for is validated by kin-openapi:
// its status, content type, headers and body must be ones the operation
// lists. A request under /api/ that matches no operation must be the 404 or
// 405 problem the document promises. Anything else must match one of the
// explicitly listed NonAPI routes, which have checks of their own; an answer
// that matches none fails, so a new route is covered as soon as the document
// (or this list) names it, and uncovered until then only loudly.
package openapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/teamspro/functions/functions"
)

// NonAPIRoute is a route the handler serves outside the OpenAPI document,
// with what its answers are held to instead.
type NonAPIRoute struct {
	// Pattern is a Go ServeMux pattern ("GET /{path...}").
	Pattern string
	// Why it is not in the document.
	Why string
	// Check returns why an answer is wrong, or nil.
	Check func(req *http.Request, status int, header http.Header, body []byte) error
}

const invocationPattern = "POST /{function}"

// NonAPI lists every route served outside the OpenAPI document. The
// functions tests check that it matches exactly the served routes that the
// document does not describe.
var NonAPI = []NonAPIRoute{
	{
		Pattern: "GET /{path...}",
		Why:     "the Teams tabs' pages and their assets (web/dist), for browsers, not API clients",
		Check:   checkPage,
	},
	{
		Pattern: invocationPattern,
		Why:     "the Functions host's invocation of a non-HTTP trigger (Service Bus, timer): the custom-handler protocol, not the API",
		Check:   checkInvocation,
	},
	{
		Pattern: "OPTIONS /",
		Why:     "CORS preflights, answered for the configured origins before routing",
		Check:   checkPreflight,
	},
}

// Validator checks answers against the document.
type Validator struct {
	doc    *openapi3.T
	router routers.Router
	nonAPI *http.ServeMux
	// answered holds "METHOD /path" of every operation an answer was
	// checked for, for Unanswered.
	answered sync.Map
}

var (
	loadOnce sync.Once
	loaded   *Validator
	loadErr  error
)

// Load returns the validator of the document functions.OpenAPI serves,
// loaded and validated once per test binary.
func Load() (*Validator, error) {
	loadOnce.Do(func() { loaded, loadErr = load() })
	return loaded, loadErr
}

func load() (*Validator, error) {
	// The document's non-JSON answers (ICS feeds, CSV exports) are
	// documents of their own, held to their content type only.
	openapi3filter.RegisterBodyDecoder("text/calendar", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.FileBodyDecoder)
	b, err := functions.OpenAPI()
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	for i := range NonAPI {
		rt := NonAPI[i]
		mux.Handle(rt.Pattern, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	}
	return &Validator{doc: doc, router: router, nonAPI: mux}, nil
}

// New is Load for a test: a broken document fails it.
func New(t testing.TB) *Validator {
	t.Helper()
	v, err := Load()
	if err != nil {
		t.Fatalf("OpenAPI document: %v", err)
	}
	return v
}

// Unanswered lists the document's operations ("METHOD /path") for which
// no answer has been checked yet in this test binary: run after all of a
// package's tests, it names the routes that package never exercised.
func (v *Validator) Unanswered() []string {
	var out []string
	for path, item := range v.doc.Paths.Map() {
		for method := range item.Operations() {
			key := strings.ToUpper(method) + " " + path
			if _, ok := v.answered.Load(key); !ok {
				out = append(out, key)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Doc is the loaded document.
func (v *Validator) Doc() *openapi3.T { return v.doc }

// NonAPIRoute returns the NonAPI entry serving method and path, if any.
func (v *Validator) NonAPIRoute(method, path string) (NonAPIRoute, bool) {
	r, _ := http.NewRequest(method, path, nil)
	_, pattern := v.nonAPI.Handler(r)
	for _, rt := range NonAPI {
		if rt.Pattern == pattern {
			return rt, true
		}
	}
	return NonAPIRoute{}, false
}

// Check returns why the answer (status, header, body) to req is not one the
// document (or, off the document, the NonAPI list) allows; nil when it is.
func (v *Validator) Check(req *http.Request, status int, header http.Header, body []byte) error {
	r2 := req.Clone(context.Background())
	r2.URL.Host, r2.URL.Scheme, r2.Host = "", "", ""
	r2.Body = http.NoBody
	route, params, err := v.router.FindRoute(r2)
	if err == nil {
		v.answered.Store(route.Method+" "+route.Path, true)
		in := &openapi3filter.RequestValidationInput{Request: r2, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		out := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in, Status: status, Header: header,
			Body: io.NopCloser(bytes.NewReader(body)), Options: &openapi3filter.Options{IncludeResponseStatus: true},
		}
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			return fmt.Errorf("answered %d, which the OpenAPI document does not allow: %w", status, err)
		}
		return nil
	}
	if rt, ok := v.NonAPIRoute(req.Method, req.URL.Path); ok && (!isAPIPath(req.URL.Path) || req.Method == http.MethodOptions) {
		if status >= 400 && rt.Pattern != invocationPattern {
			return v.checkProblem(status, header, body, "")
		}
		if err := rt.Check(req, status, header, body); err != nil {
			return fmt.Errorf("%s (%s): %w", rt.Pattern, rt.Why, err)
		}
		return nil
	}
	// Neither an operation nor a NonAPI route: the answer must be the
	// problem the document's description promises, 404 for a path no route
	// serves, 405 for a served path with another method.
	want := map[int]string{http.StatusNotFound: "not_found", http.StatusMethodNotAllowed: "method_not_allowed"}[status]
	if want == "" {
		return fmt.Errorf("answered %d %.200q, but neither the OpenAPI document nor openapitest.NonAPI describes %s %s (only a 404 or 405 problem may answer it)", status, body, req.Method, req.URL.Path)
	}
	return v.checkProblem(status, header, body, want)
}

func isAPIPath(p string) bool { return p == "/api" || strings.HasPrefix(p, "/api/") }

// checkProblem holds an error answer to the document's Problem schema, its
// code to want when set, and its status to the code's.
func (v *Validator) checkProblem(status int, header http.Header, body []byte, want string) error {
	if mt, _, _ := mime.ParseMediaType(header.Get("Content-Type")); mt != "application/problem+json" {
		return fmt.Errorf("answered %d as %q, want application/problem+json", status, header.Get("Content-Type"))
	}
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		return fmt.Errorf("answered %d with a problem that is not JSON: %w", status, err)
	}
	if err := v.doc.Components.Schemas["Problem"].Value.VisitJSON(p); err != nil {
		return fmt.Errorf("answered %d with a problem the document's Problem schema refuses: %w", status, err)
	}
	if want != "" && p["code"] != want {
		return fmt.Errorf("answered %d with code %v, want %s", status, p["code"], want)
	}
	if s, _ := p["status"].(float64); int(s) != status {
		return fmt.Errorf("answered %d with a problem whose status is %v", status, p["status"])
	}
	return nil
}

// checkPage: a page or asset is served as what it is, never as JSON, and an
// HTML page carries the headers that let Teams frame it and nobody sniff it.
func checkPage(req *http.Request, status int, header http.Header, body []byte) error {
	switch {
	case status == http.StatusNotModified:
		return nil
	case status != http.StatusOK && status != http.StatusPartialContent:
		return fmt.Errorf("answered %d, want 200, 206, 304 or a problem", status)
	}
	ct := header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("content type %q: %w", ct, err)
	}
	if strings.HasSuffix(mt, "json") && !strings.HasSuffix(req.URL.Path, ".json") {
		return fmt.Errorf("answered %s for a page", mt)
	}
	if header.Get("X-Content-Type-Options") != "nosniff" {
		return errors.New("answered without X-Content-Type-Options: nosniff")
	}
	if mt == "text/html" && !strings.Contains(header.Get("Content-Security-Policy"), "frame-ancestors") {
		return errors.New("answered an HTML page without a Content-Security-Policy naming its frame-ancestors")
	}
	return nil
}

// checkInvocation: the host reads a 200 answer as the custom-handler
// envelope {Outputs, Logs, ReturnValue}; any other status fails the
// invocation, which is how a transient failure asks for a retry.
func checkInvocation(req *http.Request, status int, header http.Header, body []byte) error {
	if status != http.StatusOK {
		if status < 400 {
			return fmt.Errorf("answered %d, want 200 with the host's envelope or an error status", status)
		}
		return nil
	}
	var inv struct {
		Outputs map[string]any `json:"Outputs"`
		Logs    []string       `json:"Logs"`
	}
	if err := json.Unmarshal(body, &inv); err != nil || inv.Outputs == nil {
		return fmt.Errorf("answered 200 %q, want the host's {Outputs, Logs, ReturnValue}", body)
	}
	return nil
}

// checkPreflight: a preflight from an allowed origin is answered 204 with
// the CORS headers; from any other origin it is not a preflight for the
// handler, and the request goes on to routing (which answers a problem).
func checkPreflight(req *http.Request, status int, header http.Header, body []byte) error {
	if status != http.StatusNoContent {
		return fmt.Errorf("answered %d, want 204 or a problem", status)
	}
	if header.Get("Access-Control-Allow-Origin") == "" || header.Get("Access-Control-Allow-Methods") == "" {
		return errors.New("answered 204 without Access-Control-Allow-Origin and -Methods")
	}
	return nil
}

// Handler is next with every answer checked by Check: an answer the
// document does not allow fails t (from whichever goroutine served it). It
// passes the answer through unchanged and as it is written, flushes
// included, so streamed answers stay streamed.
func Handler(t testing.TB, next http.Handler) http.Handler {
	t.Helper()
	return Middleware(t)(next)
}

// Middleware is Handler for code that takes a wrapping function (the
// handler binary's serve). Call it before starting the server that uses it:
// its cleanup then runs after that server has stopped, so a late answer is
// never reported to a finished test.
func Middleware(t testing.TB) func(http.Handler) http.Handler {
	t.Helper()
	v := New(t)
	var mu sync.Mutex
	done := false
	t.Cleanup(func() { mu.Lock(); done = true; mu.Unlock() })
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			req := r.Clone(r.Context())
			rec := &recorder{ResponseWriter: w}
			next.ServeHTTP(rec, r)
			if r.Context().Err() != nil {
				return // the client left: nobody received this answer
			}
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			if err := v.Check(req, rec.status, w.Header(), rec.body.Bytes()); err != nil {
				mu.Lock()
				defer mu.Unlock()
				if !done {
					t.Errorf("%s %s %v", req.Method, req.URL.RequestURI(), err)
				}
			}
		})
	}
}

// recorder copies what passes through it.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// Flush keeps streaming through the recorder.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Transport is base (http.DefaultTransport when nil) with every answer
// checked by Check, for tests that can wrap only their client.
func Transport(t testing.TB, base http.RoundTripper) http.RoundTripper {
	t.Helper()
	v := New(t)
	if base == nil {
		base = http.DefaultTransport
	}
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		res, err := base.RoundTrip(req)
		if err != nil {
			return res, err
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return nil, err
		}
		res.Body = io.NopCloser(bytes.NewReader(body))
		if err := v.Check(req, res.StatusCode, res.Header, body); err != nil {
			t.Errorf("%s %s %v", req.Method, req.URL.RequestURI(), err)
		}
		return res, nil
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
