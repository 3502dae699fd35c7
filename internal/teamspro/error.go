// Package teamspro holds the vocabulary shared by every part of TeamsPro Functions:
// the one error type, the signed-in principal and small value types. It imports no
// Azure SDK, so domain packages and adapters can both depend on it.
package teamspro

import (
	"errors"
	"fmt"
	"slices"
)

// Error codes are stable strings: clients match on them, so a code is never renamed.
// One function (functions.statusOf) maps each code to an HTTP status.
const (
	EINVALID          = "invalid"             // the input is malformed or breaks a rule
	EUNAUTHORIZED     = "unauthorized"        // no valid credential
	EFORBIDDEN        = "forbidden"           // valid credential, not allowed
	ENOTFOUND         = "not_found"           // no such thing for this tenant
	ECONFLICT         = "conflict"            // clashes with existing state (a taken slot, a duplicate)
	EPRECONDITION     = "precondition_failed" // If-Match did not match the current version
	ETOOLARGE         = "too_large"           // the body exceeds its limit
	EUNSUPPORTEDMEDIA = "unsupported_media_type"
	EMETHODNOTALLOWED = "method_not_allowed"
	EUNAVAILABLE      = "unavailable" // a dependency is down; retry later
	EINTERNAL         = "internal"    // a bug or an unexpected failure; details are logged, never shown
)

// Codes lists every error code above. What must know them all (the status
// mapping, the OpenAPI document's Problem schema) is tested against it, and
// a test holds it to the constants.
func Codes() []string {
	return []string{EINVALID, EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, ECONFLICT, EPRECONDITION, ETOOLARGE,
		EUNSUPPORTEDMEDIA, EMETHODNOTALLOWED, EUNAVAILABLE, EINTERNAL}
}

// FieldError names one invalid field of a request and says what is wrong with it.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Error is the one error type of the application. Code decides the HTTP status,
// Message is safe to show to a client, Fields lists invalid input, and Detail
// refines the code for clients that need more than the class (for example
// "slot_taken" under ECONFLICT). Err keeps the cause for logs; it is never shown.
type Error struct {
	Code    string
	Message string
	Detail  string
	Fields  []FieldError
	// Extra carries structured, client-safe context (the conflicting slot of a 409, say).
	Extra map[string]any
	Err   error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap exposes the cause to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error with a client-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap builds an *Error that keeps err as its hidden cause.
func Wrap(code string, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any
// other error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err: that of its *Error, or a
// generic one for anything else so that internal details never leak.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "An internal error occurred."
}

// Validation collects field errors so that a client learns about every invalid
// field at once instead of one per round trip.
type Validation struct {
	fields []FieldError
}

// Add records that field is invalid for reason.
func (v *Validation) Add(field, reason string) {
	v.fields = append(v.fields, FieldError{field, reason})
}

// Check records reason against field when ok is false, and reports ok.
func (v *Validation) Check(ok bool, field, reason string) bool {
	if !ok {
		v.Add(field, reason)
	}
	return ok
}

// Len returns how many problems are recorded, so that a step of a larger
// validation can tell whether it found any.
func (v *Validation) Len() int { return len(v.fields) }

// Merge records the fields of err, an EINVALID error from another validation,
// each field once. It reports false, recording nothing, for any other error.
func (v *Validation) Merge(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.Code != EINVALID {
		return false
	}
	for _, f := range e.Fields {
		if !slices.ContainsFunc(v.fields, func(g FieldError) bool { return g.Field == f.Field }) {
			v.fields = append(v.fields, f)
		}
	}
	return true
}

// Err returns an EINVALID *Error listing every recorded field, or nil when there is none.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "The request has invalid fields.", Fields: v.fields}
}
