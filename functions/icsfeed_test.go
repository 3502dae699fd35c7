package functions_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/teambition/rrule-go"
	"github.com/teamspro/functions/internal/teamspro"
)

// seriesOf reads an event's RRULE from start with rrule-go, and its EXDATEs
// as Unix seconds; the rule is nil when the event does not repeat.
func seriesOf(t *testing.T, ev *ics.VEvent, start time.Time) (*rrule.RRule, map[int64]bool) {
	t.Helper()
	rp := ev.GetProperty(ics.ComponentPropertyRrule)
	if rp == nil {
		return nil, nil
	}
	opt, err := rrule.StrToROption(rp.Value)
	if err != nil {
		t.Fatal(err)
	}
	opt.Dtstart = start
	r, err := rrule.NewRRule(*opt)
	if err != nil {
		t.Fatal(err)
	}
	ex := map[int64]bool{}
	for _, p := range ev.GetProperties(ics.ComponentPropertyExdate) {
		ex[feedTime(t, p).Unix()] = true
	}
	return r, ex
}

// feedTime reads a DTSTART-like property: a DATE, a UTC time or a local
// time with TZID.
func feedTime(t *testing.T, p *ics.IANAProperty) time.Time {
	t.Helper()
	loc := time.UTC
	if tz := p.ICalParameters["TZID"]; len(tz) > 0 {
		l, err := time.LoadLocation(tz[0])
		if err != nil {
			t.Fatal(err)
		}
		loc = l
	}
	for _, layout := range []string{"20060102T150405Z", "20060102T150405", "20060102"} {
		if v, err := time.ParseInLocation(layout, p.Value, loc); err == nil {
			return v
		}
	}
	t.Fatalf("cannot read time %q", p.Value)
	return time.Time{}
}

