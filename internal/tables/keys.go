package tables

import (
	"strings"
	"unicode"

	"github.com/teamspro/functions/internal/teamspro"
)

// checkKey rejects what Table Storage forbids in a key ('/', '\\', '#', '?',
// control characters, more than 1 KiB). Ids are validated at the API edge too;
// this second check keeps a bug there from reaching storage.
func checkKey(parts ...string) error {
	for _, k := range parts {
		if k == "" || len(k) > 1024 || strings.ContainsAny(k, `/\#?`) || strings.IndexFunc(k, unicode.IsControl) >= 0 {
			return teamspro.Errorf(teamspro.EINVALID, "The identifier %q is not valid.", truncate(k, 40))
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// quote returns s as an OData string literal. Every filter value goes through it:
// a filter is never built from raw input.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// eq returns the OData clause `prop eq 'value'`.
func eq(prop, value string) string { return prop + " eq " + quote(value) }

// prefixRange returns the clause matching every string property value that
// starts with p: OData has no startswith on Table Storage, so it is a range.
func prefixRange(prop, p string) string {
	return prop + " ge " + quote(p) + " and " + prop + " lt " + quote(p+"\uffff")
}
