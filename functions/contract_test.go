package functions_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// TestRecurrenceModeAndRuleCombine: on both products, a shortcut mode sent
// with an rrule object is refined by the rule (the examples), and
// the answer says so in the contract's vocabulary.
func TestRecurrenceModeAndRuleCombine(t *testing.T) {
	t.Parallel()
	t.Run("booking weekly on Tuesday and Thursday", func(t *testing.T) {
		t.Parallel()
		s := newBookingSetup(t)
		h := s.h
		h.createRoom(s.admin, "tt", nil)
		body := event("tt", at(3, 9, 0), at(3, 10, 0)) // Tuesday 3 March
		body["modeRecurrence"] = "Weekly"
		body["rrule"] = map[string]any{"byweekday": []string{"Tuesday", "Thursday"}, "count": 4}
		res := h.do("POST", events(s.cal), &s.member, body)
		expect(t, res, 201, "")
		checkReference(t, res.body)
		items, _ := h.followAll(t, &s.member, "/api/bookingroom/v1/"+s.cal+"/reservations?from="+url.QueryEscape(at(1, 0, 0))+"&to="+url.QueryEscape(at(31, 0, 0)))
		var days []string
		for _, it := range items {
			st, _ := time.Parse(time.RFC3339, it["startDate"].(string))
			days = append(days, st.Format("Mon 2"))
		}
		if want := []string{"Tue 3", "Thu 5", "Tue 10", "Thu 12"}; !slices.Equal(days, want) {
			t.Errorf("got reservations on %v, want %v", days, want)
		}
	})
	t.Run("calendar monthly last Friday", func(t *testing.T) {
		t.Parallel()
		s := newCalSetup(t, nil)
		h, u := s.h, s.owner
		body := calEvent("review", "2026-03-27T15:00:00Z", "2026-03-27T16:00:00Z", "Africa/Abidjan", map[string]any{
			"modeRecurrence": "Monthly", "rrule": map[string]any{"byweekday": []string{"Friday"}, "bysetpos": []int{-1}, "count": 3}})
		res := h.do("POST", calEvents(s.cal), &u, body)
		expect(t, res, 201, "")
		checkReferenceOf(t, calendarReference, res.body)
		ev := res.json(t)
		rr, _ := ev["rrule"].(map[string]any)
		if ev["modeRecurrence"] != "Monthly" || !jsonEqual(rr["byweekday"], []string{"Friday"}) || !jsonEqual(rr["bysetpos"], []int{-1}) || rr["bymonthday"] != nil {
			t.Errorf("got %v, want Monthly on the last Friday, as sent", ev)
		}
		occ := h.listOcc(t, &u, s.cal, "2026-03-01T00:00:00Z", "2026-07-01T00:00:00Z", "")
		if got, want := field(occ, "startDate"), []string{"2026-03-27T15:00:00Z", "2026-04-24T15:00:00Z", "2026-05-29T15:00:00Z"}; !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("nth weekday RRULE is answered with bysetpos", func(t *testing.T) {
		t.Parallel()
		s := newCalSetup(t, nil)
		h, u := s.h, s.owner
		res := h.do("POST", calEvents(s.cal), &u, calEvent("review", "2026-03-27T15:00:00Z", "2026-03-27T16:00:00Z", "Africa/Abidjan", map[string]any{"rrule": "FREQ=MONTHLY;BYDAY=-1FR;COUNT=3"}))
		expect(t, res, 201, "")
		list := h.do("GET", calEvents(s.cal), &u, nil)
		expect(t, list, 200, "")
		checkReferenceOf(t, calendarReference, list.body)
		if rr := res.json(t)["rrule"].(map[string]any); !jsonEqual(rr["byweekday"], []string{"Friday"}) || !jsonEqual(rr["bysetpos"], []int{-1}) {
			t.Errorf("got rrule %v, want byweekday [Friday] and bysetpos [-1]", rr)
		}
	})
	t.Run("a rule of another frequency is a field error", func(t *testing.T) {
		t.Parallel()
		s := newCalSetup(t, nil)
		res := s.h.do("POST", calEvents(s.cal), &s.owner, calEvent("x", "2026-03-27T15:00:00Z", "2026-03-27T16:00:00Z", "Africa/Abidjan", map[string]any{
			"modeRecurrence": "Weekly", "rrule": map[string]any{"freq": "MONTHLY", "bymonthday": []int{27}}}))
		expect(t, res, 400, teamspro.EINVALID)
		if errs := res.json(t)["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["field"] != "rrule.freq" {
			t.Errorf("got errors %v, want one on rrule.freq", errs)
		}
	})
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestOnePatchMeaning: PATCH means the same on both products: the members
// sent replace the stored ones, the others are kept, and read-only members
// (what GET answered) are ignored, so a client may send back what it read.
func TestOnePatchMeaning(t *testing.T) {
	t.Parallel()
	t.Run("booking", func(t *testing.T) {
		t.Parallel()
		s := newBookingSetup(t)
		h, u := s.h, s.member
		h.createRoom(s.admin, "pp", nil)
		body := event("pp", at(3, 9, 0), at(3, 10, 0))
		body["description"], body["color"], body["tags"] = "Planning", "#00ff00", []string{"team"}
		created := h.do("POST", events(s.cal), &u, body)
		expect(t, created, 201, "")
		id := created.json(t)["id"].(string)

		got := h.do("GET", events(s.cal)+"/"+id, &u, nil)
		expect(t, got, 200, "")
		read := got.json(t)
		read["title"] = "Renamed"
		sentBack := h.do("PATCH", events(s.cal)+"/"+id, &u, read)
		expect(t, sentBack, 200, "")
		checkReference(t, sentBack.body)

		partial := h.do("PATCH", events(s.cal)+"/"+id, &u, map[string]any{"endDate": at(3, 10, 30)})
		expect(t, partial, 200, "")
		m := partial.json(t)
		if m["title"] != "Renamed" || m["description"] != "Planning" || m["color"] != "#00ff00" || !jsonEqual(m["tags"], []string{"team"}) ||
			m["endDate"] != at(3, 10, 30) || m["startDate"] != at(3, 9, 0) || m["status"] != "confirmed" {
			t.Errorf("got %v, want only the end changed", m)
		}
		res := h.do("PATCH", events(s.cal)+"/"+id, &u, map[string]any{"modeRecurrence": "Weekly"})
		expect(t, res, 400, teamspro.EINVALID)
		res = h.do("PATCH", events(s.cal)+"/"+id, &u, map[string]any{"unknown": 1})
		expect(t, res, 400, teamspro.EINVALID)
	})
	t.Run("calendar", func(t *testing.T) {
		t.Parallel()
		s := newCalSetup(t, nil)
		h, u := s.h, s.owner
		created := h.do("POST", calEvents(s.cal), &u, calEvent("e", at(3, 9, 0), at(3, 10, 0), "Europe/Paris", map[string]any{"description": "Planning", "color": "#00ff00"}))
		expect(t, created, 201, "")
		id := created.json(t)["id"].(string)
		read := h.do("GET", calEvents(s.cal)+"/"+id, &u, nil).json(t)
		read["title"] = "Renamed"
		expect(t, h.do("PATCH", calEvents(s.cal)+"/"+id, &u, read), 200, "")
		partial := h.do("PATCH", calEvents(s.cal)+"/"+id, &u, map[string]any{"endDate": at(3, 10, 30)})
		expect(t, partial, 200, "")
		m := partial.json(t)
		if m["title"] != "Renamed" || m["description"] != "Planning" || m["color"] != "#00ff00" || m["endDate"] != at(3, 10, 30) || m["startDate"] != at(3, 9, 0) {
			t.Errorf("got %v, want only the end changed", m)
		}
	})
}

// TestWindowDatesAndDefaultZone: from and to take dates, read in the tab's
// zone; an event or reservation without timeZone takes the tab's.
func TestWindowDatesAndDefaultZone(t *testing.T) {
	t.Parallel()
	s := newCalSetup(t, nil) // the tab's zone is Europe/Paris
	h, u := s.h, s.owner
	// 00:30 on 1 March in Paris is 23:30 UTC on 28 February.
	res := h.do("POST", calEvents(s.cal), &u, map[string]any{"title": "early", "startDate": "2026-02-28T23:30:00Z", "endDate": "2026-03-01T00:30:00Z"})
	expect(t, res, 201, "")
	if z := res.json(t)["timeZone"]; z != "Europe/Paris" {
		t.Errorf("got timeZone %v, want the tab's Europe/Paris", z)
	}
	occ := "/api/calendar/v1/" + s.cal + "/occurrences?"
	tests := []struct {
		name, query string
		want        int
	}{
		{"dates in the tab's zone", "from=2026-03-01&to=2026-03-02", 1},
		{"the day before in the tab's zone (in UTC it would hold it)", "from=2026-02-28&to=2026-03-01", 0},
		{"a UTC instant after the start", "from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z", 1},
		{"a window after the end", "from=2026-03-01T01:00:00Z&to=2026-03-02", 0},
		{"a month as dates", "from=2026-03-01&to=2026-04-01", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, _ := h.followAll(t, &u, occ+tt.query)
			if len(items) != tt.want {
				t.Errorf("got %d occurrences, want %d", len(items), tt.want)
			}
		})
	}
	bad := h.do("GET", occ+"from=2026-13-01", &u, nil)
	expect(t, bad, 400, teamspro.EINVALID)

	b := newBookingSetup(t)
	b.h.createRoom(b.admin, "zz", map[string]any{"timeZone": "America/New_York"})
	body := event("zz", at(3, 14, 0), at(3, 15, 0))
	delete(body, "timeZone")
	created := b.h.do("POST", events(b.cal), &b.member, body)
	expect(t, created, 201, "")
	if z := created.json(t)["timeZone"]; z != "Europe/Paris" {
		t.Errorf("got reservation timeZone %v, want the tab's Europe/Paris", z)
	}
}
