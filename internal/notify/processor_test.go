package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// testInvite is a minimal real InviteFunc: enough VCALENDAR for the tests, not an
// iCalendar library (internal/ical provides the real one).
func testInvite(msg Message) ([]byte, string, error) {
	method := InviteMethod(msg.Type)
	var uid, summary string
	var start, end time.Time
	switch b := msg.Body.(type) {
	case *EventNotice:
		uid, summary, start, end = b.Event.ID, b.Event.Title, b.Event.Start, b.Event.End
	case *ReservationNotice:
		uid, summary, start, end = b.Reservation.ID, b.Reservation.RoomName, b.Reservation.Start, b.Reservation.End
	default:
		return nil, "", teamspro.Errorf(teamspro.EINVALID, "no invite for %s", msg.Type)
	}
	const f = "20060102T150405Z"
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//TeamsPro//test//EN\r\nMETHOD:" + method + "\r\n" +
		"BEGIN:VEVENT\r\nUID:" + uid + "@teamspro\r\nDTSTAMP:" + msg.OccurredAt.Format(f) + "\r\n" +
		"DTSTART:" + start.UTC().Format(f) + "\r\nDTEND:" + end.UTC().Format(f) + "\r\nSUMMARY:" + summary + "\r\n" +
		"END:VEVENT\r\nEND:VCALENDAR\r\n"
	return []byte(ics), method, nil
}

// fakeMailer records mails and answers with the errors it is given, in order.
type fakeMailer struct {
	mu    sync.Mutex
	sent  []Mail
	tries int
	errs  []error // per call; nil or missing: accepted
}

func (m *fakeMailer) Send(ctx context.Context, mail Mail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := m.tries
	m.tries++
	if i < len(m.errs) && m.errs[i] != nil {
		return m.errs[i]
	}
	m.sent = append(m.sent, mail)
	return nil
}

func (m *fakeMailer) mails() []Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Mail(nil), m.sent...)
}

// blockingMailer accepts every mail, but holds the first send until release
// is closed, after saying so on entered.
type blockingMailer struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
	mu      sync.Mutex
	n       int
}

func (m *blockingMailer) Send(ctx context.Context, mail Mail) error {
	first := false
	m.once.Do(func() { close(m.entered); first = true })
	if first {
		<-m.release
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.n++
	return nil
}

func (m *blockingMailer) sends() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n
}

// flakyMarks fails chosen calls of an underlying MemoryMarks.
type flakyMarks struct {
	*MemoryMarks
	failPut func(k MarkKey, m Mark) error
	failGet error
}

func (f *flakyMarks) Get(ctx context.Context, k MarkKey) (Mark, error) {
	if f.failGet != nil {
		return Mark{}, f.failGet
	}
	return f.MemoryMarks.Get(ctx, k)
}

func (f *flakyMarks) Put(ctx context.Context, k MarkKey, m Mark) (string, error) {
	if f.failPut != nil {
		if err := f.failPut(k, m); err != nil {
			return "", err
		}
	}
	return f.MemoryMarks.Put(ctx, k, m)
}

type zoneDirectory map[string]string

func (d zoneDirectory) TimeZone(ctx context.Context, tenantID, email string) (string, error) {
	if z, ok := d[email]; ok {
		return z, nil
	}
	return "", teamspro.Errorf(teamspro.ENOTFOUND, "unknown user")
}

