package functions_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/teamspro/functions/internal/teamspro"
)

// monday is the harness clock of the booking tests: Monday 2 March 2026, 07:00 UTC.
var monday = time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)

func at(day, h, m int) string {
	return time.Date(2026, 3, day, h, m, 0, 0, time.UTC).Format(time.RFC3339)
}

// bookingTab creates a booking tab owned by u and returns its calendar id.
func (h *harness) bookingTab(u user, id string, settings map[string]any) string {
	h.t.Helper()
	return h.newTab(u, "booking", id, settings)
}

func roomBody(id string, extra map[string]any) map[string]any {
	b := map[string]any{"id": id, "name": "Room " + id, "capacity": 8, "timeZone": "UTC", "equipment": []string{"screen"},
		"building": "HQ", "floor": "2"}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

func (h *harness) createRoom(admin user, id string, extra map[string]any) map[string]any {
	h.t.Helper()
	res := h.do("POST", "/api/rooms", &admin, roomBody(id, extra))
	expect(h.t, res, 201, "")
	return res.json(h.t)
}

func event(room, start, end string) map[string]any {
	return map[string]any{"title": "Weekly sync", "startDate": start, "endDate": end, "timeZone": "Europe/Paris", "resourceId": room}
}

func events(cal string) string { return "/api/bookingroom/v1/" + cal + "/events" }

func reason(t *testing.T, r response) string {
	t.Helper()
	s, _ := r.json(t)["reason"].(string)
	return s
}

// bookingSetup is a tenant with an admin, a member, a booking tab and a room.
type bookingSetup struct {
	h             *harness
	admin, member user
	cal           string
}

func newBookingSetup(t *testing.T) *bookingSetup {
	t.Helper()
	return bookingSetupOn(t, newHarness(t))
}

func bookingSetupOn(t *testing.T, h *harness) *bookingSetup {
	t.Helper()
	h.now = monday
	admin := h.newUser("", true)
	member := h.newUser(admin.tenant, false)
	return &bookingSetup{h: h, admin: admin, member: member, cal: h.bookingTab(admin, "book", nil)}
}

// TestFiftyConcurrentBookings books one room and slot from 50 goroutines
// through the HTTP API: exactly one 201, 49 409s naming the taken slot.
func TestFiftyConcurrentBookings(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	s.h.createRoom(s.admin, "hot", nil)
	var (
		mu     sync.Mutex
		counts = map[int]int{}
		wg     sync.WaitGroup
	)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := s.h.newUser(s.admin.tenant, false)
			res := s.h.do("POST", events(s.cal), &u, event("hot", at(3, 10, 0), at(3, 11, 0)))
			mu.Lock()
			counts[res.status]++
			mu.Unlock()
			if res.status == 409 {
				var p struct {
					Reason string         `json:"reason"`
					Extra  map[string]any `json:"extra"`
				}
				_ = json.Unmarshal(res.body, &p)
				if p.Reason != "slot_taken" || p.Extra["conflict"] == nil {
					t.Errorf("got 409 %s, want reason slot_taken with the conflicting slot", res.body)
				}
			}
		}()
	}
	wg.Wait()
	if counts[201] != 1 || counts[409] != 49 {
		t.Errorf("got %v, want exactly one 201 and 49 409s", counts)
	}
	sched := s.h.do("GET", "/api/rooms/hot/schedule?from="+at(3, 0, 0)+"&to="+at(4, 0, 0), &s.member, nil)
	expect(t, sched, 200, "")
	if n := len(sched.json(t)["value"].([]any)); n != 1 {
		t.Errorf("got %d reservations in the schedule, want 1", n)
	}
}

// bookingReference is the reference contract of Booking Room Pro.
const bookingReference = "testdata/reference/booking-room-pro.swagger.json"

var refSchemas sync.Map // reference file -> *refSchema

type refSchema struct {
	once   sync.Once
	schema *openapi3.Schema
	err    error
}

// referenceEventOf is the Event definition of a reference swagger 2.0
// document (vendored in testdata/reference), converted to OpenAPI 3. The
// references list the strings "true" and "false" as the enum of the boolean
// allDay, which no boolean can match; that enum is dropped, the rest is kept
// as published (TestReferenceDefects lists the defects).
func referenceEventOf(t *testing.T, file string) *openapi3.Schema {
	t.Helper()
	v, _ := refSchemas.LoadOrStore(file, &refSchema{})
	rs := v.(*refSchema)
	rs.once.Do(func() {
		b, err := os.ReadFile(file)
		if err != nil {
			rs.err = err
			return
		}
		var doc2 openapi2.T
		if rs.err = json.Unmarshal(b, &doc2); rs.err != nil {
			return
		}
		doc3, err := openapi2conv.ToV3(&doc2)
		if err != nil {
			rs.err = err
			return
		}
		if rs.err = openapi3.NewLoader().ResolveRefsIn(doc3, nil); rs.err != nil {
			return
		}
		ref := doc3.Components.Schemas["Event"]
		if ref == nil || ref.Value == nil {
			rs.err = fmt.Errorf("no Event definition")
			return
		}
		rs.schema = ref.Value
		rs.schema.Properties["allDay"].Value.Enum = nil
	})
	if rs.err != nil {
		t.Fatalf("reference contract %s: %v", file, rs.err)
	}
	return rs.schema
}

