package tables

import (
	"strings"
	"testing"

	"github.com/teamspro/functions/internal/teamspro"
)

// FuzzQuote checks that any value, once quoted, is one OData string literal
// that reads back as the value: no input can close the literal early.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "a", "'", "''", "x' or PartitionKey ne '", "é'ü", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := quote(s)
		if !strings.HasPrefix(q, "'") || !strings.HasSuffix(q, "'") || len(q) < 2 {
			t.Fatalf("quote(%q) = %q, not a literal", s, q)
		}
		inner := q[1 : len(q)-1]
		if strings.Count(inner, "'")%2 != 0 || strings.Contains(strings.ReplaceAll(inner, "''", ""), "'") {
			t.Fatalf("quote(%q) = %q lets a quote through", s, q)
		}
		if got := strings.ReplaceAll(inner, "''", "'"); got != s {
			t.Fatalf("quote(%q) reads back as %q", s, got)
		}
		if err := checkKey(s); err == nil && strings.ContainsAny(s, "/\\#?") {
			t.Fatalf("checkKey(%q) accepted a forbidden character", s)
		} else if err != nil && teamspro.ErrorCode(err) != teamspro.EINVALID {
			t.Fatalf("checkKey: got %v, want invalid", err)
		}
	})
}
