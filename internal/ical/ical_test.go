package ical

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/teambition/rrule-go"

	"github.com/teamspro/functions/internal/calendar"
)

func event(t *testing.T, id, body string) calendar.Event {
	t.Helper()
	var in calendar.EventInput
	if err := json.Unmarshal([]byte(body), &in); err != nil {
		t.Fatal(err)
	}
	e, err := in.ToEvent()
	if err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	e.ID = id
	return e
}

// key renders an occurrence comparably: dates for all-day, UTC instants
// otherwise.
func key(allDay bool, start, end time.Time) string {
	if allDay {
		return start.Format(time.DateOnly) + "/" + end.Format(time.DateOnly)
	}
	return start.UTC().Format(time.RFC3339) + "/" + end.UTC().Format(time.RFC3339)
}

// parseTime reads a DATE-TIME or DATE property the way a client would, in
// the TZID the property names.
func parseTime(t *testing.T, p *ics.IANAProperty) (time.Time, bool) {
	t.Helper()
	if p == nil {
		t.Fatal("missing time property")
	}
	if v := p.ICalParameters["VALUE"]; len(v) > 0 && v[0] == "DATE" {
		d, err := time.Parse("20060102", p.Value)
		if err != nil {
			t.Fatal(err)
		}
		return d, true
	}
	if strings.HasSuffix(p.Value, "Z") {
		d, err := time.Parse("20060102T150405Z", p.Value)
		if err != nil {
			t.Fatal(err)
		}
		return d, false
	}
	tz := p.ICalParameters["TZID"]
	if len(tz) != 1 {
		t.Fatalf("local time %q without one TZID", p.Value)
	}
	loc, err := time.LoadLocation(tz[0])
	if err != nil {
		t.Fatal(err)
	}
	d, err := time.ParseInLocation("20060102T150405", p.Value, loc)
	if err != nil {
		t.Fatal(err)
	}
	return d, false
}

