package calendar

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/teambition/rrule-go"

	"github.com/teamspro/functions/internal/teamspro"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// decode reads a JSON body strictly, as the API's decoder does.
func decode(t *testing.T, body string) EventInput {
	t.Helper()
	var in EventInput
	if err := strictUnmarshal([]byte(body), &in); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return in
}

func mustEvent(t *testing.T, body string) Event {
	t.Helper()
	e, err := decode(t, body).ToEvent()
	if err != nil {
		t.Fatalf("ToEvent(%s): %v", body, err)
	}
	e.ID = "series-1"
	return e
}

func localStarts(t *testing.T, occ []Occurrence, loc *time.Location) []string {
	t.Helper()
	var s []string
	for _, o := range occ {
		s = append(s, o.Start.In(loc).Format("2006-01-02 15:04 MST"))
	}
	return s
}

func days(occ []Occurrence) []string {
	var s []string
	for _, o := range occ {
		s = append(s, o.StartDay.String()+"/"+o.EndDay.String())
	}
	return s
}

func TestOccurrences(t *testing.T) {
	t.Parallel()
	paris := mustLoc(t, "Europe/Paris")
	sydney := mustLoc(t, "Australia/Sydney")
	ny := mustLoc(t, "America/New_York")
	tests := []struct {
		name     string
		body     string
		from, to time.Time
		loc      *time.Location
		want     []string
	}{
		{
			name: "weekly 09:00 Paris stays 09:00 across the March change",
			body: `{"title":"Standup","startDate":"2026-03-17T08:00:00.000Z","endDate":"2026-03-17T08:30:00Z","timeZone":"Europe/Paris","modeRecurrence":"Weekly"}`,
			from: time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 4, 8, 0, 0, 0, 0, time.UTC), loc: paris,
			want: []string{"2026-03-17 09:00 CET", "2026-03-24 09:00 CET", "2026-03-31 09:00 CEST", "2026-04-07 09:00 CEST"},
		},
		{
			name: "weekly 09:00 Paris stays 09:00 across the October change",
			body: `{"title":"Standup","startDate":"2026-10-13T07:00:00Z","endDate":"2026-10-13T07:30:00Z","timeZone":"Europe/Paris","modeRecurrence":"Weekly"}`,
			from: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC), loc: paris,
			want: []string{"2026-10-13 09:00 CEST", "2026-10-20 09:00 CEST", "2026-10-27 09:00 CET", "2026-11-03 09:00 CET"},
		},
		{
			name: "daily 09:00 Sydney across the April (autumn) change",
			body: `{"title":"Sync","startDate":"2026-04-03T22:00:00Z","endDate":"2026-04-03T23:00:00Z","timeZone":"Australia/Sydney","modeRecurrence":"Daily","rrule":{"freq":"DAILY","dtstart":"2026-04-03T22:00:00Z","count":3}}`,
			from: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC), loc: sydney,
			want: []string{"2026-04-04 09:00 AEDT", "2026-04-05 09:00 AEST", "2026-04-06 09:00 AEST"},
		},
		{
			name: "daily 09:00 Sydney across the October (spring) change",
			body: `{"title":"Sync","startDate":"2026-10-02T23:00:00Z","endDate":"2026-10-03T00:00:00Z","timeZone":"Australia/Sydney","rrule":{"freq":"DAILY","dtstart":"2026-10-02T23:00:00Z","until":"2026-10-05T12:00:00Z"}}`,
			from: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC), loc: sydney,
			want: []string{"2026-10-03 09:00 AEST", "2026-10-04 09:00 AEDT", "2026-10-05 09:00 AEDT"},
		},
		{
			name: "monthly on the 31st skips the short months",
			body: `{"title":"Close","startDate":"2026-01-31T09:00:00Z","endDate":"2026-01-31T10:00:00Z","timeZone":"Etc/UTC","modeRecurrence":"Monthly"}`,
			from: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), loc: time.UTC,
			want: []string{"2026-01-31 09:00 UTC", "2026-03-31 09:00 UTC", "2026-05-31 09:00 UTC", "2026-07-31 09:00 UTC", "2026-08-31 09:00 UTC"},
		},
		{
			name: "workweek is Monday to Friday",
			body: `{"title":"Desk","startDate":"2026-05-01T07:00:00Z","endDate":"2026-05-01T08:00:00Z","timeZone":"Europe/Paris","modeRecurrence":"Workweek"}`,
			from: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 5, 9, 0, 0, 0, 0, time.UTC), loc: paris,
			want: []string{"2026-05-01 09:00 CEST", "2026-05-04 09:00 CEST", "2026-05-05 09:00 CEST", "2026-05-06 09:00 CEST", "2026-05-07 09:00 CEST", "2026-05-08 09:00 CEST"},
		},
		{
			name: "count ends the series",
			body: `{"title":"x","startDate":"2026-01-05T14:00:00Z","endDate":"2026-01-05T15:00:00Z","timeZone":"America/New_York","rrule":"FREQ=WEEKLY;COUNT=2"}`,
			from: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), loc: ny,
			want: []string{"2026-01-05 09:00 EST", "2026-01-12 09:00 EST"},
		},
		{
			name: "until is inclusive of an occurrence starting at it",
			body: `{"title":"x","startDate":"2026-01-05T14:00:00Z","endDate":"2026-01-05T15:00:00Z","timeZone":"America/New_York","rrule":"RRULE:FREQ=DAILY;UNTIL=20260107T140000Z"}`,
			from: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), loc: ny,
			want: []string{"2026-01-05 09:00 EST", "2026-01-06 09:00 EST", "2026-01-07 09:00 EST"},
		},
		{
			name: "last Friday of the month with an nth weekday",
			body: `{"title":"Review","startDate":"2026-01-30T15:00:00Z","endDate":"2026-01-30T16:00:00Z","timeZone":"Etc/UTC","rrule":{"freq":"MONTHLY","dtstart":"2026-01-30T15:00:00Z","byweekday":[{"weekday":4,"n":-1}],"count":4}}`,
			from: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), loc: time.UTC,
			want: []string{"2026-01-30 15:00 UTC", "2026-02-27 15:00 UTC", "2026-03-27 15:00 UTC", "2026-04-24 15:00 UTC"},
		},
		{
			name: "last Friday of the month with bysetpos, as the contract spells it",
			body: `{"title":"Review","startDate":"2026-01-30T15:00:00Z","endDate":"2026-01-30T16:00:00Z","timeZone":"Etc/UTC","modeRecurrence":"Custom","rrule":{"freq":"MONTHLY","dtstart":"2026-01-30T15:00:00Z","byweekday":["Friday"],"bysetpos":[-1],"count":4}}`,
			from: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), loc: time.UTC,
			want: []string{"2026-01-30 15:00 UTC", "2026-02-27 15:00 UTC", "2026-03-27 15:00 UTC", "2026-04-24 15:00 UTC"},
		},
		{
			name: "an occurrence that started before the window and lasts into it",
			body: `{"title":"Night","startDate":"2026-02-01T22:00:00Z","endDate":"2026-02-02T06:00:00Z","timeZone":"Etc/UTC","modeRecurrence":"Daily"}`,
			from: time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 2, 3, 12, 0, 0, 0, time.UTC), loc: time.UTC,
			want: []string{"2026-02-02 22:00 UTC"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := mustEvent(t, tt.body)
			occ, err := Occurrences(e, nil, tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if got := localStarts(t, occ, tt.loc); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			for _, o := range occ {
				if o.SeriesID != e.ID || !o.OriginalStart.Equal(o.Start) || o.End.Sub(o.Start) != e.Duration() {
					t.Errorf("occurrence %v: got series %q original %v duration %v, want %q, its start, %v", o.Start, o.SeriesID, o.OriginalStart, o.End.Sub(o.Start), e.ID, e.Duration())
				}
			}
		})
	}
}

