package functions

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/teamspro/functions/internal/teamspro"
)

// Invocation is a non-HTTP trigger's call as the Functions host posts it to
// /<function-name>: {"Data": {"<binding>": ...}, "Metadata": {...}}. The host's
// encodings vary (a Service Bus body may come as a JSON value, a JSON string, a
// doubly encoded string or base64; metadata scalars often come JSON-encoded
// inside strings), so every trigger reads its input through these methods.
type Invocation struct {
	ID       string                     `json:"-"`
	Data     map[string]json.RawMessage `json:"Data"`
	Metadata map[string]json.RawMessage `json:"Metadata"`
}

// InvocationResult is the answer to the host. Logs of a failed invocation are
// lost by the host, so failures are also logged by the handler itself.
type InvocationResult struct {
	Outputs     map[string]any `json:"Outputs"`
	Logs        []string       `json:"Logs"`
	ReturnValue any            `json:"ReturnValue"`
}

// Trigger is one non-HTTP function.
type Trigger struct {
	Function string // the Azure Function's name, and the path the host posts to
	Binding  string // the trigger binding's name in function.json
	// Bindings are the function.json bindings, written to and checked against
	// functions/<Function>/function.json.
	Bindings []map[string]any
	// Handle processes one invocation. A nil error answers 200; an error is
	// answered with its status (non-2xx fails the invocation, and the host
	// retries a Service Bus message until its max delivery count).
	Handle func(ctx context.Context, inv *Invocation) (InvocationResult, error)
}

// DecodeInvocation parses the host's payload tolerantly: unknown top-level
// fields are ignored and Data/Metadata may be absent.
func DecodeInvocation(body []byte) (*Invocation, error) {
	var inv Invocation
	if err := json.Unmarshal(body, &inv); err != nil {
		return nil, teamspro.Wrap(teamspro.EINVALID, err, "The invocation payload is not a JSON object.")
	}
	return &inv, nil
}

// Body returns the bytes of a binding's value, undoing the host's encodings: a
// JSON object or array is returned as is; a JSON string is unquoted, then
// unquoted again if it holds a JSON string (double encoding), and base64-decoded
// when it is valid base64 of JSON or of UTF-8 text that is not itself JSON.
func (inv *Invocation) Body(binding string) ([]byte, error) {
	raw, ok := inv.Data[binding]
	if !ok || len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, teamspro.Errorf(teamspro.EINVALID, "The invocation has no %q data.", binding)
	}
	return unwrapValue(bytes.TrimSpace(raw), 0), nil
}

func unwrapValue(raw []byte, depth int) []byte {
	if depth > 3 || len(raw) == 0 || raw[0] != '"' {
		return raw
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return raw
	}
	t := strings.TrimSpace(s)
	switch {
	case t == "":
		return []byte(s)
	case (t[0] == '{' || t[0] == '[') && json.Valid([]byte(t)):
		return []byte(t)
	case t[0] == '"' && json.Valid([]byte(t)):
		return unwrapValue([]byte(t), depth+1)
	}
	if b, err := base64.StdEncoding.DecodeString(t); err == nil && len(b) > 0 && utf8.Valid(b) {
		if bt := bytes.TrimSpace(b); len(bt) > 0 && (bt[0] == '{' || bt[0] == '[' || bt[0] == '"') && json.Valid(bt) {
			return unwrapValue(bt, depth+1)
		}
	}
	return []byte(s)
}

// DecodeData unmarshals a binding's value (after Body's unwrapping) into v.
func (inv *Invocation) DecodeData(binding string, v any) error {
	b, err := inv.Body(binding)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return teamspro.Wrap(teamspro.EINVALID, err, "The %q data is not the expected JSON.", binding)
	}
	return nil
}

// Meta returns a metadata value as a string: "abc", "\"abc\"" and 1 all come
// back as their plain text; "" when absent or null.
func (inv *Invocation) Meta(name string) string {
	raw, ok := inv.Metadata[name]
	if !ok {
		return ""
	}
	raw = bytes.TrimSpace(raw)
	for i := 0; i < 3 && len(raw) > 0 && raw[0] == '"'; i++ {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			break
		}
		raw = []byte(strings.TrimSpace(s))
	}
	if string(raw) == "null" {
		return ""
	}
	return string(raw)
}

// MetaInt returns a metadata value as an integer, and whether it is one.
func (inv *Invocation) MetaInt(name string) (int64, bool) {
	n, err := strconv.ParseInt(inv.Meta(name), 10, 64)
	return n, err == nil
}

// MetaObject unmarshals a metadata value that is an object, possibly JSON-encoded
// in a string (ApplicationProperties, UserProperties).
func (inv *Invocation) MetaObject(name string, v any) error {
	raw, ok := inv.Metadata[name]
	if !ok {
		return nil
	}
	return json.Unmarshal(unwrapValue(bytes.TrimSpace(raw), 0), v)
}

// invocationHandler answers the host's POST /<function-name>.
func (s *Server) invocationHandler(name string) http.Handler {
	t := s.triggers[name]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log := logger(r.Context()).With("function", name)
		body, err := readAll(r, 64<<20)
		if err != nil {
			writeError(w, r, err)
			return
		}
		inv, err := DecodeInvocation(body)
		if err != nil {
			writeError(w, r, err)
			return
		}
		inv.ID = r.Header.Get("X-Azure-Functions-InvocationId")
		ctx := context.WithValue(r.Context(), loggerKey{}, log)
		res, err := t.Handle(ctx, inv)
		if err != nil {
			log.Error("invocation failed", "code", teamspro.ErrorCode(err), "err", err)
			writeError(w, r.WithContext(ctx), err)
			return
		}
		if res.Outputs == nil {
			res.Outputs = map[string]any{}
		}
		if res.Logs == nil {
			res.Logs = []string{}
		}
		_ = writeJSON(w, http.StatusOK, res)
	})
}

func readAll(r *http.Request, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, limit))
	if err != nil {
		return nil, decodeError(fmt.Errorf("read %d bytes: %w", n, err))
	}
	return buf.Bytes(), nil
}
