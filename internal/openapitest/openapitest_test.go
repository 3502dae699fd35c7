package openapitest_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/teamspro/functions/internal/openapitest"
)

const problem404 = `{"type":"https://teamspro.invalid/problems/not_found","title":"Not Found","status":404,"code":"not_found","detail":"No route."}`

// TestCheck: the answers the document allows pass, and each way of
// breaking it is caught.
func TestCheck(t *testing.T) {
	t.Parallel()
	v := openapitest.New(t)
	jsonH := http.Header{"Content-Type": {"application/json"}}
	problemH := http.Header{"Content-Type": {"application/problem+json"}}
	htmlH := http.Header{"Content-Type": {"text/html; charset=utf-8"}, "X-Content-Type-Options": {"nosniff"},
		"Content-Security-Policy": {"frame-ancestors 'self' https://teams.microsoft.com"}}
	tests := []struct {
		name         string
		method, path string
		status       int
		header       http.Header
		body         string
		wantErr      string // "" allows the answer
	}{
		{"documented answer", "GET", "/api/health", 200, jsonH, `{"status":"ok"}`, ""},
		{"body off its schema", "GET", "/api/health", 200, jsonH, `{"state":"ok"}`, "does not allow"},
		{"undocumented status", "GET", "/api/health", 418, jsonH, `{"status":"ok"}`, "does not allow"},
		{"undocumented content type", "GET", "/api/health", 200, http.Header{"Content-Type": {"text/plain"}}, `ok`, "does not allow"},
		{"unknown API path, 404 problem", "GET", "/api/nothing", 404, problemH, problem404, ""},
		{"unknown API path, 200", "GET", "/api/nothing", 200, jsonH, `{}`, "neither the OpenAPI document nor openapitest.NonAPI"},
		{"unknown API path, 404 as JSON", "GET", "/api/nothing", 404, jsonH, problem404, "want application/problem+json"},
		{"problem with an unlisted code", "GET", "/api/nothing", 404, problemH, strings.Replace(problem404, `"code":"not_found"`, `"code":"gone"`, 1), "Problem schema"},
		{"problem with the wrong code", "POST", "/api/health", 405, problemH, strings.Replace(problem404, "404", "405", 1), "want method_not_allowed"},
		{"page", "GET", "/calendar-pro/config", 200, htmlH, `<!doctype html>`, ""},
		{"page without CSP", "GET", "/calendar-pro/config", 200, http.Header{"Content-Type": {"text/html"}, "X-Content-Type-Options": {"nosniff"}}, `<!doctype html>`, "frame-ancestors"},
		{"page as JSON", "GET", "/calendar-pro/config", 200, http.Header{"Content-Type": {"application/json"}, "X-Content-Type-Options": {"nosniff"}}, `{}`, "for a page"},
		{"missing page, problem", "GET", "/nope.png", 404, problemH, problem404, ""},
		{"invocation", "POST", "/purge-deleted", 200, jsonH, `{"Outputs":{},"Logs":[]}`, ""},
		{"invocation without the envelope", "POST", "/purge-deleted", 200, jsonH, `{"ok":true}`, "Outputs"},
		{"failed invocation", "POST", "/purge-deleted", 503, jsonH, `{}`, ""},
		{"preflight", "OPTIONS", "/api/me", 204, http.Header{"Access-Control-Allow-Origin": {"https://tab.example"}, "Access-Control-Allow-Methods": {"GET"}}, ``, ""},
		{"preflight without CORS headers", "OPTIONS", "/api/me", 204, http.Header{}, ``, "Access-Control-Allow-Origin"},
		{"unknown non-API path, 200", "PUT", "/a/b", 200, jsonH, `{}`, "neither the OpenAPI document nor openapitest.NonAPI"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tt.method, tt.path, nil)
			err := v.Check(req, tt.status, tt.header, []byte(tt.body))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("got %v, want the answer allowed", err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("got the answer allowed, want an error mentioning %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("got %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

// TestHandlerFailsTheTest: an answer off the document fails the test that
// served it; a good one passes; the answer reaches the client unchanged.
func TestHandlerFailsTheTest(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		body     string
		wantFail bool
	}{{"good", `{"status":"ok"}`, false}, {"bad", `{"status":1}`, true}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recordingTB{TB: t}
			h := openapitest.Handler(rec, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tt.body))
			}))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/api/health", nil))
			if w.Body.String() != tt.body {
				t.Errorf("got body %q through the handler, want %q", w.Body.String(), tt.body)
			}
			if rec.failed != tt.wantFail {
				t.Errorf("got failed %v (%v), want %v", rec.failed, rec.msgs, tt.wantFail)
			}
		})
	}
}

// recordingTB records failures instead of failing.
type recordingTB struct {
	testing.TB
	failed bool
	msgs   []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.failed = true
	r.msgs = append(r.msgs, format)
}

// TestUnanswered: an operation leaves the list once an answer to it was
// checked, and one no test here calls stays on it.
func TestUnanswered(t *testing.T) {
	t.Parallel()
	v := openapitest.New(t)
	req := httptest.NewRequest("GET", "/api/health/ready", nil)
	_ = v.Check(req, 200, http.Header{"Content-Type": {"application/json"}}, []byte(`{"status":"ok"}`))
	missing := v.Unanswered()
	if slices.Contains(missing, "GET /api/health/ready") {
		t.Errorf("got GET /api/health/ready unanswered after an answer was checked")
	}
	if !slices.Contains(missing, "DELETE /api/rooms/{roomId}") {
		t.Errorf("got %v, want DELETE /api/rooms/{roomId}, which no test here calls", missing)
	}
}
