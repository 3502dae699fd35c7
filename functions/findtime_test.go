package functions_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/dispatch"
	"github.com/teamspro/functions/internal/entra"
	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/teamspro"
)

// newFindHarness is a harness whose calendar changes are announced by the
// product's dispatcher, with the busy index as its projection, as
// handler/serve.go wires them: the index follows the real change stream.
func newFindHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t)
	h.now = monday
	q, err := notify.NewQueue(func(context.Context, notify.Delivery) error { return nil }, notify.QueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Close() })
	d := h.srv.Deps
	d.Dispatcher, err = dispatch.New(dispatch.Config{Publisher: q, Profiles: d.Directory, Tabs: storesOf(h.client).tabs, Events: tables.NewEventStore(h.client),
		Rooms: storesOf(h.client).rooms, Reservations: storesOf(h.client).reservations,
		Outgoing: tables.NewEventStore(h.client), Projections: []dispatch.EventProjection{tables.NewBusyStore(h.client)},
		Now: func() time.Time { return h.now }})
	if err != nil {
		t.Fatal(err)
	}
	h.srv = newServer(t, h.client, d)
	h.http = newTestServer(t, h.srv)
	return h
}

// person signs in a user of tenant with a name and UPN of their own.
func (h *harness) person(tenant, name string, admin bool) user {
	h.t.Helper()
	u := user{tenant: tenant, oid: uuid.NewString()}
	tok, err := h.dev.Mint(entra.DevClaims{TenantID: tenant, ObjectID: u.oid, Name: name, UPN: strings.ToLower(name) + "@contoso.example",
		Admin: admin, Role: "TeamsPro.Admin", Scope: "access_as_user"}, time.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	u.token = tok
	expect(h.t, h.do("GET", "/api/me", &u, nil), 200, "")
	return u
}

func upnOf(name string) string { return strings.ToLower(name) + "@contoso.example" }

// findAnswer is the answer of POST /api/findtime.
type findAnswer struct {
	Slots []struct {
		Start time.Time `json:"start"`
		End   time.Time `json:"end"`
		Rooms []struct {
			ID string `json:"id"`
		} `json:"rooms"`
	} `json:"slots"`
	Participants []struct {
		ObjectID string `json:"objectId"`
		UPN      string `json:"upn"`
	} `json:"participants"`
	Explanation *struct {
		Reason       string `json:"reason"`
		Participants []struct {
			ObjectID string `json:"objectId"`
			UPN      string `json:"upn"`
			Busy     []struct {
				Start time.Time `json:"start"`
				End   time.Time `json:"end"`
				Kind  string    `json:"kind"`
				Title *string   `json:"title"`
			} `json:"busy"`
		} `json:"participants"`
		MatchingRooms *int `json:"matchingRooms"`
	} `json:"explanation"`
}

func (h *harness) find(t *testing.T, u *user, body map[string]any) findAnswer {
	t.Helper()
	res := h.do("POST", "/api/findtime", u, body)
	expect(t, res, 200, "")
	var a findAnswer
	if err := json.Unmarshal(res.body, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// busyOn returns, for each participant named (object id or UPN), who is
// busy when on a day between 06:00 and 20:00 UTC, as "HH:MM-HH:MM kind
// title" (title "-" when hidden): the explanation of a search that cannot
// fit, asking for the whole 14 hours. A participant with nothing that day
// maps to an empty list.
func (h *harness) busyOn(t *testing.T, u *user, day string, who ...string) map[string][]string {
	t.Helper()
	a := h.find(t, u, map[string]any{"participants": who, "durationMinutes": 720, "timeZone": "UTC",
		"from": day + "T06:00:00Z", "to": day + "T20:00:00Z", "workingHours": map[string]any{"start": "06:00", "end": "20:00"}})
	out := map[string][]string{}
	if a.Explanation == nil {
		for _, p := range a.Participants {
			out[firstNonEmptyStr(p.ObjectID, p.UPN)] = []string{}
		}
		return out
	}
	for _, p := range a.Explanation.Participants {
		list := []string{}
		for _, b := range p.Busy {
			title := "-"
			if b.Title != nil {
				title = *b.Title
			}
			list = append(list, fmt.Sprintf("%s-%s %s %s", b.Start.UTC().Format("15:04"), b.End.UTC().Format("15:04"), b.Kind, title))
		}
		out[firstNonEmptyStr(p.ObjectID, p.UPN)] = list
	}
	return out
}

func firstNonEmptyStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func checkBusy(t *testing.T, step string, got map[string][]string, want map[string][]string) {
	t.Helper()
	for k, w := range want {
		if g := got[k]; !slices.Equal(g, w) {
			t.Errorf("%s: %s busy %q, want %q", step, k, g, w)
		}
	}
}

// TestFindTimeFollowsCalendarChanges proves the busy index in step with
// Calendar Pro's writes, through the outbox relay: create, patch (time and
// participants: Carol, invited by UPN, is now named by object id, so her
// rows change partition), delete, restore, a series, one occurrence cancelled and one
// moved, and a split. People are named by object id, by UPN only (a user who
// signed in) and by address only (a guest).
func TestFindTimeFollowsCalendarChanges(t *testing.T) {
	t.Parallel()
	h := newFindHarness(t)
	tenant := uuid.NewString()
	alice, bob, carol := h.person(tenant, "Alice", true), h.person(tenant, "Bob", false), h.person(tenant, "Carol", false)
	guest := "dan@guest.example"
	cal := h.newTab(alice, "calendar", "ft-cal-"+uuid.NewString()[:8], nil)
	who := []string{bob.oid, upnOf("Carol"), guest}

	res := h.do("POST", calEvents(cal), &alice, calEvent("Design review", "2026-03-03T09:00:00Z", "2026-03-03T10:00:00Z", "UTC",
		map[string]any{"participants": []map[string]any{{"objectId": bob.oid}, {"upn": upnOf("Carol")}, {"email": guest}}}))
	expect(t, res, 201, "")
	id := res.json(t)["id"].(string)
	review := []string{"09:00-10:00 event Design review"}
	checkBusy(t, "created", h.busyOn(t, &alice, "2026-03-03", who...), map[string][]string{
		alice.oid: review, bob.oid: review, carol.oid: review, guest: review})

	res = h.do("PATCH", calEvents(cal)+"/"+id, &alice, map[string]any{"startDate": "2026-03-03T11:00:00Z", "endDate": "2026-03-03T12:00:00Z",
		"participants": []map[string]any{{"objectId": carol.oid}}})
	expect(t, res, 200, "")
	moved := []string{"11:00-12:00 event Design review"}
	checkBusy(t, "patched", h.busyOn(t, &alice, "2026-03-03", who...), map[string][]string{
		alice.oid: moved, bob.oid: {}, carol.oid: moved, guest: {}})

	expect(t, h.do("DELETE", calEvents(cal)+"/"+id, &alice, nil), 204, "")
	checkBusy(t, "deleted", h.busyOn(t, &alice, "2026-03-03", who...), map[string][]string{
		alice.oid: {}, bob.oid: {}, carol.oid: {}, guest: {}})

	expect(t, h.do("POST", calEvents(cal)+"/"+id+"/restore", &alice, nil), 200, "")
	checkBusy(t, "restored", h.busyOn(t, &alice, "2026-03-03", who...), map[string][]string{
		alice.oid: moved, bob.oid: {}, carol.oid: moved})

	res = h.do("POST", calEvents(cal), &carol, calEvent("Weekly", "2026-03-03T14:00:00Z", "2026-03-03T15:00:00Z", "UTC",
		map[string]any{"modeRecurrence": "Weekly", "participants": []map[string]any{{"objectId": bob.oid}}}))
	expect(t, res, 201, "")
	series := res.json(t)["id"].(string)
	weekly := "14:00-15:00 event Weekly"
	checkBusy(t, "series", h.busyOn(t, &bob, "2026-03-03", bob.oid), map[string][]string{bob.oid: {weekly}})
	checkBusy(t, "series next week", h.busyOn(t, &bob, "2026-03-10", bob.oid), map[string][]string{bob.oid: {weekly}})

	occ := calEvents(cal) + "/" + series + "/occurrences/"
	expect(t, h.do("DELETE", occ+"2026-03-03T14:00:00Z", &carol, nil), 204, "")
	checkBusy(t, "occurrence cancelled", h.busyOn(t, &bob, "2026-03-03", bob.oid, upnOf("Carol")), map[string][]string{bob.oid: {}, carol.oid: moved})
	expect(t, h.do("PUT", occ+"2026-03-10T14:00:00Z", &carol, map[string]any{"startDate": "2026-03-10T16:00:00Z", "endDate": "2026-03-10T17:00:00Z"}), 200, "")
	checkBusy(t, "occurrence moved", h.busyOn(t, &bob, "2026-03-10", bob.oid), map[string][]string{bob.oid: {"16:00-17:00 event Weekly"}})

	cur := h.do("GET", calEvents(cal)+"/"+series, &carol, nil)
	expect(t, cur, 200, "")
	sp := h.do("POST", occ+"2026-03-17T14:00:00Z/split", &carol, map[string]any{"title": "Weekly, earlier",
		"startDate": "2026-03-17T08:00:00Z", "endDate": "2026-03-17T09:00:00Z"}, "If-Match", cur.header.Get("ETag"))
	expect(t, sp, 201, "")
	for _, day := range []string{"2026-03-17", "2026-03-24"} {
		checkBusy(t, "split "+day, h.busyOn(t, &bob, day, bob.oid), map[string][]string{bob.oid: {"08:00-09:00 event Weekly, earlier"}})
	}
	checkBusy(t, "before the split", h.busyOn(t, &bob, "2026-03-10", bob.oid), map[string][]string{bob.oid: {"16:00-17:00 event Weekly"}})
}

// TestFindTimeFollowsReservations proves the index in step with the booking
// write path's roll-forward: book, move, cancel, and a series with one
// occurrence cancelled; organizer and participants both.
func TestFindTimeFollowsReservations(t *testing.T) {
	t.Parallel()
	h := newFindHarness(t)
	tenant := uuid.NewString()
	alice, bob, carol := h.person(tenant, "Alice", true), h.person(tenant, "Bob", false), h.person(tenant, "Carol", false)
	h.createRoom(alice, "ft-r1", nil)
	book := h.bookingTab(alice, "ft-book-"+uuid.NewString()[:8], nil)

	body := event("ft-r1", "2026-03-03T09:00:00Z", "2026-03-03T10:00:00Z")
	body["participants"] = []map[string]any{{"objectId": carol.oid}}
	res := h.do("POST", events(book), &bob, body)
	expect(t, res, 201, "")
	id := res.json(t)["id"].(string)
	sync := []string{"09:00-10:00 reservation Weekly sync"}
	checkBusy(t, "booked", h.busyOn(t, &alice, "2026-03-03", bob.oid, carol.oid), map[string][]string{alice.oid: {}, bob.oid: sync, carol.oid: sync})

	expect(t, h.do("PATCH", events(book)+"/"+id, &bob, map[string]any{"startDate": "2026-03-04T13:00:00Z", "endDate": "2026-03-04T14:00:00Z"}), 200, "")
	checkBusy(t, "moved away", h.busyOn(t, &alice, "2026-03-03", bob.oid, carol.oid), map[string][]string{bob.oid: {}, carol.oid: {}})
	checkBusy(t, "moved to", h.busyOn(t, &alice, "2026-03-04", bob.oid, carol.oid), map[string][]string{
		bob.oid: {"13:00-14:00 reservation Weekly sync"}, carol.oid: {"13:00-14:00 reservation Weekly sync"}})

	expect(t, h.do("POST", "/api/reservations/"+id+"/cancel", &bob, nil), 200, "")
	checkBusy(t, "cancelled", h.busyOn(t, &alice, "2026-03-04", bob.oid, carol.oid), map[string][]string{bob.oid: {}, carol.oid: {}})

	body = event("ft-r1", "2026-03-03T10:00:00Z", "2026-03-03T11:00:00Z")
	body["modeRecurrence"], body["rrule"] = "Daily", map[string]any{"count": 3}
	expect(t, h.do("POST", events(book), &bob, body), 201, "")
	daily := []string{"10:00-11:00 reservation Weekly sync"}
	for _, day := range []string{"2026-03-03", "2026-03-04", "2026-03-05"} {
		checkBusy(t, "series "+day, h.busyOn(t, &alice, day, bob.oid), map[string][]string{bob.oid: daily})
	}
	mine := h.do("GET", "/api/reservations/mine?from=2026-03-04&to=2026-03-05", &bob, nil)
	expect(t, mine, 200, "")
	var page struct {
		Value []struct {
			ID     string    `json:"id"`
			Start  time.Time `json:"startDate"`
			Status string    `json:"status"`
		} `json:"value"`
	}
	if err := json.Unmarshal(mine.body, &page); err != nil {
		t.Fatal(err)
	}
	var wed string
	for _, r := range page.Value {
		if r.Start.Equal(time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)) && r.Status == "confirmed" {
			wed = r.ID
		}
	}
	if wed == "" {
		t.Fatalf("got no Wednesday occurrence in %s", mine.body)
	}
	expect(t, h.do("POST", "/api/reservations/"+wed+"/cancel", &bob, nil), 200, "")
	checkBusy(t, "occurrence cancelled", h.busyOn(t, &alice, "2026-03-04", bob.oid), map[string][]string{bob.oid: {}})
	checkBusy(t, "other occurrence kept", h.busyOn(t, &alice, "2026-03-05", bob.oid), map[string][]string{bob.oid: daily})
}

// TestFindTimeExplanationHidesTitles: an explanation shows who is busy when,
// and the title only of items whose calendar the caller can open, or of the
// caller's own.
func TestFindTimeExplanationHidesTitles(t *testing.T) {
	t.Parallel()
	h := newFindHarness(t)
	tenant := uuid.NewString()
	alice, bob, carol := h.person(tenant, "Alice", true), h.person(tenant, "Bob", false), h.person(tenant, "Carol", false)
	tabID := "ft-secret-" + uuid.NewString()[:8]
	cal := h.newTab(alice, "calendar", tabID, nil)
	expect(t, h.do("POST", calEvents(cal), &alice, calEvent("Merger talks", "2026-03-03T09:00:00Z", "2026-03-03T10:00:00Z", "UTC",
		map[string]any{"participants": []map[string]any{{"objectId": bob.oid}}})), 201, "")

	checkBusy(t, "readable calendar", h.busyOn(t, &carol, "2026-03-03", bob.oid), map[string][]string{bob.oid: {"09:00-10:00 event Merger talks"}})
	expect(t, h.do("DELETE", "/api/tabs/"+tabID, &alice, nil), 204, "")
	checkBusy(t, "deleted calendar", h.busyOn(t, &carol, "2026-03-03", bob.oid), map[string][]string{bob.oid: {"09:00-10:00 event -"}})
	checkBusy(t, "own item", h.busyOn(t, &bob, "2026-03-03", bob.oid), map[string][]string{bob.oid: {"09:00-10:00 event Merger talks"}})
}

// TestFindTimeSlotsAndBooking: the earliest slots with a room, booking one
// in one step through the booking tab, and the refusals that come with
// fresh suggestions.
func TestFindTimeSlotsAndBooking(t *testing.T) {
	t.Parallel()
	h := newFindHarness(t)
	tenant := uuid.NewString()
	alice, bob, dan := h.person(tenant, "Alice", true), h.person(tenant, "Bob", false), h.person(tenant, "Dan", false)
	h.createRoom(alice, "ft-small", map[string]any{"capacity": 4, "hours": map[string]any{"start": "08:00", "end": "18:00"}})
	h.createRoom(alice, "ft-big", map[string]any{"capacity": 12})
	h.createRoom(alice, "ft-elsewhere", map[string]any{"capacity": 4, "building": "Annex"})
	cal := h.newTab(alice, "calendar", "ft-c-"+uuid.NewString()[:8], nil)
	book := h.bookingTab(alice, "ft-b-"+uuid.NewString()[:8], nil)
	expect(t, h.do("POST", calEvents(cal), &bob, calEvent("Dentist", "2026-03-03T08:00:00Z", "2026-03-03T09:30:00Z", "UTC", nil)), 201, "")

	req := map[string]any{"participants": []string{upnOf("Bob")}, "durationMinutes": 60, "timeZone": "UTC",
		"from": "2026-03-03T08:00:00Z", "to": "2026-03-03T12:00:00Z", "room": map[string]any{"capacity": 3, "building": "hq"}, "max": 3}
	a := h.find(t, &alice, req)
	var got []string
	for _, s := range a.Slots {
		var rooms []string
		for _, r := range s.Rooms {
			rooms = append(rooms, r.ID)
		}
		got = append(got, s.Start.Format("15:04")+" "+strings.Join(rooms, ","))
	}
	if want := []string{"09:30 ft-small,ft-big", "09:45 ft-small,ft-big", "10:00 ft-small,ft-big"}; !slices.Equal(got, want) {
		t.Fatalf("got slots %q, want %q", got, want)
	}

	booking := map[string]any{"calendarId": book, "start": "2026-03-03T09:30:00Z", "roomId": "ft-small", "title": "Plan"}
	for k, v := range req {
		booking[k] = v
	}
	res := h.do("POST", "/api/findtime/book", &alice, booking)
	expect(t, res, 201, "")
	r := res.json(t)
	if r["resourceId"] != "ft-small" || r["startDate"] != "2026-03-03T09:30:00Z" || r["endDate"] != "2026-03-03T10:30:00Z" || len(r["participants"].([]any)) != 2 {
		t.Errorf("got reservation %s, want ft-small 09:30-10:30 with Alice and Bob", res.body)
	}
	if a := h.find(t, &alice, req); len(a.Slots) == 0 || a.Slots[0].Start.Format("15:04") != "10:30" {
		t.Errorf("after booking, got first slot %v, want 10:30 (Alice and Bob now booked until then)", a.Slots)
	}

	// Bob is taken now: refused with fresh suggestions, nothing booked.
	res = h.do("POST", "/api/findtime/book", &alice, booking)
	expect(t, res, 409, teamspro.ECONFLICT)
	if reason(t, res) != "participant_busy" || len(suggestionsOf(t, res)) == 0 {
		t.Errorf("got %s, want participant_busy with suggestions", res.body)
	}

	// The room was booked meanwhile by someone else: the guarded batch refuses.
	expect(t, h.do("POST", events(book), &dan, event("ft-small", "2026-03-03T11:00:00Z", "2026-03-03T12:00:00Z")), 201, "")
	booking["start"] = "2026-03-03T11:00:00Z"
	res = h.do("POST", "/api/findtime/book", &alice, booking)
	expect(t, res, 409, teamspro.ECONFLICT)
	if reason(t, res) != "slot_taken" {
		t.Errorf("got reason %q, want slot_taken", reason(t, res))
	}
	for _, s := range suggestionsOf(t, res) {
		if s["start"] == "2026-03-03T11:00:00Z" && strings.Contains(fmt.Sprint(s["rooms"]), "ft-small") {
			t.Errorf("got suggestion %v, want the taken room left out", s)
		}
	}
	if len(suggestionsOf(t, res)) == 0 {
		t.Errorf("got no suggestions in %s", res.body)
	}
}

func suggestionsOf(t *testing.T, r response) []map[string]any {
	t.Helper()
	extra, _ := r.json(t)["extra"].(map[string]any)
	list, _ := extra["suggestions"].([]any)
	var out []map[string]any
	for _, s := range list {
		out = append(out, s.(map[string]any))
	}
	return out
}

// TestFindTimeBookOnceUnderContention: eight people book the same suggested
// room and time at once, each with nobody else: the booking batch lets one
// through.
func TestFindTimeBookOnceUnderContention(t *testing.T) {
	t.Parallel()
	h := newFindHarness(t)
	tenant := uuid.NewString()
	alice := h.person(tenant, "Alice", true)
	h.createRoom(alice, "ft-hot", nil)
	book := h.bookingTab(alice, "ft-hot-"+uuid.NewString()[:8], nil)
	var people []user
	for i := range 8 {
		people = append(people, h.person(tenant, fmt.Sprintf("P%d", i), false))
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[int]int{}
	)
	for _, u := range people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := h.do("POST", "/api/findtime/book", &u, map[string]any{"calendarId": book, "durationMinutes": 60, "timeZone": "UTC",
				"from": "2026-03-03T08:00:00Z", "to": "2026-03-03T18:00:00Z", "room": map[string]any{},
				"start": "2026-03-03T14:00:00Z", "roomId": "ft-hot", "title": "Mine"})
			mu.Lock()
			statuses[res.status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if statuses[201] != 1 || statuses[409] != 7 {
		t.Errorf("got statuses %v, want one 201 and seven 409", statuses)
	}
}

// TestFindTimeExplains: each reason of an empty answer.
func TestFindTimeExplains(t *testing.T) {
	t.Parallel()
	h := newFindHarness(t)
	tenant := uuid.NewString()
	alice, bob, eve := h.person(tenant, "Alice", true), h.person(tenant, "Bob", false), h.person(tenant, "Eve", false)
	h.createRoom(alice, "ft-x", nil)
	book := h.bookingTab(alice, "ft-x-"+uuid.NewString()[:8], nil)
	expect(t, h.do("POST", events(book), &eve, event("ft-x", "2026-03-03T08:00:00Z", "2026-03-03T18:00:00Z")), 201, "")
	cal := h.newTab(alice, "calendar", "ft-xc-"+uuid.NewString()[:8], nil)
	expect(t, h.do("POST", calEvents(cal), &bob, calEvent("Offsite", "2026-03-04T08:00:00Z", "2026-03-04T18:00:00Z", "UTC", nil)), 201, "")
	base := func(day string, extra map[string]any) map[string]any {
		b := map[string]any{"participants": []string{bob.oid}, "durationMinutes": 60, "timeZone": "UTC",
			"from": day + "T08:00:00Z", "to": day + "T18:00:00Z"}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	for _, tc := range []struct {
		name, reason string
		body         map[string]any
		rooms        int
	}{
		{"no room free", "no_room", base("2026-03-03", map[string]any{"room": map[string]any{}}), 1},
		{"no room matches", "no_matching_room", base("2026-03-03", map[string]any{"room": map[string]any{"capacity": 500}}), 0},
		{"weekend only", "no_time_in_window", base("2026-03-03", map[string]any{"days": []int{0, 6}}), -1},
		{"window past", "no_time_in_window", base("2026-03-01", nil), -1},
		{"participant away", "participants_busy", base("2026-03-04", nil), -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := h.find(t, &alice, tc.body)
			if len(a.Slots) != 0 || a.Explanation == nil {
				t.Fatalf("got slots %v, want none and an explanation", a.Slots)
			}
			if a.Explanation.Reason != tc.reason {
				t.Errorf("got reason %q, want %q", a.Explanation.Reason, tc.reason)
			}
			if got := a.Explanation.MatchingRooms; (tc.rooms < 0) != (got == nil) || (got != nil && *got != tc.rooms) {
				t.Errorf("got matchingRooms %v, want %d", got, tc.rooms)
			}
		})
	}
}

// TestFindTimeBadInput: problems name the fields, and nothing is read.
func TestFindTimeBadInput(t *testing.T) {
	t.Parallel()
	h := newFindHarness(t)
	alice := h.person(uuid.NewString(), "Alice", false)
	ok := func(extra map[string]any) map[string]any {
		b := map[string]any{"durationMinutes": 30, "timeZone": "UTC", "from": "2026-03-03T08:00:00Z", "to": "2026-03-03T18:00:00Z"}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	for _, tc := range []struct {
		name, path, field string
		body              any
		status            int
		code              string
	}{
		{"duration", "/api/findtime", "durationMinutes", ok(map[string]any{"durationMinutes": 0}), 400, teamspro.EINVALID},
		{"backwards", "/api/findtime", "to", ok(map[string]any{"to": "2026-03-02T08:00:00Z"}), 400, teamspro.EINVALID},
		{"too long", "/api/findtime", "to", ok(map[string]any{"to": "2026-05-03T08:00:00Z"}), 400, teamspro.EINVALID},
		{"zone", "/api/findtime", "timeZone", ok(map[string]any{"timeZone": "Mars/Olympus"}), 400, teamspro.EINVALID},
		{"participant", "/api/findtime", "participants", ok(map[string]any{"participants": []string{"not a user"}}), 400, teamspro.EINVALID},
		{"hours", "/api/findtime", "workingHours", ok(map[string]any{"workingHours": map[string]any{"start": "18:00", "end": "09:00"}}), 400, teamspro.EINVALID},
		{"unknown member", "/api/findtime", "", ok(map[string]any{"colour": "red"}), 400, teamspro.EINVALID},
		{"unknown tab", "/api/findtime", "calendarId", ok(map[string]any{"calendarId": "nope"}), 404, teamspro.ENOTFOUND},
		{"book without tab", "/api/findtime/book", "calendarId", ok(map[string]any{"start": "2026-03-03T09:00:00Z", "roomId": "r", "title": "x"}), 400, teamspro.EINVALID},
		{"book through an unknown tab", "/api/findtime/book", "calendarId", ok(map[string]any{"calendarId": "nope", "start": "2026-03-03T09:00:00Z", "roomId": "r", "title": "x"}), 404, teamspro.ENOTFOUND},
		{"not JSON", "/api/findtime", "", "{", 400, teamspro.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := h.do("POST", tc.path, &alice, tc.body)
			expect(t, res, tc.status, tc.code)
			if tc.field == "" || tc.status != 400 {
				return
			}
			var p struct {
				Errors []struct{ Field string } `json:"errors"`
			}
			_ = json.Unmarshal(res.body, &p)
			if !slices.ContainsFunc(p.Errors, func(e struct{ Field string }) bool { return e.Field == tc.field }) {
				t.Errorf("got errors %s, want field %s", res.body, tc.field)
			}
		})
	}
	expect(t, h.do("POST", "/api/findtime", nil, ok(nil)), 401, teamspro.EUNAUTHORIZED)
}

// TestFindTimeBackfill: an event stored while nothing fed the index (as
// before the index existed: this harness relays no change) is not seen by
// find a time, until the repair timer's runs have taken the backfill to its
// end; then it is, and the timer's answer says the backfill is done.
func TestFindTimeBackfill(t *testing.T) {
	t.Parallel()
	h := newIsolatedHarness(t)
	h.now = monday
	h.srv.Backfill = tables.NewBusyBackfill(h.client)
	tenant := uuid.NewString()
	alice, bob := h.person(tenant, "Alice", true), h.person(tenant, "Bob", false)
	cal := h.newTab(alice, "calendar", "ft-bf-"+uuid.NewString()[:8], nil)
	expect(t, h.do("POST", calEvents(cal), &alice, calEvent("Planning", "2026-03-03T09:00:00Z", "2026-03-03T10:00:00Z", "UTC",
		map[string]any{"participants": []map[string]any{{"objectId": bob.oid}}})), 201, "")
	checkBusy(t, "not relayed", h.busyOn(t, &alice, "2026-03-03", bob.oid), map[string][]string{bob.oid: {}})

	timer := strings.Replace(releaseTimer, "release-unchecked", "repair-bookings", 1)
	for runs := 1; ; runs++ {
		r := h.post("/repair-bookings", timer)
		if r.status != 200 {
			t.Fatalf("run %d: got %d %s", runs, r.status, r.body)
		}
		var inv struct {
			ReturnValue struct {
				Backfill struct {
					Done bool `json:"done"`
				} `json:"backfill"`
			} `json:"ReturnValue"`
		}
		mustUnmarshal(t, r.body, &inv)
		if inv.ReturnValue.Backfill.Done {
			break
		}
		if runs > 20 {
			t.Fatalf("the backfill is not done after %d runs: %s", runs, r.body)
		}
	}
	planning := []string{"09:00-10:00 event Planning"}
	checkBusy(t, "backfilled", h.busyOn(t, &alice, "2026-03-03", bob.oid), map[string][]string{bob.oid: planning})
}

// TestFindTimeCountsCopies: the events a calendar copy job writes count as
// busy like any other, once its step has run (a copy announces nothing, so
// the job feeds the index itself), and running the step again changes
// nothing.
func TestFindTimeCountsCopies(t *testing.T) {
	t.Parallel()
	h := newFindHarness(t)
	tenant := uuid.NewString()
	alice, bob := h.person(tenant, "Alice", true), h.person(tenant, "Bob", false)
	src := h.newTab(alice, "calendar", "ft-src-"+uuid.NewString()[:8], nil)
	target := h.newTab(alice, "calendar", "ft-dst-"+uuid.NewString()[:8], nil)
	res := h.do("POST", calEvents(src), &alice, calEvent("Planning", "2026-03-03T09:00:00Z", "2026-03-03T10:00:00Z", "UTC",
		map[string]any{"participants": []map[string]any{{"objectId": bob.oid}}}))
	expect(t, res, 201, "")
	id := res.json(t)["id"].(string)
	planning := "09:00-10:00 event Planning"
	checkBusy(t, "the original", h.busyOn(t, &alice, "2026-03-03", bob.oid), map[string][]string{bob.oid: {planning}})

	res = h.do("POST", "/api/calendar/v1/"+src+"/copy", &alice, map[string]any{"targetCalendarId": target})
	expect(t, res, 202, "")
	jobID := res.json(t)["id"].(string)
	step := func() {
		t.Helper()
		env, err := notify.NewEnvelope(notify.TypeCalendarCopy, jobID+"-1", tenant, time.Now(), &notify.CalendarCopy{
			JobID: jobID, Step: 1, Steps: 1, SourceCalendarID: src, TargetCalendarID: target, EventIDs: []string{id}})
		if err != nil {
			t.Fatal(err)
		}
		if err := (dispatch.Steps{Copies: h.srv.Calendar}).RunCalendarCopy(context.Background(), env, env2copy(t, env)); err != nil {
			t.Fatal(err)
		}
	}
	step()
	checkBusy(t, "copied", h.busyOn(t, &alice, "2026-03-03", bob.oid), map[string][]string{bob.oid: {planning, planning}})
	step()
	checkBusy(t, "step run again", h.busyOn(t, &alice, "2026-03-03", bob.oid), map[string][]string{bob.oid: {planning, planning}})
}

// TestFindTimeSkipsRoomsClosedOnHolidays: a room closed on its place's public
// holidays is never suggested on one (Easter Monday, 6 April 2026, in
// France), as its booking would be refused; the day after it is, and a room
// without the rule is suggested either day. With only the closed room, the
// holiday answers no_room. People stay free on holidays.
func TestFindTimeSkipsRoomsClosedOnHolidays(t *testing.T) {
	t.Parallel()
	h := newFindHarness(t)
	tenant := uuid.NewString()
	alice := h.person(tenant, "Alice", true)
	h.createRoom(alice, "ft-closed", map[string]any{"capacity": 10, "timeZone": "Europe/Paris", "holidays": map[string]any{"country": "FR"},
		"rules": map[string]any{"closedOnHolidays": true}})
	h.createRoom(alice, "ft-open", map[string]any{"capacity": 6, "timeZone": "Europe/Paris", "holidays": map[string]any{"country": "FR"}})
	roomsAt := func(day string, needs map[string]any) ([]string, string) {
		t.Helper()
		a := h.find(t, &alice, map[string]any{"participants": []string{}, "durationMinutes": 60, "timeZone": "Europe/Paris",
			"from": day + "T08:00:00Z", "to": day + "T09:00:00Z", "room": needs, "max": 1})
		if len(a.Slots) == 0 {
			why := ""
			if a.Explanation != nil {
				why = a.Explanation.Reason
			}
			return nil, why
		}
		var ids []string
		for _, r := range a.Slots[0].Rooms {
			ids = append(ids, r.ID)
		}
		return ids, ""
	}
	for _, tc := range []struct {
		name, day string
		needs     map[string]any
		want      []string
		why       string
	}{
		{"Easter Monday", "2026-04-06", map[string]any{"capacity": 2}, []string{"ft-open"}, ""},
		{"the day after", "2026-04-07", map[string]any{"capacity": 2}, []string{"ft-open", "ft-closed"}, ""},
		{"Easter Monday, only the closed room is large enough", "2026-04-06", map[string]any{"capacity": 8}, nil, "no_room"},
		{"the day after, only the closed room is large enough", "2026-04-07", map[string]any{"capacity": 8}, []string{"ft-closed"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, why := roomsAt(tc.day, tc.needs)
			if !slices.Equal(got, tc.want) || why != tc.why {
				t.Errorf("got rooms %q (reason %q), want %q (reason %q)", got, why, tc.want, tc.why)
			}
		})
	}
}
