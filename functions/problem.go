package functions

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/teamspro/functions/internal/teamspro"
)

// statusOf is the one place that maps error codes to HTTP statuses.
func statusOf(code string) int {
	switch code {
	case teamspro.EINVALID:
		return http.StatusBadRequest
	case teamspro.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case teamspro.EFORBIDDEN:
		return http.StatusForbidden
	case teamspro.ENOTFOUND:
		return http.StatusNotFound
	case teamspro.EMETHODNOTALLOWED:
		return http.StatusMethodNotAllowed
	case teamspro.ECONFLICT:
		return http.StatusConflict
	case teamspro.EPRECONDITION:
		return http.StatusPreconditionFailed
	case teamspro.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case teamspro.EUNSUPPORTEDMEDIA:
		return http.StatusUnsupportedMediaType
	case teamspro.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// Problem is an RFC 9457 problem document with our stable code.
type Problem struct {
	Type     string                `json:"type"`
	Title    string                `json:"title"`
	Status   int                   `json:"status"`
	Code     string                `json:"code"`
	Detail   string                `json:"detail"`
	Reason   string                `json:"reason,omitempty"`
	Instance string                `json:"instance,omitempty"`
	Errors   []teamspro.FieldError `json:"errors,omitempty"`
	Extra    map[string]any        `json:"extra,omitempty"`
}

// writeError answers err as problem+json. Only internal and unavailable errors
// are logged with their cause; the client sees the code and a safe message.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := teamspro.ErrorCode(err)
	status := statusOf(code)
	p := Problem{
		Type:     "https://teamspro.invalid/problems/" + code,
		Title:    http.StatusText(status),
		Status:   status,
		Code:     code,
		Detail:   teamspro.ErrorMessage(err),
		Instance: r.URL.Path,
	}
	var e *teamspro.Error
	if errors.As(err, &e) && code != teamspro.EINTERNAL {
		p.Errors, p.Reason, p.Extra = e.Fields, e.Detail, e.Extra
	}
	log := logger(r.Context())
	if sw, ok := w.(*statusWriter); ok && sw.status != 0 {
		// A streamed answer is already on its way: its status is sent and
		// a problem can no longer replace it. Abort the connection, so that
		// the client sees a broken transfer, never a list or a CSV that
		// merely looks shorter.
		log.Error("answer cut short", "code", code, "err", err)
		panic(http.ErrAbortHandler)
	}
	switch {
	case status >= 500:
		log.Error("request failed", "code", code, "status", status, "err", err)
	case code == teamspro.EUNAUTHORIZED || code == teamspro.EFORBIDDEN:
		log.Info("request refused", "code", code, "status", status, "reason", err.Error())
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(5))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

// logger returns the request's logger (with invocation id, route and tenant).
func logger(ctx interface{ Value(any) any }) *slog.Logger {
	switch l := ctx.Value(loggerKey{}).(type) {
	case *slog.Logger:
		return l
	case *lazyLogger:
		return l.get()
	}
	return slog.Default()
}

// withLogAttrs returns ctx with a logger that adds attrs to base (nil: to
// ctx's logger). The logger is built at its first use: slog's With formats
// its attributes at once, about 17 allocations a request, and most requests
// log nothing.
func withLogAttrs(ctx context.Context, base *slog.Logger, attrs ...any) context.Context {
	return context.WithValue(ctx, loggerKey{}, &lazyLogger{parent: ctx, base: base, attrs: attrs})
}

// lazyLogger is a request's logger until it is used (see withLogAttrs).
type lazyLogger struct {
	parent context.Context // whose logger base is, when base is nil
	base   *slog.Logger
	attrs  []any
	once   sync.Once
	l      *slog.Logger
}

func (z *lazyLogger) get() *slog.Logger {
	z.once.Do(func() {
		base := z.base
		if base == nil {
			base = logger(z.parent)
		}
		z.l = base.With(z.attrs...)
		z.parent = nil
	})
	return z.l
}

type loggerKey struct{}
