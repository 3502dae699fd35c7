package functions_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/teamspro/functions/internal/teamspro"
)

// allPages follows nextLink from path as u and returns every item.
func (h *harness) allPages(t *testing.T, path string, u *user) []map[string]any {
	t.Helper()
	var out []map[string]any
	for path != "" {
		res := h.do("GET", path, u, nil)
		expect(t, res, 200, "")
		var p struct {
			Value    []map[string]any `json:"value"`
			NextLink string           `json:"nextLink"`
		}
		if err := json.Unmarshal(res.body, &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Value...)
		path = p.NextLink
	}
	return out
}

// fieldsOf returns, per item, the members that say whose a reservation is
// and what it is: what visibility is about.
func fieldsOf(items []map[string]any) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, fmt.Sprintf("%v|%v|%v|%v|%v|%v", it["id"], it["resourceId"], it["title"], it["organizer"], it["organizerName"], it["status"]))
	}
	return out
}

// problemField reports whether the problem of res names field.
func problemField(t *testing.T, res response, field string) bool {
	t.Helper()
	var p struct {
		Errors []teamspro.FieldError `json:"errors"`
	}
	_ = json.Unmarshal(res.body, &p)
	return slices.ContainsFunc(p.Errors, func(f teamspro.FieldError) bool { return f.Field == field })
}

// TestRoomsScheduleAnswersWhatEachRoomDoes: the schedule of several rooms is,
// for every user, the union of what each room's schedule answers that user
// (same members: titles and organizers of others' reservations as before),
// across pages; another tenant finds none of the rooms, and bad input is a
// problem naming the field.
func TestRoomsScheduleAnswersWhatEachRoomDoes(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	manager := h.newUser(s.admin.tenant, false)
	other := h.newUser(s.admin.tenant, false)
	h.createRoom(s.admin, "a", nil)
	h.createRoom(s.admin, "b", map[string]any{"managers": []string{manager.oid}, "rules": map[string]any{"requiresApproval": true}})
	h.createRoom(s.admin, "c", nil)
	for _, b := range []struct {
		u          *user
		room, from string
		to         string
	}{
		{&s.member, "a", at(3, 9, 0), at(3, 10, 0)},
		{&other, "a", at(3, 11, 0), at(3, 12, 0)},
		{&other, "b", at(3, 9, 0), at(3, 10, 0)}, // pending
		{&s.member, "b", at(4, 9, 0), at(4, 10, 0)},
		{&other, "c", at(3, 9, 0), at(3, 10, 0)}, // a room not asked
	} {
		expect(t, h.do("POST", events(s.cal), b.u, event(b.room, b.from, b.to)), 201, "")
	}
	win := "&from=" + at(2, 0, 0) + "&to=" + at(9, 0, 0)
	for name, u := range map[string]*user{"member": &s.member, "other": &other, "manager": &manager, "admin": &s.admin} {
		t.Run("as the "+name, func(t *testing.T) {
			var want []map[string]any
			for _, room := range []string{"a", "b"} {
				want = append(want, h.allPages(t, "/api/rooms/"+room+"/schedule?"+strings.TrimPrefix(win, "&"), u)...)
			}
			slices.SortFunc(want, func(x, y map[string]any) int { // by start, then id, as the list's pages
				return strings.Compare(x["startDate"].(string)+" "+x["id"].(string), y["startDate"].(string)+" "+y["id"].(string))
			})
			got := h.allPages(t, "/api/rooms/schedule?rooms=a,b"+win, u)
			paged := h.allPages(t, "/api/rooms/schedule?rooms=b&rooms=a&top=1"+win, u)
			if len(want) != 4 || !slices.Equal(fieldsOf(got), fieldsOf(want)) {
				t.Errorf("got %q, want each room's schedule %q", fieldsOf(got), fieldsOf(want))
			}
			if !slices.Equal(fieldsOf(paged), fieldsOf(got)) {
				t.Errorf("one at a time: got %q, want %q", fieldsOf(paged), fieldsOf(got))
			}
		})
	}

	b := h.newUser("", true) // another tenant's admin, with a room of the same id
	h.createRoom(b, "a", nil)
	t.Run("another tenant", func(t *testing.T) {
		res := h.do("GET", "/api/rooms/schedule?rooms=a,b"+win, &b, nil)
		expect(t, res, 404, teamspro.ENOTFOUND)
		if !problemField(t, res, "rooms") || strings.Contains(string(res.body), "Weekly sync") {
			t.Errorf("got %s, want a problem naming rooms and nothing of the other tenant", res.body)
		}
		if got := h.allPages(t, "/api/rooms/schedule?rooms=a"+win, &b); len(got) != 0 {
			t.Errorf("its own room a: got %q, want nothing", fieldsOf(got))
		}
	})

	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("r%d", i)
	}
	bad := []struct {
		name, query string
		status      int
		code, field string
	}{
		{"no rooms", "?from=" + at(2, 0, 0) + "&to=" + at(3, 0, 0), 400, teamspro.EINVALID, "rooms"},
		{"empty rooms", "?rooms=,&from=" + at(2, 0, 0) + "&to=" + at(3, 0, 0), 400, teamspro.EINVALID, "rooms"},
		{"a malformed id", "?rooms=a,%23x" + win, 400, teamspro.EINVALID, "rooms"},
		{"101 rooms", "?rooms=" + strings.Join(many, ",") + win, 400, teamspro.EINVALID, "rooms"},
		{"no from", "?rooms=a&to=" + at(3, 0, 0), 400, teamspro.EINVALID, "from"},
		{"a bad to", "?rooms=a&from=" + at(2, 0, 0) + "&to=tomorrow", 400, teamspro.EINVALID, "to"},
		{"32 days", "?rooms=a&from=2026-03-01&to=2026-04-02", 400, teamspro.EINVALID, "to"},
		{"to before from", "?rooms=a&from=" + at(3, 0, 0) + "&to=" + at(2, 0, 0), 400, teamspro.EINVALID, "to"},
		{"top out of range", "?rooms=a&top=0" + win, 400, teamspro.EINVALID, "top"},
		{"an unknown room", "?rooms=a,zz" + win, 404, teamspro.ENOTFOUND, "rooms"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			res := h.do("GET", "/api/rooms/schedule"+tt.query, &s.member, nil)
			expect(t, res, tt.status, tt.code)
			if !problemField(t, res, tt.field) {
				t.Errorf("got %s, want the field %s named", res.body, tt.field)
			}
		})
	}
	t.Run("signed out", func(t *testing.T) {
		expect(t, h.do("GET", "/api/rooms/schedule?rooms=a"+win, nil, nil), 401, teamspro.EUNAUTHORIZED)
	})
}

