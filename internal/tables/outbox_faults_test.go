package tables_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/dispatch"
	"github.com/teamspro/functions/internal/faultproxy"
	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/outbox"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
	"github.com/teamspro/functions/internal/teamspro"
)

// mailPipe is the notification path of the product behind a fault fixture:
// the fixture's booking service records its changes through a dispatcher
// over the failing storage (the instance that dies, or whose storage is cut),
// which publishes into an in-process queue; the queue's consumer is the mail
// processor, with its processing marks in healthy storage, writing each mail
// as an .eml file into dir. healthy is the dispatcher of an instance started
// afterwards, over healthy storage: the repair's relay.
type mailPipe struct {
	dir     string
	queue   *notify.Queue
	dying   *dispatch.Dispatcher
	healthy *dispatch.Dispatcher
}

func newMailPipe(t testing.TB, f *faultFixture, pub func(notify.Publisher) notify.Publisher) *mailPipe {
	t.Helper()
	m := &mailPipe{dir: t.TempDir()}
	var err error
	if m.queue, err = notify.OpenQueue(notify.QueueOptions{RetryDelay: func(int) time.Duration { return 10 * time.Millisecond }}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.queue.Close() })
	mailer, err := outbox.New(m.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := notify.NewProcessor(notify.ProcessorConfig{Mailer: mailer, Marks: tables.NewMarkStore(tablestest.New(t, tables.TableMarks)),
		From: notify.Address{Name: "TeamsPro", Email: "noreply@contoso.example"}, Invite: notify.Invite("contoso.example", time.Now),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := notify.Consume(m.queue, func(ctx context.Context, d notify.Delivery) error {
		_, err := p.Process(ctx, d)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	dispatcher := func(b *bookingFixture, pub notify.Publisher) *dispatch.Dispatcher {
		events := tables.NewEventStore(b.client)
		d, err := dispatch.New(dispatch.Config{Publisher: pub, Profiles: tables.NewDirectoryStore(b.client), Tabs: tables.NewTabStore(b.client),
			Events: events, Outgoing: events, Rooms: b.rooms, Reservations: b.res, Now: func() time.Time { return f.now },
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	m.dying = dispatcher(f.bookingFixture, pub(m.queue))
	m.healthy = dispatcher(f.healthy, m.queue)
	f.svc.Notifier = m.dying
	return m
}

// idle waits until the queue has delivered what it holds.
func (m *mailPipe) idle(t testing.TB) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); m.queue.Pending() > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // the delivery in hand ends
}

// mails waits until the queue has delivered what it holds, and returns the
// mails written.
func (m *mailPipe) mails(t testing.TB, want int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		files, err := os.ReadDir(m.dir)
		if err != nil {
			t.Fatal(err)
		}
		if (len(files) >= want && m.queue.Pending() == 0) || time.Now().After(deadline) {
			time.Sleep(200 * time.Millisecond) // a mail too many would be written now
			files, _ = os.ReadDir(m.dir)
			var out []string
			for _, f := range files {
				b, err := os.ReadFile(m.dir + "/" + f.Name())
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, string(b))
			}
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settleAndRelay is settle with the restarted instance's dispatcher as the
// repair's relay, as the repair-bookings timer runs it: RepairGrace after
// the change, when what its own instance queued has usually been processed
// (when it has not, the processor keeps the relay's second message from
// mailing while the first one's send is in hand).
func (m *mailPipe) settleAndRelay(t testing.TB, f *faultFixture) {
	t.Helper()
	m.dying.Wait()
	f.proxy.Heal()
	f.res.Wait()
	m.idle(t)
	if _, err := f.healthy.res.RepairTenant(context.Background(), f.tenant, 0, m.healthy.RelayReservation); err != nil {
		t.Fatalf("repair: %v", err)
	}
}

// mailedOp is a write operation whose organizer is mailed once when it
// happens: setup prepares it through healthy storage and returns it, and
// happened, which tells (through healthy storage) whether it took effect.
type mailedOp struct {
	name    string
	subject string
	setup   func(t testing.TB, f *faultFixture, p teamspro.Principal) (run func(context.Context) error, happened func() bool)
}

func mailedOps() []mailedOp {
	day := func(f *faultFixture) time.Time { return f.now.Truncate(24*time.Hour).AddDate(0, 0, 1) }
	get := func(f *faultFixture, id string) *booking.Reservation {
		r, err := f.healthy.svc.Reservations.Get(context.Background(), f.tenant, id)
		if err != nil {
			return nil
		}
		return r
	}
	held := func(f *faultFixture, p teamspro.Principal) []*booking.Reservation {
		rs, _ := f.healthy.res.ByOrganizer(context.Background(), f.tenant, p.ObjectID, day(f), day(f).AddDate(0, 0, 7))
		var out []*booking.Reservation
		for _, r := range rs {
			if booking.Holds(r.Status) {
				out = append(out, r)
			}
		}
		return out
	}
	return []mailedOp{
		{"book one", "Reservation confirmed", func(t testing.TB, f *faultFixture, p teamspro.Principal) (func(context.Context) error, func() bool) {
			f.healthy.room(t, "r1", nil)
			return func(ctx context.Context) error {
					_, err := f.svc.Create(ctx, p, "cal", input("r1", day(f).Add(10*time.Hour), time.Hour))
					return err
				}, func() bool {
					return len(held(f, p)) == 1
				}
		}},
		{"book a series", "Reservation confirmed", func(t testing.TB, f *faultFixture, p teamspro.Principal) (func(context.Context) error, func() bool) {
			f.healthy.room(t, "r1", nil)
			return func(ctx context.Context) error {
					in := input("r1", day(f).Add(9*time.Hour), time.Hour)
					three := 3
					in.RRule = &calendar.RecurrenceRule{Freq: "DAILY", Count: &three}
					_, err := f.svc.Create(ctx, p, "cal", in)
					return err
				}, func() bool {
					return len(held(f, p)) == 3
				}
		}},
		{"move to another day", "Reservation confirmed", func(t testing.TB, f *faultFixture, p teamspro.Principal) (func(context.Context) error, func() bool) {
			f.healthy.room(t, "r1", nil)
			c, err := f.healthy.svc.Create(context.Background(), p, "cal", input("r1", day(f).Add(9*time.Hour), time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			to := day(f).Add(33 * time.Hour)
			return func(ctx context.Context) error {
					_, err := f.svc.Update(ctx, p, c.First.ID, "", input("r1", to, time.Hour))
					return err
				}, func() bool {
					r := get(f, c.First.ID)
					return r != nil && r.Start.Equal(to)
				}
		}},
		{"cancel", "Reservation cancelled", func(t testing.TB, f *faultFixture, p teamspro.Principal) (func(context.Context) error, func() bool) {
			f.healthy.room(t, "r1", nil)
			c, err := f.healthy.svc.Create(context.Background(), p, "cal", input("r1", day(f).Add(9*time.Hour), time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			return func(ctx context.Context) error {
					_, err := f.svc.Cancel(ctx, p, c.First.ID, "")
					return err
				}, func() bool {
					r := get(f, c.First.ID)
					return r != nil && r.Status == booking.StatusCancelled
				}
		}},
	}
}

// checkMailedOnce fails the test unless the organizer got exactly one mail,
// with subject, when the operation happened, and none when it did not.
func checkMailedOnce(t testing.TB, what string, m *mailPipe, op mailedOp, happened bool) {
	t.Helper()
	want := 0
	if happened {
		want = 1
	}
	mails := m.mails(t, want)
	if len(mails) != want {
		t.Errorf("%s: the change happened=%v: got %d mails, want %d", what, happened, len(mails), want)
		return
	}
	if want == 1 && !strings.Contains(mails[0], op.subject) {
		t.Errorf("%s: got a mail without %q", what, op.subject)
	}
}

// TestEveryFaultPointMailsOnce is the fault-point matrix of the outbox: each
// mailed write runs once healthy to count its storage requests n (those of
// its announcement after the answer included), then for every k below n on
// fresh data with storage failing after k requests (connection reset, and a
// timeout after storage applied the request). Once storage answers again and
// the repair has run with a restarted instance's relay, the organizer has
// exactly one mail if the change happened and none otherwise, and the tables
// are whole (no outgoing record left).
func TestEveryFaultPointMailsOnce(t *testing.T) {
	t.Parallel()
	same := func(p notify.Publisher) notify.Publisher { return p }
	for _, op := range mailedOps() {
		t.Run(op.name, func(t *testing.T) {
			t.Parallel()
			f := newFaultFixture(t)
			m := newMailPipe(t, f, same)
			p := organizer(f)
			run, happened := op.setup(t, f, p)
			f.proxy.Passed()
			if err := run(context.Background()); err != nil {
				t.Fatalf("healthy run: %v", err)
			}
			m.dying.Wait()
			n := f.proxy.Passed()
			checkMailedOnce(t, "healthy", m, op, happened())
			f.checkWhole(t, "healthy")
			t.Logf("%s: %d storage requests", op.name, n)
			for k := range n {
				for _, mode := range []faultproxy.Mode{faultproxy.Reset, faultproxy.Timeout} {
					what := fmt.Sprintf("fail after %d (%s)", k, mode)
					f := newFaultFixture(t)
					m := newMailPipe(t, f, same)
					run, happened := op.setup(t, f, organizer(f))
					f.proxy.FailAfter(k, mode)
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					_ = run(ctx)
					cancel()
					m.settleAndRelay(t, f)
					checkMailedOnce(t, what, m, op, happened())
					f.checkWhole(t, what)
				}
			}
		})
	}
}

// cuttingPublisher is the queue of an instance whose storage is cut, or
// which dies, just as it announces a stored change: it cuts storage, then
// queues the message (queued) or never returns until the test buries the
// instance (dies).
type cuttingPublisher struct {
	notify.Publisher
	proxy *faultproxy.Proxy
	dies  bool
	dead  chan struct{}
}

func (c *cuttingPublisher) Publish(ctx context.Context, env notify.Envelope) error {
	c.proxy.FailAfter(0, faultproxy.Reset)
	if !c.dies {
		return c.Publisher.Publish(ctx, env)
	}
	select {
	case <-c.dead:
	case <-ctx.Done():
	}
	return teamspro.Errorf(teamspro.EUNAVAILABLE, "the instance died")
}

// TestReservationMailedOnceAfterACrash: a reservation and its outgoing record
// are stored in one batch; as the instance announces it, its storage is cut
// and the message is queued (so the record is never forgotten), or the
// instance dies before queueing it; a restarted instance's repair announces
// the record; then the dead instance is buried. The organizer gets exactly
// one mail.
func TestReservationMailedOnceAfterACrash(t *testing.T) {
	t.Parallel()
	for _, dies := range []bool{false, true} {
		name := "storage cut, message queued"
		if dies {
			name = "dies before queueing"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFaultFixture(t)
			var cut *cuttingPublisher
			m := newMailPipe(t, f, func(q notify.Publisher) notify.Publisher {
				cut = &cuttingPublisher{Publisher: q, proxy: f.proxy, dies: dies, dead: make(chan struct{})}
				return cut
			})
			p := organizer(f)
			f.healthy.room(t, "r1", nil)
			start := f.now.Truncate(24*time.Hour).AddDate(0, 0, 1).Add(10 * time.Hour)
			if _, err := f.svc.Create(context.Background(), p, "cal", input("r1", start, time.Hour)); err != nil {
				t.Fatalf("the booking: got %v, want it made (the announcement comes after the answer)", err)
			}
			if !dies {
				m.dying.Wait()
			}
			if problems, _ := f.healthy.res.Verify(context.Background(), f.tenant); !strings.Contains(strings.Join(problems, "\n"), "never announced") {
				t.Errorf("before the repair: got problems %q, want the record left unannounced", problems)
			}
			f.proxy.Heal()
			m.idle(t)
			if _, err := f.healthy.res.RepairTenant(context.Background(), f.tenant, 0, m.healthy.RelayReservation); err != nil {
				t.Fatalf("repair: %v", err)
			}
			close(cut.dead)
			m.dying.Wait()
			f.res.Wait()
			if _, err := f.healthy.res.RepairTenant(context.Background(), f.tenant, 0, m.healthy.RelayReservation); err != nil {
				t.Fatalf("second repair: %v", err)
			}
			checkMailedOnce(t, name, m, mailedOp{subject: "Reservation confirmed"}, true)
			f.checkWhole(t, name)
		})
	}
}

// organizer is a user of the fixture's tenant with a mail address.
func organizer(f *faultFixture) teamspro.Principal {
	p := f.user()
	p.Name, p.UPN = "Olga Organizer", "olga@contoso.example"
	return p
}
