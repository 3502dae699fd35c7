package functions_test

import (
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
	"github.com/teamspro/functions/functions"
)

// formatRules say which inputs must carry a format or pattern, by name: a
// date, an email, a URL, a GUID or an id is never a bare string.
var formatRules = []struct {
	name *regexp.Regexp
	why  string
	ok   func(s *openapi3.Schema) bool
}{
	{regexp.MustCompile(`^(from|to)$`), "a window bound: a date-time, or a date in the tab's zone",
		func(s *openapi3.Schema) bool { return hasFormats(s, "date", "date-time") }},
	{regexp.MustCompile(`(?i)(date|^dtstart|^until|^originalStart)$`), "an RFC 3339 date-time",
		func(s *openapi3.Schema) bool { return hasFormats(s, "date-time") }},
	{regexp.MustCompile(`^email$`), "an email address", func(s *openapi3.Schema) bool { return hasFormats(s, "email") }},
	{regexp.MustCompile(`(?i)url$`), "a URL", func(s *openapi3.Schema) bool { return hasFormats(s, "uri") }},
	{regexp.MustCompile(`^(tenantId|objectId|confirmTenantId)$`), "an Entra GUID", func(s *openapi3.Schema) bool { return hasFormats(s, "uuid") }},
	{regexp.MustCompile(`^(start|end)$`), "a time of day", func(s *openapi3.Schema) bool { return s.Pattern != "" }},
	{regexp.MustCompile(`(?i)^(timeZone|tzid)$`), "an IANA zone name", func(s *openapi3.Schema) bool { return s.Pattern != "" }},
	{regexp.MustCompile(`(?i)(^id|Id|Ids)$`), "an identifier (teamspro.ValidID)", func(s *openapi3.Schema) bool {
		return s.Pattern != "" || hasFormats(s, "uuid") || (s.Items != nil && s.Items.Value.Pattern != "")
	}},
}

// hasFormats: s, or each branch of its anyOf/oneOf, has one of formats.
func hasFormats(s *openapi3.Schema, formats ...string) bool {
	branches := append(append(openapi3.SchemaRefs{}, s.AnyOf...), s.OneOf...)
	if len(branches) == 0 {
		for _, f := range formats {
			if s.Format == f {
				return true
			}
		}
		return false
	}
	for _, b := range branches {
		if !hasFormats(b.Value, formats...) {
			return false
		}
	}
	return true
}

// TestOpenAPIInputFormats walks every parameter and request-body member of
// the document: each has a type (or typed branches), and each one whose
// name says what it holds carries the format or pattern that says so.
func TestOpenAPIInputFormats(t *testing.T) {
	t.Parallel()
	doc := loadSpec(t)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			for _, p := range append(item.Parameters, op.Parameters...) {
				v := p.Value
				if v.In == "header" {
					continue // If-Match: an opaque ETag
				}
				checkInput(t, name, "parameter "+v.Name, v.Name, v.Schema.Value)
			}
			if op.RequestBody == nil {
				continue
			}
			if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil {
				walkInput(t, name, "body", mt.Schema.Value, map[*openapi3.Schema]bool{})
			}
		}
	}
}

func walkInput(t *testing.T, op, at string, s *openapi3.Schema, seen map[*openapi3.Schema]bool) {
	t.Helper()
	if seen[s] {
		return
	}
	seen[s] = true
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v := s.Properties[n].Value
		if v.ReadOnly {
			continue
		}
		checkInput(t, op, at+"."+n, n, v)
		walkInput(t, op, at+"."+n, v, seen)
		if v.Items != nil {
			walkInput(t, op, at+"."+n+"[]", v.Items.Value, seen)
		}
	}
	for _, b := range append(append(append(openapi3.SchemaRefs{}, s.AllOf...), s.AnyOf...), s.OneOf...) {
		walkInput(t, op, at, b.Value, seen)
	}
}

func checkInput(t *testing.T, op, at, name string, s *openapi3.Schema) {
	t.Helper()
	if s.Type == nil && len(s.AnyOf)+len(s.OneOf)+len(s.AllOf) == 0 {
		t.Errorf("%s: %s has no type", op, at)
		return
	}
	for _, r := range formatRules {
		if r.name.MatchString(name) && !r.ok(s) {
			t.Errorf("%s: %s is %s, yet its schema does not say so", op, at, r.why)
			break
		}
	}
}

// instructions are body members that steer the request and are not stored,
// so that no answer carries them.
var instructions = map[string]string{
	"skipConflicts": "books the free occurrences of a series and reports the others",
	"seriesCut":     "ends the series at this occurrence",
}