func TestAllDay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		body     string
		from, to time.Time
		want     []string
	}{
		{
			name: "a Paris date sent as local midnight is seen on that date from New York",
			body: `{"title":"Holiday","allDay":true,"startDate":"2026-03-28T23:00:00.000Z","endDate":"2026-03-29T22:00:00.000Z","timeZone":"Europe/Paris"}`,
			from: time.Date(2026, 3, 29, 0, 0, 0, 0, mustLoc(t, "America/New_York")), to: time.Date(2026, 3, 30, 0, 0, 0, 0, mustLoc(t, "America/New_York")),
			want: []string{"2026-03-29/2026-03-30"},
		},
		{
			name: "and not on the day before from New York",
			body: `{"title":"Holiday","allDay":true,"startDate":"2026-03-28T23:00:00.000Z","endDate":"2026-03-29T22:00:00.000Z","timeZone":"Europe/Paris"}`,
			from: time.Date(2026, 3, 28, 0, 0, 0, 0, mustLoc(t, "America/New_York")), to: time.Date(2026, 3, 29, 0, 0, 0, 0, mustLoc(t, "America/New_York")),
		},
		{
			name: "a date sent as midnight UTC with an inclusive end, seen from Sydney",
			body: `{"title":"Holiday","allDay":true,"startDate":"2026-03-29T00:00:00Z","endDate":"2026-03-29T00:00:00Z","timeZone":"America/Los_Angeles"}`,
			from: time.Date(2026, 3, 29, 0, 0, 0, 0, mustLoc(t, "Australia/Sydney")), to: time.Date(2026, 3, 30, 0, 0, 0, 0, mustLoc(t, "Australia/Sydney")),
			want: []string{"2026-03-29/2026-03-30"},
		},
		{
			name: "yearly all-day from a date-only body",
			body: `{"title":"Birthday","allDay":true,"startDate":"2024-02-29","endDate":"2024-03-01","timeZone":"Pacific/Kiritimati","modeRecurrence":"Yearly"}`,
			from: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		},
		{
			name: "weekly all-day across the Paris change keeps its dates",
			body: `{"title":"Gym","allDay":true,"startDate":"2026-03-22","endDate":"2026-03-23","timeZone":"Europe/Paris","modeRecurrence":"Weekly","rrule":{"freq":"WEEKLY","dtstart":"2026-03-22T00:00:00Z","until":"2026-04-05T00:00:00Z"}}`,
			from: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC),
			want: []string{"2026-03-22/2026-03-23", "2026-03-29/2026-03-30", "2026-04-05/2026-04-06"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := mustEvent(t, tt.body)
			occ, err := Occurrences(e, nil, tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if got := days(occ); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLeapDayYearly(t *testing.T) {
	t.Parallel()
	e := mustEvent(t, `{"title":"Birthday","allDay":true,"startDate":"2024-02-29","endDate":"2024-03-01","timeZone":"Europe/Paris","modeRecurrence":"Yearly"}`)
	occ, err := Occurrences(e, nil, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := days(occ), []string{"2024-02-29/2024-03-01"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestExceptions(t *testing.T) {
	t.Parallel()
	paris := mustLoc(t, "Europe/Paris")
	e := mustEvent(t, `{"title":"Standup","startDate":"2026-03-02T08:00:00Z","endDate":"2026-03-02T08:30:00Z","timeZone":"Europe/Paris","modeRecurrence":"Weekly"}`)
	at := func(d int, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, paris) }
	cancel, err := NewException(e, at(9, 9), nil)
	if err != nil {
		t.Fatal(err)
	}
	moved := e.at(at(16, 9))
	moved.Start, moved.End, moved.Title = at(17, 14), at(17, 15), "Standup (moved)"
	move, err := NewException(e, at(16, 9), &moved)
	if err != nil {
		t.Fatal(err)
	}
	// Moved from outside the window into it.
	moved2 := e.at(at(30, 9))
	moved2.Start, moved2.End = at(18, 9), at(18, 10)
	moveIn, err := NewException(e, at(30, 9), &moved2)
	if err != nil {
		t.Fatal(err)
	}
	stray := Exception{SeriesID: e.ID, OriginalStart: at(10, 9), Cancelled: true}
	other := Exception{SeriesID: "other", OriginalStart: at(2, 9), Cancelled: true}

	occ, err := Occurrences(e, []Exception{cancel, move, moveIn, stray, other}, at(1, 0), at(25, 0))
	if err != nil {
		t.Fatal(err)
	}
	got := localStarts(t, occ, paris)
	want := []string{"2026-03-02 09:00 CET", "2026-03-17 14:00 CET", "2026-03-18 09:00 CET", "2026-03-23 09:00 CET"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if o := occ[1]; !o.Overridden || o.Title != "Standup (moved)" || !o.OriginalStart.Equal(at(16, 9)) || o.ID != e.ID {
		t.Errorf("got override %+v, want moved standup keyed by its original start", o)
	}
	if o := occ[2]; !o.Overridden || !o.OriginalStart.Equal(at(30, 9)) {
		t.Errorf("got %v original start, want %v", o.OriginalStart, at(30, 9))
	}
	if _, err := NewException(e, at(10, 9), nil); teamspro.ErrorCode(err) != teamspro.EINVALID {
		t.Errorf("exception off the rule: got %v, want EINVALID", err)
	}
	// Moved out of the window: gone from it.
	occ, err = Occurrences(e, []Exception{move}, at(16, 0), at(17, 0))
	if err != nil || len(occ) != 0 {
		t.Errorf("got %v, %v, want no occurrence", localStarts(t, occ, paris), err)
	}
}

func TestSplitSeries(t *testing.T) {
	t.Parallel()
	paris := mustLoc(t, "Europe/Paris")
	at := func(d int) time.Time { return time.Date(2026, 3, d, 9, 0, 0, 0, paris) }
	tests := []struct {
		name                  string
		body                  string
		split                 time.Time
		wantBefore, wantAfter int
	}{
		{"open ended", `{"title":"S","startDate":"2026-03-02T08:00:00Z","endDate":"2026-03-02T09:00:00Z","timeZone":"Europe/Paris","modeRecurrence":"Weekly"}`, at(23), 3, 5},
		{"counted", `{"title":"S","startDate":"2026-03-02T08:00:00Z","endDate":"2026-03-02T09:00:00Z","timeZone":"Europe/Paris","rrule":"FREQ=WEEKLY;COUNT=5"}`, at(23), 3, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := mustEvent(t, tt.body)
			xs := []Exception{{SeriesID: e.ID, OriginalStart: at(9), Cancelled: true}, {SeriesID: e.ID, OriginalStart: at(30), Cancelled: true}}
			sp, err := SplitSeries(e, xs, tt.split, "series-2")
			if err != nil {
				t.Fatal(err)
			}
			from, to := at(1), at(1).AddDate(0, 0, 56)
			all, _ := Occurrences(e, nil, from, to)
			b, _ := Occurrences(sp.Before, nil, from, to)
			a, _ := Occurrences(sp.After, nil, from, to)
			if len(b) != tt.wantBefore || len(a) != tt.wantAfter {
				t.Fatalf("got %d before and %d after, want %d and %d", len(b), len(a), tt.wantBefore, tt.wantAfter)
			}
			if got, want := localStarts(t, append(b, a...), paris), localStarts(t, all, paris); !slices.Equal(got, want) {
				t.Errorf("got %v, want the unsplit %v", got, want)
			}
			if sp.After.ID != "series-2" || !sp.After.Start.Equal(tt.split) || sp.Before.ID != e.ID {
				t.Errorf("got after %q at %v, before %q", sp.After.ID, sp.After.Start, sp.Before.ID)
			}
			if len(sp.BeforeExceptions) != 1 || len(sp.AfterExceptions) != 1 || sp.AfterExceptions[0].SeriesID != "series-2" {
				t.Errorf("got exceptions %+v / %+v, want one each, the later re-keyed", sp.BeforeExceptions, sp.AfterExceptions)
			}
		})
	}
	e := mustEvent(t, tests[0].body)
	for _, bad := range []time.Time{at(2), at(3)} {
		if _, err := SplitSeries(e, nil, bad, "series-2"); teamspro.ErrorCode(err) != teamspro.EINVALID {
			t.Errorf("split at %v: got %v, want EINVALID", bad, err)
		}
	}
}

func fieldsOf(err error) []string {
	var te *teamspro.Error
	if !errors.As(err, &te) {
		return nil
	}
	var f []string
	for _, x := range te.Fields {
		f = append(f, x.Field)
	}
	return f
}

func TestValidate(t *testing.T) {
	t.Parallel()
	valid := map[string]any{
		"title": "Meeting", "description": "d", "color": "#ff0000", "startDate": "2026-03-02T08:00:00Z",
		"endDate": "2026-03-02T09:00:00Z", "allDay": false, "timeZone": "Europe/Paris", "duration": 3600000,
		"address": map[string]any{"fullAddress": "1 rue de Rivoli, Paris", "lat": 48.85, "lng": 2.35},
		"tags":    []string{"a", "b"}, "participants": []map[string]any{{"email": "ann@example.com"}, {"objectId": "0b8f6c3e-2f4a-4c1e-9a55-6c2b1f7e9d10"}},
		"modeRecurrence": "Custom", "rrule": map[string]any{"freq": "WEEKLY", "dtstart": "2026-03-02T08:00:00Z", "count": 3},
	}
	tests := []struct {
		name   string
		change map[string]any
		want   []string
	}{
		{"valid", nil, nil},
		{"empty title", map[string]any{"title": " "}, []string{"title"}},
		{"long title", map[string]any{"title": strings.Repeat("é", 101)}, []string{"title"}},
		{"title of 100 characters", map[string]any{"title": strings.Repeat("é", 100)}, nil},
		{"long description", map[string]any{"description": strings.Repeat("x", 251)}, []string{"description"}},
		{"long color", map[string]any{"color": strings.Repeat("x", 31)}, []string{"color"}},
		{"unknown zone", map[string]any{"timeZone": "Mars/Olympus"}, []string{"timeZone"}},
		{"missing zone", map[string]any{"timeZone": ""}, []string{"timeZone"}},
		{"latitude", map[string]any{"address": map[string]any{"fullAddress": "x", "lat": 91, "lng": 0}}, []string{"address.lat"}},
		{"longitude", map[string]any{"address": map[string]any{"fullAddress": "x", "lat": 0, "lng": -180.5}}, []string{"address.lng"}},
		{"missing address fields", map[string]any{"address": map[string]any{}}, []string{"address.fullAddress", "address.lat", "address.lng"}},
		{"end before start", map[string]any{"endDate": "2026-03-02T07:00:00Z"}, []string{"endDate"}},
		{"bad date", map[string]any{"startDate": "yesterday"}, []string{"startDate"}},
		{"duration", map[string]any{"duration": 1000}, []string{"duration"}},
		{"too many tags", map[string]any{"tags": strings.Split(strings.Repeat("t,", 21)[:41], ",")}, []string{"tags"}},
		{"long tag", map[string]any{"tags": []string{strings.Repeat("t", 51)}}, []string{"tags"}},
		{"participant", map[string]any{"participants": []map[string]any{{"email": "Ann <ann@example.com>"}}}, []string{"participants[0].email"}},
		{"empty participant", map[string]any{"participants": []map[string]any{{}}}, []string{"participants[0]"}},
		{"bad frequency", map[string]any{"rrule": map[string]any{"freq": "HOURLY", "count": 3}}, []string{"rrule.freq"}},
		{"count and until", map[string]any{"rrule": map[string]any{"freq": "DAILY", "count": 3, "until": "2026-04-01T00:00:00Z"}}, []string{"rrule.until"}},
		{"bymonthday out of range", map[string]any{"rrule": map[string]any{"freq": "MONTHLY", "bymonthday": []int{32}}}, []string{"rrule.bymonthday"}},
		{"bad weekday", map[string]any{"rrule": map[string]any{"freq": "WEEKLY", "byweekday": []string{"Funday"}}}, []string{"rrule.byweekday"}},
		{"nth weekday in a weekly rule", map[string]any{"rrule": map[string]any{"freq": "WEEKLY", "byweekday": []any{map[string]int{"weekday": 0, "n": 1}}}}, []string{"rrule.byweekday"}},
		{"impossible rule", map[string]any{"rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"}, []string{"rrule"}},
		{"start not selected by the rule", map[string]any{"rrule": "FREQ=WEEKLY;BYDAY=TU"}, []string{"startDate"}},
		{"custom without a rule", map[string]any{"rrule": nil}, []string{"rrule"}},
		{"unknown mode", map[string]any{"modeRecurrence": "Hourly"}, []string{"modeRecurrence"}},
		{"unknown rrule member", map[string]any{"rrule": map[string]any{"freq": "DAILY", "every": 2}}, []string{"rrule"}},
		{"everything at once", map[string]any{"title": "", "color": strings.Repeat("x", 31), "timeZone": "Nowhere", "endDate": "bad"},
			[]string{"title", "color", "timeZone", "endDate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := map[string]any{}
			for k, v := range valid {
				body[k] = v
			}
			for k, v := range tt.change {
				if v == nil {
					delete(body, k)
				} else {
					body[k] = v
				}
			}
			b, _ := json.Marshal(body)
			err := decode(t, string(b)).Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			if code := teamspro.ErrorCode(err); code != teamspro.EINVALID {
				t.Fatalf("got code %q (%v), want %q", code, err, teamspro.EINVALID)
			}
			if got := fieldsOf(err); !slices.Equal(got, tt.want) {
				t.Errorf("got fields %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidateReservation(t *testing.T) {
	t.Parallel()
	in := decode(t, `{"title":"Room","startDate":"2026-03-02T08:00:00Z","endDate":"2026-03-02T09:00:00Z","timeZone":"Europe/Paris"}`)
	if got := fieldsOf(in.ValidateReservation()); !slices.Equal(got, []string{"resourceId"}) {
		t.Errorf("got %v, want [resourceId]", got)
	}
	in.ResourceID = "room-1"
	if err := in.ValidateReservation(); err != nil {
		t.Errorf("got %v, want nil", err)
	}
}

func TestRuleRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		json string
		rfc  string
	}{
		{"weekly with interval and days", `{"freq":"WEEKLY","interval":2,"byweekday":["Monday","Wednesday"],"wkst":"Sunday","count":10}`, "FREQ=WEEKLY;INTERVAL=2;COUNT=10;BYDAY=MO,WE;WKST=SU"},
		{"last friday", `{"freq":"MONTHLY","byweekday":[{"weekday":4,"n":-1}],"until":"2026-12-31T23:00:00Z"}`, "FREQ=MONTHLY;UNTIL=20261231T230000Z;BYDAY=-1FR"},
		{"setpos", `{"freq":"MONTHLY","byweekday":["Monday","Tuesday","Wednesday","Thursday","Friday"],"bysetpos":[-1]}`, "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"},
		{"yearly parts", `{"freq":"YEARLY","bymonth":[3,9],"bymonthday":[1,-1],"byhour":[9],"byminute":[30]}`, "FREQ=YEARLY;BYMONTH=3,9;BYMONTHDAY=1,-1;BYHOUR=9;BYMINUTE=30"},
		{"week numbers and year days", `{"freq":"YEARLY","byweekno":[1,-1],"byyearday":[1,100,-1]}`, "FREQ=YEARLY;BYWEEKNO=1,-1;BYYEARDAY=1,100,-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var rr RecurrenceRule
			if err := json.Unmarshal([]byte(tt.json), &rr); err != nil {
				t.Fatal(err)
			}
			v := &teamspro.Validation{}
			r, ok := rr.rule(v, false)
			if !ok {
				t.Fatalf("rule: %v", v.Err())
			}
			if got := r.String(); got != tt.rfc {
				t.Errorf("got %q, want %q", got, tt.rfc)
			}
			back, err := ParseRRule("RRULE:" + r.String())
			if err != nil {
				t.Fatal(err)
			}
			start := time.Date(2026, 1, 1, 9, 30, 0, 0, time.UTC)
			gotJSON, _ := json.Marshal(ruleJSON(back, start, "UTC"))
			wantJSON, _ := json.Marshal(ruleJSON(r, start, "UTC"))
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("got %s, want %s", gotJSON, wantJSON)
			}
			// And the JSON we write reads back to the same rule, in the
			// contract's spelling (an nth weekday as bysetpos).
			var again RecurrenceRule
			if err := strictUnmarshal(gotJSON, &again); err != nil {
				t.Fatal(err)
			}
			r2, ok := again.rule(&teamspro.Validation{}, false)
			if want := r.contractForm().String(); !ok || r2.String() != want {
				t.Errorf("got %q, want %q", r2.String(), want)
			}
		})
	}
}

func TestExpansionBounds(t *testing.T) {
	t.Parallel()
	daily := mustEvent(t, `{"title":"x","startDate":"2026-01-01T09:00:00Z","endDate":"2026-01-01T09:10:00Z","timeZone":"Etc/UTC","rrule":"FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23"}`)
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		to   time.Time
		code string
		n    int
	}{
		{"within bounds", from.AddDate(0, 0, 40), "", 40*24 - 9},
		{"too many occurrences", from.AddDate(0, 0, 60), teamspro.EINVALID, 0},
		{"window too long", from.AddDate(0, 0, 401), teamspro.EINVALID, 0},
		{"empty window", from, teamspro.EINVALID, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			occ, err := Occurrences(daily, nil, from, tt.to)
			if got := teamspro.ErrorCode(err); got != tt.code {
				t.Fatalf("got code %q (%v), want %q", got, err, tt.code)
			}
			if len(occ) != tt.n {
				t.Errorf("got %d occurrences, want %d", len(occ), tt.n)
			}
		})
	}
}

func TestFilter(t *testing.T) {
	t.Parallel()
	a := Event{ID: "a", Title: "Board Meeting", Color: "Red", Tags: []string{"Finance"}, Address: &Address{FullAddress: "1 Rue de Rivoli, Paris"}}
	b := Event{ID: "b", Title: "Lunch", Color: "blue", Tags: []string{"team"}}
	tests := []struct {
		name string
		f    Filter
		want []string
	}{
		{"none", Filter{}, []string{"a", "b"}},
		{"tag ignores case", Filter{Tags: []string{"finance"}}, []string{"a"}},
		{"colour", Filter{Colors: []string{"BLUE"}}, []string{"b"}},
		{"address text", Filter{Address: "rivoli"}, []string{"a"}},
		{"title search", Filter{Search: "meet"}, []string{"a"}},
		{"all must match", Filter{Search: "meet", Colors: []string{"blue"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, e := range FilterEvents([]Event{a, b}, tt.f) {
				got = append(got, e.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEventJSONRoundTrip(t *testing.T) {
	t.Parallel()
	body := `{"title":"Standup","description":"daily","startDate":"2026-03-02T08:00:00Z","endDate":"2026-03-02T08:30:00Z","color":"blue","allDay":false,"resourceId":"room-1","resourceName":"Room","modeRecurrence":"Workweek","timeZone":"Europe/Paris","address":{"fullAddress":"Paris","lat":48.8,"lng":2.3},"tags":["x"],"participants":[{"upn":"ann@contoso.com"}]}`
	e := mustEvent(t, body)
	j := e.JSON()
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	back := decode(t, string(b))
	e2, err := back.ToEvent()
	if err != nil {
		t.Fatalf("the JSON we write must validate: %v\n%s", err, b)
	}
	e2.ID = e.ID
	if e.RRule() != e2.RRule() || !e.Start.Equal(e2.Start) || e.Title != e2.Title || *j.Duration != 30*60*1000 {
		t.Errorf("got %+v, want %+v", e2, e)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for _, k := range []string{"title", "startDate", "endDate", "allDay", "rrule", "duration", "modeRecurrence", "timeZone", "address", "tags"} {
		if _, ok := m[k]; !ok {
			t.Errorf("got no %q in %s", k, b)
		}
	}
	if got := m["rrule"].(map[string]any)["byweekday"]; len(got.([]any)) != 5 || got.([]any)[0] != "Monday" {
		t.Errorf("got byweekday %v, want the contract's day names", got)
	}
}

func TestNextOccurrence(t *testing.T) {
	t.Parallel()
	daily := `{"title":"Standup","startDate":"2026-03-02T08:00:00Z","endDate":"2026-03-02T08:15:00Z","timeZone":"Europe/Paris","rrule":{"freq":"DAILY","dtstart":"2026-03-02T08:00:00Z","count":5}}`
	at := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, time.UTC) }
	moved := mustEvent(t, `{"title":"Standup (late)","startDate":"2026-03-03T15:00:00Z","endDate":"2026-03-03T15:15:00Z","timeZone":"Europe/Paris"}`)
	movedFar := mustEvent(t, `{"title":"Standup (much later)","startDate":"2026-05-20T08:00:00Z","endDate":"2026-05-20T08:15:00Z","timeZone":"Europe/Paris"}`)
	tests := []struct {
		name   string
		body   string
		xs     []Exception
		after  time.Time
		want   time.Time // zero: none
		wantTl string
	}{
		{"before the first", daily, nil, at(1, 0, 0), at(2, 8, 0), "Standup"},
		{"at an occurrence's start: the next one", daily, nil, at(2, 8, 0), at(3, 8, 0), "Standup"},
		{"between two", daily, nil, at(2, 12, 0), at(3, 8, 0), "Standup"},
		{"cancelled occurrence skipped", daily, []Exception{{SeriesID: "series-1", OriginalStart: at(3, 8, 0), Cancelled: true}}, at(2, 12, 0), at(4, 8, 0), "Standup"},
		{"override counts at its own start", daily, []Exception{{SeriesID: "series-1", OriginalStart: at(3, 8, 0), Override: &moved}}, at(3, 9, 0), at(3, 15, 0), "Standup (late)"},
		{"override moved beyond the next ones", daily, []Exception{{SeriesID: "series-1", OriginalStart: at(3, 8, 0), Override: &movedFar}}, at(2, 12, 0), at(4, 8, 0), "Standup"},
		{"after the last", daily, nil, at(6, 8, 0), time.Time{}, ""},
		{"override after the last occurrence is still one", daily, []Exception{{SeriesID: "series-1", OriginalStart: at(6, 8, 0), Override: &movedFar}}, at(6, 8, 0), movedFar.Start, "Standup (much later)"},
		{"yearly, eleven months ahead", `{"title":"Anniversary","startDate":"2026-02-10T09:00:00Z","endDate":"2026-02-10T10:00:00Z","timeZone":"UTC","modeRecurrence":"Yearly"}`, nil, at(2, 0, 0), time.Date(2027, 2, 10, 9, 0, 0, 0, time.UTC), "Anniversary"},
		{"single event ahead", `{"title":"Once","startDate":"2026-09-01T09:00:00Z","endDate":"2026-09-01T10:00:00Z","timeZone":"UTC"}`, nil, at(2, 0, 0), time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC), "Once"},
		{"single event past", `{"title":"Once","startDate":"2026-03-01T09:00:00Z","endDate":"2026-03-01T10:00:00Z","timeZone":"UTC"}`, nil, at(2, 0, 0), time.Time{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, ok, err := NextOccurrence(mustEvent(t, tt.body), tt.xs, tt.after)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want.IsZero() {
				if ok {
					t.Errorf("got %s, want none", o.Start)
				}
				return
			}
			if !ok || !o.Start.Equal(tt.want) || o.Title != tt.wantTl {
				t.Errorf("got %s %q (found %v), want %s %q", o.Start, o.Title, ok, tt.want, tt.wantTl)
			}
		})
	}
}

// TestModeAndRuleCombine: a shortcut mode sent with an rrule object is
// refined by the rule's parts, as rrule.js users expect, never silently
// overridden; a rule the shortcut cannot take is a field error.
func TestModeAndRuleCombine(t *testing.T) {
	t.Parallel()
	// Monday 2 March 2026, 09:00 UTC.
	const head = `{"title":"x","startDate":"2026-03-02T09:00:00Z","endDate":"2026-03-02T10:00:00Z","timeZone":"Etc/UTC",`
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		body   string
		rrule  string   // the stored rule
		first  []string // its first occurrences
		fields []string // or the fields refused
	}{
		{"weekly on two days keeps both", head + `"modeRecurrence":"Weekly","rrule":{"byweekday":["Monday","Wednesday"],"count":4}}`,
			"FREQ=WEEKLY;COUNT=4;BYDAY=MO,WE", []string{"2026-03-02 09:00 UTC", "2026-03-04 09:00 UTC", "2026-03-09 09:00 UTC", "2026-03-11 09:00 UTC"}, nil},
		{"weekly with freq spelled out", head + `"modeRecurrence":"Weekly","rrule":{"freq":"WEEKLY","byweekday":["Monday","Thursday"],"count":3}}`,
			"FREQ=WEEKLY;COUNT=3;BYDAY=MO,TH", []string{"2026-03-02 09:00 UTC", "2026-03-05 09:00 UTC", "2026-03-09 09:00 UTC"}, nil},
		{"weekly without days takes the start's", head + `"modeRecurrence":"Weekly","rrule":{"interval":2,"count":2}}`,
			"FREQ=WEEKLY;INTERVAL=2;COUNT=2;BYDAY=MO", []string{"2026-03-02 09:00 UTC", "2026-03-16 09:00 UTC"}, nil},
		{"monthly last Monday is not the 2nd", head + `"modeRecurrence":"Monthly","rrule":{"byweekday":["Monday"],"bysetpos":[-1],"count":3}}`,
			"", nil, []string{"startDate"}},
		{"monthly first Monday", head + `"modeRecurrence":"Monthly","rrule":{"freq":"MONTHLY","byweekday":["Monday"],"bysetpos":[1],"count":3}}`,
			"FREQ=MONTHLY;COUNT=3;BYDAY=MO;BYSETPOS=1", []string{"2026-03-02 09:00 UTC", "2026-04-06 09:00 UTC", "2026-05-04 09:00 UTC"}, nil},
		{"monthly nth object is written with bysetpos", head + `"modeRecurrence":"Monthly","rrule":{"byweekday":[{"weekday":0,"n":1}],"count":2}}`,
			"FREQ=MONTHLY;COUNT=2;BYDAY=MO;BYSETPOS=1", []string{"2026-03-02 09:00 UTC", "2026-04-06 09:00 UTC"}, nil},
		{"workweek narrowed to three days", head + `"modeRecurrence":"Workweek","rrule":{"byweekday":["Monday","Tuesday","Friday"],"count":4}}`,
			"FREQ=WEEKLY;COUNT=4;BYDAY=MO,TU,FR", []string{"2026-03-02 09:00 UTC", "2026-03-03 09:00 UTC", "2026-03-06 09:00 UTC", "2026-03-09 09:00 UTC"}, nil},
		{"workweek on a Saturday", head + `"modeRecurrence":"Workweek","rrule":{"byweekday":["Monday","Saturday"]}}`,
			"", nil, []string{"rrule.byweekday"}},
		{"another frequency", head + `"modeRecurrence":"Weekly","rrule":{"freq":"MONTHLY","bymonthday":[2]}}`,
			"", nil, []string{"rrule.freq"}},
		{"an RRULE string of another frequency", head + `"modeRecurrence":"Daily","rrule":"FREQ=WEEKLY;BYDAY=MO"}`,
			"", nil, []string{"rrule.freq"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := decode(t, tt.body).ToEvent()
			if tt.fields != nil {
				if got := fieldsOf(err); !slices.Equal(got, tt.fields) {
					t.Fatalf("got fields %v (%v), want %v", got, err, tt.fields)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := e.Rule.String(); got != tt.rrule {
				t.Errorf("got rule %q, want %q", got, tt.rrule)
			}
			e.ID = "s"
			occ, err := Occurrences(e, nil, from, to)
			if err != nil {
				t.Fatal(err)
			}
			if got := localStarts(t, occ, time.UTC); len(got) < len(tt.first) || !slices.Equal(got[:len(tt.first)], tt.first) {
				t.Errorf("got %v, want it to begin %v", got, tt.first)
			}
			if len(occ) > 0 && e.JSON().ModeRecurrence == "" {
				t.Errorf("got no modeRecurrence in the answer")
			}
		})
	}
}

// TestNthWeekdayInContractVocabulary: an nth weekday is answered as the
// contract's byweekday names plus bysetpos wherever that selects the same
// days, and the two forms expand alike.
func TestNthWeekdayInContractVocabulary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, rule string
		json       string // the rrule answered, without dtstart and tzid
	}{
		{"last Friday", "FREQ=MONTHLY;COUNT=6;BYDAY=-1FR", `{"freq":"MONTHLY","count":6,"interval":1,"byweekday":["Friday"],"bysetpos":[-1]}`},
		{"second Tuesday of March", "FREQ=YEARLY;COUNT=3;BYMONTH=3;BYDAY=2TU", `{"freq":"YEARLY","count":3,"interval":1,"byweekday":["Tuesday"],"bymonth":[3],"bysetpos":[2]}`},
		{"two nth days stay objects", "FREQ=MONTHLY;COUNT=6;BYDAY=1MO,-1FR", `{"freq":"MONTHLY","count":6,"interval":1,"byweekday":[{"weekday":0,"n":1},{"weekday":4,"n":-1}]}`},
		{"nth day with a month day stays an object", "FREQ=MONTHLY;COUNT=3;BYMONTHDAY=13;BYDAY=-1FR", `{"freq":"MONTHLY","count":3,"interval":1,"byweekday":[{"weekday":4,"n":-1}],"bymonthday":[13]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := ParseRRule(tt.rule)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
			rj := ruleJSON(r, start, "")
			rj.Dtstart = ""
			got, _ := json.Marshal(rj)
			if string(got) != tt.json {
				t.Errorf("got %s, want %s", got, tt.json)
			}
			a := r.ropt(start)
			b := r.contractForm().ropt(start)
			ra, errA := rrule.NewRRule(a)
			rb, errB := rrule.NewRRule(b)
			if errA != nil || errB != nil {
				t.Fatal(errA, errB)
			}
			end := start.AddDate(4, 0, 0)
			if x, y := ra.Between(start, end, true), rb.Between(start, end, true); !slices.EqualFunc(x, y, time.Time.Equal) {
				t.Errorf("the contract form expands to %v, the rule to %v", y, x)
			}
		})
	}
}

func TestExpand(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 0, 60)
	event := func(id, body string) Event {
		e := mustEvent(t, body)
		e.ID = id
		return e
	}
	dense := event("dense", `{"title":"x","startDate":"2026-01-01T09:00:00Z","endDate":"2026-01-01T09:10:00Z","timeZone":"Etc/UTC","rrule":"FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23"}`)
	weekly := event("weekly", `{"title":"w","startDate":"2026-01-05T08:00:00Z","endDate":"2026-01-05T08:30:00Z","timeZone":"Etc/UTC","modeRecurrence":"Weekly"}`)
	single := event("single", `{"title":"s","startDate":"2026-01-05T10:00:00Z","endDate":"2026-01-05T11:00:00Z","timeZone":"Etc/UTC"}`)
	later := event("later", `{"title":"l","startDate":"2026-06-05T10:00:00Z","endDate":"2026-06-05T11:00:00Z","timeZone":"Etc/UTC"}`)
	cancel, err := NewException(weekly, time.Date(2026, 1, 12, 8, 0, 0, 0, time.UTC), nil)
	if err != nil {
		t.Fatal(err)
	}

	occ, err := Expand([]Event{single, dense, later, weekly}, []Exception{cancel}, from, to)
	if err != nil {
		t.Fatalf("got error %v, want the dense series cut, not an error", err)
	}
	count := map[string]int{}
	for i, o := range occ {
		count[o.ID]++
		if wantCut := o.ID == "dense"; o.Cut != wantCut {
			t.Errorf("occurrence %d of %s: got cut %v, want %v", i, o.ID, o.Cut, wantCut)
		}
		if i > 0 && o.Start.Before(occ[i-1].Start) {
			t.Errorf("occurrence %d (%s at %v) comes after one at %v, want start order", i, o.ID, o.Start, occ[i-1].Start)
		}
	}
	// Mondays from 2026-01-05 to 2026-02-23: 8, one of them cancelled.
	want := map[string]int{"dense": MaxOccurrencesPerSeries, "weekly": 7, "single": 1}
	for id, n := range want {
		if count[id] != n {
			t.Errorf("got %d occurrences of %s, want %d", count[id], id, n)
		}
	}
	if count["later"] != 0 {
		t.Errorf("got %d occurrences of an event after the window, want none", count["later"])
	}
	if got, want := len(occ), MaxOccurrencesPerSeries+8; got != want {
		t.Errorf("got %d occurrences, want %d", got, want)
	}

	occ, err = Expand([]Event{later}, nil, from, to)
	if err != nil || occ != nil {
		t.Errorf("got %d occurrences, %v, want none (nil)", len(occ), err)
	}
}
