package functions_test

import (
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
)

// inviteModel is a calendar client reduced to what iTIP (RFC 5546) asks of
// it: it applies REQUEST and CANCEL invites, read by an independent parser
// (golang-ical), to its copy of each UID, refusing any whose SEQUENCE is not
// above what it holds, as strict clients do.
type inviteModel struct {
	t      *testing.T
	events map[string]*modelItem // by UID
}

type modelItem struct {
	master    *ics.VEvent
	seq       int
	overrides map[int64]*ics.VEvent // by RECURRENCE-ID
	oseq      map[int64]int
	exdates   map[int64]bool // cancelled one by one
}

func newInviteModel(t *testing.T) *inviteModel {
	return &inviteModel{t: t, events: map[string]*modelItem{}}
}

func sequence(t *testing.T, ev *ics.VEvent) int {
	t.Helper()
	p := ev.GetProperty(ics.ComponentPropertySequence)
	if p == nil {
		return 0
	}
	n, err := strconv.Atoi(p.Value)
	if err != nil {
		t.Fatalf("SEQUENCE %q: %v", p.Value, err)
	}
	return n
}

// apply applies one invite and returns its method and its VEVENTs.
func (m *inviteModel) apply(body string) (string, []*ics.VEvent) {
	t := m.t
	t.Helper()
	cal, err := ics.ParseCalendar(strings.NewReader(body))
	if err != nil {
		t.Fatalf("the invite does not parse: %v\n%s", err, body)
	}
	method := ""
	for _, p := range cal.CalendarProperties {
		if p.IANAToken == string(ics.PropertyMethod) {
			method = p.Value
		}
	}
	evs := cal.Events()
	if len(evs) == 0 {
		t.Fatalf("an invite without VEVENT:\n%s", body)
	}
	whole := map[string]bool{} // UIDs whose master this invite carries
	for _, ev := range evs {
		uid := ev.GetProperty(ics.ComponentPropertyUniqueId).Value
		seq := sequence(t, ev)
		item := m.events[uid]
		rid := ev.GetProperty(ics.ComponentPropertyRecurrenceId)
		switch {
		case rid == nil && method == "REQUEST":
			if item != nil && seq <= item.seq {
				t.Errorf("REQUEST of %s with SEQUENCE %d, not above the %d it replaces", uid, seq, item.seq)
			}
			// The series anew: its changed occurrences follow in this invite.
			item = &modelItem{master: ev, seq: seq, overrides: map[int64]*ics.VEvent{}, oseq: map[int64]int{}, exdates: map[int64]bool{}}
			m.events[uid] = item
			whole[uid] = true
		case rid == nil && method == "CANCEL":
			if item == nil || seq <= item.seq {
				t.Errorf("CANCEL of %s with SEQUENCE %d: unknown, or not above %v", uid, seq, item)
			}
			delete(m.events, uid)
		case item == nil || item.master == nil:
			t.Errorf("%s of one occurrence of %s, which the calendar does not hold", method, uid)
		default:
			at := feedTime(t, rid).Unix()
			if !whole[uid] && seq <= max(item.seq, item.oseq[at]) {
				t.Errorf("%s of %s at %s with SEQUENCE %d, not above the series' %d and the occurrence's %d", method, uid, rid.Value, seq, item.seq, item.oseq[at])
			}
			item.oseq[at] = seq
			if method == "CANCEL" {
				delete(item.overrides, at)
				item.exdates[at] = true
			} else {
				item.overrides[at] = ev
			}
		}
	}
	return method, evs
}

// occurrences expands what the model holds in [from, to) with rrule-go:
// "start title" with all-day starts as dates, timed ones in UTC.
func (m *inviteModel) occurrences(from, to time.Time) []string {
	t := m.t
	t.Helper()
	var out []string
	show := func(ev *ics.VEvent, start time.Time) {
		p := ev.GetProperty(ics.ComponentPropertyDtStart)
		s := start.UTC().Format(time.RFC3339)
		if p.ICalParameters["VALUE"] != nil && p.ICalParameters["VALUE"][0] == "DATE" {
			s = start.Format(time.DateOnly)
		} else if !start.Before(to) || start.Before(from) {
			return
		}
		out = append(out, s+" "+ev.GetProperty(ics.ComponentPropertySummary).Value)
	}
	for _, item := range m.events {
		start := feedTime(t, item.master.GetProperty(ics.ComponentPropertyDtStart))
		r, ex := seriesOf(t, item.master, start)
		if r == nil {
			show(item.master, start)
			continue
		}
		for _, s := range r.Between(from.AddDate(0, -1, 0), to, true) {
			switch k := s.Unix(); {
			case ex[k] || item.exdates[k]:
			case item.overrides[k] != nil:
				show(item.overrides[k], feedTime(t, item.overrides[k].GetProperty(ics.ComponentPropertyDtStart)))
			default:
				show(item.master, s)
			}
		}
	}
	slices.Sort(out)
	return out
}

