package functions_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/google/uuid"
	"github.com/teamspro/functions/functions"
	"github.com/teamspro/functions/internal/dispatch"
	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/sendgrid"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/teamspro"
)

// mailListener plays SendGrid: it records every mail sendgrid-go posts and
// answers with the status the test sets.
type mailListener struct {
	mu     sync.Mutex
	status int
	body   string
	mails  []map[string]any
	srv    *httptest.Server
}

func newMailListener(t *testing.T) *mailListener {
	t.Helper()
	l := &mailListener{status: 202}
	l.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		l.mu.Lock()
		defer l.mu.Unlock()
		if r.URL.Path != "/v3/mail/send" || r.Header.Get("Authorization") != "Bearer SG.test" {
			w.WriteHeader(401)
			return
		}
		if l.status == 202 {
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			l.mails = append(l.mails, m)
		}
		w.WriteHeader(l.status)
		_, _ = w.Write([]byte(l.body))
	}))
	t.Cleanup(l.srv.Close)
	return l
}

func (l *mailListener) set(status int, body string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.status, l.body = status, body
}

func (l *mailListener) sent() []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]map[string]any(nil), l.mails...)
}

// newDispatcher is the dispatcher of the product over h's stores, publishing
// through pub, with reminders and an outbox in storage.
func newDispatcher(t testing.TB, h *harness, d functions.Deps, pub notify.Publisher) *dispatch.Dispatcher {
	t.Helper()
	dp, err := dispatch.New(dispatch.Config{Publisher: pub, Profiles: d.Directory, Tabs: storesOf(h.client).tabs, Events: tables.NewEventStore(h.client), Rooms: storesOf(h.client).rooms, Reservations: storesOf(h.client).reservations,
		Reminders: tables.NewReminderStore(h.client), Outbox: tables.NewOutboxStore(h.client), Outgoing: tables.NewEventStore(h.client),
		Now: func() time.Time { return h.now }})
	if err != nil {
		t.Fatal(err)
	}
	return dp
}