func checkReference(t *testing.T, body []byte) {
	t.Helper()
	checkReferenceOf(t, bookingReference, body)
}

// checkReferenceOf checks an Event, or an array of them, against the Event
// definition of a reference contract.
func checkReferenceOf(t *testing.T, file string, body []byte) {
	t.Helper()
	schema := referenceEventOf(t, file)
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	items := []any{v}
	if list, ok := v.([]any); ok {
		items = list
	}
	for _, it := range items {
		if err := schema.VisitJSON(it); err != nil {
			t.Errorf("response breaks the reference Event definition: %v\n%s", err, body)
		}
	}
}

// TestReferenceContract runs the Booking Room Pro connector's operations and
// checks every answer against the reference contract.
func TestReferenceContract(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	s.h.createRoom(s.admin, "ada", nil)
	s.h.createRoom(s.admin, "bob", nil)
	h, u := s.h, s.member

	body := event("ada", at(3, 9, 0), at(3, 10, 0))
	body["color"] = "#ff0000"
	body["description"] = "Planning"
	body["tags"] = []string{"team"}
	body["address"] = map[string]any{"fullAddress": "1 rue de Rivoli, Paris", "lat": 48.86, "lng": 2.34}
	created := h.do("POST", events(s.cal), &u, body)
	expect(t, created, 201, "")
	checkReference(t, created.body)
	ev := created.json(t)
	id := ev["id"].(string)
	if ev["resourceId"] != "ada" || ev["resourceName"] != "Room ada" || ev["duration"] != float64(3600000) || ev["status"] != "confirmed" || ev["calendarId"] != s.cal {
		t.Errorf("got %v, want the room, its name, a one-hour duration and confirmed", ev)
	}
	if loc := created.header.Get("Location"); loc != events(s.cal)+"/"+id {
		t.Errorf("got Location %q", loc)
	}

	got := h.do("GET", events(s.cal)+"/"+id, &u, nil)
	expect(t, got, 200, "")
	checkReference(t, got.body)
	list := h.do("GET", events(s.cal)+"?from="+at(2, 0, 0)+"&to="+at(9, 0, 0), &u, nil)
	expect(t, list, 200, "")
	checkReference(t, list.body)
	if !strings.Contains(string(list.body), id) {
		t.Errorf("the list lacks the event: %s", list.body)
	}

	moved := event("bob", at(4, 14, 0), at(4, 15, 30))
	patched := h.do("PATCH", events(s.cal)+"/"+id, &u, moved, "If-Match", created.header.Get("ETag"))
	expect(t, patched, 200, "")
	checkReference(t, patched.body)
	if m := patched.json(t); m["resourceId"] != "bob" || m["startDate"] != at(4, 14, 0) || m["id"] != id {
		t.Errorf("got %v, want the same event moved to bob on the 4th", m)
	}
	expect(t, h.do("PATCH", events(s.cal)+"/"+id, &u, moved, "If-Match", created.header.Get("ETag")), 412, teamspro.EPRECONDITION)
	// The old slot is free.
	expect(t, h.do("POST", events(s.cal), &u, event("ada", at(3, 9, 0), at(3, 10, 0))), 201, "")

	// Status codes of the contract.
	bad := event("ada", at(3, 12, 0), at(3, 13, 0))
	bad["title"] = strings.Repeat("x", 101)
	expect(t, h.do("POST", events(s.cal), &u, bad), 400, teamspro.EINVALID)
	expect(t, h.do("POST", events(s.cal), &u, map[string]any{"title": "no room"}), 400, teamspro.EINVALID)
	expect(t, h.do("POST", events(s.cal), &u, event("nope", at(3, 12, 0), at(3, 13, 0))), 404, teamspro.ENOTFOUND)
	expect(t, h.do("GET", events("0b5ad6a8-0000-4000-8000-000000000000"), &u, nil), 404, teamspro.ENOTFOUND)
	expect(t, h.do("GET", events(s.cal)+"/0b5ad6a8-0000-4000-8000-000000000000", &u, nil), 404, teamspro.ENOTFOUND)
	expect(t, h.do("GET", events(s.cal)+"/bad%20id", &u, nil), 400, teamspro.EINVALID)
	expect(t, h.do("DELETE", events(s.cal)+"/"+id, &u, nil), 204, "")
	expect(t, h.do("GET", events(s.cal)+"/"+id, &u, nil), 404, teamspro.ENOTFOUND)
	// A calendar (not booking) tab's calendar is not a booking calendar.
	calTab := h.do("PUT", "/api/tabs/cal", &s.admin, tabBody("calendar")).json(t)["calendarId"].(string)
	expect(t, h.do("GET", events(calTab), &u, nil), 404, teamspro.ENOTFOUND)
}