// TestOpenAPIDefaultsApplied: every default the document states for an
// input is what the handler applies. Each operation whose body documents
// defaults is sent a small body (its required members, plus what opens the
// nested lists whose items have defaults); its answer must carry each
// default where the input would have had it. An operation with defaults and
// no body here fails the test, so a new one is held to this when added.
func TestOpenAPIDefaultsApplied(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h, admin := s.h, s.admin
	calTab := h.calendarTab(admin, "defaults-cal", map[string]any{"timeZone": "Asia/Tokyo"})
	h.createRoom(admin, "defaults-room", nil)
	h.createRoom(admin, "defaults-put", map[string]any{"rules": map[string]any{"bufferMinutes": 10, "requiresApproval": true}, "accessible": true})
	cases := map[string]struct {
		path string
		body map[string]any
		// also checks what the document says in words, not as a default
		also func(t *testing.T, got map[string]any)
	}{
		"PUT /api/tabs/{tabId}": {"/api/tabs/defaults-tab", map[string]any{"kind": "calendar", "teamId": "19:t@thread.tacv2", "channelId": "19:c@thread.tacv2",
			"settings": map[string]any{"permissions": map[string]any{"mode": "custom", "members": []any{map[string]any{"objectId": uuid.NewString()}}}}}, nil},
		"POST /api/rooms":         {"/api/rooms", map[string]any{"name": "Minimal", "timeZone": "UTC"}, nil},
		"PUT /api/rooms/{roomId}": {"/api/rooms/defaults-put", map[string]any{"name": "Minimal", "timeZone": "UTC"}, nil}, // replaces a full room
		"POST /api/calendar/v1/{calendarId}/events": {calEvents(calTab), map[string]any{"title": "Minimal", "startDate": at(3, 9, 0), "endDate": at(3, 10, 0)},
			func(t *testing.T, got map[string]any) {
				if got["timeZone"] != "Asia/Tokyo" {
					t.Errorf("got timeZone %v, want the tab's Asia/Tokyo", got["timeZone"])
				}
			}},
		"POST /api/bookingroom/v1/{calendarId}/events": {events(s.cal), map[string]any{"title": "Minimal", "startDate": at(3, 9, 0), "endDate": at(3, 10, 0), "resourceId": "defaults-room"},
			func(t *testing.T, got map[string]any) {
				if got["timeZone"] != "Europe/Paris" { // tabBody's zone
					t.Errorf("got timeZone %v, want the tab's Europe/Paris", got["timeZone"])
				}
			}},
	}
	doc := loadSpec(t)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody == nil || method == http.MethodPatch {
				continue // a PATCH merges: what is not sent keeps its stored value
			}
			mt := op.RequestBody.Value.Content.Get("application/json")
			if mt == nil || !hasDefaults(mt.Schema.Value, map[*openapi3.Schema]bool{}) {
				continue
			}
			key := method + " " + path
			tc, ok := cases[key]
			if !ok {
				t.Errorf("%s documents defaults, and TestOpenAPIDefaultsApplied sends it no body", key)
				continue
			}
			delete(cases, key)
			t.Run(key, func(t *testing.T) {
				res := h.do(method, tc.path, &admin, tc.body)
				if res.status != 200 && res.status != 201 {
					t.Fatalf("got %d %s, want it accepted", res.status, res.body)
				}
				got := res.json(t)
				for _, p := range compareDefaults(mt.Schema.Value, tc.body, got, "body") {
					t.Error(p)
				}
				if tc.also != nil {
					tc.also(t, got)
				}
			})
		}
	}
	for key := range cases {
		t.Errorf("%s is no longer an operation with defaults: remove its case", key)
	}
	// The paging parameter's default is the handler's page size.
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for _, p := range op.Parameters {
				if p.Value.Name == "top" && p.Value.Schema.Value.Default != float64(functions.DefaultPageSize) {
					t.Errorf("%s %s: top defaults to %v, want the handler's page size %d", method, path, p.Value.Schema.Value.Default, functions.DefaultPageSize)
				}
			}
		}
	}
}

func hasDefaults(s *openapi3.Schema, seen map[*openapi3.Schema]bool) bool {
	if seen[s] {
		return false
	}
	seen[s] = true
	for _, p := range s.Properties {
		if p.Value.Default != nil || hasDefaults(p.Value, seen) || (p.Value.Items != nil && hasDefaults(p.Value.Items.Value, seen)) {
			return true
		}
	}
	return false
}

// compareDefaults lists the defaults of s missing from, or different in,
// got, for the members sent did not set: members of objects got has, items
// of lists got has.
func compareDefaults(s *openapi3.Schema, sent, got map[string]any, at string) []string {
	var problems []string
	for name, p := range s.Properties {
		v := p.Value
		if _, ok := instructions[name]; ok || v.ReadOnly {
			continue
		}
		value, present := got[name]
		given, wasSent := sent[name]
		if v.Default != nil && !wasSent {
			switch {
			case !present:
				problems = append(problems, fmt.Sprintf("%s.%s: the document says it defaults to %v; the answer lacks it", at, name, v.Default))
			case !equalJSON(value, v.Default):
				problems = append(problems, fmt.Sprintf("%s.%s: got %v, want the documented default %v", at, name, value, v.Default))
			}
		}
		switch x := value.(type) {
		case map[string]any:
			sub, _ := given.(map[string]any)
			problems = append(problems, compareDefaults(v, sub, x, at+"."+name)...)
		case []any:
			if v.Items == nil {
				continue
			}
			subs, _ := given.([]any)
			for i, e := range x {
				var sub map[string]any
				if i < len(subs) {
					sub, _ = subs[i].(map[string]any)
				}
				if m, ok := e.(map[string]any); ok {
					problems = append(problems, compareDefaults(v.Items.Value, sub, m, fmt.Sprintf("%s.%s[%d]", at, name, i))...)
				}
			}
		}
	}
	return problems
}

// equalJSON compares a decoded answer with a default as the document
// decodes it (numbers as float64, lists as []any).
func equalJSON(a, b any) bool {
	return strings.TrimSpace(fmt.Sprint(a)) == strings.TrimSpace(fmt.Sprint(b)) && reflect.TypeOf(a).Kind() == reflect.TypeOf(b).Kind()
}
