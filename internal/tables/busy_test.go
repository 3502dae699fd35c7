package tables_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/faultproxy"
	"github.com/teamspro/functions/internal/findtime"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
)

// busyFixture is an event store and the busy index over Azurite, and the
// same index through a proxy that fails storage on demand.
type busyFixture struct {
	tenant, cal   string
	events        *tables.EventStore
	busy, faulty  *tables.BusyStore
	proxy         *faultproxy.Proxy
	alice, bob    string
	carol         string
	from, to      time.Time
	seriesStarted time.Time
}

func newBusyFixture(t *testing.T) *busyFixture {
	t.Helper()
	c := tablestest.New(t)
	p, through := storageProxy(t)
	o := tablestest.Options(t)
	o.ConnectionString = through
	o.Retry = &policy.RetryOptions{MaxRetries: -1, TryTimeout: 20 * time.Second}
	fc, err := tables.New(o)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	return &busyFixture{tenant: tablestest.Tenant(), cal: uuid.NewString(), events: tables.NewEventStore(c),
		busy: tables.NewBusyStore(c), faulty: tables.NewBusyStore(fc), proxy: p,
		alice: uuid.NewString(), bob: "bob@contoso.example", carol: uuid.NewString(),
		from: start.AddDate(0, 0, -1), to: start.AddDate(0, 0, 20), seriesStarted: start}
}

// series is a weekly series organised by Alice with the participants named.
func (f *busyFixture) series(id string, hour int, participants ...calendar.Participant) calendar.Event {
	start := time.Date(2026, 3, 3, hour, 0, 0, 0, time.UTC)
	return calendar.Event{ID: id, CalendarID: f.cal, Title: "Weekly", Start: start, End: start.Add(time.Hour), TimeZone: "UTC",
		Mode: calendar.WeeklyMode, Rule: &calendar.Rule{Freq: calendar.Weekly, Interval: 1}, Participants: participants,
		CreatedBy: f.alice, CreatedAt: start, UpdatedAt: start}
}

// holds returns, per person key, the starts ("Mar 3 09:00") of their busy
// intervals in the fixture's window, from the index alone.
func (f *busyFixture) holds(t *testing.T, keys ...string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, k := range keys {
		e, err := f.busy.Entries(context.Background(), f.tenant, k, f.from, f.to)
		if err != nil {
			t.Fatal(err)
		}
		list := []string{}
		for _, b := range e.Busy {
			list = append(list, b.Start.UTC().Format("Jan 2 15:04"))
		}
		for _, s := range e.Series {
			occ, err := calendar.Occurrences(s.Event, s.Exceptions, f.from, f.to)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range occ {
				list = append(list, o.Start.UTC().Format("Jan 2 15:04"))
			}
		}
		out[k] = list
	}
	return out
}

func sameLists(a, b map[string][]string) bool {
	for k := range b {
		if strings.Join(a[k], ",") != strings.Join(b[k], ",") {
			return false
		}
	}
	return len(a) == len(b)
}

// TestBusyIndexEventSurvivesFaults fails storage after each request of
// EventChanged in turn (connection reset, 503, or a timeout after storage
// applied the request), while a series changes its time, loses Bob (named by
// address) and gains Carol; once storage answers, the relay's next attempt
// leaves exactly the rows of the series as stored: nobody keeps an orphan row.
func TestBusyIndexEventSurvivesFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, mode := range []faultproxy.Mode{faultproxy.Reset, faultproxy.Unavailable, faultproxy.Timeout} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			f := newBusyFixture(t)
			f.proxy.Hold = 50 * time.Millisecond
			alice, bob, carol := findtime.KeyOf(f.alice, ""), findtime.KeyOf("", f.bob), findtime.KeyOf(f.carol, "")
			v2 := map[string][]string{alice: {"Mar 3 15:00", "Mar 10 15:00", "Mar 17 15:00"}, bob: {}, carol: {"Mar 3 15:00", "Mar 10 15:00", "Mar 17 15:00"}}
			for k := 0; ; k++ {
				id := uuid.NewString()
				e, err := f.events.Create(ctx, f.tenant, f.series(id, 9, calendar.Participant{UPN: f.bob}))
				if err != nil {
					t.Fatal(err)
				}
				if err := f.busy.EventChanged(ctx, f.tenant, f.cal, id); err != nil {
					t.Fatal(err)
				}
				moved := f.series(id, 15, calendar.Participant{ObjectID: f.carol})
				if _, err := f.events.Update(ctx, f.tenant, moved, e.ETag, nil); err != nil {
					t.Fatal(err)
				}
				f.proxy.FailAfter(k, mode)
				ferr := f.faulty.EventChanged(ctx, f.tenant, f.cal, id)
				f.proxy.Heal()
				if err := f.busy.EventChanged(ctx, f.tenant, f.cal, id); err != nil {
					t.Fatalf("after %d requests: the relay's next attempt: %v", k, err)
				}
				if got := f.holds(t, alice, bob, carol); !sameLists(got, v2) {
					t.Errorf("storage failing after %d requests: got %v, want %v", k, got, v2)
				}
				// Clean up for the next round: the series deleted, its rows gone.
				if err := f.events.Delete(ctx, f.tenant, f.cal, id, "", f.seriesStarted); err != nil {
					t.Fatal(err)
				}
				if err := f.busy.EventChanged(ctx, f.tenant, f.cal, id); err != nil {
					t.Fatal(err)
				}
				if got := f.holds(t, alice, bob, carol); !sameLists(got, map[string][]string{alice: {}, bob: {}, carol: {}}) {
					t.Fatalf("deleted: got %v, want nobody busy", got)
				}
				if ferr == nil {
					t.Logf("EventChanged of a changed series: %d storage requests", k)
					return
				}
				if k > 40 {
					t.Fatalf("EventChanged still failing after %d requests: %v", k, ferr)
				}
			}
		})
	}
}

// TestBusyIndexConcurrentRelays: eight relays of one change at once (the
// instance after its answer, the timer, a redelivery) end in the rows of the
// event as stored, whichever wins each race.
func TestBusyIndexConcurrentRelays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newBusyFixture(t)
	alice, bob, carol := findtime.KeyOf(f.alice, ""), findtime.KeyOf("", f.bob), findtime.KeyOf(f.carol, "")
	id := uuid.NewString()
	e, err := f.events.Create(ctx, f.tenant, f.series(id, 9, calendar.Participant{UPN: f.bob}))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.busy.EventChanged(ctx, f.tenant, f.cal, id); err != nil {
		t.Fatal(err)
	}
	if _, err := f.events.Update(ctx, f.tenant, f.series(id, 15, calendar.Participant{ObjectID: f.carol}), e.ETag, nil); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f.busy.EventChanged(ctx, f.tenant, f.cal, id)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("relay %d: %v", i, err)
		}
	}
	want := map[string][]string{alice: {"Mar 3 15:00", "Mar 10 15:00", "Mar 17 15:00"}, bob: {}, carol: {"Mar 3 15:00", "Mar 10 15:00", "Mar 17 15:00"}}
	if got := f.holds(t, alice, bob, carol); !sameLists(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
