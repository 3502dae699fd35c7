package functions_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
)

// icsServer serves an ICS document that a test can change or break.
type icsServer struct {
	mu     sync.Mutex
	doc    string
	status int
	srv    *httptest.Server
}

func newICSServer(t *testing.T, doc string) *icsServer {
	t.Helper()
	s := &icsServer{doc: doc, status: 200}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.status != 200 {
			http.Error(w, "down", s.status)
			return
		}
		w.Header().Set("Content-Type", "text/calendar")
		fmt.Fprint(w, s.doc)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *icsServer) set(doc string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.doc, s.status = doc, status
}

// teamICS is a published calendar: a weekly 09:00 series in Paris with an
// EXDATE and a moved occurrence, one event in New York, and an hourly
// series, which the recurrence engine refuses.
func teamICS(extraTitle string) string {
	lines := []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Example//EN",
		"BEGIN:VEVENT", "UID:weekly@example.com", "DTSTAMP:20260101T000000Z", "SUMMARY:Partner sync",
		"DTSTART;TZID=Europe/Paris:20260302T090000", "DTEND;TZID=Europe/Paris:20260302T093000",
		"RRULE:FREQ=WEEKLY;COUNT=6", "EXDATE;TZID=Europe/Paris:20260309T090000", "END:VEVENT",
		"BEGIN:VEVENT", "UID:weekly@example.com", "DTSTAMP:20260101T000000Z", "SUMMARY:Partner sync (moved)",
		"RECURRENCE-ID;TZID=Europe/Paris:20260330T090000",
		"DTSTART;TZID=Europe/Paris:20260330T140000", "DTEND;TZID=Europe/Paris:20260330T143000", "END:VEVENT",
		"BEGIN:VEVENT", "UID:ny@example.com", "DTSTAMP:20260101T000000Z", "SUMMARY:" + extraTitle,
		"DTSTART;TZID=America/New_York:20260304T100000", "DTEND;TZID=America/New_York:20260304T110000", "END:VEVENT",
		"BEGIN:VEVENT", "UID:hourly@example.com", "DTSTAMP:20260101T000000Z", "SUMMARY:Every hour",
		"DTSTART:20260304T080000Z", "DTEND:20260304T081000Z", "RRULE:FREQ=HOURLY", "END:VEVENT",
		"END:VCALENDAR", ""}
	return strings.Join(lines, "\r\n")
}

func externals(cal string) string { return "/api/calendar/v1/" + cal + "/externals" }

// occPage lists the native occurrences of [from, to) (one page).
func (h *harness) occPage(t *testing.T, u *user, cal, from, to string) []map[string]any {
	t.Helper()
	res := h.do("GET", "/api/calendar/v1/"+cal+"/occurrences?from="+url.QueryEscape(from)+"&to="+url.QueryEscape(to), u, nil)
	expect(t, res, 200, "")
	var page struct {
		Value []map[string]any `json:"value"`
	}
	if err := json.Unmarshal(res.body, &page); err != nil {
		t.Fatal(err)
	}
	return page.Value
}

func externalTitles(occ []map[string]any) []string {
	var out []string
	for _, o := range occ {
		if o["source"] == "external" {
			out = append(out, o["startDate"].(string)+" "+o["title"].(string))
		}
	}
	return out
}

