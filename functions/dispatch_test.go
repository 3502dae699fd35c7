package functions_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
)

// TestReservationMailsFollowThePolicy walks a reservation through the
// changes the booking service emits and checks who is mailed what: a
// reservation that is or becomes pending tells its organizer "pending" (never
// "confirmed") and asks the room's managers; a check-in is silent; a
// recurring booking is one mail with one series invitation, and cancelling one
// of its occurrences cancels that occurrence alone. The organizer's invites,
// applied in turn to a model calendar, must show what the API holds.
func TestReservationMailsFollowThePolicy(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	l := newMailListener(t)
	withMail(t, h, l, true)
	manager := approvalRoom(t, s, "exec")
	h.createRoom(s.admin, "r1", nil)
	model := newInviteModel(t)
	seen := 0
	// step makes one change and checks the mails it causes (by the start of
	// their subject: every user of the harness has the same address),
	// applying their invites to the model.
	step := func(name string, want []string, do func()) []map[string]any {
		t.Helper()
		do()
		if len(want) > 0 {
			waitMails(t, l, seen+len(want))
		}
		time.Sleep(150 * time.Millisecond) // a mail too many would arrive now
		sent := l.sent()
		got := []string{}
		for _, m := range sent[seen:] {
			subject, _ := m["subject"].(string)
			subject, _, _ = strings.Cut(subject, ":")
			got = append(got, subject)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: got mails %q, want %q", name, got, want)
		}
		news := sent[seen:]
		seen = len(sent)
		for _, m := range news {
			parts, _ := m["content"].([]any)
			for _, p := range parts {
				if c, _ := p.(map[string]any); strings.HasPrefix(c["type"].(string), "text/calendar") {
					model.apply(c["value"].(string))
				}
			}
		}
		return news
	}
	id := func(r response) string {
		t.Helper()
		expect(t, r, 201, "")
		return r.json(t)["id"].(string)
	}

	var pending string
	step("book a room that needs approval", []string{"Reservation awaiting approval", "Approval requested"}, func() {
		pending = id(h.do("POST", events(s.cal), &s.member, event("exec", at(3, 10, 0), at(3, 11, 0))))
	})
	step("change the pending reservation", []string{"Reservation awaiting approval", "Approval requested"}, func() {
		expect(t, h.do("PATCH", events(s.cal)+"/"+pending, &s.member, event("exec", at(3, 12, 0), at(3, 13, 0))), 200, "")
	})
	step("approve it", []string{"Reservation approved"}, func() {
		expect(t, h.do("POST", "/api/reservations/"+pending+"/approve", &manager, nil), 200, "")
	})
	var now string
	step("book a room for now", []string{"Reservation confirmed"}, func() {
		now = id(h.do("POST", events(s.cal), &s.member, event("r1", at(2, 7, 10), at(2, 8, 0))))
	})
	step("check in", nil, func() {
		expect(t, h.do("POST", "/api/reservations/"+now+"/checkin", &s.member, nil), 200, "")
	})
	weekly := event("r1", at(4, 9, 0), at(4, 10, 0))
	weekly["title"], weekly["modeRecurrence"], weekly["rrule"] = "Weekly", "Weekly", map[string]any{"count": 4}
	mails := step("book four weeks", []string{"Reservation confirmed"}, func() {
		expect(t, h.do("POST", events(s.cal), &s.member, weekly), 201, "")
	})
	cal, err := ics.ParseCalendar(strings.NewReader(calendarPart(t, mails[0])))
	if err != nil {
		t.Fatal(err)
	}
	if evs := cal.Events(); len(evs) != 1 || evs[0].GetProperty(ics.ComponentPropertyRrule) == nil {
		t.Fatalf("a recurring booking's invite: got %d VEVENTs, want one with an RRULE", len(evs))
	}
	var second string
	for _, r := range h.listReservations(t, s) {
		if r["title"] == "Weekly" && r["startDate"] == at(11, 9, 0) {
			second = r["id"].(string)
		}
	}
	if second == "" {
		t.Fatal("the second week is not booked")
	}
	mails = step("cancel the second week", []string{"Reservation cancelled"}, func() {
		expect(t, h.do("POST", "/api/reservations/"+second+"/cancel", &s.member, nil), 200, "")
	})
	if !strings.Contains(calendarPart(t, mails[0]), "RECURRENCE-ID") {
		t.Errorf("cancelling one week: the CANCEL has no RECURRENCE-ID")
	}

	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	var want []string
	for _, r := range h.listReservations(t, s) {
		if r["status"] == "confirmed" {
			want = append(want, r["startDate"].(string)+" "+r["title"].(string))
		}
	}
	slices.Sort(want)
	if got := model.occurrences(from, to); !slices.Equal(got, want) {
		t.Errorf("the organizer's calendar shows\n %q\nthe API holds\n %q", got, want)
	}
}

// listReservations lists the booking calendar's holding reservations of
// March and April 2026.
func (h *harness) listReservations(t *testing.T, s *bookingSetup) []map[string]any {
	t.Helper()
	res := h.do("GET", events(s.cal)+"?from=2026-03-01T00:00:00Z&to=2026-05-01T00:00:00Z", &s.member, nil)
	expect(t, res, 200, "")
	var out []map[string]any
	if err := json.Unmarshal(res.body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
