package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teamspro/functions/functions"
	"github.com/teamspro/functions/internal/teamspro"
)

func TestInvocationBodyEncodings(t *testing.T) {
	t.Parallel()
	msg := `{"type":"event.created","id":"m1"}`
	quoted, _ := json.Marshal(msg)
	double, _ := json.Marshal(string(quoted))
	b64, _ := json.Marshal("eyJ0eXBlIjoiZXZlbnQuY3JlYXRlZCIsImlkIjoibTEifQ==")
	tests := []struct {
		name string
		data string
		want string
	}{
		{"JSON object", msg, msg},
		{"JSON string", string(quoted), msg},
		{"double encoded", string(double), msg},
		{"base64", string(b64), msg},
		{"plain text", `"hello world"`, "hello world"},
		{"text that looks like base64 but is not JSON", `"aGVsbG8="`, "aGVsbG8="},
		{"array", `[1,2]`, `[1,2]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inv, err := functions.DecodeInvocation([]byte(`{"Data":{"message":` + tt.data + `},"Metadata":{}}`))
			if err != nil {
				t.Fatal(err)
			}
			got, err := inv.Body("message")
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestInvocationMetadata(t *testing.T) {
	t.Parallel()
	inv, err := functions.DecodeInvocation([]byte(`{
		"Data": {"message": "{}"},
		"Metadata": {
			"DeliveryCount": "1", "MessageId": "\"abc\"", "SequenceNumber": 42, "Subject": null,
			"EnqueuedTimeUtc": "2026-11-25T10:00:00Z",
			"ApplicationProperties": "{\"version\":\"1\"}",
			"UserProperties": {"version": "2"},
			"sys": {"MethodName": "notify", "UtcNow": "2026-11-25T10:00:01Z"}
		},
		"Extra": true}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := inv.Meta("MessageId"); got != "abc" {
		t.Errorf("MessageId: got %q, want abc", got)
	}
	if n, ok := inv.MetaInt("DeliveryCount"); !ok || n != 1 {
		t.Errorf("DeliveryCount: got %d %v, want 1", n, ok)
	}
	if n, ok := inv.MetaInt("SequenceNumber"); !ok || n != 42 {
		t.Errorf("SequenceNumber: got %d %v, want 42", n, ok)
	}
	if got := inv.Meta("Subject"); got != "" {
		t.Errorf("Subject: got %q, want empty for null", got)
	}
	if got := inv.Meta("Missing"); got != "" {
		t.Errorf("Missing: got %q, want empty", got)
	}
	var ap, up map[string]string
	if err := inv.MetaObject("ApplicationProperties", &ap); err != nil || ap["version"] != "1" {
		t.Errorf("ApplicationProperties: got %v %v", ap, err)
	}
	if err := inv.MetaObject("UserProperties", &up); err != nil || up["version"] != "2" {
		t.Errorf("UserProperties: got %v %v", up, err)
	}
	if _, err := inv.Body("other"); teamspro.ErrorCode(err) != teamspro.EINVALID {
		t.Errorf("absent binding: got %v, want invalid", err)
	}
	if _, err := functions.DecodeInvocation([]byte(`not json`)); teamspro.ErrorCode(err) != teamspro.EINVALID {
		t.Errorf("malformed payload: got %v, want invalid", err)
	}
}

// timerPayload is a timer invocation exactly as the Functions host posts it.
const timerPayload = `{
  "Data": {
    "timer": {"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"2026-11-24T03:30:00+00:00","Next":"2026-11-25T03:30:00+00:00","LastUpdated":"2026-11-24T03:30:00+00:00"},"IsPastDue":false}
  },
  "Metadata": {
    "sys": {"MethodName":"purge-deleted","UtcNow":"2026-11-25T03:30:00.0121953Z","RandGuid":"5e1f2a4c-0b6e-4a5b-9f3e-2c7d8e9f0a1b"}
  }
}`

func TestPurgeDeletedTimer(t *testing.T) {
	t.Parallel()
	h := newIsolatedHarness(t) // runs a cross-tenant timer
	u := h.newUser("", true)
	expect(t, h.do("PUT", "/api/tabs/old", &u, tabBody("calendar")), 201, "")
	expect(t, h.do("PUT", "/api/tabs/recent", &u, tabBody("calendar")), 201, "")
	expect(t, h.do("DELETE", "/api/tabs/old", &u, nil), 204, "")
	h.now = h.now.Add(23 * time.Hour)
	expect(t, h.do("DELETE", "/api/tabs/recent", &u, nil), 204, "")
	h.now = h.now.Add(2 * time.Hour) // "old" is past the 24h retention, "recent" is not

	res := h.post("/purge-deleted", timerPayload)
	if res.status != 200 {
		t.Fatalf("got %d %s, want 200", res.status, res.body)
	}
	var out functions.InvocationResult
	if err := json.Unmarshal(res.body, &out); err != nil {
		t.Fatal(err)
	}
	if out.Outputs == nil || len(out.Logs) != 1 || !strings.Contains(out.Logs[0], "purged") {
		t.Errorf("got %+v, want Outputs and one log line", out)
	}
	expect(t, h.do("POST", "/api/tabs/old/restore", &u, nil), 404, teamspro.ENOTFOUND)
	expect(t, h.do("POST", "/api/tabs/recent/restore", &u, nil), 200, "")

	// Twice is safe: nothing more is purged and nothing fails.
	if res := h.post("/purge-deleted", timerPayload); res.status != 200 {
		t.Errorf("second run: got %d %s", res.status, res.body)
	}
}

func TestInvocationFailuresAreNon2xx(t *testing.T) {
	t.Parallel()
	srv := newOfflineServer(t) // storage unreachable: the purge fails transiently
	ts := newTestServer(t, srv)
	h := &harness{t: t, srv: srv, http: ts}
	if res := h.post("/purge-deleted", timerPayload); res.status < 300 {
		t.Errorf("storage down: got %d, want a non-2xx so the host records a failure", res.status)
	}
	if res := h.post("/purge-deleted", `{"Data":{}}`); res.status != 400 {
		t.Errorf("no timer data: got %d, want 400", res.status)
	}
	if res := h.post("/purge-deleted", `[`); res.status != 400 {
		t.Errorf("malformed payload: got %d, want 400", res.status)
	}
}

func (h *harness) post(path, payload string) response {
	h.t.Helper()
	req, _ := http.NewRequest("POST", h.http.URL+path, strings.NewReader(payload))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Azure-Functions-InvocationId", "inv-test")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestInvocationIDOnEveryLogLine checks that each log line of a request carries
// the host's invocation id.
func TestInvocationIDOnEveryLogLine(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	c := offlineClient(t)
	d := storeDeps(c, newOfflineServer(t).Deps.Auth)
	d.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d.Ready = func(ctx context.Context) error { return teamspro.Errorf(teamspro.EUNAVAILABLE, "down") }
	srv := newServer(t, c, d)
	h := &harness{t: t, srv: srv, http: newTestServer(t, srv)}
	h.post("/purge-deleted", timerPayload) // fails: logs an error
	req, _ := http.NewRequest("GET", h.http.URL+"/api/health/ready", nil)
	req.Header.Set("X-Azure-Functions-InvocationId", "inv-test")
	res, _ := http.DefaultClient.Do(req)
	res.Body.Close()

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) < 3 {
		t.Fatalf("got %d log lines, want at least 3: %s", len(lines), logs.String())
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q is not JSON", l)
		}
		if m["invocation_id"] != "inv-test" {
			t.Errorf("log line without the invocation id: %s", l)
		}
	}
}

func TestDeliverLocally(t *testing.T) {
	t.Parallel()
	h := newIsolatedHarness(t) // runs a cross-tenant timer
	if err := h.srv.DeliverLocally(context.Background(), "purge-deleted", map[string]any{"Data": map[string]any{"timer": `{"IsPastDue":false}`}}); err != nil {
		t.Fatalf("deliver to the timer: %v", err)
	}
	err := h.srv.DeliverLocally(context.Background(), "no-such-function", map[string]any{"Data": map[string]any{}})
	if teamspro.ErrorCode(err) != teamspro.EUNAVAILABLE {
		t.Errorf("unknown function: got %v, want unavailable", err)
	}
}