// TestExternalCalendar: an owner adds a calendar served by a local server;
// its events, expanded in their zones, show in every member's view marked
// read-only and never in the calendar's own events or feed; a failed fetch
// keeps them and tells the owner why; removal takes them away.
func TestExternalCalendar(t *testing.T) {
	t.Parallel()
	s := newCalSetup(t, nil)
	h := s.h
	ics := newICSServer(t, teamICS("New York call"))
	own := h.do("POST", calEvents(s.cal), &s.owner, calEvent("Our own", "2026-03-03T10:00:00Z", "2026-03-03T11:00:00Z", "Europe/Paris", nil))
	expect(t, own, 201, "")

	res := h.do("POST", externals(s.cal), &s.owner, map[string]any{"name": "Partner", "color": "#ca5010", "url": ics.srv.URL + "/team.ics"})
	expect(t, res, 201, "")
	x := res.json(t)
	if x["lastError"] != nil || x["events"] != 2.0 || x["exceptions"] != 2.0 || x["skipped"] != 1.0 || x["lastSuccess"] == nil {
		t.Fatalf("got %s, want a first fetch of 2 events and 2 exceptions, the hourly series left out", res.body)
	}
	id := x["id"].(string)

	want := []string{
		"2026-03-02T08:00:00Z Partner sync",
		"2026-03-04T15:00:00Z New York call", // 10:00 EST
		// 9 March: EXDATE.
		"2026-03-16T08:00:00Z Partner sync",
		"2026-03-23T08:00:00Z Partner sync",
		"2026-03-30T12:00:00Z Partner sync (moved)", // 14:00 CEST, moved from 09:00
		"2026-04-06T07:00:00Z Partner sync",         // 09:00 CEST
	}
	for _, u := range []*user{&s.owner, &s.other} {
		occ := h.occPage(t, u, s.cal, "2026-03-01", "2026-04-30")
		if got := externalTitles(occ); !slices.Equal(got, want) {
			t.Errorf("got external occurrences\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		for _, o := range occ {
			if o["source"] == "external" && (o["readOnly"] != true || o["color"] != "#ca5010" || o["externalId"] != id || o["externalName"] != "Partner") {
				t.Errorf("got %v, want it marked read-only with the calendar's colour, id and name", o)
			}
			if o["title"] == "Our own" && o["source"] != nil {
				t.Errorf("the calendar's own event is marked %v", o["source"])
			}
		}
	}
	// Not copied into the calendar: its events (connector) and feed know nothing of them.
	if got := h.listOcc(t, &s.owner, s.cal, "2026-03-01", "2026-04-30", ""); !slices.Equal(field(got, "title"), []string{"Our own"}) {
		t.Errorf("connector list: got %v, want only the calendar's own event", field(got, "title"))
	}
	feed := h.do("POST", "/api/calendar/v1/"+s.cal+"/feed", &s.owner, nil)
	expect(t, feed, 201, "")
	doc := h.do("GET", feed.json(t)["path"].(string), nil, nil)
	if strings.Contains(string(doc.body), "Partner sync") || !strings.Contains(string(doc.body), "Our own") {
		t.Errorf("the feed holds the external calendar's events or lacks the calendar's own:\n%s", doc.body)
	}

	// The publisher fails: the owner sees why; the views keep the last good copy.
	ics.set("", http.StatusServiceUnavailable)
	res = h.do("POST", externals(s.cal)+"/"+id+"/refresh", &s.owner, nil)
	expect(t, res, 200, "")
	failed := res.json(t)
	if e, _ := failed["lastError"].(map[string]any); e == nil || e["reason"] != "bad_status" || failed["lastSuccess"] != x["lastSuccess"] {
		t.Errorf("got %s, want lastError bad_status and the first fetch as last success", res.body)
	}
	ics.set("<html>Sign in</html>", 200)
	res = h.do("POST", externals(s.cal)+"/"+id+"/refresh", &s.owner, nil)
	if e, _ := res.json(t)["lastError"].(map[string]any); e == nil || e["reason"] != "not_icalendar" {
		t.Errorf("got %s, want lastError not_icalendar", res.body)
	}
	if got := externalTitles(h.occPage(t, &s.other, s.cal, "2026-03-01", "2026-04-30")); !slices.Equal(got, want) {
		t.Errorf("after failed fetches: got %v, want the kept copy %v", got, want)
	}
	list := h.do("GET", externals(s.cal), &s.owner, nil)
	expect(t, list, 200, "")
	if !strings.Contains(string(list.body), `"reason":"not_icalendar"`) {
		t.Errorf("the owner's list does not show the error: %s", list.body)
	}

	// A good fetch replaces the copy.
	ics.set(teamICS("Boston call"), 200)
	expect(t, h.do("POST", externals(s.cal)+"/"+id+"/refresh", &s.owner, nil), 200, "")
	if got := externalTitles(h.occPage(t, &s.owner, s.cal, "2026-03-04", "2026-03-05")); !slices.Equal(got, []string{"2026-03-04T15:00:00Z Boston call"}) {
		t.Errorf("after a good fetch: got %v, want the new copy", got)
	}

	expect(t, h.do("DELETE", externals(s.cal)+"/"+id, &s.owner, nil), 204, "")
	if got := externalTitles(h.occPage(t, &s.owner, s.cal, "2026-03-01", "2026-04-30")); len(got) != 0 {
		t.Errorf("after removal: got %v, want none", got)
	}
	expect(t, h.do("DELETE", externals(s.cal)+"/"+id, &s.owner, nil), 404, "not_found")
}

// TestExternalCalendarRefusals: what owners may not do, each a problem with
// its code (and field or reason).
func TestExternalCalendarRefusals(t *testing.T) {
	t.Parallel()
	s := newCalSetup(t, nil)
	h := s.h
	ics := newICSServer(t, teamICS("New York call"))
	good := map[string]any{"name": "Partner", "color": "#ca5010", "url": ics.srv.URL + "/team.ics"}
	tests := []struct {
		name   string
		u      *user
		body   map[string]any
		status int
		code   string
		field  string // the invalid field's reason
	}{
		{"a member who does not own the tab", &s.other, good, 403, "forbidden", ""},
		{"no name", &s.owner, map[string]any{"url": good["url"]}, 400, "invalid", ""},
		{"a bad colour", &s.owner, map[string]any{"name": "P", "color": "orange", "url": good["url"]}, 400, "invalid", ""},
		{"plain http to the internet", &s.owner, map[string]any{"name": "P", "url": "http://example.com/cal.ics"}, 400, "invalid", "scheme_not_allowed"},
		{"a private address", &s.owner, map[string]any{"name": "P", "url": "https://10.0.0.1/cal.ics"}, 400, "invalid", "address_not_allowed"},
		{"the metadata endpoint", &s.owner, map[string]any{"name": "P", "url": "https://169.254.169.254/latest/meta-data/"}, 400, "invalid", "address_not_allowed"},
		{"loopback outside the admitted address", &s.owner, map[string]any{"name": "P", "url": "https://127.0.0.2/cal.ics"}, 400, "invalid", "address_not_allowed"},
		{"credentials in the URL", &s.owner, map[string]any{"name": "P", "url": "https://u:p@example.com/cal.ics"}, 400, "invalid", "credentials_in_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := h.do("POST", externals(s.cal), tt.u, tt.body)
			expect(t, res, tt.status, tt.code)
			if tt.field != "" && !strings.Contains(string(res.body), `"reason":"`+tt.field+`"`) {
				t.Errorf("got %s, want field url with reason %s", res.body, tt.field)
			}
		})
	}
	expect(t, h.do("GET", externals(s.cal), &s.other, nil), 403, "forbidden")
	for range 3 {
		expect(t, h.do("POST", externals(s.cal), &s.owner, good), 201, "")
	}
	res := h.do("POST", externals(s.cal), &s.owner, good)
	expect(t, res, 409, "conflict")
	if got := res.json(t)["reason"]; got != "too_many_externals" {
		t.Errorf("got reason %v, want too_many_externals", got)
	}
	// Another tenant's owner cannot reach them.
	stranger := h.newUser("", true)
	expect(t, h.do("GET", externals(s.cal), &stranger, nil), 404, "not_found")
}