func newTestProcessor(t *testing.T, mailer Mailer, marks Marks, edit func(*ProcessorConfig)) *Processor {
	t.Helper()
	cfg := ProcessorConfig{
		Mailer: mailer, Marks: marks, From: Address{Name: "TeamsPro", Email: "noreply@contoso.com"},
		Invite: testInvite, Clock: func() time.Time { return testStart },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if edit != nil {
		edit(&cfg)
	}
	p, err := NewProcessor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func delivery(t *testing.T, env Envelope, count int) Delivery {
	t.Helper()
	return Delivery{Body: mustBody(t, env), MessageID: env.ID, DeliveryCount: count}
}

func eventCreated(t *testing.T, id string, rcpts ...Recipient) Envelope {
	t.Helper()
	return mustEnvelope(t, TypeEventCreated, id, &EventNotice{Event: testEvent(), Recipients: rcpts, Actor: Person{Name: "Ada Lovelace"}})
}

var (
	grace = Recipient{Name: "Grace Hopper", Email: "grace@contoso.com", TimeZone: "America/New_York"}
	alan  = Recipient{Name: "Alan Turing", Email: "alan@contoso.com"} // no zone: the event's
)

func TestProcessEventCreatedSendsOneMailPerRecipientInTheirZone(t *testing.T) {
	t.Parallel()
	mailer := &fakeMailer{}
	p := newTestProcessor(t, mailer, NewMemoryMarks(), nil)
	dupe := grace
	dupe.Email = "GRACE@contoso.com"
	res, err := p.Process(context.Background(), delivery(t, eventCreated(t, "m1", grace, alan, dupe), 1))
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	if got := res.Count(OutcomeSent); got != 2 {
		t.Fatalf("got %d sent, want 2 (the duplicate address once): %+v", got, res)
	}
	mails := mailer.mails()
	if len(mails) != 2 {
		t.Fatalf("got %d mails, want 2", len(mails))
	}
	tests := []struct {
		name        string
		mail        Mail
		to          string
		whenText    string
		subjectWhen string
	}{
		// 14:00 UTC on 10 March 2026 is 10:00 in New York (EDT since 8 March) and 15:00 in Paris (CET).
		{"New York reader", mails[0], "grace@contoso.com", "Tue 10 Mar 2026, 10:00 – 11:00 (America/New_York, EDT)", "Tue 10 Mar 2026 10:00 America/New_York, EDT"},
		{"event zone by default", mails[1], "alan@contoso.com", "Tue 10 Mar 2026, 15:00 – 16:00 (Europe/Paris, CET)", "Tue 10 Mar 2026 15:00 Europe/Paris, CET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.mail
			if len(m.To) != 1 || m.To[0].Email != tt.to {
				t.Errorf("got To %v, want only %s", m.To, tt.to)
			}
			if m.From.Email != "noreply@contoso.com" {
				t.Errorf("got From %v, want noreply@contoso.com", m.From)
			}
			if want := "Invitation: Sprint review (" + tt.subjectWhen + ")"; m.Subject != want {
				t.Errorf("got subject %q, want %q", m.Subject, want)
			}
			for _, part := range []string{m.Text, m.HTML} {
				if !strings.Contains(part, tt.whenText) {
					t.Errorf("got body without %q:\n%s", tt.whenText, part)
				}
				if !strings.Contains(part, "Room Everest") || !strings.Contains(part, "Ada Lovelace added you") {
					t.Errorf("got body without location or actor:\n%s", part)
				}
			}
			if m.Calendar == nil || m.Calendar.Method != "REQUEST" || !bytes.Contains(m.Calendar.Content, []byte("UID:ev1@teamspro")) {
				t.Errorf("got calendar %+v, want a REQUEST invite for ev1", m.Calendar)
			}
			if len(m.Attachments) != 1 || m.Attachments[0].Filename != "invite.ics" || !bytes.Equal(m.Attachments[0].Content, m.Calendar.Content) {
				t.Errorf("got attachments %+v, want invite.ics with the invite", m.Attachments)
			}
			if want := IdempotencyKey("m1", tt.to); m.IdempotencyKey != want {
				t.Errorf("got idempotency key %q, want %q", m.IdempotencyKey, want)
			}
			if m.Headers["Auto-Submitted"] != "auto-generated" || m.Headers["X-TeamsPro-Message-Id"] != "m1" {
				t.Errorf("got headers %v, want Auto-Submitted and the message id", m.Headers)
			}
		})
	}
}

func TestProcessRedeliveryDoesNotResend(t *testing.T) {
	t.Parallel()
	mailer := &fakeMailer{}
	p := newTestProcessor(t, mailer, NewMemoryMarks(), nil)
	env := eventCreated(t, "m1", grace, alan)
	for n := 1; n <= 3; n++ {
		res, err := p.Process(context.Background(), delivery(t, env, n))
		if err != nil {
			t.Fatalf("delivery %d: %v", n, err)
		}
		if n > 1 && res.Count(OutcomeDuplicate) != 2 {
			t.Errorf("delivery %d: got %+v, want 2 duplicates", n, res.Recipients)
		}
	}
	if got := len(mailer.mails()); got != 2 {
		t.Errorf("got %d mails after 3 deliveries, want 2", got)
	}
}

func TestProcessTransientFailures(t *testing.T) {
	t.Parallel()
	unavailable := teamspro.Errorf(teamspro.EUNAVAILABLE, "storage down")
	refused := &teamspro.Error{Code: teamspro.EUNAVAILABLE, Detail: DetailNotSent, Message: "429"}
	tests := []struct {
		name      string
		mailErrs  []error
		marks     func(*MemoryMarks) Marks
		wantTries int // sends attempted by the first delivery
		wantSent  int // mails accepted after a second, healthy delivery
	}{
		{"mail service refuses", []error{refused}, nil, 1, 1},
		{"timeout, outcome unknown", []error{teamspro.Wrap(teamspro.EUNAVAILABLE, errors.New("i/o timeout"), "timeout")}, nil, 1, 1},
		{"unexpected error", []error{errors.New("connection reset")}, nil, 1, 1},
		{"marks unreadable", nil, func(m *MemoryMarks) Marks { return &flakyMarks{MemoryMarks: m, failGet: unavailable} }, 0, 0},
		{"marks unwritable", nil, func(m *MemoryMarks) Marks {
			return &flakyMarks{MemoryMarks: m, failPut: func(MarkKey, Mark) error { return unavailable }}
		}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mem := NewMemoryMarks()
			var marks Marks = mem
			if tt.marks != nil {
				marks = tt.marks(mem)
			}
			mailer := &fakeMailer{errs: tt.mailErrs}
			env := eventCreated(t, "m1", grace)
			_, err := newTestProcessor(t, mailer, marks, nil).Process(context.Background(), delivery(t, env, 1))
			if code := teamspro.ErrorCode(err); code != teamspro.EUNAVAILABLE {
				t.Fatalf("got %v (code %q), want EUNAVAILABLE", err, code)
			}
			if mailer.tries != tt.wantTries {
				t.Errorf("got %d send attempts, want %d", mailer.tries, tt.wantTries)
			}
			if tt.marks != nil {
				return // storage is still down; the next delivery fails the same way
			}
			if _, err := newTestProcessor(t, mailer, mem, nil).Process(context.Background(), delivery(t, env, 2)); err != nil {
				t.Fatalf("second delivery: %v", err)
			}
			if got := len(mailer.mails()); got != tt.wantSent {
				t.Errorf("got %d mails after redelivery, want %d", got, tt.wantSent)
			}
		})
	}
}

