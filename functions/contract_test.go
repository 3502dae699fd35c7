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