// TestBookingRules checks each rule's problem over HTTP.
func TestBookingRules(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	other := s.h.newUser(s.admin.tenant, false)
	s.h.createRoom(s.admin, "ruled", map[string]any{"timeZone": "Europe/Paris", "hours": map[string]any{"start": "08:00", "end": "19:00"},
		"days": []int{1, 2, 3, 4, 5}, "rules": map[string]any{"minMinutes": 30, "maxMinutes": 120, "maxDaysAhead": 14, "minNoticeMinutes": 60,
			"bufferMinutes": 15, "bookableBy": []string{s.member.oid}}})
	expect(t, s.h.do("POST", events(s.cal), &s.member, event("ruled", at(3, 9, 0), at(3, 10, 0))), 201, "")
	tests := []struct {
		name       string
		u          user
		start, end string
		status     int
		reason     string
	}{
		{"too short", s.member, at(3, 12, 0), at(3, 12, 15), 400, "too_short"},
		{"too long", s.member, at(3, 12, 0), at(3, 15, 0), 400, "too_long"},
		{"too far ahead", s.member, at(20, 12, 0), at(20, 13, 0), 400, "too_far_ahead"},
		{"too late notice", s.member, at(2, 7, 30), at(2, 8, 30), 400, "too_late_notice"},
		{"outside hours", s.member, at(3, 18, 0), at(3, 19, 0), 409, "outside_hours"}, // 19:00-20:00 Paris
		{"weekend", s.member, at(7, 10, 0), at(7, 11, 0), 409, "outside_hours"},
		{"crosses midnight", s.member, at(3, 22, 30), at(3, 23, 30), 400, "crosses_midnight"}, // 23:30 to 00:30 Paris
		{"not allowed", other, at(3, 12, 0), at(3, 13, 0), 403, "not_allowed"},
		{"within the buffer", s.member, at(3, 10, 10), at(3, 11, 0), 409, "within_buffer"},
		{"overlap", s.member, at(3, 9, 30), at(3, 10, 30), 409, "slot_taken"},
		{"after the buffer", s.member, at(3, 10, 15), at(3, 11, 0), 201, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.h.do("POST", events(s.cal), &tt.u, event("ruled", tt.start, tt.end))
			if res.status != tt.status || (tt.reason != "" && reason(t, res) != tt.reason) {
				t.Errorf("got %d %s, want %d %s", res.status, res.body, tt.status, tt.reason)
			}
		})
	}
	// An inactive room takes no new reservations.
	expect(t, s.h.do("PATCH", "/api/rooms/ruled", &s.admin, map[string]any{"active": false}), 200, "")
	res := s.h.do("POST", events(s.cal), &s.member, event("ruled", at(4, 12, 0), at(4, 13, 0)))
	if res.status != 400 || reason(t, res) != "inactive_room" {
		t.Errorf("inactive: got %d %s, want 400 inactive_room", res.status, res.body)
	}
}

func TestRoomManagement(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	manager := h.newUser(s.admin.tenant, false)
	expect(t, h.do("POST", "/api/rooms", &s.member, roomBody("x", nil)), 403, teamspro.EFORBIDDEN)
	room := h.createRoom(s.admin, "board", map[string]any{"managers": []string{manager.oid}, "rules": map[string]any{"checkInRequired": true}})
	if room["active"] != true || room["rules"].(map[string]any)["releaseAfterMinutes"] != float64(15) {
		t.Errorf("got %v, want active with the default release delay", room)
	}
	expect(t, h.do("POST", "/api/rooms", &s.admin, roomBody("board", nil)), 409, teamspro.ECONFLICT)
	expect(t, h.do("POST", "/api/rooms", &s.admin, roomBody("bad", map[string]any{"timeZone": "Mars/Base"})), 400, teamspro.EINVALID)

	// Managers change their room, except its managers; others may not.
	res := h.do("PATCH", "/api/rooms/board", &manager, map[string]any{"capacity": 20, "rules": map[string]any{"bufferMinutes": 5}})
	expect(t, res, 200, "")
	if m := res.json(t); m["capacity"] != float64(20) || m["name"] != "Room board" || m["rules"].(map[string]any)["checkInRequired"] != true {
		t.Errorf("PATCH: got %v, want capacity changed and the rest kept", m)
	}
	expect(t, h.do("PATCH", "/api/rooms/board", &manager, map[string]any{"managers": []string{}}), 403, teamspro.EFORBIDDEN)
	expect(t, h.do("PATCH", "/api/rooms/board", &s.member, map[string]any{"capacity": 2}), 403, teamspro.EFORBIDDEN)
	put := roomBody("", map[string]any{"managers": []string{manager.oid}})
	delete(put, "id")
	expect(t, h.do("PUT", "/api/rooms/board", &manager, put, "If-Match", `"1"`), 412, teamspro.EPRECONDITION)
	expect(t, h.do("PUT", "/api/rooms/board", &manager, put, "If-Match", res.header.Get("ETag")), 200, "")
	expect(t, h.do("GET", "/api/rooms/board", &s.member, nil), 200, "")
	if rooms := h.do("GET", "/api/rooms", &s.member, nil).json(t)["value"].([]any); len(rooms) != 1 {
		t.Errorf("got %d rooms, want 1", len(rooms))
	}

	// A room with future reservations is not deleted: deactivate it instead.
	ev := h.do("POST", events(s.cal), &s.member, event("board", at(3, 9, 0), at(3, 10, 0))).json(t)
	del := h.do("DELETE", "/api/rooms/board", &s.admin, nil)
	if del.status != 409 || reason(t, del) != "has_future_reservations" {
		t.Errorf("got %d %s, want 409 has_future_reservations", del.status, del.body)
	}
	expect(t, h.do("DELETE", "/api/rooms/board", &manager, nil), 403, teamspro.EFORBIDDEN)
	expect(t, h.do("DELETE", events(s.cal)+"/"+ev["id"].(string), &s.member, nil), 204, "")
	expect(t, h.do("DELETE", "/api/rooms/board", &s.admin, nil), 204, "")
	expect(t, h.do("GET", "/api/rooms/board", &s.member, nil), 404, teamspro.ENOTFOUND)
}

