package web

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestBookingStrings: every string key the Booking Room Pro tab uses is in
// its catalogue, in English and in French alike, so no screen shows a raw key
// or falls back to English in French. Keys built at run time (a literal prefix
// followed by + ...) must have at least one entry under that prefix.
func TestBookingStrings(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(filepath.Join("src", "booking", "strings.ts"))
	if err != nil {
		t.Fatalf("read the catalogue: %v", err)
	}
	en, fr := catalogueKeys(t, string(src), "en"), catalogueKeys(t, string(src), "fr")
	if len(en) < 50 {
		t.Fatalf("got %d English keys, want the whole catalogue (at least 50)", len(en))
	}
	for _, tc := range []struct {
		name       string
		have, want map[string]bool
	}{{"French has every English key", fr, en}, {"English has every French key", en, fr}} {
		t.Run(tc.name, func(t *testing.T) {
			for k := range tc.want {
				if !tc.have[k] {
					t.Errorf("key %q: got missing, want present", k)
				}
			}
		})
	}

	files, err := filepath.Glob(filepath.Join("src", "booking", "*.tsx"))
	if err != nil || len(files) == 0 {
		t.Fatalf("got %d booking sources (%v), want some", len(files), err)
	}
	use := regexp.MustCompile(`\bt\('(booking\.[^']*)'(\s*\+)?`)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range use.FindAllStringSubmatch(string(b), -1) {
				key, dynamic := m[1], m[2] != ""
				if dynamic {
					if !slices.ContainsFunc(keys(en), func(k string) bool { return strings.HasPrefix(k, key) }) {
						t.Errorf("prefix %q: got no key under it, want at least one", key)
					}
					continue
				}
				if !en[key] {
					t.Errorf("key %q: got missing from the catalogue, want present", key)
				}
			}
		})
	}
}

// catalogueKeys returns the keys of `export const <lang>: ... = { ... };` in src.
func catalogueKeys(t *testing.T, src, lang string) map[string]bool {
	t.Helper()
	start := strings.Index(src, "export const "+lang+":")
	if start < 0 {
		t.Fatalf("catalogue %q: got none, want one", lang)
	}
	body := src[start:]
	body = body[:strings.Index(body, "\n};")]
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s*'(booking\.[^']+)':`).FindAllStringSubmatch(body, -1) {
		out[m[1]] = true
	}
	return out
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