func TestProcessRefusalsDoNotExhaustTheBound(t *testing.T) {
	t.Parallel()
	refused := &teamspro.Error{Code: teamspro.EUNAVAILABLE, Detail: DetailNotSent, Message: "503"}
	mailer := &fakeMailer{errs: []error{refused, refused, refused, refused}}
	p := newTestProcessor(t, mailer, NewMemoryMarks(), nil)
	env := eventCreated(t, "m1", grace)
	for n := 1; n <= 4; n++ {
		if _, err := p.Process(context.Background(), delivery(t, env, n)); teamspro.ErrorCode(err) != teamspro.EUNAVAILABLE {
			t.Fatalf("delivery %d: got %v, want EUNAVAILABLE", n, err)
		}
	}
	res, err := p.Process(context.Background(), delivery(t, env, 5))
	if err != nil || res.Count(OutcomeSent) != 1 {
		t.Fatalf("delivery 5: got %+v, %v; want the mail sent", res.Recipients, err)
	}
}

func TestProcessBoundsDuplicatesWhenTheOutcomeIsUnknown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := eventCreated(t, "m1", grace)

	t.Run("crash between send and mark", func(t *testing.T) {
		t.Parallel()
		mem := NewMemoryMarks()
		// The mail is accepted, but the "sent" mark never gets written: as if the
		// process died right after the send. Every delivery ends the same way.
		marks := &flakyMarks{MemoryMarks: mem, failPut: func(k MarkKey, m Mark) error {
			if m.State == MarkSent {
				return errors.New("process died")
			}
			return nil
		}}
		mailer := &fakeMailer{}
		p := newTestProcessor(t, mailer, marks, func(c *ProcessorConfig) { c.MaxUnconfirmed = 2 })
		for n := 1; n <= 2; n++ {
			if _, err := p.Process(ctx, delivery(t, env, n)); teamspro.ErrorCode(err) != teamspro.EUNAVAILABLE {
				t.Fatalf("delivery %d: got %v, want EUNAVAILABLE", n, err)
			}
		}
		for n := 3; n <= 10; n++ {
			res, err := p.Process(ctx, delivery(t, env, n))
			if err != nil || res.Count(OutcomeFailed) != 1 {
				t.Fatalf("delivery %d: got %+v, %v; want the mail given up, no error", n, res.Recipients, err)
			}
		}
		if got := len(mailer.mails()); got != 2 {
			t.Errorf("got %d copies of the mail, want at most MaxUnconfirmed = 2", got)
		}
		m, _ := mem.Get(ctx, MarkKey{TenantID: "tenant-1", MessageID: "m1", Part: "grace@contoso.com"})
		if m.State != MarkFailed || !strings.Contains(m.Reason, "unknown") {
			t.Errorf("got mark %+v, want failed for an unknown outcome", m)
		}
	})

	t.Run("crash before send", func(t *testing.T) {
		t.Parallel()
		mem := NewMemoryMarks()
		key := MarkKey{TenantID: "tenant-1", MessageID: "m1", Part: "grace@contoso.com"}
		if _, err := mem.Put(ctx, key, Mark{State: MarkSending, Attempts: 1}); err != nil {
			t.Fatal(err)
		}
		mailer := &fakeMailer{}
		res, err := newTestProcessor(t, mailer, mem, nil).Process(ctx, delivery(t, env, 2))
		if err != nil || res.Count(OutcomeSent) != 1 || len(mailer.mails()) != 1 {
			t.Fatalf("got %+v, %v, %d mails; want the mail sent once", res.Recipients, err, len(mailer.mails()))
		}
	})

	t.Run("a second broker message while the first sends", func(t *testing.T) {
		t.Parallel()
		// A relay published the message twice (same MessageId, two sequence
		// numbers), and both deliveries are in hand at once.
		mem := NewMemoryMarks()
		mailer := &blockingMailer{entered: make(chan struct{}), release: make(chan struct{})}
		p := newTestProcessor(t, mailer, mem, nil)
		first, second := delivery(t, env, 1), delivery(t, env, 1)
		first.SequenceNumber, second.SequenceNumber = 1, 2
		done := make(chan error, 1)
		go func() {
			_, err := p.Process(ctx, first)
			done <- err
		}()
		<-mailer.entered
		if _, err := p.Process(ctx, second); teamspro.ErrorCode(err) != teamspro.EUNAVAILABLE {
			t.Errorf("second message while the first sends: got %v, want EUNAVAILABLE (come back later)", err)
		}
		close(mailer.release)
		if err := <-done; err != nil {
			t.Fatalf("first message: %v", err)
		}
		second.DeliveryCount = 2
		res, err := p.Process(ctx, second)
		if err != nil || res.Count(OutcomeDuplicate) != 1 {
			t.Errorf("second message after the first sent: got %+v, %v; want a duplicate", res.Recipients, err)
		}
		if got := mailer.sends(); got != 1 {
			t.Errorf("got %d sends, want 1", got)
		}
	})

	t.Run("claims of another message", func(t *testing.T) {
		t.Parallel()
		key := MarkKey{TenantID: "tenant-1", MessageID: "m1", Part: "grace@contoso.com"}
		for _, tc := range []struct {
			name     string
			holder   int64
			age      time.Duration
			seq      int64
			wantSent bool
		}{
			{"fresh claim of another message waits", 1, time.Minute, 2, false},
			{"expired claim of another message counts as a crash", 1, 6 * time.Minute, 2, true},
			{"the holder's own redelivery counts it as a crash", 1, time.Minute, 1, true},
			{"a claim without holder counts as a crash", 0, time.Minute, 2, true},
			{"a delivery without sequence number counts it as a crash", 1, time.Minute, 0, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				mem := NewMemoryMarks()
				if _, err := mem.Put(ctx, key, Mark{State: MarkSending, Attempts: 1, Holder: tc.holder, Updated: testStart.Add(-tc.age)}); err != nil {
					t.Fatal(err)
				}
				mailer := &fakeMailer{}
				d := delivery(t, env, 2)
				d.SequenceNumber = tc.seq
				_, err := newTestProcessor(t, mailer, mem, nil).Process(ctx, d)
				if got := len(mailer.mails()) == 1; got != tc.wantSent {
					t.Errorf("got sent=%v (%v), want %v", got, err, tc.wantSent)
				}
				if !tc.wantSent && teamspro.ErrorCode(err) != teamspro.EUNAVAILABLE {
					t.Errorf("got %v, want EUNAVAILABLE", err)
				}
			})
		}
	})

	t.Run("concurrent delivery holds the mark", func(t *testing.T) {
		t.Parallel()
		mem := NewMemoryMarks()
		// Another delivery writes the mark between our read and our write.
		var once sync.Once
		marks := &flakyMarks{MemoryMarks: mem, failPut: func(k MarkKey, m Mark) error {
			once.Do(func() { mem.Put(ctx, k, Mark{State: MarkSending, Attempts: 1}) })
			return nil
		}}
		mailer := &fakeMailer{}
		_, err := newTestProcessor(t, mailer, marks, nil).Process(ctx, delivery(t, env, 1))
		if teamspro.ErrorCode(err) != teamspro.EUNAVAILABLE || mailer.tries != 0 {
			t.Errorf("got %v after %d sends, want EUNAVAILABLE and no send", err, mailer.tries)
		}
	})
}

func TestProcessPermanentFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	good := eventCreated(t, "m1", grace)
	unknown := good
	unknown.Type = "event.exploded"
	tests := []struct {
		name    string
		body    []byte
		msgID   string
		tenant  string
		wantWhy string
	}{
		{"unknown type", mustBody(t, unknown), "m1", "tenant-1", "Unknown message type"},
		{"malformed json", []byte(`{"type":`), "m2", "", "not a JSON envelope"},
		{"invalid payload", []byte(`{"type":"event.created","version":1,"id":"m3","tenantId":"tenant-1","payload":{"event":{"id":"e"},"recipients":[]}}`), "m3", "tenant-1", "recipients: at least one recipient"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mem, mailer := NewMemoryMarks(), &fakeMailer{}
			res, err := newTestProcessor(t, mailer, mem, nil).Process(ctx, Delivery{Body: tt.body, MessageID: tt.msgID, DeliveryCount: 1})
			if err != nil {
				t.Fatalf("got error %v, want nil for a permanent failure", err)
			}
			if !res.Permanent || !strings.Contains(res.Reason, tt.wantWhy) {
				t.Errorf("got permanent=%v reason %q, want permanent with %q", res.Permanent, res.Reason, tt.wantWhy)
			}
			m, err := mem.Get(ctx, MarkKey{TenantID: tt.tenant, MessageID: tt.msgID})
			if err != nil || m.State != MarkFailed {
				t.Errorf("got mark %+v, %v; want failed", m, err)
			}
			if mailer.tries != 0 {
				t.Errorf("got %d sends, want none", mailer.tries)
			}
		})
	}
}

