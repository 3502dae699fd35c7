package tables_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/faultproxy"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
	"github.com/teamspro/functions/internal/teamspro"
)

// faultFixture is the booking service over real stores whose every storage
// request goes through a fault-injecting proxy in front of Azurite.
type faultFixture struct {
	*bookingFixture
	proxy *faultproxy.Proxy
	// healthy is the same tenant's data through a client that bypasses the
	// proxy, with the normal retry policy: what the repair timer and the
	// checks use once storage is back.
	healthy *bookingFixture
}

var endpointRE = regexp.MustCompile(`TableEndpoint=(https?://[^/;]+)`)

func newFaultFixture(t testing.TB) *faultFixture {
	t.Helper()
	return newFaultFixtureOn(t, "")
}

// isolate moves the fixture onto tables of its own, for an operation that
// reads across tenants (the release timer): on the shared tables it would
// release, and fail half-way through, the reservations of the tests running
// beside it. Call it first in a setup.
func (f *faultFixture) isolate(t testing.TB) {
	t.Helper()
	*f = *newFaultFixtureOn(t, tablestest.Prefix()+strings.ReplaceAll(uuid.NewString(), "-", "")[:6])
}

// newFaultFixtureOn is newFaultFixture on the tables of prefix ("" for the
// shared ones).
func newFaultFixtureOn(t testing.TB, prefix string) *faultFixture {
	t.Helper()
	onPrefix := func(o *tables.Options) {
		if prefix != "" {
			o.Prefix = prefix
		}
	}
	p, through := storageProxy(t)
	f := newBookingFixture(t, onPrefix, func(o *tables.Options) {
		o.ConnectionString = through
		o.Retry = &policy.RetryOptions{MaxRetries: -1, TryTimeout: 20 * time.Second}
	})
	f.res.Background, f.res.BackgroundWait = 5*time.Second, 50*time.Millisecond
	f.svc.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	h := newBookingFixture(t, onPrefix)
	h.tenant = f.tenant
	return &faultFixture{bookingFixture: f, proxy: p, healthy: h}
}

// storageProxy starts a fault proxy in front of the test storage, and
// returns it with a connection string whose requests go through it.
func storageProxy(t testing.TB) (*faultproxy.Proxy, string) {
	t.Helper()
	cs := tablestest.ConnectionString(t)
	m := endpointRE.FindStringSubmatch(cs)
	if m == nil {
		t.Fatalf("no TableEndpoint in %s", tablestest.EnvVar)
	}
	p, err := faultproxy.New(m[1])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p, strings.Replace(cs, m[1], p.URL(), 1)
}

// settle is what the product does once storage answers again: the
// background completions of the failed requests end, then the repair runs
// (with no grace: the failed requests are over).
func (f *faultFixture) settle(t testing.TB) {
	t.Helper()
	f.proxy.Heal()
	f.res.Wait()
	if _, err := f.healthy.res.RepairTenant(context.Background(), f.tenant, 0, nil); err != nil {
		t.Fatalf("repair: %v", err)
	}
}

