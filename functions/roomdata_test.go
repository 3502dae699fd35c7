package functions_test

import (
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// problemFields returns the fields at fault of a problem answer.
func problemFields(t *testing.T, r response) []string {
	t.Helper()
	var out []string
	errs, _ := r.json(t)["errors"].([]any)
	for _, e := range errs {
		out = append(out, e.(map[string]any)["field"].(string))
	}
	return out
}

func TestTabHolidays(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := h.newUser("", false)
	h.newTab(owner, "calendar", "hol", map[string]any{"holidays": map[string]any{"country": "fr"}})
	h.newTab(owner, "calendar", "nohol", nil)
	h.newTab(owner, "booking", "bookhol", map[string]any{"holidays": map[string]any{"country": "DE", "region": "de-by"}})

	t.Run("the setting is stored in its canonical form", func(t *testing.T) {
		got := h.do("GET", "/api/tabs/hol", &owner, nil).json(t)["settings"].(map[string]any)["holidays"]
		if want := map[string]any{"country": "FR"}; !sameMembers(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
		got = h.do("GET", "/api/tabs/bookhol", &owner, nil).json(t)["settings"].(map[string]any)["holidays"]
		if want := map[string]any{"country": "DE", "region": "BY"}; !sameMembers(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	tests := []struct {
		name, tab, query string
		want             []string // date name
	}{
		{"May 2026 in France", "hol", "from=2026-05-01&to=2026-06-01",
			[]string{"2026-05-01 Fête du Travail", "2026-05-08 Fête de la Victoire", "2026-05-14 Ascension", "2026-05-25 Lundi de Pentecôte"}},
		{"to is exclusive", "hol", "from=2026-05-02&to=2026-05-08", nil},
		{"date-times are read in the tab's zone", "hol", "from=2026-07-13T22:30:00Z&to=2026-07-14T23:00:00Z", []string{"2026-07-14 Fête Nationale"}},
		{"Bavaria's Corpus Christi in a booking tab", "bookhol", "from=2026-06-04&to=2026-06-05", []string{"2026-06-04 Fronleichnam"}},
		{"a tab without the setting has none", "nohol", "from=2026-01-01&to=2027-01-01", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := h.do("GET", "/api/tabs/"+tt.tab+"/holidays?"+tt.query, &owner, nil)
			expect(t, res, 200, "")
			var got []string
			for _, v := range res.json(t)["value"].([]any) {
				m := v.(map[string]any)
				if m["kind"] != "holiday" || m["readOnly"] != true || m["allDay"] != true {
					t.Errorf("got %v, want a read-only all-day item of kind holiday", m)
				}
				got = append(got, m["date"].(string)+" "+m["name"].(string))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}

	t.Run("bad settings are field errors", func(t *testing.T) {
		for _, c := range []struct {
			place map[string]any
			field string
		}{
			{map[string]any{"country": "XX"}, "settings.holidays.country"},
			{map[string]any{"country": "DE", "region": "ZZ"}, "settings.holidays.region"},
			{map[string]any{"country": "AU"}, "settings.holidays.region"},
			{map[string]any{"country": "FR", "region": "IDF"}, "settings.holidays.region"},
		} {
			body := tabBody("calendar")
			body["settings"].(map[string]any)["holidays"] = c.place
			res := h.do("PUT", "/api/tabs/bad", &owner, body)
			expect(t, res, 400, teamspro.EINVALID)
			if got := problemFields(t, res); !slices.Equal(got, []string{c.field}) {
				t.Errorf("%v: got fields %q, want [%s]", c.place, got, c.field)
			}
		}
	})
	t.Run("bad windows", func(t *testing.T) {
		for q, field := range map[string]string{"to=2026-06-01": "from", "from=2026-06-01&to=2026-05-01": "to",
			"from=2026-01-01&to=2030-01-01": "to", "from=yesterday&to=2026-01-01": "from"} {
			res := h.do("GET", "/api/tabs/hol/holidays?"+q, &owner, nil)
			expect(t, res, 400, teamspro.EINVALID)
			if got := problemFields(t, res); !slices.Contains(got, field) {
				t.Errorf("%s: got fields %q, want %s", q, got, field)
			}
		}
	})
	t.Run("another tenant's tab does not exist", func(t *testing.T) {
		stranger := h.newUser("", true)
		expect(t, h.do("GET", "/api/tabs/hol/holidays?from=2026-05-01&to=2026-06-01", &stranger, nil), 404, teamspro.ENOTFOUND)
	})
	t.Run("the countries a setting may name", func(t *testing.T) {
		res := h.do("GET", "/api/holidays/countries?top=1000", &owner, nil)
		expect(t, res, 200, "")
		var de map[string]any
		for _, v := range res.json(t)["value"].([]any) {
			if m := v.(map[string]any); m["code"] == "DE" {
				de = m
			}
		}
		if de == nil || !slices.Contains(de["regions"].([]any), any("BY")) || de["regionRequired"] != false {
			t.Errorf("got DE %v, want regions with BY and no region required", de)
		}
	})
}

func sameMembers(v any, b map[string]any) bool {
	a, _ := v.(map[string]any)
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

// TestRoomClosedOnHolidays: a room that closes on public holidays refuses a
// booking on one with 409 public_holiday, a single one as an occurrence of a
// series.
func TestRoomClosedOnHolidays(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t) // Monday 2 March 2026; Easter Monday is 6 April
	h := s.h
	res := h.do("POST", "/api/rooms", &s.admin, roomBody("closed", map[string]any{"rules": map[string]any{"closedOnHolidays": true}}))
	expect(t, res, 400, teamspro.EINVALID)
	if got := problemFields(t, res); !slices.Equal(got, []string{"rules.closedOnHolidays"}) {
		t.Errorf("closed without a place: got fields %q", got)
	}
	res = h.do("POST", "/api/rooms", &s.admin, roomBody("closed", map[string]any{"holidays": map[string]any{"country": "FR", "region": "X"}}))
	if got := problemFields(t, res); res.status != 400 || !slices.Equal(got, []string{"holidays.region"}) {
		t.Errorf("bad region: got %d fields %q, want 400 holidays.region", res.status, got)
	}
	room := h.createRoom(s.admin, "closed", map[string]any{"timeZone": "Europe/Paris", "holidays": map[string]any{"country": "fr"},
		"rules": map[string]any{"closedOnHolidays": true}})
	if room["holidays"].(map[string]any)["country"] != "FR" {
		t.Errorf("got holidays %v, want country FR", room["holidays"])
	}
	day := func(d, hh int) string { return time.Date(2026, 4, d, hh, 0, 0, 0, time.UTC).Format(time.RFC3339) }
	res = h.do("POST", events(s.cal), &s.member, event("closed", day(6, 8), day(6, 9)))
	if res.status != 409 || reason(t, res) != "public_holiday" {
		t.Fatalf("Easter Monday: got %d %s, want 409 public_holiday", res.status, res.body)
	}
	if ex, _ := res.json(t)["extra"].(map[string]any); ex == nil || ex["holiday"].(map[string]any)["date"] != "2026-04-06" {
		t.Errorf("got extra %v, want the holiday of 2026-04-06", res.json(t)["extra"])
	}
	expect(t, h.do("POST", events(s.cal), &s.member, event("closed", day(7, 8), day(7, 9))), 201, "")

	// Daily from Friday 3 April (Good Friday is no French holiday) to the
	// 7th: the 6th breaks the rule, the 7th is taken.
	series := event("closed", day(3, 8), day(3, 9))
	series["rrule"] = map[string]any{"freq": "DAILY", "dtstart": day(3, 8), "count": 5}
	res = h.do("POST", events(s.cal), &s.member, series)
	if res.status != 409 || reason(t, res) != "occurrences_refused" || !strings.Contains(string(res.body), "public_holiday") {
		t.Errorf("series over Easter Monday: got %d %s, want 409 occurrences_refused naming public_holiday", res.status, res.body)
	}

	// The rule goes with the room's CSV, export then import.
	csvOut := h.do("GET", "/api/rooms/export", &s.admin, nil)
	expect(t, csvOut, 200, "")
	recs, err := csv.NewReader(strings.NewReader(string(csvOut.body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(recs[0], "closedOnHolidays")
	cc := slices.Index(recs[0], "holidayCountry")
	if col < 0 || cc < 0 || recs[1][col] != "true" || recs[1][cc] != "FR" {
		t.Fatalf("got export %q, want holidayCountry FR and closedOnHolidays true", csvOut.body)
	}
	expect(t, h.do("PATCH", "/api/rooms/closed", &s.admin, map[string]any{"rules": map[string]any{"closedOnHolidays": false}}), 200, "")
	expect(t, h.do("POST", "/api/rooms/import", &s.admin, string(csvOut.body), "Content-Type", "text/csv"), 200, "")
	got := h.do("GET", "/api/rooms/closed", &s.admin, nil).json(t)
	if got["rules"].(map[string]any)["closedOnHolidays"] != true {
		t.Errorf("after import: got rules %v, want closedOnHolidays true again", got["rules"])
	}
}

// TestUtilisation books known reservations, lets the release timer mark a
// no-show, and checks the report of 2 and 3 March 2026 as JSON and CSV.
//
//	u1: HQ floor 1, 08:00-18:00, check-in: 08-10 released (a no-show), 3 March 09-12 booked: 3 h of 20
//	u2: HQ floor 2, all day: 3 March 10-11 booked, 11-12 cancelled: 1 h of 48
//	u3: Annex, all day, managed by mgr: 3 March 14-16: 2 h of 48
func TestUtilisation(t *testing.T) {
	t.Parallel()
	s := bookingSetupOn(t, newIsolatedHarness(t)) // runs the cross-tenant release timer
	h := s.h
	mgr := h.newUser(s.admin.tenant, false)
	h.createRoom(s.admin, "u1", map[string]any{"floor": "1", "hours": map[string]any{"start": "08:00", "end": "18:00"},
		"rules": map[string]any{"checkInRequired": true, "releaseAfterMinutes": 10}})
	h.createRoom(s.admin, "u2", nil)
	h.createRoom(s.admin, "u3", map[string]any{"building": "Annex", "floor": "", "managers": []string{mgr.oid}})
	book := func(room, start, end string) string {
		t.Helper()
		res := h.do("POST", events(s.cal), &s.member, event(room, start, end))
		expect(t, res, 201, "")
		return res.json(t)["id"].(string)
	}
	book("u1", at(2, 8, 0), at(2, 10, 0))
	h.now = time.Date(2026, 3, 2, 8, 11, 0, 0, time.UTC)
	if r := h.post("/release-unchecked", releaseTimer); r.status != 200 || !strings.Contains(string(r.body), `"released":1`) {
		t.Fatalf("release: got %d %s, want 1 released", r.status, r.body)
	}
	book("u1", at(3, 9, 0), at(3, 12, 0))
	book("u2", at(3, 10, 0), at(3, 11, 0))
	cancelled := book("u2", at(3, 11, 0), at(3, 12, 0))
	expect(t, h.do("POST", "/api/reservations/"+cancelled+"/cancel", &s.member, nil), 200, "")
	book("u3", at(3, 14, 0), at(3, 16, 0))
	book("u3", at(5, 14, 0), at(5, 16, 0)) // after the period

	const period = "/api/rooms/utilisation?from=2026-03-02&to=2026-03-04"
	res := h.do("GET", period, &s.admin, nil)
	expect(t, res, 200, "")
	rep := res.json(t)
	type fig struct {
		Open, Booked, Util float64
		Res, Rel           float64
		NoShow             float64
	}
	of := func(m any) fig {
		f := m.(map[string]any)
		return fig{f["openHours"].(float64), f["bookedHours"].(float64), f["utilisation"].(float64),
			f["reservations"].(float64), f["released"].(float64), f["noShowRate"].(float64)}
	}
	rooms := rep["rooms"].([]any)
	groups := rep["groups"].([]any)
	if len(rooms) != 3 || len(groups) != 4 {
		t.Fatalf("got %d rooms and %d groups, want 3 and 4 (Annex, HQ, HQ/1, HQ/2): %s", len(rooms), len(groups), res.body)
	}
	tests := []struct {
		name string
		got  any
		want fig
	}{
		{"u1", rooms[0], fig{20, 3, 0.15, 2, 1, 0.5}},
		{"u2", rooms[1], fig{48, 1, 0.0208, 1, 0, 0}},
		{"u3", rooms[2], fig{48, 2, 0.0417, 1, 0, 0}},
		{"Annex", groups[0], fig{48, 2, 0.0417, 1, 0, 0}},
		{"HQ", groups[1], fig{68, 4, 0.0588, 3, 1, 0.3333}},
		{"HQ floor 1", groups[2], fig{20, 3, 0.15, 2, 1, 0.5}},
		{"HQ floor 2", groups[3], fig{48, 1, 0.0208, 1, 0, 0}},
		{"total", rep["total"], fig{116, 6, 0.0517, 4, 1, 0.25}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := of(tt.got); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	if b := rep["total"].(map[string]any)["busiestHours"].([]any); len(b) == 0 || b[0].(map[string]any)["weekday"] != 2.0 {
		t.Errorf("got busiest hours %v, want Tuesday first", b)
	}

	t.Run("CSV by format or Accept", func(t *testing.T) {
		for _, c := range []struct{ query, accept string }{{"&format=csv", ""}, {"", "text/csv"}, {"", "application/json;q=0.5, text/csv"}} {
			res := h.do("GET", period+c.query, &s.admin, nil, "Accept", c.accept)
			expect(t, res, 200, "")
			if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
				t.Fatalf("%+v: got content type %q, want text/csv", c, ct)
			}
			recs, err := csv.NewReader(strings.NewReader(string(res.body))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1+3+4+1 || recs[1][0] != "room" || recs[1][3] != "u1" || recs[1][9] != "0.15" || recs[8][0] != "total" || recs[8][8] != "6" {
				t.Errorf("%+v: got %q", c, recs)
			}
		}
		if res := h.do("GET", period, &s.admin, nil, "Accept", "application/json, text/csv;q=0.1"); !strings.HasPrefix(res.header.Get("Content-Type"), "application/json") {
			t.Errorf("JSON preferred: got %q", res.header.Get("Content-Type"))
		}
	})
	t.Run("managers see their rooms only", func(t *testing.T) {
		res := h.do("GET", period, &mgr, nil)
		expect(t, res, 200, "")
		rs := res.json(t)["rooms"].([]any)
		if len(rs) != 1 || rs[0].(map[string]any)["roomId"] != "u3" {
			t.Errorf("got %s, want u3 alone", res.body)
		}
		expect(t, h.do("GET", period+"&room=u1", &mgr, nil), 403, teamspro.EFORBIDDEN)
		expect(t, h.do("GET", period, &s.member, nil), 403, teamspro.EFORBIDDEN)
	})
	t.Run("filters", func(t *testing.T) {
		for q, want := range map[string][]string{"&room=u2,u3": {"u2", "u3"}, "&room=u1&room=u3": {"u1", "u3"}, "&building=hq": {"u1", "u2"},
			"&building=HQ&floor=1": {"u1"}} {
			var got []string
			for _, r := range h.do("GET", period+q, &s.admin, nil).json(t)["rooms"].([]any) {
				got = append(got, r.(map[string]any)["roomId"].(string))
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: got %q, want %q", q, got, want)
			}
		}
		expect(t, h.do("GET", period+"&room=nope", &s.admin, nil), 404, teamspro.ENOTFOUND)
	})
	t.Run("bad input", func(t *testing.T) {
		for q, field := range map[string]string{"?to=2026-03-04": "from", "?from=2026-03-02&to=2026-09-01": "to",
			"?from=2026-03-02&to=2026-03-04&format=xml": "format", "?from=2026-03-02&to=2026-03-04&room=a%2Fb": "room"} {
			res := h.do("GET", "/api/rooms/utilisation"+q, &s.admin, nil)
			expect(t, res, 400, teamspro.EINVALID)
			if got := problemFields(t, res); !slices.Contains(got, field) {
				t.Errorf("%s: got fields %q, want %s", q, got, field)
			}
		}
	})
	t.Run("another tenant sees none of these rooms", func(t *testing.T) {
		other := h.newUser("", true)
		res := h.do("GET", period, &other, nil)
		expect(t, res, 200, "")
		if n := len(res.json(t)["rooms"].([]any)); n != 0 {
			t.Errorf("got %d rooms, want 0", n)
		}
	})
}