func TestApproval(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	manager := h.newUser(s.admin.tenant, false)
	other := h.newUser(s.admin.tenant, false)
	h.createRoom(s.admin, "exec", map[string]any{"managers": []string{manager.oid}, "rules": map[string]any{"requiresApproval": true}})

	first := h.do("POST", events(s.cal), &s.member, event("exec", at(3, 9, 0), at(3, 10, 0))).json(t)
	if first["status"] != "pending" {
		t.Fatalf("got %v, want pending", first["status"])
	}
	id := first["id"].(string)
	// A pending reservation holds its slot.
	expect(t, h.do("POST", events(s.cal), &other, event("exec", at(3, 9, 30), at(3, 10, 30))), 409, teamspro.ECONFLICT)
	expect(t, h.do("POST", "/api/reservations/"+id+"/approve", &other, nil), 403, teamspro.EFORBIDDEN)
	expect(t, h.do("POST", "/api/reservations/"+id+"/approve", &s.member, nil), 403, teamspro.EFORBIDDEN)
	dec := h.do("POST", "/api/reservations/"+id+"/decline", &manager, nil)
	expect(t, dec, 200, "")
	if dec.json(t)["status"] != "declined" {
		t.Errorf("got %s, want declined", dec.body)
	}
	res := h.do("POST", "/api/reservations/"+id+"/approve", &manager, nil)
	if res.status != 409 || reason(t, res) != "not_pending" {
		t.Errorf("approve a declined one: got %d %s, want 409 not_pending", res.status, res.body)
	}
	// Declined freed the slot.
	second := h.do("POST", events(s.cal), &other, event("exec", at(3, 9, 30), at(3, 10, 30)))
	expect(t, second, 201, "")
	id2 := second.json(t)["id"].(string)
	ok := h.do("POST", "/api/reservations/"+id2+"/approve", &s.admin, nil)
	expect(t, ok, 200, "")
	if ok.json(t)["status"] != "confirmed" {
		t.Errorf("got %s, want confirmed", ok.body)
	}
	// A manager's own booking needs no approval.
	own := h.do("POST", events(s.cal), &manager, event("exec", at(3, 12, 0), at(3, 13, 0)))
	if own.json(t)["status"] != "confirmed" {
		t.Errorf("manager's own booking: got %s, want confirmed", own.body)
	}
}

// releaseTimer is a timer invocation of release-unchecked as the host posts it.
const releaseTimer = `{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"2026-03-02T08:00:00+00:00","Next":"2026-03-02T08:10:00+00:00","LastUpdated":"2026-03-02T08:00:00+00:00"},"IsPastDue":false}},"Metadata":{"sys":{"MethodName":"release-unchecked","UtcNow":"2026-03-02T08:05:00.0121953Z","RandGuid":"5e1f2a4c-0b6e-4a5b-9f3e-2c7d8e9f0a1b"}}}`

