package teamspro

import "time"

// Body reads a request's input into v, a pointer. Services take one rather
// than a decoded value when they check who may act before reading what was
// sent, so that a caller who may not act learns that first, whatever they
// sent; and when the input is read over current values (PATCH).
type Body func(v any) error

// TimeOrDate reads s, an RFC 3339 date-time or a date (YYYY-MM-DD, its
// midnight in loc), and records against field when it is neither. Empty s
// is the zero time.
func (v *Validation) TimeOrDate(field, s string, loc *time.Location) time.Time {
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t
	}
	if loc == nil {
		loc = time.UTC
	}
	if d, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return d
	}
	v.Add(field, "must be an RFC 3339 date-time or a date (YYYY-MM-DD)")
	return time.Time{}
}
