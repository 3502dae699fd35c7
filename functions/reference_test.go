package functions_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// The vendored connector definitions, unchanged (testdata/reference/README.md).
var referenceDigests = map[string]string{
	calendarReference: "9c300e26c23829f4eac46c16a7804d08ffb8aeba7d354152867b30eb841d7866",
	bookingReference:  "c015f3316228c6f65c81e615762215d14219e11138b2d4613013c343a716fb76",
}

// TestReferenceDefects keeps the vendored references as published and names
// their own defects, each checked to still be there, with how we meet it:
//
//   - Event.allDay is a boolean whose enum is the strings "true" and "false":
//     no boolean matches it. The contract tests drop that enum.
//   - timeZone is an enum of 386 zone names without "UTC" (it has Etc/UTC):
//     an event in "UTC", which we accept as an IANA zone, fails it. The
//     contract tests use zones of the enum.
//   - The request bodies of create and update list modeRecurrence without
//     NotRepeat and Custom, which the Event's own OptionRecurrence has: we
//     accept all seven.
//   - UpdateEvent's body requires title, startDate, endDate and timeZone (and
//     resourceId for bookings), though the operation is a partial update: we
//     merge whatever members are sent, so the connector's full bodies work.
//   - WeekDay is only a day name, so byweekday cannot hold an nth day ("the
//     last Friday"): we answer those as byweekday names plus bysetpos.
func TestReferenceDefects(t *testing.T) {
	t.Parallel()
	for file, want := range referenceDigests {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(b)
			if got := hex.EncodeToString(sum[:]); got != want {
				t.Errorf("got sha256 %s, want %s: the vendored reference must stay as published", got, want)
			}
			var doc struct {
				Paths       map[string]map[string]json.RawMessage `json:"paths"`
				Definitions map[string]struct {
					Enum       []any `json:"enum"`
					Type       string
					Properties map[string]struct {
						Type string `json:"type"`
						Enum []any  `json:"enum"`
						Ref  string `json:"$ref"`
					} `json:"properties"`
				} `json:"definitions"`
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			ev := doc.Definitions["Event"]
			if a := ev.Properties["allDay"]; a.Type != "boolean" || !slices.Equal(a.Enum, []any{"true", "false"}) {
				t.Errorf("allDay: got type %s enum %v, want the published boolean with a string enum", a.Type, a.Enum)
			}
			if z := ev.Properties["timeZone"].Enum; len(z) == 0 || slices.Contains(z, any("UTC")) {
				t.Errorf("timeZone: got an enum of %d zones with UTC, want the published one without", len(z))
			}
			if d := doc.Definitions["WeekDay"]; d.Type != "string" || len(d.Enum) != 7 {
				t.Errorf("WeekDay: got %s %v, want seven day names", d.Type, d.Enum)
			}
			var patch struct {
				Parameters []struct {
					In     string `json:"in"`
					Schema struct {
						Required   []string `json:"required"`
						Properties map[string]struct {
							Enum []string `json:"enum"`
						} `json:"properties"`
					} `json:"schema"`
				} `json:"parameters"`
			}
			if err := json.Unmarshal(doc.Paths["/{calendarId}/events/{eventId}"]["patch"], &patch); err != nil {
				t.Fatal(err)
			}
			found := false
			for _, p := range patch.Parameters {
				if p.In != "body" {
					continue
				}
				found = true
				if !slices.Contains(p.Schema.Required, "timeZone") || !slices.Contains(p.Schema.Required, "startDate") {
					t.Errorf("UpdateEvent body: got required %v, want the published full body", p.Schema.Required)
				}
				if m := p.Schema.Properties["modeRecurrence"].Enum; slices.Contains(m, "NotRepeat") || slices.Contains(m, "Custom") {
					t.Errorf("UpdateEvent body: got modeRecurrence %v, want the published five", m)
				}
			}
			if !found {
				t.Error("UpdateEvent has no body parameter")
			}
		})
	}
}