func TestCheckInAndRelease(t *testing.T) {
	t.Parallel()
	s := bookingSetupOn(t, newIsolatedHarness(t)) // runs the cross-tenant release timer
	h := s.h
	h.createRoom(s.admin, "desk", map[string]any{"rules": map[string]any{"checkInRequired": true, "releaseAfterMinutes": 10}})
	h.createRoom(s.admin, "desk2", map[string]any{"rules": map[string]any{"checkInRequired": true, "releaseAfterMinutes": 10}})
	lazy := h.do("POST", events(s.cal), &s.member, event("desk", at(2, 8, 0), at(2, 9, 0))).json(t)
	keen := h.do("POST", events(s.cal), &s.member, event("desk2", at(2, 8, 0), at(2, 9, 0))).json(t)
	if lazy["checkInBy"] != at(2, 8, 10) {
		t.Errorf("got checkInBy %v, want 08:10", lazy["checkInBy"])
	}
	// Too early: the window opens 15 minutes before the start.
	res := h.do("POST", "/api/reservations/"+keen["id"].(string)+"/checkin", &s.member, nil)
	if res.status != 400 || reason(t, res) != "outside_check_in_window" {
		t.Errorf("early check-in: got %d %s", res.status, res.body)
	}
	stranger := h.newUser(s.admin.tenant, false)
	expect(t, h.do("POST", "/api/reservations/"+keen["id"].(string)+"/checkin", &stranger, nil), 403, teamspro.EFORBIDDEN)
	h.now = time.Date(2026, 3, 2, 7, 50, 0, 0, time.UTC)
	in := h.do("POST", "/api/reservations/"+keen["id"].(string)+"/checkin", &s.member, nil)
	expect(t, in, 200, "")
	if in.json(t)["checkedInAt"] == nil {
		t.Errorf("got %s, want checkedInAt", in.body)
	}

	// Before the release time nothing is released.
	h.now = time.Date(2026, 3, 2, 8, 9, 0, 0, time.UTC)
	if r := h.post("/release-unchecked", releaseTimer); r.status != 200 || !strings.Contains(string(r.body), `"released":0`) {
		t.Errorf("before release: got %d %s, want 0 released", r.status, r.body)
	}
	h.now = time.Date(2026, 3, 2, 8, 11, 0, 0, time.UTC)
	for i, want := range []int{1, 0} { // twice: idempotent
		r := h.post("/release-unchecked", releaseTimer)
		if r.status != 200 || !strings.Contains(string(r.body), fmt.Sprintf(`"released":%d`, want)) {
			t.Errorf("run %d: got %d %s, want %d released", i+1, r.status, r.body, want)
		}
	}
	got := h.do("GET", "/api/reservations/"+lazy["id"].(string), &s.member, nil).json(t)
	if got["status"] != "released" {
		t.Errorf("got %v, want released", got["status"])
	}
	if k := h.do("GET", "/api/reservations/"+keen["id"].(string), &s.member, nil).json(t); k["status"] != "confirmed" {
		t.Errorf("checked-in reservation: got %v, want confirmed", k["status"])
	}
	// The released slot can be booked again (a minute of notice is enough).
	expect(t, h.do("POST", events(s.cal), &s.admin, event("desk", at(2, 8, 20), at(2, 9, 0))), 201, "")
}

// TestRecurringBookings books a weekly series whose third week is taken:
// all or none by default, the free ones with skipConflicts.
func TestRecurringBookings(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	h.createRoom(s.admin, "weekly", nil)
	blocker := h.do("POST", events(s.cal), &s.admin, event("weekly", at(17, 9, 30), at(17, 10, 30)))
	expect(t, blocker, 201, "")

	series := event("weekly", at(3, 9, 0), at(3, 10, 0))
	series["rrule"] = map[string]any{"freq": "WEEKLY", "dtstart": at(3, 9, 0), "count": 4}
	res := h.do("POST", events(s.cal), &s.member, series)
	expect(t, res, 409, teamspro.ECONFLICT)
	conflicts := res.json(t)["extra"].(map[string]any)["conflicts"].([]any)
	if len(conflicts) != 1 || conflicts[0].(map[string]any)["start"] != at(17, 9, 0) {
		t.Errorf("got conflicts %v, want the one on the 17th", conflicts)
	}
	mine := h.do("GET", "/api/reservations/mine?from="+at(1, 0, 0)+"&to="+at(31, 0, 0), &s.member, nil).json(t)
	if n := len(mine["value"].([]any)); n != 0 {
		t.Errorf("got %d reservations after a refused series, want none", n)
	}
	// The slots of the refused series are free again.
	expect(t, h.do("POST", events(s.cal), &s.admin, event("weekly", at(10, 9, 0), at(10, 10, 0))), 201, "")

	series["skipConflicts"] = true
	series["rrule"] = map[string]any{"freq": "WEEKLY", "dtstart": at(3, 9, 0), "count": 4}
	res = h.do("POST", events(s.cal), &s.member, series)
	expect(t, res, 201, "")
	m := res.json(t)
	if m["occurrences"] != float64(2) || len(m["skipped"].([]any)) != 2 || m["rrule"] == nil {
		t.Errorf("got occurrences %v skipped %v, want 2 booked and 2 skipped, with the rule", m["occurrences"], m["skipped"])
	}
	mine = h.do("GET", "/api/reservations/mine?from="+at(1, 0, 0)+"&to="+at(31, 0, 0), &s.member, nil).json(t)
	if n := len(mine["value"].([]any)); n != 2 {
		t.Errorf("got %d of my reservations, want 2", n)
	}
	// modeRecurrence alone, bounded by maxDaysAhead: a work week.
	h.createRoom(s.admin, "daily", map[string]any{"rules": map[string]any{"maxDaysAhead": 6}})
	wk := event("daily", at(2, 12, 0), at(2, 13, 0))
	wk["modeRecurrence"] = "Workweek"
	res = h.do("POST", events(s.cal), &s.member, wk)
	expect(t, res, 201, "")
	if n := res.json(t)["occurrences"]; n != float64(5) {
		t.Errorf("got %v occurrences, want 5 (Monday to Friday)", n)
	}
	// A bounded series reaching past maxDaysAhead is refused, and says why.
	long := event("daily", at(2, 15, 0), at(2, 16, 0))
	long["rrule"] = map[string]any{"freq": "DAILY", "count": 10}
	res = h.do("POST", events(s.cal), &s.member, long)
	if res.status != 409 || reason(t, res) != "occurrences_refused" {
		t.Fatalf("got %d %s, want 409 occurrences_refused", res.status, res.body)
	}
	far := 0
	for _, c := range res.json(t)["extra"].(map[string]any)["conflicts"].([]any) {
		if c.(map[string]any)["reason"] == "too_far_ahead" {
			far++
		}
	}
	if far != 4 {
		t.Errorf("got %d occurrences too far ahead, want 4 (the 8th to the 11th)", far)
	}
}