func TestProcessRecipientFailuresSpareTheOthers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bad := Recipient{Name: "Nobody", Email: "not an address"}
	rejected := Recipient{Email: "bounced@contoso.com"}
	mailer := &fakeMailer{errs: []error{nil, teamspro.Errorf(teamspro.EINVALID, "Does not contain a valid address.")}}
	mem := NewMemoryMarks()
	p := newTestProcessor(t, mailer, mem, nil)
	env := eventCreated(t, "m1", grace, rejected, bad, alan)
	res, err := p.Process(ctx, delivery(t, env, 1))
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	want := []Outcome{OutcomeSent, OutcomeFailed, OutcomeFailed, OutcomeSent}
	for i, rr := range res.Recipients {
		if rr.Outcome != want[i] {
			t.Errorf("recipient %s: got %s (%s), want %s", rr.Email, rr.Outcome, rr.Reason, want[i])
		}
	}
	if len(res.Recipients) != len(want) {
		t.Fatalf("got %d results, want %d", len(res.Recipients), len(want))
	}
	res, err = p.Process(ctx, delivery(t, env, 2))
	if err != nil || res.Count(OutcomeDuplicate) != 2 || res.Count(OutcomeFailed) != 2 {
		t.Errorf("redelivery: got %+v, %v; want 2 duplicates and 2 failed", res.Recipients, err)
	}
	if mailer.tries != 3 {
		t.Errorf("got %d send attempts, want 3 (the invalid address is never tried)", mailer.tries)
	}
}

