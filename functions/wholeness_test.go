package functions_test

import (
	"encoding/csv"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// The numbered cases of "Reservations stay whole", through the HTTP API.

// TestRoomZoneChangeNeverDoubleBooks: a room in UTC has 12:00-13:00Z booked;
// its zone becomes Pacific/Kiritimati (UTC+14); the same hour booked again
// from another tab is refused. Ledgers are keyed by UTC day, so the first
// reservation's slot is where the second one looks.
func TestRoomZoneChangeNeverDoubleBooks(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	h.createRoom(s.admin, "z1", nil)
	other := h.bookingTab(s.admin, "other-tab", nil)
	expect(t, h.do("POST", events(s.cal), &s.member, event("z1", at(3, 12, 0), at(3, 13, 0))), 201, "")
	expect(t, h.do("PATCH", "/api/rooms/z1", &s.admin, map[string]any{"timeZone": "Pacific/Kiritimati"}), 200, "")
	res := h.do("POST", events(other), &s.admin, event("z1", at(3, 12, 0), at(3, 13, 0)))
	if res.status != 409 || reason(t, res) != "slot_taken" {
		t.Errorf("same hour after the zone change: got %d %s, want 409 slot_taken", res.status, res.body)
	}
	// Back to back across UTC midnight in the room's new zone: 23:00-01:00Z
	// is one local afternoon; a reservation overlapping its second UTC day
	// is refused too.
	expect(t, h.do("POST", events(s.cal), &s.member, event("z1", at(4, 23, 0), at(5, 1, 0))), 201, "")
	res = h.do("POST", events(other), &s.admin, event("z1", at(5, 0, 30), at(5, 1, 30)))
	if res.status != 409 {
		t.Errorf("overlap in the second UTC day: got %d %s, want 409", res.status, res.body)
	}
}

// TestApprovalCannotBeBypassedByAMove: in a room that requires approval, an
// approved reservation changed in time or room by its organizer is pending
// again; a manager's own change keeps it confirmed.
func TestApprovalCannotBeBypassedByAMove(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	h.createRoom(s.admin, "ap", map[string]any{"rules": map[string]any{"requiresApproval": true}})
	ev := h.do("POST", events(s.cal), &s.member, event("ap", at(3, 9, 0), at(3, 10, 0)))
	expect(t, ev, 201, "")
	id := ev.json(t)["id"].(string)
	if st := ev.json(t)["status"]; st != "pending" {
		t.Fatalf("got %v, want pending", st)
	}
	expect(t, h.do("POST", "/api/reservations/"+id+"/approve", &s.admin, nil), 200, "")
	moved := h.do("PATCH", events(s.cal)+"/"+id, &s.member, event("ap", at(4, 9, 0), at(4, 12, 0)))
	expect(t, moved, 200, "")
	if st := moved.json(t)["status"]; st != "pending" {
		t.Errorf("organizer moved an approved reservation to another day, three hours: got %v, want pending", st)
	}
	expect(t, h.do("POST", "/api/reservations/"+id+"/approve", &s.admin, nil), 200, "")
	byAdmin := h.do("PATCH", events(s.cal)+"/"+id, &s.admin, event("ap", at(4, 13, 0), at(4, 14, 0)))
	expect(t, byAdmin, 200, "")
	if st := byAdmin.json(t)["status"]; st != "confirmed" {
		t.Errorf("an admin's move: got %v, want confirmed", st)
	}
}

// TestSeriesAnswersSayWhatWasNotBooked: a bounded series is booked whole (100
// weekly occurrences in a room without maxDaysAhead), or refused with every
// occurrence not booked and why; an open-ended one says its horizon.
func TestSeriesAnswersSayWhatWasNotBooked(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	h.createRoom(s.admin, "w1", nil)
	weekly := event("w1", at(3, 9, 0), at(3, 10, 0))
	weekly["rrule"] = map[string]any{"freq": "WEEKLY", "count": 100}
	res := h.do("POST", events(s.cal), &s.member, weekly)
	expect(t, res, 201, "")
	if n := res.json(t)["occurrences"]; n != float64(100) {
		t.Errorf("COUNT=100: got %v occurrences, want 100 (skipped %v)", n, res.json(t)["skipped"])
	}
	// Two occurrences of a second series meet the first one: refused whole,
	// and both are listed.
	h.createRoom(s.admin, "w2", nil)
	expect(t, h.do("POST", events(s.cal), &s.admin, event("w2", at(10, 9, 0), at(10, 10, 0))), 201, "")
	expect(t, h.do("POST", events(s.cal), &s.admin, event("w2", at(24, 9, 30), at(24, 10, 0))), 201, "")
	clash := event("w2", at(3, 9, 0), at(3, 10, 0))
	clash["rrule"] = map[string]any{"freq": "WEEKLY", "count": 4}
	res = h.do("POST", events(s.cal), &s.member, clash)
	if res.status != 409 {
		t.Fatalf("got %d %s, want 409", res.status, res.body)
	}
	conflicts, _ := res.json(t)["extra"].(map[string]any)["conflicts"].([]any)
	if len(conflicts) != 2 {
		t.Errorf("got conflicts %v, want the two taken occurrences", conflicts)
	}
	open := event("w2", at(5, 15, 0), at(5, 16, 0))
	open["rrule"] = map[string]any{"freq": "MONTHLY"}
	res = h.do("POST", events(s.cal), &s.member, open)
	expect(t, res, 201, "")
	if _, ok := res.json(t)["horizon"].(string); !ok {
		t.Errorf("open-ended series: got %s, want the horizon used", res.body)
	}
}

// TestOneSeriesNeverFailsAView: a member's FREQ=DAILY;BYHOUR=0..23 series has
// more occurrences in a 42-day view than one series may show; the view still
// answers, that series cut and flagged, the other events whole.
func TestOneSeriesNeverFailsAView(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.newUser("", false)
	cal := h.calendarTab(u, "dense", nil)
	hours := make([]int, 24)
	for i := range hours {
		hours[i] = i
	}
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	expect(t, h.do("POST", calEvents(cal), &u, calEvent("Every hour", start.Format(time.RFC3339), start.Add(30*time.Minute).Format(time.RFC3339), "UTC",
		map[string]any{"rrule": map[string]any{"freq": "DAILY", "byhour": hours}})), 201, "")
	expect(t, h.do("POST", calEvents(cal), &u, calEvent("Lunch", "2026-03-20T12:00:00Z", "2026-03-20T13:00:00Z", "UTC", nil)), 201, "")
	res := h.do("GET", calEvents(cal)+"?from="+url.QueryEscape("2026-03-02T00:00:00Z")+"&to="+url.QueryEscape("2026-04-13T00:00:00Z"), &u, nil)
	expect(t, res, 200, "")
	var occ []map[string]any
	mustUnmarshal(t, res.body, &occ)
	cut, lunch := 0, false
	for _, o := range occ {
		if o["seriesCut"] == true {
			cut++
		}
		lunch = lunch || o["title"] == "Lunch"
	}
	if cut != 1000 || !lunch {
		t.Errorf("got %d cut occurrences and lunch=%v of %d, want 1000 cut and the lunch", cut, lunch, len(occ))
	}
}

// TestRangeEdgesAnswer400: an all-day event or reservation on 9999-12-31 (its
// end is past the last representable day) is invalid input, not a crash.
func TestRangeEdgesAnswer400(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	cal := h.calendarTab(s.admin, "edge", nil)
	expect(t, h.do("POST", calEvents(cal), &s.admin, calEvent("End of time", "9999-12-31", "9999-12-31", "UTC", map[string]any{"allDay": true})), 400, teamspro.EINVALID)
	expect(t, h.do("POST", calEvents(cal), &s.admin, calEvent("Start of time", "0001-01-01", "0001-01-01", "UTC", map[string]any{"allDay": true})), 400, teamspro.EINVALID)
	h.createRoom(s.admin, "e1", nil)
	ev := event("e1", "9999-12-31T00:00:00Z", "9999-12-31T00:00:00Z")
	ev["allDay"] = true
	expect(t, h.do("POST", events(s.cal), &s.admin, ev), 400, teamspro.EINVALID)
}

// TestRoomsExportNeutralizesFormulas: cells that a spreadsheet would read as
// a formula are exported as text, and importing the export changes nothing.
func TestRoomsExportNeutralizesFormulas(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	names := []string{`=HYPERLINK("http://evil.example","x")`, "+1", "-1", "@SUM(A1)", "Plain"}
	for i, n := range names {
		h.createRoom(s.admin, "c"+string(rune('a'+i)), map[string]any{"name": n})
	}
	res := h.do("GET", "/api/rooms/export", &s.admin, nil)
	expect(t, res, 200, "")
	rows, err := csv.NewReader(strings.NewReader(string(res.body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("cell %q starts a formula", cell)
			}
		}
	}
	imp := h.do("POST", "/api/rooms/import", &s.admin, string(res.body), "Content-Type", "text/csv")
	expect(t, imp, 200, "")
	for i, n := range names {
		got := h.do("GET", "/api/rooms/c"+string(rune('a'+i)), &s.admin, nil).json(t)["name"]
		if got != n {
			t.Errorf("after export and import: got name %q, want %q", got, n)
		}
	}
}

// TestRepeatedCheckInIsANoOp: checking in twice answers the same reservation
// with the same ETag.
func TestRepeatedCheckInIsANoOp(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	h.createRoom(s.admin, "ci", map[string]any{"rules": map[string]any{"checkInRequired": true}})
	ev := h.do("POST", events(s.cal), &s.member, event("ci", at(2, 7, 10), at(2, 8, 0)))
	expect(t, ev, 201, "")
	id := ev.json(t)["id"].(string)
	first := h.do("POST", "/api/reservations/"+id+"/checkin", &s.member, nil)
	expect(t, first, 200, "")
	second := h.do("POST", "/api/reservations/"+id+"/checkin", &s.member, nil)
	expect(t, second, 200, "")
	if a, b := first.header.Get("ETag"), second.header.Get("ETag"); a == "" || a != b {
		t.Errorf("ETags %q then %q, want the same", a, b)
	}
}

// TestOneRuleForWhoChangesAReservation: in an "everyone" tab, another member
// may neither cancel (DELETE or /cancel) nor change someone's reservation; the
// organizer may, through either route.
func TestOneRuleForWhoChangesAReservation(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	other := h.newUser(s.admin.tenant, false)
	cal := h.bookingTab(s.admin, "everyone", map[string]any{"permissions": map[string]any{"mode": "everyone"}})
	h.createRoom(s.admin, "p1", nil)
	ev := h.do("POST", events(cal), &s.member, event("p1", at(3, 9, 0), at(3, 10, 0)))
	expect(t, ev, 201, "")
	id := ev.json(t)["id"].(string)
	expect(t, h.do("DELETE", events(cal)+"/"+id, &other, nil), 403, teamspro.EFORBIDDEN)
	expect(t, h.do("POST", "/api/reservations/"+id+"/cancel", &other, nil), 403, teamspro.EFORBIDDEN)
	expect(t, h.do("PATCH", events(cal)+"/"+id, &other, map[string]any{"title": "Mine now"}), 403, teamspro.EFORBIDDEN)
	expect(t, h.do("DELETE", events(cal)+"/"+id, &s.member, nil), 204, "")
}

func mustUnmarshal(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// TestRepairTimerIsServed: the host's timer invocation of repair-bookings
// reaches the repair and answers how many changes it finished.
func TestRepairTimerIsServed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.post("/repair-bookings", strings.Replace(releaseTimer, "release-unchecked", "repair-bookings", 1))
	if r.status != 200 || !strings.Contains(string(r.body), `"repaired":`) {
		t.Errorf("got %d %s, want 200 with the number repaired", r.status, r.body)
	}
}
