package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/teamspro/functions/internal/teamspro"
)

// DeliverLocally hands a message to a trigger function exactly as the Functions
// host would: a POST /<function> with the body as a JSON string under
// Data.<binding> and metadata scalars JSON-encoded in strings, through the
// whole HTTP stack. Local runs and tests use it so that the in-process queue and
// Service Bus reach the same code through the same payload. A non-2xx answer is
// returned as an EUNAVAILABLE error, which is what makes the host retry.
func (s *Server) DeliverLocally(ctx context.Context, function, binding string, body []byte, meta map[string]any) error {
	encMeta := make(map[string]any, len(meta))
	for k, v := range meta {
		switch v.(type) {
		case string, int, int64, bool:
			b, _ := json.Marshal(v)
			encMeta[k] = string(b) // "DeliveryCount":"1", "MessageId":"\"abc\""
		default:
			encMeta[k] = v
		}
	}
	payload, err := json.Marshal(map[string]any{
		"Data":     map[string]any{binding: string(body)},
		"Metadata": encMeta,
	})
	if err != nil {
		return teamspro.Wrap(teamspro.EINTERNAL, err, "encode invocation")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/"+function, bytes.NewReader(payload))
	if err != nil {
		return teamspro.Wrap(teamspro.EINTERNAL, err, "build invocation")
	}
	req.Header.Set("Content-Type", "application/json")
	if id, ok := meta["MessageId"].(string); ok {
		req.Header.Set("X-Azure-Functions-InvocationId", "local-"+id)
	}
	rec := &recorder{header: http.Header{}}
	s.ServeHTTP(rec, req)
	if rec.status < 200 || rec.status > 299 {
		return teamspro.Wrap(teamspro.EUNAVAILABLE, fmt.Errorf("%s answered %d: %s", function, rec.status, rec.body.String()), "The %s function failed.", function)
	}
	return nil
}

// recorder is the smallest http.ResponseWriter that keeps status and body.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