// TestExternalCalendarTimer: the timer refreshes every external calendar of
// the deployment, as the host would run it.
func TestExternalCalendarTimer(t *testing.T) {
	t.Parallel()
	h := newIsolatedHarness(t)
	h.now = monday
	owner := h.newUser("", false)
	cal := h.calendarTab(owner, "cal", nil)
	ics := newICSServer(t, teamICS("New York call"))
	expect(t, h.do("POST", externals(cal), &owner, map[string]any{"name": "Partner", "url": ics.srv.URL}), 201, "")
	ics.set(teamICS("Chicago call"), 200)
	res := h.post("/refresh-externals", `{"Data":{"timer":{"IsPastDue":false}},"Metadata":{}}`)
	if res.status != 200 || !strings.Contains(string(res.body), `"refreshed":1`) {
		t.Fatalf("got %d %s, want one refreshed", res.status, res.body)
	}
	if got := externalTitles(h.occPage(t, &owner, cal, "2026-03-04", "2026-03-05")); !slices.Equal(got, []string{"2026-03-04T15:00:00Z Chicago call"}) {
		t.Errorf("got %v, want the timer's copy", got)
	}
	// A deleted tab's external calendars are left alone.
	expect(t, h.do("DELETE", "/api/tabs/cal", &owner, nil), 204, "")
	res = h.post("/refresh-externals", `{"Data":{"timer":{"IsPastDue":false}},"Metadata":{}}`)
	if res.status != 200 || !strings.Contains(string(res.body), `"skipped":1`) {
		t.Errorf("got %d %s, want one skipped", res.status, res.body)
	}
}
