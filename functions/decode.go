package functions

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/teamspro/functions/internal/teamspro"
)

// decode reads one JSON object from the request body into v: the content type
// must be JSON, the body at most limit bytes (ETOOLARGE beyond), unknown fields
// are refused, and nothing may follow the object. Every handler decodes through
// here; none parses JSON by hand.
func decode(r *http.Request, limit int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return teamspro.Errorf(teamspro.EUNSUPPORTEDMEDIA, "The body must be application/json.")
		}
	} else {
		return teamspro.Errorf(teamspro.EUNSUPPORTEDMEDIA, "The body must be application/json (Content-Type is missing).")
	}
	body := http.MaxBytesReader(nil, r.Body, limit)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return decodeError(err)
		}
		return teamspro.Errorf(teamspro.EINVALID, "The body must hold a single JSON object.")
	}
	return nil
}

func decodeError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return teamspro.Errorf(teamspro.ETOOLARGE, "The body is larger than %d bytes.", mbe.Limit)
	case errors.As(err, &syn):
		return teamspro.Errorf(teamspro.EINVALID, "The body is not valid JSON (at byte %d).", syn.Offset)
	case errors.As(err, &typ):
		e := teamspro.Errorf(teamspro.EINVALID, "The body has a field of the wrong type.")
		e.Fields = []teamspro.FieldError{{Field: typ.Field, Reason: "must be " + typ.Type.String()}}
		return e
	case errors.Is(err, io.EOF):
		return teamspro.Errorf(teamspro.EINVALID, "The body is empty.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return teamspro.Errorf(teamspro.EINVALID, "The body is truncated JSON.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		e := teamspro.Errorf(teamspro.EINVALID, "The body has an unknown field %q.", field)
		e.Fields = []teamspro.FieldError{{Field: field, Reason: "unknown field"}}
		return e
	}
	return teamspro.Wrap(teamspro.EINVALID, err, "The body could not be read.")
}
