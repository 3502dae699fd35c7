package functions_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

const calendarReference = "testdata/reference/calendar-pro.swagger.json"

func calEvents(cal string) string { return "/api/calendar/v1/" + cal + "/events" }

// calendarTab creates a calendar tab owned by u and returns its calendar id.
func (h *harness) calendarTab(u user, id string, settings map[string]any) string {
	h.t.Helper()
	return h.newTab(u, "calendar", id, settings)
}

func calEvent(title, start, end, tz string, extra map[string]any) map[string]any {
	b := map[string]any{"title": title, "startDate": start, "endDate": end, "timeZone": tz}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

// listOcc lists the occurrences of [from, to) with extra query parameters.
func (h *harness) listOcc(t *testing.T, u *user, cal, from, to, extra string, headers ...string) []map[string]any {
	t.Helper()
	res := h.do("GET", calEvents(cal)+"?from="+url.QueryEscape(from)+"&to="+url.QueryEscape(to)+extra, u, nil, headers...)
	expect(t, res, 200, "")
	var out []map[string]any
	if err := json.Unmarshal(res.body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func field(occ []map[string]any, name string) []string {
	var out []string
	for _, o := range occ {
		s, _ := o[name].(string)
		out = append(out, s)
	}
	return out
}

func localTimes(t *testing.T, occ []map[string]any, zone string) []string {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range occ {
		s, err := time.Parse(time.RFC3339, o["startDate"].(string))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s.In(loc).Format("01-02 15:04"))
	}
	return out
}

// calSetup is a tenant with an owner (an admin), a member and a calendar tab.
type calSetup struct {
	h            *harness
	owner, other user
	cal          string
}

func newCalSetup(t *testing.T, settings map[string]any) *calSetup {
	t.Helper()
	h := newHarness(t)
	h.now = monday
	owner := h.newUser("", false)
	return &calSetup{h: h, owner: owner, other: h.newUser(owner.tenant, false), cal: h.calendarTab(owner, "cal", settings)}
}

// TestCalendarReferenceContract runs the Calendar Pro connector's operations
// and checks their answers against the reference contract (as well as our
// document, which the harness checks for every request).
func TestCalendarReferenceContract(t *testing.T) {
	t.Parallel()
	s := newCalSetup(t, nil)
	h, u := s.h, s.owner
	body := calEvent("Planning", at(3, 9, 0), at(3, 10, 0), "Europe/Paris", map[string]any{
		"color": "#ff0000", "description": "Quarter", "tags": []string{"team"},
		"address": map[string]any{"fullAddress": "1 rue de Rivoli, Paris", "lat": 48.86, "lng": 2.34}})
	created := h.do("POST", calEvents(s.cal), &u, body)
	expect(t, created, 201, "")
	checkReferenceOf(t, calendarReference, created.body)
	ev := created.json(t)
	id := ev["id"].(string)
	if ev["calendarId"] != s.cal || ev["duration"] != float64(3600000) || ev["modeRecurrence"] != "NotRepeat" {
		t.Errorf("got %v", ev)
	}
	if loc := created.header.Get("Location"); loc != calEvents(s.cal)+"/"+id {
		t.Errorf("got Location %q", loc)
	}
	series := h.do("POST", calEvents(s.cal), &u, calEvent("Standup", at(2, 8, 0), at(2, 8, 15), "Europe/Paris",
		map[string]any{"modeRecurrence": "Custom", "rrule": map[string]any{"freq": "WEEKLY", "byweekday": []string{"Monday", "Thursday"}, "count": 6}}))
	expect(t, series, 201, "")
	checkReferenceOf(t, calendarReference, series.body)

	got := h.do("GET", calEvents(s.cal)+"/"+id, &u, nil)
	expect(t, got, 200, "")
	checkReferenceOf(t, calendarReference, got.body)
	if got.header.Get("ETag") != created.header.Get("ETag") {
		t.Errorf("got ETag %q, want %q", got.header.Get("ETag"), created.header.Get("ETag"))
	}
	list := h.do("GET", calEvents(s.cal), &u, nil)
	expect(t, list, 200, "")
	checkReferenceOf(t, calendarReference, list.body)
	var all []map[string]any
	_ = json.Unmarshal(list.body, &all)
	if len(all) != 2 {
		t.Errorf("the default list holds %d items, want the event and the series once: %s", len(all), list.body)
	}
	occ := h.listOcc(t, &u, s.cal, at(2, 0, 0), at(9, 0, 0), "")
	if len(occ) != 3 || occ[0]["seriesId"] == nil || occ[0]["originalStart"] != at(2, 8, 0) {
		t.Errorf("got %v, want two standups and the planning", occ)
	}

	// PATCH is partial: only the title changes; the stale ETag is refused.
	patched := h.do("PATCH", calEvents(s.cal)+"/"+id, &u, map[string]any{"title": "Planning v2"}, "If-Match", created.header.Get("ETag"))
	expect(t, patched, 200, "")
	checkReferenceOf(t, calendarReference, patched.body)
	if m := patched.json(t); m["title"] != "Planning v2" || m["startDate"] != at(3, 9, 0) || m["color"] != "#ff0000" || m["description"] != "Quarter" {
		t.Errorf("got %v, want only the title changed", m)
	}
	expect(t, h.do("PATCH", calEvents(s.cal)+"/"+id, &u, map[string]any{"title": "x"}, "If-Match", created.header.Get("ETag")), 412, teamspro.EPRECONDITION)
	expect(t, h.do("DELETE", calEvents(s.cal)+"/"+id, &u, nil, "If-Match", created.header.Get("ETag")), 412, teamspro.EPRECONDITION)
	moved := h.do("PATCH", calEvents(s.cal)+"/"+id, &u, map[string]any{"startDate": at(4, 14, 0), "endDate": at(4, 15, 30)}, "If-Match", patched.header.Get("ETag"))
	expect(t, moved, 200, "")
	if m := moved.json(t); m["duration"] != float64(90*60*1000) {
		t.Errorf("got duration %v, want 90 minutes", m["duration"])
	}
	// An array sent replaces the current one whole: its objects are not
	// merged into the current ones member by member.
	invited := h.do("PATCH", calEvents(s.cal)+"/"+id, &u, map[string]any{"participants": []map[string]any{{"objectId": "0b5ad6a8-0000-4000-8000-0000000000b1", "name": "Bea"}}})
	expect(t, invited, 200, "")
	replaced := h.do("PATCH", calEvents(s.cal)+"/"+id, &u, map[string]any{"participants": []map[string]any{{"upn": "carl@contoso.example"}}})
	expect(t, replaced, 200, "")
	if got, _ := json.Marshal(replaced.json(t)["participants"]); string(got) != `[{"upn":"carl@contoso.example"}]` {
		t.Errorf("got participants %s, want only the one sent", got)
	}

	// Status codes of the contract.
	bad := calEvent(strings.Repeat("x", 101), at(3, 12, 0), at(3, 13, 0), "Europe/Paris", nil)
	expect(t, h.do("POST", calEvents(s.cal), &u, bad), 400, teamspro.EINVALID)
	expect(t, h.do("POST", calEvents(s.cal), &u, map[string]any{"title": "no dates"}), 400, teamspro.EINVALID)
	expect(t, h.do("PATCH", calEvents(s.cal)+"/"+id, &u, map[string]any{"endDate": at(1, 0, 0)}), 400, teamspro.EINVALID)
	expect(t, h.do("GET", calEvents("0b5ad6a8-0000-4000-8000-000000000000"), &u, nil), 404, teamspro.ENOTFOUND)
	expect(t, h.do("GET", calEvents(s.cal)+"/0b5ad6a8-0000-4000-8000-000000000000", &u, nil), 404, teamspro.ENOTFOUND)
	expect(t, h.do("GET", calEvents(s.cal)+"/bad%20id", &u, nil), 400, teamspro.EINVALID)
	expect(t, h.do("GET", calEvents("bad%20id"), &u, nil), 400, teamspro.EINVALID)
	expect(t, h.do("GET", calEvents(s.cal)+"?from=yesterday", &u, nil), 400, teamspro.EINVALID)
	expect(t, h.do("GET", calEvents(s.cal)+"?from="+at(1, 0, 0)+"&to="+url.QueryEscape("2028-01-01T00:00:00Z"), &u, nil), 400, teamspro.EINVALID)
	expect(t, h.do("DELETE", calEvents(s.cal)+"/"+id, &u, nil), 204, "")
	expect(t, h.do("GET", calEvents(s.cal)+"/"+id, &u, nil), 404, teamspro.ENOTFOUND)
	expect(t, h.do("DELETE", calEvents(s.cal)+"/"+id, &u, nil), 404, teamspro.ENOTFOUND)
	// A booking tab's calendar is not a Calendar Pro calendar.
	book := h.bookingTab(s.owner, "book", nil)
	expect(t, h.do("GET", calEvents(book), &u, nil), 404, teamspro.ENOTFOUND)
}

// TestCalendarRecurrence checks expansion through the API: DST in both
// hemispheres, the 31st of the month, Workweek, COUNT and UNTIL, all-day.
func TestCalendarRecurrence(t *testing.T) {
	t.Parallel()
	s := newCalSetup(t, nil)
	h, u := s.h, s.owner
	create := func(body map[string]any) string {
		t.Helper()
		res := h.do("POST", calEvents(s.cal), &u, body)
		expect(t, res, 201, "")
		return res.json(t)["id"].(string)
	}
	only := func(occ []map[string]any, id string) []map[string]any {
		var out []map[string]any
		for _, o := range occ {
			if o["id"] == id {
				out = append(out, o)
			}
		}
		return out
	}
	tests := []struct {
		name     string
		body     map[string]any
		from, to string
		zone     string
		want     []string
	}{
		{"Paris spring forward keeps 09:00", calEvent("w", "2026-03-23T08:00:00Z", "2026-03-23T09:00:00Z", "Europe/Paris", map[string]any{"modeRecurrence": "Weekly"}),
			"2026-03-20T00:00:00Z", "2026-04-07T00:00:00Z", "Europe/Paris", []string{"03-23 09:00", "03-30 09:00", "04-06 09:00"}},
		{"Sydney autumn back keeps 09:00", calEvent("d", "2026-04-02T22:00:00Z", "2026-04-02T23:00:00Z", "Australia/Sydney", map[string]any{"modeRecurrence": "Daily", "rrule": map[string]any{"count": 4}}),
			"2026-04-01T00:00:00Z", "2026-04-30T00:00:00Z", "Australia/Sydney", []string{"04-03 09:00", "04-04 09:00", "04-05 09:00", "04-06 09:00"}},
		{"monthly on the 31st skips short months", calEvent("m", "2026-01-31T10:00:00Z", "2026-01-31T11:00:00Z", "UTC", map[string]any{"modeRecurrence": "Monthly"}),
			"2026-01-01T00:00:00Z", "2026-07-01T00:00:00Z", "UTC", []string{"01-31 10:00", "03-31 10:00", "05-31 10:00"}},
		{"workweek", calEvent("ww", "2026-03-02T08:00:00Z", "2026-03-02T08:30:00Z", "Europe/Paris", map[string]any{"modeRecurrence": "Workweek"}),
			"2026-03-02T00:00:00Z", "2026-03-09T00:00:00Z", "Europe/Paris", []string{"03-02 09:00", "03-03 09:00", "03-04 09:00", "03-05 09:00", "03-06 09:00"}},
		{"until", calEvent("u", "2026-03-02T08:00:00Z", "2026-03-02T09:00:00Z", "UTC", map[string]any{"modeRecurrence": "Custom", "rrule": "FREQ=WEEKLY;UNTIL=20260316T080000Z"}),
			"2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", "UTC", []string{"03-02 08:00", "03-09 08:00", "03-16 08:00"}},
	}
	for _, tt := range tests {
		id := create(tt.body)
		occ := only(h.listOcc(t, &u, s.cal, tt.from, tt.to, ""), id)
		if got := localTimes(t, occ, tt.zone); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	// All-day: a date in Auckland is the same date for a viewer anywhere.
	ad := create(map[string]any{"title": "Holiday", "allDay": true, "startDate": "2026-03-10", "endDate": "2026-03-11", "timeZone": "Pacific/Auckland"})
	for _, from := range []string{"2026-03-10T00:00:00Z", "2026-03-10T00:00:00-08:00", "2026-03-10T00:00:00+13:00"} {
		to := strings.Replace(from, "03-10", "03-11", 1)
		occ := only(h.listOcc(t, &u, s.cal, from, to, ""), ad)
		if len(occ) != 1 || occ[0]["startDay"] != "2026-03-10" || occ[0]["endDay"] != "2026-03-11" {
			t.Errorf("all-day seen from %s: got %v", from, occ)
		}
		prev := strings.Replace(from, "03-10", "03-09", 1)
		if occ := only(h.listOcc(t, &u, s.cal, prev, from, ""), ad); len(occ) != 0 {
			t.Errorf("all-day seen the day before from %s: got %v", prev, occ)
		}
	}
	// Filters.
	create(calEvent("Board meeting", "2026-03-04T12:00:00Z", "2026-03-04T13:00:00Z", "UTC", map[string]any{"tags": []string{"Finance"}, "color": "red",
		"address": map[string]any{"fullAddress": "10 Downing Street", "lat": 51.5, "lng": -0.12}}))
	for _, q := range []string{"&tag=finance", "&color=RED", "&search=board", "&address=downing", "&tag=x&tag=finance"} {
		if got := field(h.listOcc(t, &u, s.cal, "2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z", q), "title"); !slices.Equal(got, []string{"Board meeting"}) {
			t.Errorf("filter %s: got %v", q, got)
		}
	}
}

// TestCalendarExceptions changes, cancels and splits occurrences of a series.
func TestCalendarExceptions(t *testing.T) {
	t.Parallel()
	s := newCalSetup(t, nil)
	h, u := s.h, s.owner
	res := h.do("POST", calEvents(s.cal), &u, calEvent("Daily", "2026-03-02T08:00:00Z", "2026-03-02T09:00:00Z", "Europe/Paris", map[string]any{"modeRecurrence": "Daily"}))
	expect(t, res, 201, "")
	id := res.json(t)["id"].(string)
	occPath := func(orig string) string { return calEvents(s.cal) + "/" + id + "/occurrences/" + orig }
	window := func() []string {
		var out []string
		for _, o := range h.listOcc(t, &u, s.cal, "2026-03-02T00:00:00Z", "2026-03-09T00:00:00Z", "") {
			out = append(out, o["startDate"].(string)[8:13]+" "+o["title"].(string))
		}
		return out
	}
	changed := h.do("PUT", occPath("2026-03-03T08:00:00Z"), &u, map[string]any{"title": "Moved", "startDate": "2026-03-03T14:00:00Z", "endDate": "2026-03-03T15:00:00Z"})
	expect(t, changed, 200, "")
	if m := changed.json(t); m["seriesId"] != id || m["originalStart"] != "2026-03-03T08:00:00Z" || m["title"] != "Moved" {
		t.Errorf("got %v", m)
	}
	expect(t, h.do("PUT", occPath("2026-03-03T08:00:00Z"), &u, map[string]any{"title": "Again"}, "If-Match", `"99"`), 412, teamspro.EPRECONDITION)
	// A second change starts from the first: the time stays moved.
	again := h.do("PUT", occPath("2026-03-03T08:00:00Z"), &u, map[string]any{"title": "Moved again"}, "If-Match", changed.header.Get("ETag"))
	expect(t, again, 200, "")
	expect(t, h.do("DELETE", occPath("2026-03-05T08:00:00Z"), &u, nil), 204, "")
	expect(t, h.do("PUT", occPath("2026-03-05T08:30:00Z"), &u, map[string]any{"title": "x"}), 400, teamspro.EINVALID)
	expect(t, h.do("PUT", occPath("not-a-time"), &u, map[string]any{"title": "x"}), 400, teamspro.EINVALID)
	expect(t, h.do("PUT", occPath("2026-03-06T08:00:00Z"), &u, map[string]any{"modeRecurrence": "Daily"}), 400, teamspro.EINVALID)
	want := []string{"02T08 Daily", "03T14 Moved again", "04T08 Daily", "06T08 Daily", "07T08 Daily", "08T08 Daily"}
	if got := window(); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// This and following from the 7th, an hour later and renamed.
	cur := h.do("GET", calEvents(s.cal)+"/"+id, &u, nil)
	sp := h.do("POST", occPath("2026-03-07T08:00:00Z")+"/split", &u, map[string]any{"title": "Later", "startDate": "2026-03-07T09:00:00Z", "endDate": "2026-03-07T10:00:00Z"}, "If-Match", cur.header.Get("ETag"))
	expect(t, sp, 201, "")
	want = []string{"02T08 Daily", "03T14 Moved again", "04T08 Daily", "06T08 Daily", "07T09 Later", "08T09 Later"}
	if got := window(); !slices.Equal(got, want) {
		t.Errorf("after split: got %v, want %v", got, want)
	}
	expect(t, h.do("POST", occPath("2026-03-04T08:00:00Z")+"/split", &u, map[string]any{"title": "x"}, "If-Match", cur.header.Get("ETag")), 412, teamspro.EPRECONDITION)
	// Editing the whole series' time drops the changes it orphans.
	patched := h.do("PATCH", calEvents(s.cal)+"/"+id, &u, map[string]any{"startDate": "2026-03-02T08:30:00Z", "endDate": "2026-03-02T09:30:00Z"})
	expect(t, patched, 200, "")
	want = []string{"02T08 Daily", "03T08 Daily", "04T08 Daily", "05T08 Daily", "06T08 Daily", "07T09 Later", "08T09 Later"}
	if got := window(); !slices.Equal(got, want) {
		t.Errorf("after editing the series: got %v, want %v", got, want)
	}
	// A single event has no occurrences.
	single := h.do("POST", calEvents(s.cal), &u, calEvent("One", at(3, 9, 0), at(3, 10, 0), "UTC", nil)).json(t)["id"].(string)
	expect(t, h.do("DELETE", calEvents(s.cal)+"/"+single+"/occurrences/"+at(3, 9, 0), &u, nil), 400, teamspro.EINVALID)
}

// TestCalendarSoftDelete deletes, lists, restores and purges events.
func TestCalendarSoftDelete(t *testing.T) {
	t.Parallel()
	s := newCalSetup(t, nil)
	h, u := s.h, s.owner
	var ids []string
	for i := range 3 {
		res := h.do("POST", calEvents(s.cal), &u, calEvent("e", at(3+i, 9, 0), at(3+i, 10, 0), "Europe/London", nil))
		expect(t, res, 201, "")
		ids = append(ids, res.json(t)["id"].(string))
	}
	for i, id := range ids {
		h.now = monday.Add(time.Duration(i) * time.Hour)
		expect(t, h.do("DELETE", calEvents(s.cal)+"/"+id, &u, nil), 204, "")
	}
	page := h.do("GET", "/api/calendar/v1/"+s.cal+"/deleted?top=2", &u, nil)
	expect(t, page, 200, "")
	m := page.json(t)
	if v := m["value"].([]any); len(v) != 2 || v[0].(map[string]any)["id"] != ids[2] || v[0].(map[string]any)["deleted"] != true || m["nextLink"] == nil {
		t.Fatalf("got %s, want the last two deleted and a nextLink", page.body)
	}
	rest := h.do("GET", m["nextLink"].(string), &u, nil).json(t)
	if v := rest["value"].([]any); len(v) != 1 || v[0].(map[string]any)["id"] != ids[0] || rest["nextLink"] != nil {
		t.Errorf("got %v, want the first deleted and no nextLink", rest)
	}
	expect(t, h.do("GET", "/api/calendar/v1/"+s.cal+"/deleted?top=0", &u, nil), 400, teamspro.EINVALID)
	restored := h.do("POST", calEvents(s.cal)+"/"+ids[1]+"/restore", &u, nil)
	expect(t, restored, 200, "")
	checkReferenceOf(t, calendarReference, restored.body)
	expect(t, h.do("GET", calEvents(s.cal)+"/"+ids[1], &u, nil), 200, "")
	expect(t, h.do("POST", calEvents(s.cal)+"/"+ids[1]+"/restore", &u, nil), 404, teamspro.ENOTFOUND)

	// The daily timer purges what is older than the retention (a day here).
	h.now = monday.Add(24*time.Hour + 90*time.Minute)
	res := h.do("POST", "/purge-deleted", nil, map[string]any{"Data": map[string]any{"timer": map[string]any{"IsPastDue": false}}, "Metadata": map[string]any{}})
	expect(t, res, 200, "")
	if !strings.Contains(string(res.body), "events") {
		t.Errorf("got %s, want an events count", res.body)
	}
	expect(t, h.do("POST", calEvents(s.cal)+"/"+ids[0]+"/restore", &u, nil), 404, teamspro.ENOTFOUND)
	expect(t, h.do("POST", calEvents(s.cal)+"/"+ids[2]+"/restore", &u, nil), 200, "")
}

// TestCalendarCrossTenant: another tenant's admin gets 404 on every route.
func TestCalendarCrossTenant(t *testing.T) {
	t.Parallel()
	s := newCalSetup(t, nil)
	h := s.h
	ev := h.do("POST", calEvents(s.cal), &s.owner, calEvent("Daily", at(2, 9, 0), at(2, 10, 0), "UTC", map[string]any{"modeRecurrence": "Daily"}))
	expect(t, ev, 201, "")
	id := ev.json(t)["id"].(string)
	gone := h.do("POST", calEvents(s.cal), &s.owner, calEvent("Gone", at(3, 9, 0), at(3, 10, 0), "UTC", nil)).json(t)["id"].(string)
	expect(t, h.do("DELETE", calEvents(s.cal)+"/"+gone, &s.owner, nil), 204, "")
	b := h.newUser("", true)
	h.calendarTab(b, "cal", nil)
	occ := calEvents(s.cal) + "/" + id + "/occurrences/" + at(3, 9, 0)
	tests := []struct {
		method, path string
		body         any
	}{
		{"GET", calEvents(s.cal), nil},
		{"GET", calEvents(s.cal) + "?from=" + at(2, 0, 0) + "&to=" + at(9, 0, 0), nil},
		{"POST", calEvents(s.cal), calEvent("x", at(3, 9, 0), at(3, 10, 0), "UTC", nil)},
		{"GET", calEvents(s.cal) + "/" + id, nil},
		{"PATCH", calEvents(s.cal) + "/" + id, map[string]any{"title": "x"}},
		{"DELETE", calEvents(s.cal) + "/" + id, nil},
		{"PUT", occ, map[string]any{"title": "x"}},
		{"DELETE", occ, nil},
		{"POST", occ + "/split", map[string]any{"title": "x"}},
		{"POST", calEvents(s.cal) + "/" + gone + "/restore", nil},
		{"GET", "/api/calendar/v1/" + s.cal + "/deleted", nil},
		{"POST", "/api/calendar/v1/" + s.cal + "/feed", nil},
		{"DELETE", "/api/calendar/v1/" + s.cal + "/feed", nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			expect(t, h.do(tt.method, tt.path, &b, tt.body), 404, teamspro.ENOTFOUND)
		})
	}
	if got := h.do("GET", calEvents(s.cal)+"/"+id, &s.owner, nil).json(t); got["title"] != "Daily" {
		t.Errorf("the first tenant's event changed: %v", got)
	}
}

// TestCalendarAPIKeys: a key works on its calendars' connector routes only,
// and stops working once revoked.
func TestCalendarAPIKeys(t *testing.T) {
	t.Parallel()
	s := newCalSetup(t, map[string]any{"permissions": map[string]any{"mode": "owners"}})
	h := s.h
	other := h.calendarTab(s.owner, "other", nil)
	created := h.do("POST", "/api/apikeys", &s.owner, map[string]any{"name": "flow", "calendarIds": []string{s.cal}})
	expect(t, created, 201, "")
	key, keyID := created.json(t)["key"].(string), created.json(t)["id"].(string)
	k := func(method, path string, body any) response {
		return h.do(method, path, nil, body, "Ocp-Apim-Subscription-Key", key)
	}
	res := k("POST", calEvents(s.cal), calEvent("By key", at(3, 9, 0), at(3, 10, 0), "Europe/Paris", nil))
	expect(t, res, 201, "")
	checkReferenceOf(t, calendarReference, res.body)
	id := res.json(t)["id"].(string)
	expect(t, k("GET", calEvents(s.cal), nil), 200, "")
	expect(t, k("PATCH", calEvents(s.cal)+"/"+id, map[string]any{"title": "Changed by key"}), 200, "")
	expect(t, k("GET", "/api/calendar/v1/"+s.cal+"/deleted", nil), 200, "")
	// Another calendar of the same tenant: not reachable with this key.
	expect(t, k("GET", calEvents(other), nil), 404, teamspro.ENOTFOUND)
	expect(t, k("POST", calEvents(other), calEvent("x", at(3, 9, 0), at(3, 10, 0), "UTC", nil)), 404, teamspro.ENOTFOUND)
	// Keys never work on routes other than the connector's.
	expect(t, k("GET", "/api/tabs/cal", nil), 401, teamspro.EUNAUTHORIZED)
	expect(t, k("POST", "/api/calendar/v1/"+s.cal+"/feed", nil), 401, teamspro.EUNAUTHORIZED)
	expect(t, k("GET", "/api/apikeys", nil), 401, teamspro.EUNAUTHORIZED)
	expect(t, k("DELETE", calEvents(s.cal)+"/"+id, nil), 204, "")
	expect(t, h.do("DELETE", "/api/apikeys/"+keyID, &s.owner, nil), 204, "")
	expect(t, k("GET", calEvents(s.cal), nil), 401, teamspro.EUNAUTHORIZED)
	expect(t, h.do("GET", calEvents(s.cal), nil, nil, "Ocp-Apim-Subscription-Key", "tpk_garbage"), 401, teamspro.EUNAUTHORIZED)
}

// TestCalendarOpenAPIOnlyAdditive: our CalendarEvent is a superset of the
// reference Event.
func TestCalendarOpenAPIOnlyAdditive(t *testing.T) {
	t.Parallel()
	// Our event schema must accept what the reference Event allows: every
	// reference property exists in ours with the same type.
	ref := referenceEventOf(t, calendarReference)
	doc := loadSpec(t)
	ours := doc.Components.Schemas["CalendarEvent"].Value
	for name, p := range ref.Properties {
		o, ok := ours.Properties[name]
		if !ok {
			t.Errorf("reference property %q is missing from CalendarEvent", name)
			continue
		}
		if p.Value.Type != nil && o.Value.Type != nil && !o.Value.Type.Is(p.Value.Type.Slice()[0]) {
			t.Errorf("property %q: got type %v, want %v", name, o.Value.Type, p.Value.Type)
		}
	}
}