func TestProcessEscapesAndFormats(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ev := testEvent()
	ev.Title = "<script>alert(1)</script> & co\r\nBcc: x@evil.example"
	ev.Description = `"quoted" <b>bold</b>`
	ev.URL = "javascript:alert(1)"
	mailer := &fakeMailer{}
	p := newTestProcessor(t, mailer, NewMemoryMarks(), nil)
	env := mustEnvelope(t, TypeEventUpdated, "m1", &EventNotice{Event: ev, Recipients: []Recipient{grace}, Changes: []string{"title"}})
	if _, err := p.Process(ctx, delivery(t, env, 1)); err != nil {
		t.Fatal(err)
	}
	m := mailer.mails()[0]
	if strings.ContainsAny(m.Subject, "\r\n") {
		t.Errorf("got subject %q, want one line", m.Subject)
	}
	if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "<b>bold") || !strings.Contains(m.HTML, "&lt;script&gt;") {
		t.Errorf("got HTML with unescaped input:\n%s", m.HTML)
	}
	if strings.Contains(m.HTML, `href="javascript:`) {
		t.Errorf("got HTML linking to a javascript: URL:\n%s", m.HTML)
	}
	if !strings.Contains(m.Text, "<script>alert(1)</script> & co") || !strings.Contains(m.Text, "Changed: title") {
		t.Errorf("got text part without the raw title or the change list:\n%s", m.Text)
	}
}

func TestProcessSubjectsAndInvitesPerType(t *testing.T) {
	t.Parallel()
	samples := samplePayloads()
	tests := []struct {
		typ         Type
		subject     string
		method      string
		bodyMention string
	}{
		{TypeEventCreated, "Invitation: Sprint review (Tue 10 Mar 2026 10:00 America/New_York, EDT)", "REQUEST", "added you"},
		{TypeEventUpdated, "Updated: Sprint review (Tue 10 Mar 2026 10:00 America/New_York, EDT)", "REQUEST", "Changed: start"},
		{TypeEventDeleted, "Cancelled: Sprint review (Tue 10 Mar 2026 10:00 America/New_York, EDT)", "CANCEL", "cancelled this event"},
		{TypeReservationConfirmed, "Reservation confirmed: Everest, Tue 10 Mar 2026 10:00 America/New_York, EDT", "REQUEST", "Room: Everest"},
		{TypeReservationPending, "Reservation awaiting approval: Everest, Tue 10 Mar 2026 10:00 America/New_York, EDT", "", "asked to approve"},
		{TypeReservationApproved, "Reservation approved: Everest, Tue 10 Mar 2026 10:00 America/New_York, EDT", "REQUEST", "The room is yours"},
		{TypeReservationDeclined, "Reservation declined: Everest, Tue 10 Mar 2026 10:00 America/New_York, EDT", "", "Reason: maintenance"},
		{TypeReservationCancelled, "Reservation cancelled: Everest, Tue 10 Mar 2026 10:00 America/New_York, EDT", "CANCEL", "no longer reserved"},
		{TypeReservationReleased, "Reservation released: Everest, Tue 10 Mar 2026 10:00 America/New_York, EDT", "CANCEL", "Nobody checked in"},
		{TypeApprovalRequested, "Approval requested: Everest, Tue 10 Mar 2026 10:00 America/New_York, EDT", "", "Approve or decline: https://teams.example/approve"},
		{TypeReminder, "Reminder: Sprint review (Tue 10 Mar 2026 10:00 America/New_York, EDT)", "", "When: Tue 10 Mar 2026, 10:00 – 11:00"},
		{TypeJobCompleted, "Finished: calendar.copy", "", "Succeeded: 3"},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ), func(t *testing.T) {
			t.Parallel()
			mailer := &fakeMailer{}
			p := newTestProcessor(t, mailer, NewMemoryMarks(), nil)
			env := mustEnvelope(t, tt.typ, "m-"+string(tt.typ), samples[tt.typ])
			if _, err := p.Process(context.Background(), delivery(t, env, 1)); err != nil {
				t.Fatal(err)
			}
			mails := mailer.mails()
			if len(mails) != 1 {
				t.Fatalf("got %d mails, want 1", len(mails))
			}
			m := mails[0]
			if m.Subject != tt.subject {
				t.Errorf("got subject %q, want %q", m.Subject, tt.subject)
			}
			gotMethod := ""
			if m.Calendar != nil {
				gotMethod = m.Calendar.Method
			}
			if gotMethod != tt.method {
				t.Errorf("got invite method %q, want %q", gotMethod, tt.method)
			}
			if !strings.Contains(m.Text, tt.bodyMention) {
				t.Errorf("got text without %q:\n%s", tt.bodyMention, m.Text)
			}
		})
	}
}

