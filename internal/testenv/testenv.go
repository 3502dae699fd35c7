// Package testenv holds the one rule for tests whose prerequisite (a
// program, a service, a setting) is missing: a plain `go test` skips them,
// while CI, where `make test` provides everything, fails them, so that a
// missing install step can never pass as a green run.
package testenv

import (
	"fmt"
	"os"
	"testing"
)

// Missing ends t because a prerequisite is missing: t.Fatal when the CI
// variable is set, t.Skip otherwise. why says what is missing and how to get it.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	why := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		t.Fatalf("%s (CI must run this test)", why)
	}
	t.Skip(why)
}
