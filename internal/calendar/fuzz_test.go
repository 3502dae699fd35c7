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

// FuzzEventInput decodes arbitrary JSON as the contract's event input, as the
// API does (strictly), then validates, converts and expands it: nothing panics,
// every rejection is EINVALID, and what validates converts.
func FuzzEventInput(f *testing.F) {
	for _, s := range []string{
		`{"title":"Sync","startDate":"2026-03-02T09:00:00Z","endDate":"2026-03-02T10:00:00Z","timeZone":"Europe/Paris"}`,
		`{"title":"All day","startDate":"2026-03-02","endDate":"2026-03-03","allDay":true,"timeZone":"Australia/Sydney","modeRecurrence":"Workweek"}`,
		`{"title":"M","startDate":"2026-01-31T09:00:00Z","endDate":"2026-01-31T10:00:00Z","timeZone":"UTC","rrule":{"freq":"MONTHLY","bymonthday":[31],"count":5}}`,
		`{"title":"L","startDate":"2026-01-30T09:00:00Z","endDate":"2026-01-30T10:00:00Z","timeZone":"UTC","rrule":{"freq":"MONTHLY","byweekday":[{"weekday":4,"n":-1}]}}`,
		`{"title":"S","startDate":"2026-01-30T09:00:00Z","endDate":"2026-01-30T10:00:00Z","timeZone":"UTC","rrule":"FREQ=WEEKLY;BYDAY=FR;UNTIL=20260601T000000Z"}`,
		`{"title":"","address":{"lat":91,"lng":-181},"tags":[""],"color":"` + "x" + `"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var in EventInput
		if err := strictUnmarshal(b, &in); err != nil {
			return
		}
		if err := in.Validate(); err != nil {
			if teamspro.ErrorCode(err) != teamspro.EINVALID {
				t.Fatalf("Validate: got %v, want invalid", err)
			}
			return
		}
		e, err := in.ToEvent()
		if err != nil {
			t.Fatalf("valid input does not convert: %v", err)
		}
		from := e.Start.Add(-24 * time.Hour)
		if _, err := Occurrences(e, nil, from, from.Add(60*24*time.Hour)); err != nil && teamspro.ErrorCode(err) != teamspro.EINVALID {
			t.Fatalf("Occurrences: got %v, want nil or invalid", err)
		}
	})
}