func TestWhen(t *testing.T) {
	t.Parallel()
	paris, ny := zone("Europe/Paris"), zone("America/New_York")
	// All-day events are stored as midnight to midnight in their own zone.
	dayStart := time.Date(2026, 7, 14, 0, 0, 0, 0, paris)
	tests := []struct {
		name       string
		start, end time.Time
		allDay     bool
		loc        *time.Location
		want       string
	}{
		{"all day keeps its dates elsewhere", dayStart, dayStart.AddDate(0, 0, 1), true, ny, "Tue 14 Jul 2026 (all day)"},
		{"all day over days", dayStart, dayStart.AddDate(0, 0, 3), true, paris, "Tue 14 Jul 2026 – Thu 16 Jul 2026 (all day)"},
		{"across midnight", time.Date(2026, 7, 14, 21, 0, 0, 0, time.UTC), time.Date(2026, 7, 14, 23, 0, 0, 0, time.UTC), false, paris,
			"Tue 14 Jul 2026 23:00 – Wed 15 Jul 2026 01:00 (Europe/Paris, CEST)"},
		{"utc", testStart, testEnd, false, time.UTC, "Tue 10 Mar 2026, 14:00 – 15:00 (UTC)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := when(tt.start, tt.end, tt.allDay, paris, tt.loc); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestProcessDirectoryZone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		dir  Directory
		want string
		code string
	}{
		{"directory knows", zoneDirectory{"alan@contoso.com": "Asia/Tokyo"}, "23:00 – Wed 11 Mar 2026 00:00 (Asia/Tokyo, JST)", ""},
		{"directory does not know", zoneDirectory{}, "15:00 – 16:00", ""},
		{"directory down", downDirectory{}, "", teamspro.EUNAVAILABLE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mailer := &fakeMailer{}
			p := newTestProcessor(t, mailer, NewMemoryMarks(), func(c *ProcessorConfig) { c.Directory = tt.dir })
			_, err := p.Process(context.Background(), delivery(t, eventCreated(t, "m1", alan), 1))
			if code := teamspro.ErrorCode(err); code != tt.code {
				t.Fatalf("got %v, want code %q", err, tt.code)
			}
			if tt.code != "" {
				return
			}
			if m := mailer.mails(); len(m) != 1 || !strings.Contains(m[0].Text, tt.want) {
				t.Errorf("got %v, want one mail showing %q", m, tt.want)
			}
		})
	}
}

type downDirectory struct{}

func (downDirectory) TimeZone(context.Context, string, string) (string, error) {
	return "", teamspro.Errorf(teamspro.EUNAVAILABLE, "down")
}

type stepRecorder struct {
	mu    sync.Mutex
	steps []int
	err   error
}

func (s *stepRecorder) RunCalendarCopy(ctx context.Context, env Envelope, step *CalendarCopy) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.steps = append(s.steps, step.Step)
	return nil
}