// TestPendingReservationsForTheirApprovers: each approver reads, in one
// request, the pending reservations they may decide: a room's managers those
// of their rooms, admins every room's; others and other tenants none. A
// decision takes a reservation off the list.
func TestPendingReservationsForTheirApprovers(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	m1, m2 := h.newUser(s.admin.tenant, false), h.newUser(s.admin.tenant, false)
	approval := func(managers ...user) map[string]any {
		ids := []string{}
		for _, m := range managers {
			ids = append(ids, m.oid)
		}
		return map[string]any{"managers": ids, "rules": map[string]any{"requiresApproval": true}}
	}
	h.createRoom(s.admin, "p1", approval(m1))
	h.createRoom(s.admin, "p2", approval(m2))
	h.createRoom(s.admin, "free", nil)
	book := func(room, start, end string) string {
		res := h.do("POST", events(s.cal), &s.member, event(room, start, end))
		expect(t, res, 201, "")
		return res.json(t)["id"].(string)
	}
	first := book("p1", at(3, 9, 0), at(3, 10, 0))
	late := book("p1", at(30, 9, 0), at(30, 10, 0)) // four weeks ahead
	second := book("p2", at(4, 9, 0), at(4, 10, 0))
	book("free", at(3, 9, 0), at(3, 10, 0)) // confirmed at once
	other := h.newUser("", true)
	ids := func(u *user) []string {
		out := []string{}
		for _, it := range h.allPages(t, "/api/reservations/pending?top=1", u) {
			if it["status"] != "pending" {
				t.Errorf("%v: got status %v, want pending", it["id"], it["status"])
			}
			out = append(out, it["id"].(string))
		}
		return out
	}
	tests := []struct {
		name string
		u    *user
		want []string
	}{
		{"manager of p1", &m1, []string{first, late}},
		{"manager of p2", &m2, []string{second}},
		{"tenant admin", &s.admin, []string{first, second, late}},
		{"the member who booked", &s.member, []string{}},
		{"another tenant's admin", &other, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids(tt.u); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	expect(t, h.do("POST", "/api/reservations/"+first+"/approve", &m1, nil), 200, "")
	expect(t, h.do("POST", "/api/reservations/"+second+"/decline", &s.admin, nil), 200, "")
	if got := ids(&s.admin); !slices.Equal(got, []string{late}) {
		t.Errorf("after the decisions: got %v, want %v", got, []string{late})
	}
	expect(t, h.do("GET", "/api/reservations/pending?continuation=forged", &m1, nil), 400, teamspro.EINVALID)
	expect(t, h.do("GET", "/api/reservations/pending", nil, nil), 401, teamspro.EUNAUTHORIZED)
}