// expandParsed expands the VEVENTs of a feed read by an independent parser,
// with rrule-go applied in the parsed TZID, over the UTC-midnight-aligned
// window [from, to).
func expandParsed(t *testing.T, feed string, from, to time.Time) []string {
	t.Helper()
	cal, err := ics.ParseCalendar(strings.NewReader(feed))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, feed)
	}
	overlaps := func(allDay bool, s, e time.Time) bool {
		if allDay { // dates, matched against the window's UTC dates
			return s.Before(to) && e.After(from)
		}
		return s.Before(to) && e.After(from)
	}
	overridden := map[string]bool{}
	var out []string
	for _, ev := range cal.Events() {
		if rid := ev.GetProperty(ics.ComponentPropertyRecurrenceId); rid != nil {
			r, _ := parseTime(t, rid)
			overridden[ev.Id()+"|"+strconv.FormatInt(r.Unix(), 10)] = true
			s, allDay := parseTime(t, ev.GetProperty(ics.ComponentPropertyDtStart))
			e, _ := parseTime(t, ev.GetProperty(ics.ComponentPropertyDtEnd))
			if overlaps(allDay, s, e) {
				out = append(out, key(allDay, s, e))
			}
		}
	}
	for _, ev := range cal.Events() {
		if ev.GetProperty(ics.ComponentPropertyRecurrenceId) != nil {
			continue
		}
		s, allDay := parseTime(t, ev.GetProperty(ics.ComponentPropertyDtStart))
		e, _ := parseTime(t, ev.GetProperty(ics.ComponentPropertyDtEnd))
		dur := e.Sub(s)
		rp := ev.GetProperty(ics.ComponentPropertyRrule)
		if rp == nil {
			if overlaps(allDay, s, e) {
				out = append(out, key(allDay, s, e))
			}
			continue
		}
		o, err := rrule.StrToROption(rp.Value)
		if err != nil {
			t.Fatal(err)
		}
		o.Dtstart = s
		r, err := rrule.NewRRule(*o)
		if err != nil {
			t.Fatal(err)
		}
		set := &rrule.Set{}
		set.RRule(r)
		for _, x := range ev.GetProperties(ics.ComponentPropertyExdate) {
			d, _ := parseTime(t, x)
			set.ExDate(d)
		}
		for _, occ := range set.Between(from.Add(-dur), to, true) {
			if overridden[ev.Id()+"|"+strconv.FormatInt(occ.Unix(), 10)] {
				continue
			}
			end := occ.Add(dur)
			if allDay {
				end = occ.AddDate(0, 0, int(dur.Hours()/24+0.5))
			}
			if overlaps(allDay, occ, end) {
				out = append(out, key(allDay, occ, end))
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestFeedMatchesOccurrences(t *testing.T) {
	t.Parallel()
	paris, _ := time.LoadLocation("Europe/Paris")
	stamp := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		body     string
		except   func(e calendar.Event) []calendar.Exception
		from, to time.Time
	}{
		{
			name: "weekly Paris across both changes with a cancelled and a moved occurrence",
			body: `{"title":"Standup","startDate":"2026-03-02T08:00:00Z","endDate":"2026-03-02T08:30:00Z","timeZone":"Europe/Paris","modeRecurrence":"Weekly"}`,
			except: func(e calendar.Event) []calendar.Exception {
				c, err := calendar.NewException(e, time.Date(2026, 3, 30, 9, 0, 0, 0, paris), nil)
				if err != nil {
					t.Fatal(err)
				}
				m := e
				m.Rule = nil
				m.Start, m.End = time.Date(2026, 10, 27, 15, 0, 0, 0, paris), time.Date(2026, 10, 27, 16, 0, 0, 0, paris)
				o, err := calendar.NewException(e, time.Date(2026, 10, 26, 9, 0, 0, 0, paris), &m)
				if err != nil {
					t.Fatal(err)
				}
				return []calendar.Exception{c, o}
			},
			from: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		},
		{
			name: "daily Sydney with a count across the April and October changes",
			body: `{"title":"Sync","startDate":"2026-03-30T22:00:00Z","endDate":"2026-03-30T23:00:00Z","timeZone":"Australia/Sydney","rrule":"FREQ=WEEKLY;COUNT=30"}`,
			from: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		},
		{
			name: "monthly on the 31st in New York",
			body: `{"title":"Close","startDate":"2026-01-31T22:00:00Z","endDate":"2026-01-31T23:00:00Z","timeZone":"America/New_York","modeRecurrence":"Monthly"}`,
			from: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		},
		{
			name: "workweek until",
			body: `{"title":"Desk","startDate":"2026-03-23T08:00:00Z","endDate":"2026-03-23T09:00:00Z","timeZone":"Europe/Paris","modeRecurrence":"Workweek","rrule":{"freq":"WEEKLY","dtstart":"2026-03-23T08:00:00Z","until":"2026-04-10T07:00:00Z"}}`,
			from: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC),
		},
		{
			name: "last Friday of the month",
			body: `{"title":"Review","startDate":"2026-01-30T15:00:00Z","endDate":"2026-01-30T16:00:00Z","timeZone":"Europe/Paris","rrule":{"freq":"MONTHLY","byweekday":["Friday"],"bysetpos":[-1],"count":12}}`,
			from: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		},
		{
			name: "all-day weekly with a cancelled date",
			body: `{"title":"Gym","allDay":true,"startDate":"2026-03-22","endDate":"2026-03-23","timeZone":"Australia/Sydney","modeRecurrence":"Weekly","rrule":{"freq":"WEEKLY","count":6}}`,
			except: func(e calendar.Event) []calendar.Exception {
				syd, _ := time.LoadLocation("Australia/Sydney")
				c, err := calendar.NewException(e, time.Date(2026, 4, 5, 0, 0, 0, 0, syd), nil)
				if err != nil {
					t.Fatal(err)
				}
				return []calendar.Exception{c}
			},
			from: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
		},
		{
			name: "single all-day event of two days",
			body: `{"title":"Trip","allDay":true,"startDate":"2026-03-29","endDate":"2026-03-31","timeZone":"Europe/Paris"}`,
			from: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := event(t, "ev-1", tt.body)
			var xs []calendar.Exception
			if tt.except != nil {
				xs = tt.except(e)
			}
			occ, err := calendar.Occurrences(e, xs, tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, o := range occ {
				if o.AllDay {
					want = append(want, key(true, o.StartDay.In(time.UTC), o.EndDay.In(time.UTC)))
				} else {
					want = append(want, key(false, o.Start, o.End))
				}
			}
			slices.Sort(want)
			var buf bytes.Buffer
			if err := Encode(&buf, Calendar{Method: Publish, Name: "Team", Stamp: stamp, Events: FromEvent(e, xs)}); err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 {
				t.Fatal("the case expands to nothing: it cannot tell anything")
			}
			if got := expandParsed(t, buf.String(), tt.from, tt.to); !slices.Equal(got, want) {
				t.Errorf("feed occurrences:\n got %v\nwant %v\n%s", got, want, buf.String())
			}
			checkTimezones(t, buf.String())
		})
	}
}

// checkTimezones verifies every STANDARD/DAYLIGHT observance against Go's
// zone database: at its DTSTART (local time in TZOFFSETFROM) the offset
// becomes TZOFFSETTO.
func checkTimezones(t *testing.T, feed string) {
	t.Helper()
	cal, err := ics.ParseCalendar(strings.NewReader(feed))
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, ev := range cal.Events() {
		if tz := ev.GetProperty(ics.ComponentPropertyDtStart).ICalParameters["TZID"]; len(tz) > 0 {
			used[tz[0]] = true
		}
	}
	for _, c := range cal.Components {
		tz, ok := c.(*ics.VTimezone)
		if !ok {
			continue
		}
		id := tz.GetProperty(ics.ComponentPropertyTzid).Value
		delete(used, id)
		loc, err := time.LoadLocation(id)
		if err != nil {
			t.Fatal(err)
		}
		transitions := 0
		for _, sub := range tz.SubComponents() {
			var props []ics.IANAProperty
			switch s := sub.(type) {
			case *ics.Standard:
				props = s.Properties
			case *ics.Daylight:
				props = s.Properties
			}
			get := func(name string) string {
				for _, p := range props {
					if p.IANAToken == name {
						return p.Value
					}
				}
				t.Fatalf("%s: observance without %s", id, name)
				return ""
			}
			from, to := offset(t, get("TZOFFSETFROM")), offset(t, get("TZOFFSETTO"))
			at, err := time.ParseInLocation("20060102T150405", get("DTSTART"), time.FixedZone("", from))
			if err != nil {
				t.Fatal(err)
			}
			if _, got := at.In(loc).Zone(); got != to && at.Year() > 1970 {
				t.Errorf("%s at %v: got offset %d, want TZOFFSETTO %d", id, at, got, to)
			}
			if from != to {
				transitions++
				if _, got := at.Add(-time.Second).In(loc).Zone(); got != from {
					t.Errorf("%s before %v: got offset %d, want TZOFFSETFROM %d", id, at, got, from)
				}
			}
		}
		if _, off1 := time.Date(2026, 1, 1, 0, 0, 0, 0, loc).Zone(); true {
			if _, off7 := time.Date(2026, 7, 1, 0, 0, 0, 0, loc).Zone(); off1 != off7 && transitions < 2 {
				t.Errorf("%s: got %d transitions, want at least the two of 2026", id, transitions)
			}
		}
	}
	for id := range used {
		t.Errorf("TZID %s has no VTIMEZONE", id)
	}
}

func offset(t *testing.T, s string) int {
	t.Helper()
	if len(s) < 5 {
		t.Fatalf("bad offset %q", s)
	}
	h, _ := strconv.Atoi(s[1:3])
	m, _ := strconv.Atoi(s[3:5])
	sec := 0
	if len(s) == 7 {
		sec, _ = strconv.Atoi(s[5:7])
	}
	v := h*3600 + m*60 + sec
	if s[0] == '-' {
		v = -v
	}
	return v
}

func TestInvite(t *testing.T) {
	t.Parallel()
	stamp := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ev := Event{UID: "a@example.com", Sequence: 2, Summary: "Planning; Q2, \"draft\"\r\nsecond line " + strings.Repeat("é", 60),
		Start: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), TZID: "Europe/Paris",
		Organizer: &Person{Email: "org@example.com", Name: "Org \"Boss\""}, Attendees: []Attendee{{Person: Person{Email: "ann@example.com", Name: "Ann, A."}, RSVP: true}}}
	tests := []struct {
		name    string
		method  Method
		ev      Event
		wantErr bool
		want    []string
	}{
		{"request", Request, ev, false, []string{"METHOD:REQUEST", "SEQUENCE:2", "ORGANIZER;CN=Org 'Boss':mailto:org@example.com", "DTSTART;TZID=Europe/Paris:20260302T090000", "BEGIN:VTIMEZONE", "RSVP=TRUE"}},
		{"cancel defaults the status", Cancel, ev, false, []string{"METHOD:CANCEL", "STATUS:CANCELLED"}},
		{"request needs an organizer", Request, Event{UID: "x", Start: ev.Start, End: ev.End}, true, nil},
		{"unknown zone", Publish, Event{UID: "x", Start: ev.Start, End: ev.End, TZID: "Mars/Base"}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			err := Encode(&buf, Calendar{Method: tt.method, Stamp: stamp, Events: []Event{tt.ev}})
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			out := buf.String()
			unfolded := strings.ReplaceAll(out, "\r\n ", "")
			for _, w := range tt.want {
				if !strings.Contains(unfolded, w) {
					t.Errorf("got no %q in\n%s", w, out)
				}
			}
			for _, line := range strings.Split(out, "\r\n") {
				if len(line) > 75 {
					t.Errorf("got a line of %d octets, want at most 75: %q", len(line), line)
				}
			}
			cal, err := ics.ParseCalendar(strings.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			got := cal.Events()[0].GetProperty(ics.ComponentPropertySummary).Value
			if want := "Planning; Q2, \"draft\"\nsecond line " + strings.Repeat("é", 60); got != want {
				t.Errorf("got summary %q, want %q", got, want)
			}
		})
	}
}
