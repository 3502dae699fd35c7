package functions_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/teamspro/functions/functions"
	"github.com/teamspro/functions/internal/teamspro"
)

// FuzzInvocation feeds arbitrary host payloads to the invocation decoder: it
// must never panic, and a failure is always EINVALID.
func FuzzInvocation(f *testing.F) {
	f.Add([]byte(timerPayload), "timer")
	f.Add([]byte(`{"Data":{"message":"\"{\\\"a\\\":1}\""},"Metadata":{"DeliveryCount":"1","MessageId":"\"x\""}}`), "message")
	f.Add([]byte(`{"Data":{"message":"eyJhIjoxfQ=="}}`), "message")
	f.Add([]byte(`{"Data":null,"Metadata":[]}`), "message")
	f.Add([]byte(`{"Data":{"m":"\"\\\"\\\\\\\"\\\"\""}}`), "m")
	f.Fuzz(func(t *testing.T, payload []byte, binding string) {
		inv, err := functions.DecodeInvocation(payload)
		if err != nil {
			if c := teamspro.ErrorCode(err); c != teamspro.EINVALID {
				t.Fatalf("got code %s, want invalid", c)
			}
			return
		}
		if _, err := inv.Body(binding); err != nil && teamspro.ErrorCode(err) != teamspro.EINVALID {
			t.Fatalf("Body: got %v, want nil or invalid", err)
		}
		var v map[string]any
		_ = inv.DecodeData(binding, &v)
		_ = inv.Meta("MessageId")
		_, _ = inv.MetaInt("DeliveryCount")
		_ = inv.MetaObject("ApplicationProperties", &v)
	})
}

// FuzzRequestBodies sends arbitrary bodies to the tab route through the whole
// HTTP stack (decoding, validation, problem answers) of a server whose storage
// is unreachable: every answer must be a 4xx problem or, for a valid body that
// reaches storage, a 503; never a 500 or a panic.
func FuzzRequestBodies(f *testing.F) {
	f.Add(`{"kind":"calendar","teamId":"t","channelId":"c"}`, "application/json")
	f.Add(`{"kind":"booking","teamId":"t","channelId":"c","settings":{"rooms":["a"],"businessHours":{"start":"08:00","end":"07:00"}}}`, "application/json")
	f.Add(`{"kind":1}`, "application/json; charset=utf-8")
	f.Add(`[]`, "application/merge-patch+json")
	f.Add(`{"settings":{"permissions":{"members":[{"objectId":"x"}]}}}`, "text/plain")
	f.Fuzz(func(t *testing.T, body, contentType string) {
		srv := fuzzServer(t)
		u := fuzzUser(t)
		req := httptest.NewRequest("PUT", "/api/tabs/fuzz", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Authorization", "Bearer "+u)
		ctx, cancel := context.WithCancel(req.Context())
		cancel() // storage is unreachable anyway; do not wait on retries
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req.WithContext(ctx))
		if rec.Code >= 500 && rec.Code != 503 {
			t.Fatalf("got %d %s for body %q", rec.Code, rec.Body, body)
		}
		if rec.Code >= 400 && !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/problem+json") {
			t.Fatalf("got %d with content type %q, want a problem", rec.Code, rec.Header().Get("Content-Type"))
		}
	})
}