// withMail gives h a notify processor that sends through sendgrid-go to l, and,
// when queue is set, an in-process queue posting to the notify function.
func withMail(t *testing.T, h *harness, l *mailListener, queue bool) *notify.Queue {
	t.Helper()
	mailer, err := sendgrid.New(sendgrid.Config{APIKey: "SG.test", BaseURL: l.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	// Built in the product's order: the queue, the dispatcher, the
	// services, the processor, the server; then the queue consumes.
	d := h.srv.Deps
	var q *notify.Queue
	if queue {
		q, err = notify.OpenQueue(notify.QueueOptions{RetryDelay: func(int) time.Duration { return 10 * time.Millisecond }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = q.Close() })
		d.Dispatcher = newDispatcher(t, h, d, q)
	}
	d = withServices(t, h.client, d)
	d.Processor, err = notify.NewProcessor(notify.ProcessorConfig{
		Mailer: mailer, Marks: tables.NewMarkStore(h.client), From: notify.Address{Name: "TeamsPro", Email: "noreply@contoso.example"},
		Invite: notify.Invite("contoso.example", time.Now), Steps: dispatch.Steps{Copies: d.Calendar},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := functions.NewServer(d)
	if err != nil {
		t.Fatal(err)
	}
	if queue {
		if err := notify.Consume(q, func(ctx context.Context, dl notify.Delivery) error {
			return srv.DeliverLocally(ctx, "notify", dl.Invocation("message"))
		}); err != nil {
			t.Fatal(err)
		}
	}
	h.srv = srv
	h.http = newTestServer(t, srv)
	return q
}

func confirmedMessage(t *testing.T, email string) []byte {
	t.Helper()
	start := time.Date(2026, 3, 30, 9, 0, 0, 0, time.UTC)
	env, err := notify.NewEnvelope(notify.TypeReservationConfirmed, uuid.NewString(), uuid.NewString(), time.Now(), &notify.ReservationNotice{
		Reservation: notify.ReservationInfo{ID: "r-" + uuid.NewString()[:8], RoomID: "board", RoomName: "Board room", Title: "Planning",
			Start: start, End: start.Add(time.Hour), TimeZone: "Europe/Paris", Organizer: notify.Person{Name: "Ada", Email: email}, Sequence: 1},
		Recipients: []notify.Recipient{{Name: "Ada", Email: email, TimeZone: "Europe/Paris"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := env.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// serviceBusPayload is a Service Bus invocation as the host posts it, with the
// body in one of its encodings.
func serviceBusPayload(t *testing.T, body any, messageID string, deliveryCount int) string {
	t.Helper()
	b, _ := json.Marshal(map[string]any{
		"Data": map[string]any{"message": body},
		"Metadata": map[string]any{
			"MessageId": `"` + messageID + `"`, "DeliveryCount": deliveryCount, "SequenceNumber": "17",
			"EnqueuedTimeUtc": "2026-03-02T08:00:00Z", "ContentType": "application/json", "Subject": "reservation.confirmed",
			"ApplicationProperties": map[string]any{"version": "1"},
			"sys":                   map[string]any{"MethodName": "notify", "UtcNow": "2026-03-02T08:00:01Z"},
		},
	})
	return string(b)
}

func TestNotifyTrigger(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	l := newMailListener(t)
	withMail(t, h, l, false)

	raw := confirmedMessage(t, "ada@contoso.example")
	quoted, _ := json.Marshal(string(raw))
	encodings := []struct {
		name string
		body any
	}{
		{"JSON string", string(raw)},
		{"doubly encoded", string(quoted)},
		{"base64", base64.StdEncoding.EncodeToString(raw)},
		{"JSON object", json.RawMessage(raw)},
	}
	for i, enc := range encodings {
		res := h.post("/notify", serviceBusPayload(t, enc.body, "msg-"+enc.name, 1))
		if res.status != 200 {
			t.Fatalf("%s: got %d %s", enc.name, res.status, res.body)
		}
		if got := len(l.sent()); got != i+1 {
			t.Fatalf("%s: got %d mails, want %d", enc.name, got, i+1)
		}
	}

	mail := l.sent()[0]
	contents, _ := json.Marshal(mail["content"])
	if !strings.Contains(string(contents), `text/calendar; method=REQUEST`) || !strings.Contains(string(contents), "text/html") {
		t.Errorf("got contents %s, want text, html and a text/calendar REQUEST part", contents)
	}
	atts, _ := mail["attachments"].([]any)
	if len(atts) != 1 {
		t.Fatalf("got %d attachments, want the invite", len(atts))
	}
	data, _ := base64.StdEncoding.DecodeString(atts[0].(map[string]any)["content"].(string))
	cal, err := ics.ParseCalendar(strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("the invite does not parse with an independent parser: %v", err)
	}
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("got %d events in the invite, want 1", len(evs))
	}
	start, err := evs[0].GetStartAt()
	if err != nil || !start.Equal(time.Date(2026, 3, 30, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("invite starts %v (%v), want 09:00 UTC", start, err)
	}
	if m := cal.CalendarProperties; !strings.Contains(string(data), "METHOD:REQUEST") || len(m) == 0 {
		t.Errorf("invite lacks METHOD:REQUEST")
	}

	// A redelivery of the same message sends nothing more.
	before := len(l.sent())
	if res := h.post("/notify", serviceBusPayload(t, string(raw), "msg-JSON string", 2)); res.status != 200 {
		t.Fatalf("redelivery: got %d", res.status)
	}
	if got := len(l.sent()); got != before {
		t.Errorf("redelivery sent %d more mails, want none", got-before)
	}

	// The mail service is down: non-2xx, so the host retries; then it works.
	l.set(503, "")
	if res := h.post("/notify", serviceBusPayload(t, string(confirmedMessage(t, "bob@contoso.example")), "msg-503", 1)); res.status < 300 {
		t.Errorf("SendGrid 503: got %d, want non-2xx", res.status)
	}
	l.set(202, "")
	if res := h.post("/notify", serviceBusPayload(t, string(confirmedMessage(t, "bob@contoso.example")), "msg-503", 2)); res.status != 200 {
		t.Errorf("retry after 503: got %d %s", res.status, res.body)
	}

	// An invalid recipient is recorded and answered 200: no loop to the DLQ.
	l.set(400, `{"errors":[{"message":"Does not contain a valid address.","field":"personalizations.0.to.0.email"}]}`)
	res := h.post("/notify", serviceBusPayload(t, string(confirmedMessage(t, "nobody@contoso.example")), "msg-bad", 1))
	if res.status != 200 {
		t.Errorf("invalid recipient: got %d %s, want 200", res.status, res.body)
	}
	// A message without MessageId is recorded as failed, mailed to no one,
	// and answered 200.
	l.set(202, "")
	before = len(l.sent())
	res = h.post("/notify", serviceBusPayload(t, string(confirmedMessage(t, "ada@contoso.example")), "", 1))
	if res.status != 200 {
		t.Errorf("no MessageId: got %d %s, want 200", res.status, res.body)
	}
	var answer struct {
		ReturnValue notify.Result
	}
	if err := json.Unmarshal(res.body, &answer); err != nil || !answer.ReturnValue.Permanent || answer.ReturnValue.MessageID == "" {
		t.Errorf("no MessageId: got %s (%v), want a permanent result under a key of its own", res.body, err)
	}
	mark, err := tables.NewMarkStore(h.client).Get(context.Background(), notify.MarkKey{TenantID: answer.ReturnValue.TenantID, MessageID: answer.ReturnValue.MessageID})
	if err != nil || mark.State != notify.MarkFailed {
		t.Errorf("no MessageId: got mark %+v (%v), want it recorded as failed", mark, err)
	}
	if got := len(l.sent()); got != before {
		t.Errorf("no MessageId: %d mails sent, want none", got-before)
	}
	// An unknown message type is permanent too.
	l.set(202, "")
	res = h.post("/notify", serviceBusPayload(t, `{"type":"nope","version":1,"id":"x","tenantId":"t","occurredAt":"2026-01-01T00:00:00Z","payload":{}}`, "msg-unknown", 1))
	if res.status != 200 {
		t.Errorf("unknown type: got %d %s, want 200", res.status, res.body)
	}
}

// TestReservationMailsEndToEnd: booking a room through the API queues a
// message that the in-process queue posts to the notify function, which mails
// the organizer through sendgrid-go.
func TestReservationMailsEndToEnd(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	l := newMailListener(t)
	withMail(t, h, l, true)
	h.createRoom(s.admin, "r1", nil)
	expect(t, h.do("GET", "/api/me", &s.member, nil), 200, "") // the profile holds the UPN mails go to
	res := h.do("POST", events(s.cal), &s.member, event("r1", at(2, 10, 0), at(2, 11, 0)))
	expect(t, res, 201, "")
	id := res.json(t)["id"].(string)
	waitMails(t, l, 1)
	expect(t, h.do("DELETE", events(s.cal)+"/"+id, &s.member, nil), 204, "")
	waitMails(t, l, 2)
	mails := l.sent()
	subjects := []string{}
	for _, m := range mails {
		subjects = append(subjects, m["subject"].(string))
		pers, _ := json.Marshal(m["personalizations"])
		if !strings.Contains(string(pers), "t@x.example") {
			t.Errorf("mail to %s, want the organizer's UPN", pers)
		}
	}
	contents, _ := json.Marshal(mails[1]["content"])
	if !strings.Contains(string(contents), "method=CANCEL") {
		t.Errorf("cancellation mail without a CANCEL invite: %s (subjects %v)", contents, subjects)
	}
}

func waitMails(t *testing.T, l *mailListener, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(l.sent()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("got %d mails, want %d", len(l.sent()), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestEventMailsFollowTabToggles: participants get mails for added and changed
// events when the tab asks for them, and none for deletions it does not.
func TestEventMailsFollowTabToggles(t *testing.T) {
	t.Parallel()
	s := newCalSetup(t, map[string]any{"notifications": map[string]any{"addedOrUpdated": true, "deleted": false}})
	h := s.h
	l := newMailListener(t)
	withMail(t, h, l, true)
	body := calEvent("Retro", "2026-03-04T09:00:00Z", "2026-03-04T10:00:00Z", "Europe/Paris",
		map[string]any{"participants": []map[string]any{{"email": "bob@contoso.example", "name": "Bob"}}})
	res := h.do("POST", calEvents(s.cal), &s.owner, body)
	expect(t, res, 201, "")
	id := res.json(t)["id"].(string)
	waitMails(t, l, 1)
	expect(t, h.do("PATCH", calEvents(s.cal)+"/"+id, &s.owner, map[string]any{"title": "Retro (moved)"}), 200, "")
	waitMails(t, l, 2)
	expect(t, h.do("DELETE", calEvents(s.cal)+"/"+id, &s.owner, nil), 204, "")
	time.Sleep(300 * time.Millisecond) // give a wrongly queued mail the time to arrive
	mails := l.sent()
	if len(mails) != 2 {
		t.Fatalf("got %d mails, want 2 (created, updated; deletions are off)", len(mails))
	}
	for _, m := range mails {
		pers, _ := json.Marshal(m["personalizations"])
		if !strings.Contains(string(pers), "bob@contoso.example") {
			t.Errorf("mail to %s, want the participant", pers)
		}
	}
	if subj, _ := mails[1]["subject"].(string); !strings.Contains(subj, "Retro (moved)") {
		t.Errorf("got subject %q, want the new title", subj)
	}
}

// TestRemindersFollowTheEvent: a tab with reminders schedules one per single
// event; moving the event cancels it and schedules another; deleting cancels
// it; so does the organization's purge.
func TestRemindersFollowTheEvent(t *testing.T) {
	t.Parallel()
	s := newCalSetup(t, map[string]any{"reminderMinutes": 15, "notifications": map[string]any{"addedOrUpdated": false, "deleted": false}})
	h := s.h
	h.now = time.Now()
	l := newMailListener(t)
	q := withMail(t, h, l, true)
	start := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Hour)
	body := calEvent("1:1", start.Format(time.RFC3339), start.Add(time.Hour).Format(time.RFC3339), "UTC",
		map[string]any{"participants": []map[string]any{{"email": "bob@contoso.example"}}})
	res := h.do("POST", calEvents(s.cal), &s.owner, body)
	expect(t, res, 201, "")
	id := res.json(t)["id"].(string)
	key := "event|" + s.cal + "|" + id
	reminders := tables.NewReminderStore(h.client)
	first, err := reminders.Get(context.Background(), s.owner.tenant, key)
	if err != nil || len(first) != 1 || q.Pending() != 1 {
		t.Fatalf("after create: got seqs %v (%v), %d pending, want one scheduled reminder", first, err, q.Pending())
	}
	moved := start.Add(24 * time.Hour)
	expect(t, h.do("PATCH", calEvents(s.cal)+"/"+id, &s.owner, map[string]any{"startDate": moved.Format(time.RFC3339), "endDate": moved.Add(time.Hour).Format(time.RFC3339)}), 200, "")
	second, _ := reminders.Get(context.Background(), s.owner.tenant, key)
	if len(second) != 1 || second[0] == first[0] || q.Pending() != 1 {
		t.Errorf("after move: got seqs %v (was %v), %d pending, want one new reminder and the old one cancelled", second, first, q.Pending())
	}
	expect(t, h.do("DELETE", calEvents(s.cal)+"/"+id, &s.owner, nil), 204, "")
	if left, _ := reminders.Get(context.Background(), s.owner.tenant, key); len(left) != 0 || q.Pending() != 0 {
		t.Errorf("after delete: got seqs %v, %d pending, want none", left, q.Pending())
	}
	if n := len(l.sent()); n != 0 {
		t.Errorf("got %d mails with notifications off, want 0", n)
	}
}

// TestReminderMailArrives: a reminder scheduled a moment ahead is delivered by
// the queue to the notify function and mailed.
func TestReminderMailArrives(t *testing.T) {
	t.Parallel()
	s := newCalSetup(t, map[string]any{"reminderMinutes": 15, "notifications": map[string]any{"addedOrUpdated": false, "deleted": false}})
	h := s.h
	h.now = time.Now()
	l := newMailListener(t)
	withMail(t, h, l, true)
	start := time.Now().Add(15*time.Minute + 1500*time.Millisecond).UTC()
	body := calEvent("Soon", start.Format(time.RFC3339Nano), start.Add(time.Hour).Format(time.RFC3339Nano), "UTC",
		map[string]any{"participants": []map[string]any{{"email": "bob@contoso.example"}}})
	expect(t, h.do("POST", calEvents(s.cal), &s.owner, body), 201, "")
	waitMails(t, l, 1)
	if subj, _ := l.sent()[0]["subject"].(string); !strings.Contains(strings.ToLower(subj), "remind") {
		t.Errorf("got subject %q, want a reminder", subj)
	}
}

// seriesReminder is a daily series of three whose first occurrence's reminder
// (15 minutes before) is due about two seconds from now.
type seriesReminder struct {
	*calSetup
	mails     *mailListener
	queue     *notify.Queue
	start     time.Time // of the first occurrence
	id, key   string
	reminders *tables.ReminderStore
}

// reminderLead is how long after its creation a series' first reminder falls due.
const reminderLead = 6 * time.Second

func newSeriesReminder(t *testing.T) seriesReminder {
	t.Helper()
	s := newCalSetup(t, map[string]any{"reminderMinutes": 15, "notifications": map[string]any{"addedOrUpdated": false, "deleted": false}})
	h := s.h
	h.now = time.Now()
	l := newMailListener(t)
	q := withMail(t, h, l, true)
	// The first reminder falls due a few seconds from now: late enough for the
	// tests to act before it on a loaded machine, soon enough to wait for.
	start := time.Now().Add(15*time.Minute + reminderLead).UTC().Truncate(time.Second).Add(time.Second)
	body := calEvent("Daily sync", start.Format(time.RFC3339), start.Add(15*time.Minute).Format(time.RFC3339), "UTC", map[string]any{
		"rrule":        "FREQ=DAILY;COUNT=3",
		"participants": []map[string]any{{"email": "bob@contoso.example"}}})
	res := h.do("POST", calEvents(s.cal), &s.owner, body)
	expect(t, res, 201, "")
	id := res.json(t)["id"].(string)
	key := "event|" + s.cal + "|" + id
	reminders := tables.NewReminderStore(h.client)
	return seriesReminder{calSetup: s, mails: l, queue: q, start: start, id: id, key: key, reminders: reminders}
}

// TestSeriesReminderChains: a series has one reminder scheduled at a time;
// delivering the reminder of an occurrence mails it and schedules the
// reminder of the next occurrence.
func TestSeriesReminderChains(t *testing.T) {
	t.Parallel()
	r := newSeriesReminder(t)
	s, h, l, q, start, id, key, reminders := r.calSetup, r.h, r.mails, r.queue, r.start, r.id, r.key, r.reminders
	first, err := reminders.Get(context.Background(), s.owner.tenant, key)
	if err != nil || len(first) != 1 || q.Pending() != 1 {
		t.Fatalf("after create: got seqs %v (%v), %d pending, want the first occurrence's reminder", first, err, q.Pending())
	}

	waitMails(t, l, 1)
	content, _ := json.Marshal(l.sent()[0]["content"])
	if subj, _ := l.sent()[0]["subject"].(string); !strings.Contains(subj, "Daily sync") {
		t.Errorf("got subject %q, want the series' title", subj)
	}
	if !strings.Contains(string(content), start.Format("15:04")) {
		t.Errorf("reminder mail %s does not give the occurrence's time %s", content, start.Format("15:04"))
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		next, _ := reminders.Get(context.Background(), s.owner.tenant, key)
		if len(next) == 1 && next[0] != first[0] && q.Pending() == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the first reminder: got seqs %v (first %v), %d pending, want the second occurrence's reminder", next, first, q.Pending())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(l.sent()); n != 1 {
		t.Errorf("got %d mails, want 1 (the next reminder is a day away)", n)
	}

	expect(t, h.do("DELETE", calEvents(s.cal)+"/"+id, &s.owner, nil), 204, "")
	if left, _ := reminders.Get(context.Background(), s.owner.tenant, key); len(left) != 0 || q.Pending() != 0 {
		t.Errorf("after deleting the series: got seqs %v, %d pending, want none", left, q.Pending())
	}
}

// TestSeriesReminderSkipsCancelledOccurrence: cancelling the next occurrence
// moves the series' reminder to the one after it.
func TestSeriesReminderSkipsCancelledOccurrence(t *testing.T) {
	t.Parallel()
	r := newSeriesReminder(t)
	s, h, l, q, start, id, key, reminders := r.calSetup, r.h, r.mails, r.queue, r.start, r.id, r.key, r.reminders
	first, _ := reminders.Get(context.Background(), s.owner.tenant, key)
	expect(t, h.do("DELETE", calEvents(s.cal)+"/"+id+"/occurrences/"+start.Format(time.RFC3339), &s.owner, nil), 204, "")
	moved, _ := reminders.Get(context.Background(), s.owner.tenant, key)
	if len(first) != 1 || len(moved) != 1 || moved[0] == first[0] || q.Pending() != 1 {
		t.Fatalf("after cancelling the first occurrence: got seqs %v (was %v), %d pending, want one new reminder", moved, first, q.Pending())
	}
	if time.Now().After(start.Add(-15 * time.Minute)) {
		t.Fatalf("the occurrence was cancelled after its reminder fell due; reminderLead (%v) is too short for this machine", reminderLead)
	}
	time.Sleep(time.Until(start.Add(-15*time.Minute)) + time.Second) // past the cancelled occurrence's reminder time
	if n := len(l.sent()); n != 0 {
		t.Errorf("got %d mails, want none for the cancelled occurrence", n)
	}
}

// flakyPublisher refuses every message while down.
type flakyPublisher struct {
	notify.Publisher
	down atomic.Bool
}

func (f *flakyPublisher) Publish(ctx context.Context, env notify.Envelope) error {
	if f.down.Load() {
		return teamspro.Errorf(teamspro.EUNAVAILABLE, "queue down")
	}
	return f.Publisher.Publish(ctx, env)
}

// TestOutboxKeepsRefusedMessages: while the queue refuses messages the change
// is still made and its mail waits in the outbox; the flush-outbox timer
// queues it once the queue is back.
func TestOutboxKeepsRefusedMessages(t *testing.T) {
	t.Parallel()
	s := bookingSetupOn(t, newIsolatedHarness(t)) // the flush timer is cross-tenant
	h := s.h
	l := newMailListener(t)
	q := withMail(t, h, l, true)
	flaky := &flakyPublisher{Publisher: q}
	flaky.down.Store(true)
	d := h.srv.Deps
	d.Dispatcher = newDispatcher(t, h, d, flaky)
	srv := newServer(t, h.client, d)
	h.srv, h.http = srv, newTestServer(t, srv)
	// The queue delivers to the notify function of the first server, which
	// shares the stores: mails go to the same listener.

	h.createRoom(s.admin, "r1", nil)
	expect(t, h.do("GET", "/api/me", &s.member, nil), 200, "")
	expect(t, h.do("POST", events(s.cal), &s.member, event("r1", at(2, 10, 0), at(2, 11, 0))), 201, "")
	time.Sleep(200 * time.Millisecond)
	if n := len(l.sent()); n != 0 {
		t.Fatalf("got %d mails while the queue is down, want 0", n)
	}
	// Still down: the timer fails (non-2xx) and keeps the message.
	if res := h.post("/flush-outbox", timerPayload); res.status < 300 {
		t.Errorf("flush while down: got %d, want a failure", res.status)
	}
	flaky.down.Store(false)
	if res := h.post("/flush-outbox", timerPayload); res.status != 200 || !strings.Contains(string(res.body), `"queued":1`) {
		t.Fatalf("flush: got %d %s, want one message queued", res.status, res.body)
	}
	waitMails(t, l, 1)
	if res := h.post("/flush-outbox", timerPayload); !strings.Contains(string(res.body), `"queued":0`) {
		t.Errorf("second flush: got %s, want nothing left", res.body)
	}
}

// approvalRoom creates a room that needs approval, managed by a new user of
// the setup's tenant, and signs in that manager and the member (so both have
// profiles to be mailed at); it returns the manager.
func approvalRoom(t *testing.T, s *bookingSetup, id string) user {
	t.Helper()
	h := s.h
	manager := h.newUser(s.admin.tenant, false)
	expect(t, h.do("GET", "/api/me", &manager, nil), 200, "")
	expect(t, h.do("GET", "/api/me", &s.member, nil), 200, "")
	h.createRoom(s.admin, id, map[string]any{"managers": []string{manager.oid}, "rules": map[string]any{"requiresApproval": true}})
	return manager
}

// TestApprovalRequestMailsManagers: a reservation of a room that needs
// approval mails the organizer (pending) and asks the room's managers.
func TestApprovalRequestMailsManagers(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	l := newMailListener(t)
	withMail(t, h, l, true)
	approvalRoom(t, s, "exec")
	res := h.do("POST", events(s.cal), &s.member, event("exec", at(3, 10, 0), at(3, 11, 0)))
	expect(t, res, 201, "")
	if st := res.json(t)["status"]; st != "pending" {
		t.Fatalf("got status %v, want pending", st)
	}
	waitMails(t, l, 2)
	var subjects []string
	for _, m := range l.sent() {
		subjects = append(subjects, m["subject"].(string))
	}
	joined := strings.ToLower(strings.Join(subjects, " | "))
	if !strings.Contains(joined, "approv") {
		t.Errorf("got subjects %v, want an approval request", subjects)
	}
}

// TestCopyCalendarJob copies a calendar of 120 events (one a series with an
// exception) into another through the queue, in batches: every event arrives
// once, the job completes, the requester gets one mail; running a step again
// changes nothing.
func TestCopyCalendarJob(t *testing.T) {
	t.Parallel()
	s := newCalSetup(t, nil)
	h := s.h
	l := newMailListener(t)
	withMail(t, h, l, true)
	expect(t, h.do("GET", "/api/me", &s.owner, nil), 200, "")
	target := h.calendarTab(s.owner, "copy-target", nil)
	stranger := h.newUser("", true)
	day := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 119; i++ {
		st := day.Add(time.Duration(i) * 2 * time.Hour)
		expect(t, h.do("POST", calEvents(s.cal), &s.owner, calEvent(fmt.Sprintf("E%d", i), st.Format(time.RFC3339), st.Add(time.Hour).Format(time.RFC3339), "UTC", nil)), 201, "")
	}
	series := h.do("POST", calEvents(s.cal), &s.owner, calEvent("Weekly", "2026-03-02T08:00:00Z", "2026-03-02T08:30:00Z", "UTC",
		map[string]any{"rrule": "FREQ=WEEKLY;COUNT=4"})).json(t)["id"].(string)
	expect(t, h.do("DELETE", calEvents(s.cal)+"/"+series+"/occurrences/2026-03-09T08:00:00Z", &s.owner, nil), 204, "")

	expect(t, h.do("POST", "/api/calendar/v1/"+s.cal+"/copy", &s.other, map[string]any{"targetCalendarId": "nope"}), 404, "not_found")
	expect(t, h.do("POST", "/api/calendar/v1/"+s.cal+"/copy", &stranger, map[string]any{"targetCalendarId": target}), 404, "not_found")
	res := h.do("POST", "/api/calendar/v1/"+s.cal+"/copy", &s.owner, map[string]any{"targetCalendarId": target})
	expect(t, res, 202, "")
	j := res.json(t)
	if j["total"] != float64(120) || j["steps"] != float64(3) {
		t.Fatalf("got job %v, want 120 events in 3 steps", j)
	}
	jobURL := res.header.Get("Location")
	// Generous: the steps share two cores with the rest of the suite under -race.
	deadline := time.Now().Add(90 * time.Second)
	for {
		j = h.do("GET", jobURL, &s.owner, nil).json(t)
		if j["status"] == "completed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job not completed: %v", j)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if j["copied"] != float64(120) || j["failed"] != float64(0) {
		t.Errorf("got job %v, want 120 copied", j)
	}
	expect(t, h.do("GET", jobURL, &stranger, nil), 404, "not_found")
	waitMails(t, l, 1)
	countTarget := func() int {
		return len(h.listOcc(t, &s.owner, target, "2026-03-01T00:00:00Z", "2026-04-15T00:00:00Z", ""))
	}
	want := len(h.listOcc(t, &s.owner, s.cal, "2026-03-01T00:00:00Z", "2026-04-15T00:00:00Z", ""))
	if got := countTarget(); got != want || want != 119+3 {
		t.Errorf("target has %d occurrences, source %d, want 122 in both (the cancelled occurrence stays cancelled)", got, want)
	}
	// A step delivered again copies nothing twice and counts nothing twice.
	env, _ := notify.NewEnvelope(notify.TypeCalendarCopy, "again", s.owner.tenant, time.Now(), &notify.CalendarCopy{
		JobID: j["id"].(string), Step: 1, Steps: 3, SourceCalendarID: s.cal, TargetCalendarID: target, EventIDs: []string{series}})
	if err := (dispatch.Steps{Copies: h.srv.Calendar}).RunCalendarCopy(context.Background(), env, env2copy(t, env)); err != nil {
		t.Fatal(err)
	}
	if got := countTarget(); got != want {
		t.Errorf("after a repeated step: %d occurrences, want %d", got, want)
	}
	if again := h.do("GET", jobURL, &s.owner, nil).json(t); again["copied"] != float64(120) {
		t.Errorf("repeated step changed the count: %v", again["copied"])
	}
	if n := len(l.sent()); n != 1 {
		t.Errorf("got %d completion mails, want 1", n)
	}
}

func env2copy(t *testing.T, env notify.Envelope) *notify.CalendarCopy {
	t.Helper()
	var c notify.CalendarCopy
	if err := json.Unmarshal(env.Payload, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}
