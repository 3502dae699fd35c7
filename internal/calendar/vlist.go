package calendar

import "github.com/teamspro/functions/internal/teamspro"

// vlist collects field errors like teamspro.Validation and also counts them,
// which lets a conversion tell whether its own part added any.
type vlist struct {
	fields []teamspro.FieldError
}

func (v *vlist) Add(field, reason string) {
	v.fields = append(v.fields, teamspro.FieldError{Field: field, Reason: reason})
}

func (v *vlist) Check(ok bool, field, reason string) bool {
	if !ok {
		v.Add(field, reason)
	}
	return ok
}

func (v *vlist) n() int { return len(v.fields) }

// Err returns EINVALID listing every field, or nil.
func (v *vlist) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	var tv teamspro.Validation
	for _, f := range v.fields {
		tv.Add(f.Field, f.Reason)
	}
	return tv.Err()
}