// feedStarts expands a parsed feed independently of our code (golang-ical
// to read, rrule-go to expand): the UTC starts of [from, to).
func feedStarts(t *testing.T, body string, from, to time.Time) []string {
	t.Helper()
	cal, err := ics.ParseCalendar(strings.NewReader(body))
	if err != nil {
		t.Fatalf("the feed does not parse: %v\n%s", err, body)
	}
	overrides := map[string]map[int64]time.Time{} // uid -> original start -> new start
	for _, ev := range cal.Events() {
		if rid := ev.GetProperty(ics.ComponentPropertyRecurrenceId); rid != nil {
			uid := ev.GetProperty(ics.ComponentPropertyUniqueId).Value
			if overrides[uid] == nil {
				overrides[uid] = map[int64]time.Time{}
			}
			overrides[uid][feedTime(t, rid).Unix()] = feedTime(t, ev.GetProperty(ics.ComponentPropertyDtStart))
		}
	}
	var out []string
	add := func(s time.Time) {
		if !s.Before(from) && s.Before(to) {
			out = append(out, s.UTC().Format(time.RFC3339))
		}
	}
	for _, ev := range cal.Events() {
		if ev.GetProperty(ics.ComponentPropertyRecurrenceId) != nil {
			continue
		}
		uid := ev.GetProperty(ics.ComponentPropertyUniqueId).Value
		start := feedTime(t, ev.GetProperty(ics.ComponentPropertyDtStart))
		r, ex := seriesOf(t, ev, start)
		if r == nil {
			add(start)
			continue
		}
		for _, s := range r.Between(from.AddDate(0, -1, 0), to, true) {
			switch {
			case ex[s.Unix()]:
			case !overrides[uid][s.Unix()].IsZero():
				add(overrides[uid][s.Unix()])
			default:
				add(s)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestICSFeed publishes a feed, reads it over HTTP without credentials,
// parses it with an independent parser and compares its occurrences with
// the API's; then rotates and revokes it.
func TestICSFeed(t *testing.T) {
	t.Parallel()
	s := newCalSetup(t, nil)
	h, u := s.h, s.owner
	post := func(body map[string]any) string {
		t.Helper()
		res := h.do("POST", calEvents(s.cal), &u, body)
		expect(t, res, 201, "")
		return res.json(t)["id"].(string)
	}
	post(calEvent("Single", at(4, 9, 0), at(4, 10, 0), "Europe/Paris", nil))
	weekly := post(calEvent("Weekly", "2026-03-23T08:00:00Z", "2026-03-23T09:00:00Z", "Europe/Paris", map[string]any{"modeRecurrence": "Weekly"}))
	post(calEvent("Sydney", "2026-04-02T22:00:00Z", "2026-04-02T23:00:00Z", "Australia/Sydney", map[string]any{"modeRecurrence": "Daily", "rrule": map[string]any{"count": 5}}))
	occ := calEvents(s.cal) + "/" + weekly + "/occurrences/"
	expect(t, h.do("DELETE", occ+"2026-04-06T07:00:00Z", &u, nil), 204, "")
	expect(t, h.do("PUT", occ+"2026-04-13T07:00:00Z", &u, map[string]any{"startDate": "2026-04-14T12:00:00Z", "endDate": "2026-04-14T13:00:00Z"}), 200, "")

	created := h.do("POST", "/api/calendar/v1/"+s.cal+"/feed", &u, nil)
	expect(t, created, 201, "")
	path := created.json(t)["path"].(string)
	feed := h.do("GET", path, nil, nil)
	expect(t, feed, 200, "")
	if ct := feed.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
		t.Errorf("got content type %q", ct)
	}
	body := string(feed.body)
	for _, want := range []string{"BEGIN:VTIMEZONE", "TZID:Europe/Paris", "TZID:Australia/Sydney", "RRULE:FREQ=WEEKLY", "EXDATE;TZID=Europe/Paris", "RECURRENCE-ID;TZID=Europe/Paris"} {
		if !strings.Contains(body, want) {
			t.Errorf("the feed lacks %q:\n%s", want, body)
		}
	}
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	got := feedStarts(t, body, from, to)
	var want []string
	for _, o := range h.listOcc(t, &u, s.cal, from.Format(time.RFC3339), to.Format(time.RFC3339), "") {
		want = append(want, o["startDate"].(string))
	}
	slices.Sort(want)
	if len(want) < 10 {
		t.Fatalf("got %d occurrences from the API, want the single, the weekly and the Sydney ones", len(want))
	}
	if !slices.Equal(got, want) {
		t.Errorf("feed occurrences differ from the API's:\n got %v\nwant %v", got, want)
	}

	// Rotation: the old URL is gone, the new one works; revocation ends it.
	// The URL is on the configured public origin, whatever Host the caller
	// sends (and whatever a proxy would claim to forward).
	rotated := h.do("POST", "/api/calendar/v1/"+s.cal+"/feed", &u, nil,
		"Host", "evil.example", "X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "http")
	expect(t, rotated, 201, "")
	expect(t, h.do("GET", path, nil, nil), 404, teamspro.ENOTFOUND)
	newPath := rotated.json(t)["path"].(string)
	for _, res := range []response{created, rotated} {
		m := res.json(t)
		if want := testOrigin + m["path"].(string); m["url"] != want {
			t.Errorf("got feed url %v, want %s (the public origin, never the Host header)", m["url"], want)
		}
	}
	expect(t, h.do("GET", newPath, nil, nil), 200, "")
	expect(t, h.do("DELETE", "/api/calendar/v1/"+s.cal+"/feed", &u, nil), 204, "")
	expect(t, h.do("GET", newPath, nil, nil), 404, teamspro.ENOTFOUND)
	expect(t, h.do("DELETE", "/api/calendar/v1/"+s.cal+"/feed", &u, nil), 404, teamspro.ENOTFOUND)
	for _, bad := range []string{"/api/feeds/nothing.ics", "/api/feeds/" + strings.TrimSuffix(strings.TrimPrefix(newPath, "/api/feeds/"), ".ics"), "/api/feeds/tpf_" + strings.Repeat("A", 43) + ".ics"} {
		expect(t, h.do("GET", bad, nil, nil), 404, teamspro.ENOTFOUND)
	}
	// Members who do not own the tab cannot publish it.
	expect(t, h.do("POST", "/api/calendar/v1/"+s.cal+"/feed", &s.other, nil), 403, teamspro.EFORBIDDEN)
}
