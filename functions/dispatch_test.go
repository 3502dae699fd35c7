package functions_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/dispatch"
	"github.com/teamspro/functions/internal/tables"
)

// TestReservationMailsFollowThePolicy walks reservations through the
// changes the booking service emits and checks who is mailed what: a
// reservation that is or becomes pending tells its organizer "pending" (never
// "confirmed") and asks the room's managers, and one that was confirmed has
// its invitation withdrawn (a CANCEL) by that mail; a decline is mailed with
// no invitation; a release cancels the invitation; a check-in is silent
// (every kind of change the service emits is made, and mailed or not as the
// dispatcher's Rules say); a recurring booking is one mail with
// one series invitation (RRULE, and an EXDATE for the occurrence it could not
// book), and cancelling one of its occurrences cancels that occurrence alone.
// The organizer's invites, applied in turn to a model calendar, must show
// what the API holds.
func TestReservationMailsFollowThePolicy(t *testing.T) {
	t.Parallel()
	s := bookingSetupOn(t, newIsolatedHarness(t)) // runs the cross-tenant release timer
	h := s.h
	l := newMailListener(t)
	withMail(t, h, l, true)
	manager := approvalRoom(t, s, "exec")
	h.createRoom(s.admin, "desk", map[string]any{"rules": map[string]any{"checkInRequired": true, "releaseAfterMinutes": 10}})
	rules := dispatch.Rules()
	stepped := map[booking.ChangeKind]bool{}
	h.createRoom(s.admin, "r1", nil)
	model := newInviteModel(t)
	seen := 0
	// step makes one change of kind and checks the mails it causes (by the
	// start of their subject: every user of the harness has the same
	// address), applying their invites to the model. What it wants agrees
	// with the policy: mails for a kind its rule mails, none for a silent one.
	step := func(name string, kind booking.ChangeKind, want []string, do func()) []map[string]any {
		t.Helper()
		stepped[kind] = true
		if rule := rules[dispatch.ReservationKind(kind)]; (rule.Silent != "") != (len(want) == 0) {
			t.Fatalf("%s: the test wants mails %q of a %s change, whose rule is %+v", name, want, kind, rule)
		}
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
	step("book a room that needs approval", booking.ChangeCreated, []string{"Reservation awaiting approval", "Approval requested"}, func() {
		pending = id(h.do("POST", events(s.cal), &s.member, event("exec", at(3, 10, 0), at(3, 11, 0))))
	})
	step("change the pending reservation", booking.ChangeUpdated, []string{"Reservation awaiting approval", "Approval requested"}, func() {
		expect(t, h.do("PATCH", events(s.cal)+"/"+pending, &s.member, event("exec", at(3, 12, 0), at(3, 13, 0))), 200, "")
	})
	step("approve it", booking.ChangeApproved, []string{"Reservation approved"}, func() {
		expect(t, h.do("POST", "/api/reservations/"+pending+"/approve", &manager, nil), 200, "")
	})
	var moved string
	step("book a room that needs no approval", booking.ChangeCreated, []string{"Reservation confirmed"}, func() {
		moved = id(h.do("POST", events(s.cal), &s.member, event("r1", at(5, 10, 0), at(5, 11, 0))))
	})
	mails := step("move it into the room that needs approval", booking.ChangeUpdated, []string{"Reservation awaiting approval", "Approval requested"}, func() {
		expect(t, h.do("PATCH", events(s.cal)+"/"+moved, &s.member, event("exec", at(5, 14, 0), at(5, 15, 0))), 200, "")
	})
	for _, m := range mails {
		subject, _ := m["subject"].(string)
		invite := ""
		parts, _ := m["content"].([]any)
		for _, p := range parts {
			if c, _ := p.(map[string]any); strings.HasPrefix(c["type"].(string), "text/calendar") {
				invite = c["value"].(string)
			}
		}
		switch {
		case strings.HasPrefix(subject, "Reservation awaiting approval") && !strings.Contains(invite, "METHOD:CANCEL"):
			t.Errorf("the organizer's pending mail: got invite %q, want the CANCEL of the confirmed one", invite)
		case strings.HasPrefix(subject, "Approval requested") && invite != "":
			t.Errorf("the managers' request: got invite %q, want none", invite)
		}
	}
	step("decline it", booking.ChangeDeclined, []string{"Reservation declined"}, func() {
		expect(t, h.do("POST", "/api/reservations/"+moved+"/decline", &manager, nil), 200, "")
	})
	var now string
	step("book a room for now", booking.ChangeCreated, []string{"Reservation confirmed"}, func() {
		now = id(h.do("POST", events(s.cal), &s.member, event("r1", at(2, 7, 10), at(2, 8, 0))))
	})
	step("check in", booking.ChangeCheckedIn, nil, func() {
		expect(t, h.do("POST", "/api/reservations/"+now+"/checkin", &s.member, nil), 200, "")
	})
	step("book the third week's slot", booking.ChangeCreated, []string{"Reservation confirmed"}, func() {
		expect(t, h.do("POST", events(s.cal), &s.member, event("r1", at(18, 9, 0), at(18, 10, 0))), 201, "")
	})
	weekly := event("r1", at(4, 9, 0), at(4, 10, 0))
	weekly["title"], weekly["modeRecurrence"], weekly["rrule"], weekly["skipConflicts"] = "Weekly", "Weekly", map[string]any{"count": 4}, true
	mails = step("book four weeks, one of them taken", booking.ChangeCreated, []string{"Reservation confirmed"}, func() {
		expect(t, h.do("POST", events(s.cal), &s.member, weekly), 201, "")
	})
	cal, err := ics.ParseCalendar(strings.NewReader(calendarPart(t, mails[0])))
	if err != nil {
		t.Fatal(err)
	}
	evs := cal.Events()
	if len(evs) != 1 || evs[0].GetProperty(ics.ComponentPropertyRrule) == nil {
		t.Fatalf("a recurring booking's invite: got %d VEVENTs, want one with an RRULE", len(evs))
	}
	if ex := evs[0].GetProperty(ics.ComponentPropertyExdate); ex == nil || !strings.Contains(ex.Value, "20260318T") {
		t.Errorf("a recurring booking's invite: got EXDATE %v, want the taken third week", ex)
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
	mails = step("cancel the second week", booking.ChangeCancelled, []string{"Reservation cancelled"}, func() {
		expect(t, h.do("POST", "/api/reservations/"+second+"/cancel", &s.member, nil), 200, "")
	})
	if !strings.Contains(calendarPart(t, mails[0]), "RECURRENCE-ID") {
		t.Errorf("cancelling one week: the CANCEL has no RECURRENCE-ID")
	}

	var desk string
	step("book a room that needs a check-in", booking.ChangeCreated, []string{"Reservation confirmed"}, func() {
		desk = id(h.do("POST", events(s.cal), &s.member, event("desk", at(2, 8, 0), at(2, 9, 0))))
	})
	step("nobody checks in", booking.ChangeReleased, []string{"Reservation released"}, func() {
		h.now = time.Date(2026, 3, 2, 8, 11, 0, 0, time.UTC)
		if r := h.post("/release-unchecked", releaseTimer); r.status != 200 || !strings.Contains(string(r.body), `"released":1`) {
			t.Errorf("release: got %d %s, want 1 released", r.status, r.body)
		}
	})
	if r := h.do("GET", "/api/reservations/"+desk, &s.member, nil).json(t); r["status"] != booking.StatusReleased {
		t.Errorf("the unchecked reservation: got %v, want released", r["status"])
	}
	for _, k := range booking.ChangeKinds() {
		if !stepped[k] {
			t.Errorf("no step makes a %s change: every kind the service emits is mailed or silent as the policy says", k)
		}
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

// TestBookingSeriesRemindsOneAtATime: a recurring booking is one mail, and
// has one reminder scheduled at a time, never one per occurrence: delivering
// the reminder of an occurrence mails it and schedules the next one's;
// cancelling the next occurrence moves the reminder to the one after it.
func TestBookingSeriesRemindsOneAtATime(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.now = time.Now()
	admin := h.newUser("", true)
	cal := h.bookingTab(admin, "book", map[string]any{"reminderMinutes": 15})
	h.createRoom(admin, "r1", nil)
	l := newMailListener(t)
	q := withMail(t, h, l, true)
	reminders := tables.NewReminderStore(h.client)
	scheduled := func() []int64 {
		t.Helper()
		seqs, err := reminders.All(context.Background(), admin.tenant)
		if err != nil {
			t.Fatal(err)
		}
		return seqs
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	// The first reminder falls due a few seconds from now (reminderLead).
	start := time.Now().Add(15*time.Minute + reminderLead).UTC().Truncate(time.Second).Add(time.Second)
	body := event("r1", start.Format(time.RFC3339), start.Add(30*time.Minute).Format(time.RFC3339))
	body["title"], body["modeRecurrence"], body["rrule"] = "Daily stand-up", "Daily", map[string]any{"count": 4}
	expect(t, h.do("POST", events(cal), &admin, body), 201, "")
	waitMails(t, l, 1)
	first := scheduled()
	if len(first) != 1 || q.Pending() != 1 {
		t.Fatalf("after booking four days: got reminders %v, %d messages pending, want the first occurrence's alone", first, q.Pending())
	}

	waitMails(t, l, 2)
	if subject, _ := l.sent()[1]["subject"].(string); !strings.HasPrefix(subject, "Reminder:") || !strings.Contains(subject, start.In(paris).Format("15:04")) {
		t.Errorf("got the mail %q, want the reminder of the first occurrence", subject)
	}
	var next []int64
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if next = scheduled(); len(next) == 1 && next[0] != first[0] && q.Pending() == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the first reminder: got reminders %v (first %v), %d pending, want the second occurrence's alone", next, first, q.Pending())
		}
	}

	h.now = time.Now() // past the first reminder
	var second string
	res := h.do("GET", events(cal)+"?from="+start.Add(time.Hour).Format(time.RFC3339)+"&to="+start.Add(30*time.Hour).Format(time.RFC3339), &admin, nil)
	expect(t, res, 200, "")
	var list []map[string]any
	mustUnmarshal(t, res.body, &list)
	for _, r := range list {
		if r["startDate"] == start.Add(24*time.Hour).Format(time.RFC3339) {
			second, _ = r["id"].(string)
		}
	}
	if second == "" {
		t.Fatalf("the second day is not booked: %v", list)
	}
	expect(t, h.do("POST", "/api/reservations/"+second+"/cancel", &admin, nil), 200, "")
	if after := scheduled(); len(after) != 1 || after[0] == next[0] || q.Pending() != 1 {
		t.Errorf("after cancelling the second day: got reminders %v (before %v), %d pending, want the third day's alone", after, next, q.Pending())
	}
	waitMails(t, l, 3)
	time.Sleep(150 * time.Millisecond) // a mail too many would arrive now
	var subjects []string
	for _, m := range l.sent() {
		subject, _ := m["subject"].(string)
		subjects = append(subjects, subject)
	}
	if len(subjects) != 3 {
		t.Errorf("got mails %q, want 3: the booking, one reminder, the cancellation", subjects)
	}
}
