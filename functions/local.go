package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/teamspro/functions/internal/teamspro"
)

// DeliverLocally posts an invocation payload ({"Data", "Metadata"}, shaped as
// the Functions host shapes it) to a trigger function through the whole HTTP
// stack, as the host would. Local runs use it so that the in-process queue
// reaches the same code through the same payload as Service Bus does. A
// non-2xx answer is returned as EUNAVAILABLE, which makes the queue retry, as
// the host would.
func (s *Server) DeliverLocally(ctx context.Context, function string, payload map[string]any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return teamspro.Wrap(teamspro.EINTERNAL, err, "encode invocation")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/"+function, bytes.NewReader(b))
	if err != nil {
		return teamspro.Wrap(teamspro.EINTERNAL, err, "build invocation")
	}
	req.Header.Set("Content-Type", "application/json")
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