// calendarPart returns the text/calendar alternative of a mail SendGrid
// was asked to send.
func calendarPart(t *testing.T, mail map[string]any) string {
	t.Helper()
	parts, _ := mail["content"].([]any)
	for _, p := range parts {
		c, _ := p.(map[string]any)
		if ct, _ := c["type"].(string); strings.HasPrefix(ct, "text/calendar") {
			return c["value"].(string)
		}
	}
	t.Fatalf("a mail without an invite: %v", mail["subject"])
	return ""
}

// TestInvitesApplyToACalendar plays a calendar client: every invite mailed to
// a participant is applied in turn, and the calendar it gives must show the
// API's occurrences; the feed must carry the same UIDs and SEQUENCEs. Series
// are one invite each; a changed occurrence is a REQUEST and a cancelled one
// a CANCEL with its RECURRENCE-ID; all-day dates are those of the event's
// zone, east of Greenwich too.
func TestInvitesApplyToACalendar(t *testing.T) {
	t.Parallel()
	s := newCalSetup(t, map[string]any{"notifications": map[string]any{"addedOrUpdated": true, "deleted": true}})
	h, u := s.h, s.owner
	l := newMailListener(t)
	withMail(t, h, l, true)
	model := newInviteModel(t)
	bob := map[string]any{"participants": []map[string]any{{"email": "bob@contoso.example", "name": "Bob"}}}
	with := func(extra map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range bob {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	mails := 0
	// step makes one change and applies the one invite it must mail.
	step := func(name, wantMethod string, wantEvents int, do func()) []*ics.VEvent {
		t.Helper()
		do()
		mails++
		waitMails(t, l, mails)
		sent := l.sent()
		if len(sent) != mails {
			t.Fatalf("%s: got %d mails in all, want %d", name, len(sent), mails)
		}
		method, evs := model.apply(calendarPart(t, sent[mails-1]))
		if method != wantMethod || len(evs) != wantEvents {
			t.Errorf("%s: got %s with %d VEVENTs, want %s with %d", name, method, len(evs), wantMethod, wantEvents)
		}
		return evs
	}
	create := func(body map[string]any) string {
		t.Helper()
		res := h.do("POST", calEvents(s.cal), &u, body)
		expect(t, res, 201, "")
		return res.json(t)["id"].(string)
	}

	var weekly, holiday, tokyo, single string
	step("create a weekly series", "REQUEST", 1, func() {
		weekly = create(calEvent("Weekly", "2026-03-09T09:00:00Z", "2026-03-09T10:00:00Z", "Europe/Paris",
			with(map[string]any{"modeRecurrence": "Weekly", "rrule": map[string]any{"count": 4}})))
	})
	evs := step("create an all-day event in Paris", "REQUEST", 1, func() {
		holiday = create(with(map[string]any{"title": "Holiday", "allDay": true, "startDate": "2026-03-17", "endDate": "2026-03-19", "timeZone": "Europe/Paris"}))
	})
	if got := evs[0].GetProperty(ics.ComponentPropertyDtStart).Value + "/" + evs[0].GetProperty(ics.ComponentPropertyDtEnd).Value; got != "20260317/20260319" {
		t.Errorf("all-day invite in Paris: got DTSTART/DTEND %s, want 20260317/20260319", got)
	}
	step("create an all-day series in Tokyo", "REQUEST", 1, func() {
		tokyo = create(with(map[string]any{"title": "Retreat", "allDay": true, "startDate": "2026-03-19", "endDate": "2026-03-20", "timeZone": "Asia/Tokyo",
			"modeRecurrence": "Daily", "rrule": map[string]any{"count": 3}}))
	})
	step("create a single event", "REQUEST", 1, func() {
		single = create(calEvent("Single", "2026-03-11T13:00:00Z", "2026-03-11T14:00:00Z", "Europe/Paris", bob))
	})
	occ := calEvents(s.cal) + "/" + weekly + "/occurrences/"
	evs = step("move the second occurrence", "REQUEST", 1, func() {
		expect(t, h.do("PUT", occ+"2026-03-16T09:00:00Z", &u, map[string]any{"title": "Weekly (moved)", "startDate": "2026-03-17T14:00:00Z", "endDate": "2026-03-17T15:00:00Z"}), 200, "")
	})
	if evs[0].GetProperty(ics.ComponentPropertyRecurrenceId) == nil {
		t.Errorf("a changed occurrence's invite has no RECURRENCE-ID")
	}
	step("cancel the third occurrence", "CANCEL", 1, func() {
		expect(t, h.do("DELETE", occ+"2026-03-23T09:00:00Z", &u, nil), 204, "")
	})
	step("cancel the second all-day occurrence in Tokyo", "CANCEL", 1, func() {
		expect(t, h.do("DELETE", calEvents(s.cal)+"/"+tokyo+"/occurrences/2026-03-19T15:00:00Z", &u, nil), 204, "")
	})
	evs = step("rename the series", "REQUEST", 2, func() {
		expect(t, h.do("PATCH", calEvents(s.cal)+"/"+weekly, &u, map[string]any{"title": "Weekly sync"}), 200, "")
	})
	if n := len(evs[0].GetProperties(ics.ComponentPropertyExdate)); n != 1 {
		t.Errorf("the series re-sent with %d EXDATEs, want the cancelled occurrence", n)
	}
	step("move the second occurrence again", "REQUEST", 1, func() {
		expect(t, h.do("PUT", occ+"2026-03-16T09:00:00Z", &u, map[string]any{"startDate": "2026-03-18T14:00:00Z", "endDate": "2026-03-18T15:00:00Z"}), 200, "")
	})
	step("move the single event", "REQUEST", 1, func() {
		expect(t, h.do("PATCH", calEvents(s.cal)+"/"+single, &u, map[string]any{"startDate": "2026-03-12T13:00:00Z", "endDate": "2026-03-12T14:00:00Z"}), 200, "")
	})
	step("delete the all-day event", "CANCEL", 1, func() {
		expect(t, h.do("DELETE", calEvents(s.cal)+"/"+holiday, &u, nil), 204, "")
	})
	step("restore it", "REQUEST", 1, func() {
		expect(t, h.do("POST", calEvents(s.cal)+"/"+holiday+"/restore", &u, nil), 200, "")
	})
	step("delete the single event", "CANCEL", 1, func() {
		expect(t, h.do("DELETE", calEvents(s.cal)+"/"+single, &u, nil), 204, "")
	})

	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	var want []string
	for _, o := range h.listOcc(t, &u, s.cal, from.Format(time.RFC3339), to.Format(time.RFC3339), "") {
		start, _ := o["startDate"].(string)
		if o["allDay"] == true {
			start = o["startDay"].(string)
		}
		want = append(want, start+" "+o["title"].(string))
	}
	slices.Sort(want)
	if got := model.occurrences(from, to); !slices.Equal(got, want) {
		t.Errorf("the calendar that applied the invites shows\n %q\nthe API\n %q", got, want)
	}

	// The feed: the same UIDs and SEQUENCEs, whatever Host the request names.
	created := h.do("POST", "/api/calendar/v1/"+s.cal+"/feed", &u, nil)
	expect(t, created, 201, "")
	req, err := http.NewRequest("GET", h.http.URL+created.json(t)["path"].(string), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "evil.example"
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("feed: got status %d", res.StatusCode)
	}
	feed, err := ics.ParseCalendar(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("the feed does not parse: %v", err)
	}
	got := map[string]int{}
	for _, ev := range feed.Events() {
		key := ev.GetProperty(ics.ComponentPropertyUniqueId).Value
		if rid := ev.GetProperty(ics.ComponentPropertyRecurrenceId); rid != nil {
			key += " " + strconv.FormatInt(feedTime(t, rid).Unix(), 10)
		}
		got[key] = sequence(t, ev)
	}
	held := map[string]int{}
	for uid, item := range model.events {
		held[uid] = item.seq
		for at, ev := range item.overrides {
			held[uid+" "+strconv.FormatInt(at, 10)] = sequence(t, ev)
		}
	}
	if len(got) != len(held) {
		t.Errorf("the feed holds %v, the invited calendar %v", got, held)
	}
	for k, seq := range held {
		if fs, ok := got[k]; !ok || fs != seq {
			t.Errorf("%s: the feed has SEQUENCE %d (present %v), the invites %d", k, fs, ok, seq)
		}
	}
	if strings.Contains(string(body), "evil.example") {
		t.Errorf("the feed names the request's Host")
	}
}