// checkWhole fails the test for every broken invariant over the raw tables,
// and checks that every reservation holding a slot can be found and
// cancelled through the service.
func (f *faultFixture) checkWhole(t testing.TB, what string) {
	t.Helper()
	ctx := context.Background()
	f.healthy.now = f.now
	problems, err := f.healthy.res.Verify(ctx, f.tenant)
	if err != nil {
		t.Fatalf("%s: verify: %v", what, err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", what, p)
	}
	admin := teamspro.Principal{TenantID: f.tenant, ObjectID: uuid.NewString(), Admin: true}
	for _, r := range readDays(t, f.tenant) {
		if !strings.HasPrefix(r.RowKey, "res|") {
			continue
		}
		id := strings.TrimPrefix(r.RowKey, "res|")
		got, err := f.healthy.svc.Reservations.Get(ctx, f.tenant, id)
		if err != nil {
			t.Errorf("%s: reservation %s is stored but Get says %v", what, id, err)
			continue
		}
		if booking.Holds(got.Status) {
			if _, err := f.healthy.svc.Cancel(ctx, admin, id, ""); err != nil {
				t.Errorf("%s: holding reservation %s cannot be cancelled: %v", what, id, err)
			}
		}
	}
	problems, err = f.healthy.res.Verify(ctx, f.tenant)
	if err != nil {
		t.Fatalf("%s: verify after cancelling: %v", what, err)
	}
	for _, p := range problems {
		t.Errorf("%s, after cancelling everything: %s", what, p)
	}
}

// faultOp is one write operation: setup prepares it (through the healthy
// client) and returns the operation to break.
type faultOp struct {
	name  string
	setup func(t testing.TB, f *faultFixture) func(ctx context.Context) error
}

func faultOps() []faultOp {
	day := func(f *faultFixture) time.Time { return f.now.Truncate(24*time.Hour).AddDate(0, 0, 1) }
	book := func(t testing.TB, f *faultFixture, p teamspro.Principal, room string, start time.Time, d time.Duration) *booking.Reservation {
		t.Helper()
		c, err := f.healthy.svc.Create(context.Background(), p, "cal", input(room, start, d))
		if err != nil {
			t.Fatalf("setup booking: %v", err)
		}
		return c.First
	}
	admin := func(f *faultFixture) teamspro.Principal {
		return teamspro.Principal{TenantID: f.tenant, ObjectID: uuid.NewString(), Admin: true}
	}
	return []faultOp{
		{"book one", func(t testing.TB, f *faultFixture) func(context.Context) error {
			f.healthy.room(t, "r1", nil)
			book(t, f, f.user(), "r1", day(f).Add(9*time.Hour), time.Hour)
			return func(ctx context.Context) error {
				_, err := f.svc.Create(ctx, f.user(), "cal", input("r1", day(f).Add(10*time.Hour), time.Hour))
				return err
			}
		}},
		{"book across UTC midnight", func(t testing.TB, f *faultFixture) func(context.Context) error {
			f.healthy.room(t, "kiri", func(in *booking.RoomInput) { in.TimeZone = "Pacific/Kiritimati"; in.Rules.BufferMinutes = 15 })
			return func(ctx context.Context) error {
				_, err := f.svc.Create(ctx, f.user(), "cal", input("kiri", day(f).Add(23*time.Hour), 2*time.Hour))
				return err
			}
		}},
		{"book a series", func(t testing.TB, f *faultFixture) func(context.Context) error {
			f.healthy.room(t, "r1", func(in *booking.RoomInput) { in.Rules.CheckInRequired = true })
			return func(ctx context.Context) error {
				in := input("r1", day(f).Add(9*time.Hour), time.Hour)
				three := 3
				in.RRule = &calendar.RecurrenceRule{Freq: "DAILY", Count: &three}
				_, err := f.svc.Create(ctx, f.user(), "cal", in)
				return err
			}
		}},
		{"move within a day", func(t testing.TB, f *faultFixture) func(context.Context) error {
			f.healthy.room(t, "r1", nil)
			p := f.user()
			r := book(t, f, p, "r1", day(f).Add(9*time.Hour), time.Hour)
			return func(ctx context.Context) error {
				_, err := f.svc.Update(ctx, p, r.ID, "", input("r1", day(f).Add(14*time.Hour), time.Hour))
				return err
			}
		}},
		{"move to another day", func(t testing.TB, f *faultFixture) func(context.Context) error {
			f.healthy.room(t, "r1", nil)
			p := f.user()
			r := book(t, f, p, "r1", day(f).Add(9*time.Hour), time.Hour)
			return func(ctx context.Context) error {
				_, err := f.svc.Update(ctx, p, r.ID, "", input("r1", day(f).Add(33*time.Hour), time.Hour))
				return err
			}
		}},
		{"move to another room", func(t testing.TB, f *faultFixture) func(context.Context) error {
			f.healthy.room(t, "r1", nil)
			f.healthy.room(t, "r2", nil)
			p := f.user()
			r := book(t, f, p, "r1", day(f).Add(9*time.Hour), time.Hour)
			return func(ctx context.Context) error {
				_, err := f.svc.Update(ctx, p, r.ID, "", input("r2", day(f).Add(9*time.Hour), time.Hour))
				return err
			}
		}},
		{"cancel", func(t testing.TB, f *faultFixture) func(context.Context) error {
			f.healthy.room(t, "r1", nil)
			p := f.user()
			r := book(t, f, p, "r1", day(f).Add(9*time.Hour), time.Hour)
			return func(ctx context.Context) error {
				_, err := f.svc.Cancel(ctx, p, r.ID, "")
				return err
			}
		}},
		{"check in", func(t testing.TB, f *faultFixture) func(context.Context) error {
			f.healthy.room(t, "r1", func(in *booking.RoomInput) { in.Rules.CheckInRequired = true })
			p := f.user()
			r := book(t, f, p, "r1", day(f).Add(9*time.Hour), time.Hour)
			f.now = r.Start.Add(5 * time.Minute)
			return func(ctx context.Context) error {
				_, err := f.svc.CheckIn(ctx, p, r.ID)
				return err
			}
		}},
		{"release", func(t testing.TB, f *faultFixture) func(context.Context) error {
			f.isolate(t)
			f.healthy.room(t, "r1", func(in *booking.RoomInput) { in.Rules.CheckInRequired = true })
			r := book(t, f, f.user(), "r1", day(f).Add(9*time.Hour), time.Hour)
			f.now = r.CheckInBy.Add(time.Minute)
			return func(ctx context.Context) error {
				_, err := f.svc.ReleaseUnchecked(ctx, f.now.Add(-time.Hour))
				return err
			}
		}},
		{"decide", func(t testing.TB, f *faultFixture) func(context.Context) error {
			f.healthy.room(t, "r1", func(in *booking.RoomInput) { in.Rules.RequiresApproval = true })
			r := book(t, f, f.user(), "r1", day(f).Add(9*time.Hour), time.Hour)
			return func(ctx context.Context) error {
				_, err := f.svc.Decide(ctx, admin(f), r.ID, false)
				return err
			}
		}},
		{"purge", func(t testing.TB, f *faultFixture) func(context.Context) error {
			f.healthy.room(t, "r1", nil)
			for i := range 3 {
				book(t, f, f.user(), "r1", day(f).Add(time.Duration(9+i)*time.Hour), time.Hour)
			}
			return func(ctx context.Context) error {
				_, err := f.client.PurgeTenant(ctx, f.tenant)
				return err
			}
		}},
	}
}

// TestEveryFaultPointLeavesReservationsWhole runs each write operation once
// with healthy storage to count its storage requests n, then, for every k
// from 0 to n-1, again on fresh data with storage failing after k requests
// by each of: connection reset, 503, and a timeout after storage applied the
// request. Once storage answers again and the repair has run, the raw tables
// must satisfy every invariant (Verify), and every reservation holding a slot
// must be found and cancelled through the service.
func TestEveryFaultPointLeavesReservationsWhole(t *testing.T) {
	t.Parallel()
	modes := []faultproxy.Mode{faultproxy.Reset, faultproxy.Unavailable, faultproxy.Timeout}
	for _, op := range faultOps() {
		t.Run(op.name, func(t *testing.T) {
			t.Parallel()
			f := newFaultFixture(t)
			run := op.setup(t, f)
			f.proxy.Passed()
			if err := run(context.Background()); err != nil {
				t.Fatalf("healthy run: %v", err)
			}
			n := f.proxy.Passed()
			f.checkWhole(t, "healthy")
			t.Logf("%s: %d storage requests", op.name, n)
			for k := range n {
				for _, mode := range modes {
					f := newFaultFixture(t)
					run := op.setup(t, f)
					f.proxy.FailAfter(k, mode)
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					err := run(ctx)
					cancel()
					f.settle(t)
					f.checkWhole(t, fmt.Sprintf("fail after %d (%s), op said %v", k, mode, errSummary(err)))
				}
			}
		})
	}
}

func errSummary(err error) string {
	if err == nil {
		return "ok"
	}
	var e *teamspro.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "error"
}

// TestRandomFaultsUnderLoad books, moves and cancels from 6 workers while
// the proxy fails storage at random moments for short spells; afterwards,
// with storage healthy and the repair run, every invariant holds.
func TestRandomFaultsUnderLoad(t *testing.T) {
	t.Parallel()
	f := newFaultFixture(t)
	rooms := []string{"r1", "r2"}
	for _, r := range rooms {
		f.healthy.room(t, r, nil)
	}
	f.healthy.room(t, "kiri", func(in *booking.RoomInput) { in.TimeZone = "Pacific/Kiritimati" })
	rooms = append(rooms, "kiri")
	var (
		mu  sync.Mutex
		ids []string
	)
	deadline := time.Now().Add(8 * time.Second)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	go func() { // storage fails now and then, for a few dozen requests
		rng := rand.New(rand.NewPCG(7, 7))
		for {
			select {
			case <-stop:
				f.proxy.Heal()
				return
			case <-time.After(time.Duration(200+rng.IntN(300)) * time.Millisecond):
			}
			f.proxy.FailAfter(rng.IntN(20), faultproxy.Mode(rng.IntN(2))) // reset or 503: quick failures
			time.Sleep(time.Duration(50+rng.IntN(150)) * time.Millisecond)
			f.proxy.Heal()
		}
	}()
	base := f.now.Truncate(24*time.Hour).AddDate(0, 0, 1)
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			p := f.user()
			p.Admin = true
			for i := 0; i < 60 && time.Now().Before(deadline); i++ {
				room := rooms[rng.IntN(len(rooms))]
				start := base.Add(time.Duration(rng.IntN(2*24*4)) * 15 * time.Minute)
				d := time.Duration(1+rng.IntN(6)) * 15 * time.Minute
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				mu.Lock()
				var id string
				if len(ids) > 0 {
					id = ids[rng.IntN(len(ids))]
				}
				mu.Unlock()
				switch op := rng.IntN(3); {
				case op == 0 || id == "":
					if c, err := f.svc.Create(ctx, p, "cal", input(room, start, d)); err == nil {
						mu.Lock()
						ids = append(ids, c.First.ID)
						mu.Unlock()
					}
				case op == 1:
					_, _ = f.svc.Update(ctx, p, id, "", input(room, start, d))
				default:
					_, _ = f.svc.Cancel(ctx, p, id, "")
				}
				cancel()
			}
		}()
	}
	wg.Wait()
	close(stop)
	time.Sleep(50 * time.Millisecond)
	f.settle(t)
	t.Logf("%d reservations booked; %d storage requests failed", len(ids), f.proxy.Failed())
	f.checkWhole(t, "after random faults")
}

