package tables_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/teamspro"
)

// TestRetriesThrottlingWithinDeadline plays a throttled storage account: every
// answer is 503 ServerBusy. The client retries with backoff, stops at the
// caller's deadline, and reports the failure as unavailable.
func TestRetriesThrottlingWithinDeadline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		status   int
		code     string
		deadline time.Duration
		minTries int64
	}{
		{"server busy", 503, "ServerBusy", 10 * time.Second, 4},
		{"internal error", 500, "InternalError", 10 * time.Second, 4},
		{"deadline cuts retries", 503, "ServerBusy", 300 * time.Millisecond, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var tries atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tries.Add(1)
				w.Header().Set("x-ms-error-code", tt.code)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(`{"odata.error":{"code":"` + tt.code + `","message":{"value":"busy"}}}`))
			}))
			defer srv.Close()
			cs := "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=" + strings.TrimSuffix(srv.URL, "/") + "/devstoreaccount1;"
			c, err := tables.New(tables.Options{ConnectionString: cs, Prefix: "retry"})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), tt.deadline)
			defer cancel()
			start := time.Now()
			err = c.Ping(ctx)
			took := time.Since(start)
			if code := teamspro.ErrorCode(err); code != teamspro.EUNAVAILABLE {
				t.Errorf("got %v, want unavailable", err)
			}
			if n := tries.Load(); n < tt.minTries {
				t.Errorf("got %d tries, want at least %d", n, tt.minTries)
			}
			if took > tt.deadline+time.Second {
				t.Errorf("took %s, beyond the %s deadline", took, tt.deadline)
			}
		})
	}
}