func TestRoomsCSV(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	csvHeader := "Content-Type"
	bad := "id,name,capacity,timeZone,equipment,days,managers\n" +
		"a1,Alpha,10,Europe/Paris,screen;phone,1;2;3,\n" +
		"a2,,x,Mars/Base,,8,not-a-guid\n" +
		"a1,Again,4,UTC,,,\n"
	res := h.do("POST", "/api/rooms/import", &s.admin, bad, csvHeader, "text/csv")
	expect(t, res, 400, teamspro.EINVALID)
	rows := res.json(t)["extra"].(map[string]any)["rows"].([]any)
	fields := map[string]bool{}
	for _, r := range rows {
		m := r.(map[string]any)
		fields[fmt.Sprintf("%v:%v", m["row"], m["field"])] = true
	}
	for _, want := range []string{"3:name", "3:capacity", "3:timeZone", "3:days", "3:managers", "4:id"} {
		if !fields[want] {
			t.Errorf("got row errors %v, want one at %s", fields, want)
		}
	}
	if n := len(h.do("GET", "/api/rooms", &s.admin, nil).json(t)["value"].([]any)); n != 0 {
		t.Errorf("got %d rooms after a refused import, want none", n)
	}
	expect(t, h.do("POST", "/api/rooms/import", &s.admin, "id,name,colour\na,b,c\n", csvHeader, "text/csv"), 400, teamspro.EINVALID)
	expect(t, h.do("POST", "/api/rooms/import", &s.member, "id,name,timeZone\na,A,UTC\n", csvHeader, "text/csv"), 403, teamspro.EFORBIDDEN)
	expect(t, h.do("POST", "/api/rooms/import", &s.admin, `{"id":"a"}`), 415, teamspro.EUNSUPPORTEDMEDIA)

	good := "id,name,capacity,timeZone,equipment,days,hoursStart,hoursEnd,requiresApproval,managers\n" +
		"a1,Alpha,10,Europe/Paris,screen;phone,1;2;3,08:00,18:00,true," + s.member.oid + "\n" +
		"a2,Beta,4,UTC,,,,,false,\n"
	res = h.do("POST", "/api/rooms/import", &s.admin, good, csvHeader, "text/csv")
	expect(t, res, 200, "")
	if m := res.json(t); m["created"] != float64(2) || m["updated"] != float64(0) {
		t.Errorf("got %v, want 2 created", m)
	}
	alpha := h.do("GET", "/api/rooms/a1", &s.member, nil).json(t)
	if alpha["capacity"] != float64(10) || len(alpha["equipment"].([]any)) != 2 || alpha["rules"].(map[string]any)["requiresApproval"] != true {
		t.Errorf("got %v, want the CSV's values", alpha)
	}
	exp := h.do("GET", "/api/rooms/export", &s.admin, nil)
	expect(t, exp, 200, "")
	if !strings.HasPrefix(exp.header.Get("Content-Type"), "text/csv") || !strings.Contains(string(exp.body), "a1,Alpha,,10,,,screen;phone,false,Europe/Paris,,08:00,18:00,1;2;3") {
		t.Errorf("export: got %s", exp.body)
	}
	// Export then import: the same rooms, all updated.
	res = h.do("POST", "/api/rooms/import", &s.admin, string(exp.body), csvHeader, "text/csv")
	if m := res.json(t); res.status != 200 || m["updated"] != float64(2) || m["created"] != float64(0) {
		t.Errorf("re-import: got %d %v, want 2 updated", res.status, m)
	}
}

