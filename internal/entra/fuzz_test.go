package entra_test

import (
	"context"
	"testing"

	"github.com/teamspro/functions/internal/entra/entratest"
	"github.com/teamspro/functions/internal/teamspro"
)

// FuzzValidate feeds arbitrary tokens to the validator: it must never panic and
// never accept one.
func FuzzValidate(f *testing.F) {
	f.Add("eyJhbGciOiJub25lIn0.eyJ0aWQiOiJ4In0.")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJSUzI1NiIsImtpZCI6InJzYS0xIn0.e30.AAAA")
	f.Add("eyJhbGciOiJIUzI1NiIsImtpZCI6InJzYS0xIn0.eyJleHAiOjk5OTk5OTk5OTl9.c2ln")
	idp := entratest.New(f)
	f.Fuzz(func(t *testing.T, token string) {
		v := newValidator(t, idp, nil)
		p, err := v.Validate(context.Background(), token)
		if err == nil {
			t.Fatalf("accepted a fuzzed token: %+v", p)
		}
		switch teamspro.ErrorCode(err) {
		case teamspro.EUNAUTHORIZED, teamspro.EFORBIDDEN:
		default:
			t.Fatalf("got %v, want unauthorized or forbidden", err)
		}
	})
}