func TestProcessCalendarCopyStep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := mustEnvelope(t, TypeCalendarCopy, "step1", samplePayloads()[TypeCalendarCopy])
	tests := []struct {
		name      string
		steps     *stepRecorder
		wantCode  string
		wantRuns  int
		permanent bool
	}{
		{"runs once over two deliveries", &stepRecorder{}, "", 1, false},
		{"transient failure", &stepRecorder{err: errors.New("storage timeout")}, teamspro.EUNAVAILABLE, 0, false},
		{"permanent failure", &stepRecorder{err: teamspro.Errorf(teamspro.EINVALID, "source calendar deleted")}, "", 0, true},
		{"no runner configured", nil, teamspro.EINTERNAL, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newTestProcessor(t, &fakeMailer{}, NewMemoryMarks(), func(c *ProcessorConfig) {
				if tt.steps != nil {
					c.Steps = tt.steps
				}
			})
			var res Result
			var err error
			for n := 1; n <= 2; n++ {
				res, err = p.Process(ctx, delivery(t, env, n))
			}
			if code := teamspro.ErrorCode(err); code != tt.wantCode {
				t.Fatalf("got %v, want code %q", err, tt.wantCode)
			}
			if res.Permanent != tt.permanent {
				t.Errorf("got permanent %v, want %v", res.Permanent, tt.permanent)
			}
			if tt.steps != nil && len(tt.steps.steps) != tt.wantRuns {
				t.Errorf("got %d runs, want %d", len(tt.steps.steps), tt.wantRuns)
			}
		})
	}
}

func TestProcessInviteErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		invite    InviteFunc
		wantCode  string
		permanent bool
	}{
		{"invalid", func(Message) ([]byte, string, error) { return nil, "", teamspro.Errorf(teamspro.EINVALID, "bad rrule") }, "", true},
		{"failing", func(Message) ([]byte, string, error) { return nil, "", fmt.Errorf("boom") }, teamspro.EUNAVAILABLE, false},
		{"none", func(Message) ([]byte, string, error) { return nil, "", nil }, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mailer := &fakeMailer{}
			p := newTestProcessor(t, mailer, NewMemoryMarks(), func(c *ProcessorConfig) { c.Invite = tt.invite })
			res, err := p.Process(context.Background(), delivery(t, eventCreated(t, "m1", grace), 1))
			if teamspro.ErrorCode(err) != tt.wantCode || res.Permanent != tt.permanent {
				t.Fatalf("got %v permanent=%v, want code %q permanent=%v", err, res.Permanent, tt.wantCode, tt.permanent)
			}
			if tt.name == "none" {
				if m := mailer.mails(); len(m) != 1 || m[0].Calendar != nil || len(m[0].Attachments) != 0 {
					t.Errorf("got %+v, want one mail without invite", m)
				}
			}
		})
	}
}

// TestQueueToProcessor runs the local path end to end: the in-process queue delivers
// to the Processor, a refused send is retried with a higher DeliveryCount, and the
// mail goes out exactly once.
func TestQueueToProcessor(t *testing.T) {
	t.Parallel()
	refused := &teamspro.Error{Code: teamspro.EUNAVAILABLE, Detail: DetailNotSent, Message: "429"}
	mailer := &fakeMailer{errs: []error{refused}}
	p := newTestProcessor(t, mailer, NewMemoryMarks(), nil)
	counts := make(chan int, 10)
	clock := newManualTime()
	q, err := NewQueue(func(ctx context.Context, d Delivery) error {
		counts <- d.DeliveryCount
		_, err := p.Process(ctx, d)
		return err
	}, QueueOptions{Clock: clock.Now, AfterFunc: clock.AfterFunc, RetryDelay: func(int) time.Duration { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if _, err := q.Schedule(context.Background(), eventCreated(t, "m1", grace), testStart.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	for want := 1; want <= 2; want++ {
		select {
		case got := <-counts:
			if got != want {
				t.Fatalf("got DeliveryCount %d, want %d", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no delivery %d within 5s", want)
		}
	}
	waitPending(t, q, 0)
	q.Close()
	if got := len(mailer.mails()); got != 1 {
		t.Errorf("got %d mails, want 1", got)
	}
}
