package calendar

import (
	"testing"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// FuzzParseRRule checks that no RRULE string makes the parser panic, that
// every rejection is EINVALID, and that an accepted rule formats to a string
// that parses back to the same rule and can be expanded.
func FuzzParseRRule(f *testing.F) {
	for _, s := range []string{"FREQ=WEEKLY;BYDAY=MO,FR", "RRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=3", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
		"FREQ=DAILY;UNTIL=20260101T000000Z", "FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR", "FREQ=", "BYDAY=+MO", ";;", "FREQ=WEEKLY;WKST=SU;INTERVAL=0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRRule(s)
		if err != nil {
			if code := teamspro.ErrorCode(err); code != teamspro.EINVALID {
				t.Fatalf("ParseRRule(%q): got code %q, want %q", s, code, teamspro.EINVALID)
			}
			return
		}
		back, err := ParseRRule(r.String())
		if err != nil || back.String() != r.String() {
			t.Fatalf("ParseRRule(%q) = %q, reparsed %q, %v", s, r.String(), back.String(), err)
		}
		e := Event{ID: "s", Title: "t", TimeZone: "Europe/Paris", Rule: &r,
			Start: time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
		_, err = Occurrences(e, nil, e.Start, e.Start.AddDate(0, 1, 0))
		if err != nil && teamspro.ErrorCode(err) != teamspro.EINVALID {
			t.Fatalf("Occurrences(%q): %v", s, err)
		}
	})
}