func TestAvailability(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	h.createRoom(s.admin, "small", map[string]any{"capacity": 4})
	h.createRoom(s.admin, "big", map[string]any{"capacity": 20, "equipment": []string{"screen", "vc"}})
	h.createRoom(s.admin, "busy", map[string]any{"capacity": 20, "equipment": []string{"vc", "screen"}, "rules": map[string]any{"bufferMinutes": 30}})
	h.createRoom(s.admin, "off", map[string]any{"capacity": 20, "equipment": []string{"vc", "screen"}, "active": false})
	expect(t, h.do("POST", events(s.cal), &s.member, event("busy", at(3, 8, 0), at(3, 9, 40))), 201, "")
	names := func(q string) []string {
		res := h.do("GET", "/api/rooms/availability?"+q, &s.member, nil)
		expect(t, res, 200, "")
		var out []string
		for _, r := range res.json(t)["value"].([]any) {
			out = append(out, r.(map[string]any)["id"].(string))
		}
		return out
	}
	win := "from=" + at(3, 10, 0) + "&to=" + at(3, 11, 0)
	if got := fmt.Sprint(names(win + "&capacity=10&equipment=vc,screen")); got != "[big]" {
		t.Errorf("got %s, want [big] (busy is within its buffer, off is inactive)", got)
	}
	if got := fmt.Sprint(names("from=" + at(3, 10, 10) + "&to=" + at(3, 11, 0) + "&equipment=vc")); got != "[big busy]" {
		t.Errorf("got %s, want [big busy]", got)
	}
	if got := fmt.Sprint(names(win + "&building=HQ&floor=2")); got != "[big small]" {
		t.Errorf("got %s, want [big small]", got)
	}
	expect(t, h.do("GET", "/api/rooms/availability?from=nope", &s.member, nil), 400, teamspro.EINVALID)
	expect(t, h.do("GET", "/api/rooms/availability?from="+at(3, 10, 0)+"&to=2026-06-01T00:00:00Z", &s.member, nil), 400, teamspro.EINVALID)
}

// TestBookingCrossTenant: another tenant (even an admin) finds nothing of the
// first one's rooms, calendars and reservations: 404 on every route.
func TestBookingCrossTenant(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	h.createRoom(s.admin, "mine", nil)
	ev := h.do("POST", events(s.cal), &s.member, event("mine", at(3, 9, 0), at(3, 10, 0))).json(t)
	id := ev["id"].(string)
	b := h.newUser("", true)
	h.bookingTab(b, "b-tab", nil)
	win := "?from=" + at(3, 0, 0) + "&to=" + at(4, 0, 0)
	tests := []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/rooms/mine", nil},
		{"PATCH", "/api/rooms/mine", map[string]any{"capacity": 1}},
		{"PUT", "/api/rooms/mine", map[string]any{"name": "x", "timeZone": "UTC"}},
		{"DELETE", "/api/rooms/mine", nil},
		{"GET", "/api/rooms/mine/schedule" + win, nil},
		{"GET", events(s.cal), nil},
		{"POST", events(s.cal), event("mine", at(3, 11, 0), at(3, 12, 0))},
		{"GET", events(s.cal) + "/" + id, nil},
		{"PATCH", events(s.cal) + "/" + id, event("mine", at(3, 11, 0), at(3, 12, 0))},
		{"DELETE", events(s.cal) + "/" + id, nil},
		{"GET", "/api/reservations/" + id, nil},
		{"POST", "/api/reservations/" + id + "/cancel", nil},
		{"POST", "/api/reservations/" + id + "/checkin", nil},
		{"POST", "/api/reservations/" + id + "/approve", nil},
		{"POST", "/api/reservations/" + id + "/decline", nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			expect(t, h.do(tt.method, tt.path, &b, tt.body), 404, teamspro.ENOTFOUND)
		})
	}
	// Nor does b see a's rooms in its lists and searches.
	if rooms := h.do("GET", "/api/rooms", &b, nil).json(t)["value"].([]any); len(rooms) != 0 {
		t.Errorf("got %d rooms of another tenant", len(rooms))
	}
	if rooms := h.do("GET", "/api/rooms/availability"+win, &b, nil).json(t)["value"].([]any); len(rooms) != 0 {
		t.Errorf("got %d free rooms of another tenant", len(rooms))
	}
	if exp := h.do("GET", "/api/rooms/export", &b, nil); strings.Contains(string(exp.body), "mine") {
		t.Errorf("export shows another tenant's room")
	}
	// And a's data is untouched.
	if got := h.do("GET", events(s.cal)+"/"+id, &s.member, nil).json(t); got["status"] != "confirmed" || got["startDate"] != at(3, 9, 0) {
		t.Errorf("a's reservation changed: %v", got)
	}

}