// TestBufferAcrossUTCMidnight: a room's buffer is enforced across UTC
// midnight (in Kiritimati, the middle of the local afternoon), before and
// after a manager approves the first reservation, and the tables stay whole.
func TestBufferAcrossUTCMidnight(t *testing.T) {
	t.Parallel()
	f := newBookingFixture(t)
	ctx := context.Background()
	f.room(t, "kiri", func(in *booking.RoomInput) {
		in.TimeZone = "Pacific/Kiritimati"
		in.Rules.BufferMinutes = 15
		in.Rules.RequiresApproval = true
	})
	day := f.now.Truncate(24*time.Hour).AddDate(0, 0, 1)
	c, err := f.svc.Create(ctx, f.user(), "cal", input("kiri", day.Add(23*time.Hour), 50*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	admin := teamspro.Principal{TenantID: f.tenant, ObjectID: uuid.NewString(), Admin: true}
	if _, err := f.svc.Decide(ctx, admin, c.First.ID, true); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Create(ctx, admin, "cal", input("kiri", day.Add(24*time.Hour), 30*time.Minute))
	if teamspro.ErrorCode(err) != teamspro.ECONFLICT {
		t.Errorf("booking 10 minutes after it, across UTC midnight: got %v, want ECONFLICT (buffer)", err)
	}
	problems, err := f.res.Verify(ctx, f.tenant)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}