// TestRecurringReservationSharesCalendarRecurrence: a reservation's rrule is
// Calendar Pro's: an RFC 5545 string and nth weekdays are accepted.
func TestRecurringReservationSharesCalendarRecurrence(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	h.createRoom(s.admin, "rr", nil)
	body := event("rr", at(6, 9, 0), at(6, 10, 0)) // Friday 6 March
	body["rrule"] = "FREQ=WEEKLY;BYDAY=FR;COUNT=3"
	res := h.do("POST", events(s.cal), &s.member, body)
	expect(t, res, 201, "")
	sched := h.do("GET", "/api/rooms/rr/schedule?from="+at(1, 0, 0)+"&to="+at(31, 0, 0), &s.member, nil).json(t)
	if n := len(sched["value"].([]any)); n != 3 {
		t.Errorf("RFC 5545 rrule: got %d reservations, want 3", n)
	}
	body = event("rr", at(27, 9, 0), at(27, 10, 0)) // the last Friday of March
	body["rrule"] = map[string]any{"freq": "MONTHLY", "count": 2, "byweekday": []any{map[string]any{"weekday": 4, "n": -1}}}
	res = h.do("POST", events(s.cal), &s.member, body)
	expect(t, res, 201, "")
	sched = h.do("GET", "/api/rooms/rr/schedule?from="+at(27, 0, 0)+"&to=2026-05-01T00:00:00Z", &s.member, nil).json(t)
	var starts []string
	for _, r := range sched["value"].([]any) {
		starts = append(starts, r.(map[string]any)["startDate"].(string))
	}
	if len(starts) != 2 || starts[1] != "2026-04-24T09:00:00Z" {
		t.Errorf("last Friday monthly: got %v, want 27 March and 24 April", starts)
	}
}

// TestRoomChangeAppliesAtOnce: bookings read rooms through a cache, yet a
// change of a room made through the API applies to the very next booking, and
// a deactivated room takes no more.
func TestRoomChangeAppliesAtOnce(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	h.createRoom(s.admin, "swap", nil)
	first := h.do("POST", events(s.cal), &s.member, event("swap", at(2, 10, 0), at(2, 11, 0)))
	expect(t, first, 201, "")
	if got := first.json(t)["status"]; got != "confirmed" {
		t.Fatalf("got %v, want confirmed", got)
	}
	room := h.do("GET", "/api/rooms/swap", &s.admin, nil)
	expect(t, room, 200, "")
	put := roomBody("swap", map[string]any{"rules": map[string]any{"requiresApproval": true}})
	delete(put, "id")
	expect(t, h.do("PUT", "/api/rooms/swap", &s.admin, put, "If-Match", room.header.Get("ETag")), 200, "")
	second := h.do("POST", events(s.cal), &s.member, event("swap", at(2, 11, 0), at(2, 12, 0)))
	expect(t, second, 201, "")
	if got := second.json(t)["status"]; got != "pending" {
		t.Errorf("booking right after the room began requiring approval: got %v, want pending", got)
	}
	expect(t, h.do("PATCH", "/api/rooms/swap", &s.admin, map[string]any{"active": false}), 200, "")
	refused := h.do("POST", events(s.cal), &s.member, event("swap", at(2, 14, 0), at(2, 15, 0)))
	if refused.status < 400 || reason(t, refused) != "inactive_room" {
		t.Errorf("booking right after the room was deactivated: got %d %s, want it refused (inactive_room)", refused.status, refused.body)
	}
}

// TestReservationParticipants: a reservation keeps the people it is booked
// for, validated as Calendar Pro's participants, and a bad one is refused
// with its field named.
func TestReservationParticipants(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	h.createRoom(s.admin, "team", nil)
	tests := []struct {
		name         string
		participants []map[string]any
		status       int
		field        string
	}{
		{"kept", []map[string]any{{"email": "bob@contoso.example", "name": "Bob"}, {"objectId": "AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE"}}, 201, ""},
		{"bad mail address", []map[string]any{{"email": "not a mail"}}, 400, "participants[0].email"},
		{"nobody named", []map[string]any{{"name": "Nobody"}}, 400, "participants[0]"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := event("team", at(3, 8+i, 0), at(3, 9+i, 0))
			body["participants"] = tt.participants
			res := h.do("POST", events(s.cal), &s.member, body)
			if res.status != tt.status {
				t.Fatalf("got %d %s, want %d", res.status, res.body, tt.status)
			}
			if tt.status != 201 {
				if !strings.Contains(string(res.body), `"field":"`+tt.field+`"`) {
					t.Errorf("got %s, want a field error on %s", res.body, tt.field)
				}
				return
			}
			id := res.json(t)["id"].(string)
			got := h.do("GET", "/api/reservations/"+id, &s.member, nil).json(t)["participants"]
			ps, _ := got.([]any)
			if len(ps) != 2 || ps[0].(map[string]any)["email"] != "bob@contoso.example" ||
				ps[1].(map[string]any)["objectId"] != "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee" {
				t.Errorf("participants read back: got %v, want Bob's mail and the lower-cased object id", got)
			}
		})
	}
}
