package tables_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/faultproxy"
	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
	"github.com/teamspro/functions/internal/teamspro"
)

// backfillFixture is an organization whose events and reservations were
// stored with the live feeders running (want: the busy rows they wrote),
// after which its busy index was emptied: what an organization stored before
// the index existed looks like. Reservations and events are written through
// the healthy client; faulty is the backfill through the failing proxy.
type backfillFixture struct {
	*faultFixture
	prefix     string // of the tables
	events     *tables.EventStore
	busy       *tables.BusyStore
	fill       *tables.BusyBackfill // through healthy storage
	faultyFill *tables.BusyBackfill // through the proxy
	cal        string
	organizer  teamspro.Principal
	moving     string // a reservation the concurrency test moves
	single     calendar.Event
	want       map[string]string
}

// newBackfillFixture stores the organization's data through f, on the
// tables of prefix (f's).
func newBackfillFixture(t *testing.T, f *faultFixture, prefix string) *backfillFixture {
	t.Helper()
	ctx := context.Background()
	b := &backfillFixture{faultFixture: f, prefix: prefix, events: tables.NewEventStore(f.healthy.client), busy: tables.NewBusyStore(f.healthy.client),
		fill: tables.NewBusyBackfill(f.healthy.client), faultyFill: tables.NewBusyBackfill(f.client), cal: uuid.NewString()}
	b.fill.Chunk, b.faultyFill.Chunk = 3, 3 // several chunks, so a crash can fall between two
	day := f.now.Truncate(24*time.Hour).AddDate(0, 0, 1)
	f.healthy.room(t, "r1", nil)
	f.healthy.room(t, "kiri", func(in *booking.RoomInput) { in.TimeZone = "Pacific/Kiritimati" })
	organizer, bob := f.user(), uuid.NewString()
	b.organizer = organizer
	book := func(room string, start time.Time, d time.Duration, mut func(*booking.EventInput)) *booking.Reservation {
		t.Helper()
		in := input(room, start, d)
		in.Participants = []calendar.Participant{{ObjectID: bob}, {UPN: "carol@contoso.example"}}
		if mut != nil {
			mut(in)
		}
		c, err := f.healthy.svc.Create(ctx, organizer, "cal", in)
		if err != nil {
			t.Fatalf("setup booking: %v", err)
		}
		return c.First
	}
	b.moving = book("r1", day.Add(9*time.Hour), time.Hour, nil).ID
	book("kiri", day.Add(23*time.Hour), 2*time.Hour, nil) // across UTC midnight: two days' rows
	cancelled := book("r1", day.Add(11*time.Hour), time.Hour, nil)
	if _, err := f.healthy.svc.Cancel(ctx, organizer, cancelled.ID, ""); err != nil {
		t.Fatal(err)
	}
	book("r1", day.Add(14*time.Hour), time.Hour, func(in *booking.EventInput) {
		three := 3
		in.RRule = &calendar.RecurrenceRule{Freq: "DAILY", Count: &three}
	})

	// Events, each relayed as the outbox relay does.
	start := day.Add(10 * time.Hour)
	add := func(e calendar.Event) calendar.Event {
		t.Helper()
		e.CalendarID, e.TimeZone, e.CreatedBy, e.CreatedAt, e.UpdatedAt = b.cal, "UTC", organizer.ObjectID, start, start
		got, err := b.events.Create(ctx, f.tenant, e)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.busy.EventChanged(ctx, f.tenant, b.cal, e.ID); err != nil {
			t.Fatal(err)
		}
		return got
	}
	b.single = add(calendar.Event{ID: uuid.NewString(), Title: "Review", Start: start, End: start.Add(time.Hour),
		Participants: []calendar.Participant{{ObjectID: bob}}})
	add(calendar.Event{ID: uuid.NewString(), Title: "Weekly", Start: start.Add(5 * time.Hour), End: start.Add(6 * time.Hour),
		Mode: calendar.WeeklyMode, Rule: &calendar.Rule{Freq: calendar.Weekly, Interval: 1}, Participants: []calendar.Participant{{UPN: "carol@contoso.example"}}})
	gone := add(calendar.Event{ID: uuid.NewString(), Title: "Gone", Start: start, End: start.Add(time.Hour)})
	if err := b.events.Delete(ctx, f.tenant, b.cal, gone.ID, "", start); err != nil {
		t.Fatal(err)
	}
	if err := b.busy.EventChanged(ctx, f.tenant, b.cal, gone.ID); err != nil {
		t.Fatal(err)
	}
	b.want = b.rows(t)
	if len(b.want) < 10 {
		t.Fatalf("the live feeders wrote %d rows: %v", len(b.want), b.want)
	}
	b.wipe(t)
	return b
}

// rows reads every busy row of the tenant straight from storage, but the
// backfill's own marker: partition/row -> its columns.
func (b *backfillFixture) rows(t testing.TB) map[string]string {
	t.Helper()
	return busyRows(t, b.prefix, b.tenant)
}

func busyRows(t testing.TB, prefix, tenant string) map[string]string {
	t.Helper()
	out := map[string]string{}
	eachBusyRow(t, prefix, tenant, func(m map[string]any) {
		pk, rk := m["PartitionKey"].(string), m["RowKey"].(string)
		if strings.HasPrefix(rk, "backfill|") {
			return
		}
		for k := range m {
			if strings.HasPrefix(k, "odata.") || k == "Timestamp" || k == "PartitionKey" || k == "RowKey" {
				delete(m, k)
			}
		}
		b, _ := json.Marshal(m)
		out[pk+"/"+rk] = string(b)
	})
	return out
}

func eachBusyRow(t testing.TB, prefix, tenant string, fn func(map[string]any)) {
	t.Helper()
	svc, err := aztables.NewServiceClientFromConnectionString(tablestest.ConnectionString(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	filter := fmt.Sprintf("PartitionKey ge '%s|' and PartitionKey lt '%s|~'", tenant, tenant)
	pager := svc.NewClient(prefix + tables.TableBusy).NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter})
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range page.Entities {
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			fn(m)
		}
	}
}

// wipe deletes every busy row of the tenant, the backfill's marker included.
func (b *backfillFixture) wipe(t testing.TB) {
	t.Helper()
	svc, err := aztables.NewServiceClientFromConnectionString(tablestest.ConnectionString(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := svc.NewClient(b.prefix + tables.TableBusy)
	eachBusyRow(t, b.prefix, b.tenant, func(m map[string]any) {
		if _, err := c.DeleteEntity(context.Background(), m["PartitionKey"].(string), m["RowKey"].(string), nil); err != nil {
			t.Fatal(err)
		}
	})
}

// finish runs the healthy backfill of the tenant to its end, a small budget
// at a time, as the timer does.
func (b *backfillFixture) finish(t testing.TB) int {
	t.Helper()
	return backfillUntilDone(t, b.fill, b.tenant, 4, 199, "")
}

// backfillUntilDone runs fill over tenant, chunk steps at a time, until it
// says it is done, and returns how many runs that took; a run failing, or
// maxRuns runs without it, fails the test (what, when not empty, says
// when).
func backfillUntilDone(t testing.TB, fill *tables.BusyBackfill, tenant string, chunk, maxRuns int, what string) int {
	t.Helper()
	if what != "" {
		what += ": "
	}
	for runs := 1; runs <= maxRuns; runs++ {
		rep, err := fill.Tenant(context.Background(), tenant, chunk)
		if err != nil {
			t.Fatalf("%sbackfill run %d: %v", what, runs, err)
		}
		if rep.Done {
			return runs
		}
	}
	t.Fatalf("%sthe backfill never finished", what)
	return 0
}

// check compares the tenant's busy rows with want and runs Verify.
func (b *backfillFixture) check(t testing.TB, what string, want map[string]string) {
	t.Helper()
	got := b.rows(t)
	var diff []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			diff = append(diff, "missing "+k)
		} else if g != w {
			diff = append(diff, fmt.Sprintf("%s is %s, want %s", k, g, w))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diff = append(diff, "extra "+k)
		}
	}
	sort.Strings(diff)
	for _, d := range diff {
		t.Errorf("%s: %s", what, d)
	}
	b.verify(t, what)
}

// verify fails the test for every broken invariant of the reservations,
// their busy rows included.
func (b *backfillFixture) verify(t testing.TB, what string) {
	t.Helper()
	problems, err := b.faultFixture.healthy.res.Verify(context.Background(), b.tenant)
	if err != nil {
		t.Fatalf("%s: verify: %v", what, err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", what, p)
	}
}

// TestBusyBackfillWritesTheLiveRows: an organization whose data predates the
// index gets, from the backfill, exactly the rows the live feeders wrote
// (events, series, a deleted event, reservations across midnight, a
// cancelled one and a series), whether in one run or a few items a run;
// and a finished backfill does nothing more.
func TestBusyBackfillWritesTheLiveRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		budget int
	}{{"one run", 1000}, {"four items a run", 4}, {"one item a run", 1}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBackfillFixture(t, newFaultFixture(t), tablestest.Prefix())
			runs := 0
			for {
				runs++
				rep, err := b.fill.Tenant(ctx, b.tenant, tc.budget)
				if err != nil {
					t.Fatal(err)
				}
				if rep.Items > tc.budget {
					t.Errorf("run %d did %d items, budget %d", runs, rep.Items, tc.budget)
				}
				if rep.Done {
					break
				}
				if runs > 100 {
					t.Fatal("never done")
				}
			}
			if tc.budget == 1 && runs < 8 {
				t.Errorf("got %d runs of one item, want one run per event and reservation at least", runs)
			}
			b.check(t, tc.name, b.want)
			rep, err := b.fill.Tenant(ctx, b.tenant, 1000)
			if err != nil || !rep.Done || rep.Items != 0 {
				t.Errorf("run after the end: got %+v, %v; want done with nothing to do", rep, err)
			}
		})
	}
}

// TestBusyBackfillResumesAfterFaults fails storage at each storage call of a
// backfill in turn (connection reset, 503, or a timeout after storage
// applied the request); the next run, on healthy storage, resumes from the
// marker and ends with exactly the live feeders' rows and every invariant.
func TestBusyBackfillResumesAfterFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, mode := range []faultproxy.Mode{faultproxy.Reset, faultproxy.Unavailable, faultproxy.Timeout} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			b := newBackfillFixture(t, newFaultFixture(t), tablestest.Prefix())
			b.proxy.Hold = 50 * time.Millisecond
			for k := 0; ; k++ {
				b.proxy.FailAfter(k, mode)
				_, ferr := b.faultyFill.Tenant(ctx, b.tenant, 1000)
				b.proxy.Heal()
				b.finish(t)
				b.check(t, fmt.Sprintf("storage failing after %d calls", k), b.want)
				if t.Failed() {
					return
				}
				if ferr == nil {
					t.Logf("a whole backfill: %d storage calls", k)
					return
				}
				if k > 400 {
					t.Fatalf("still failing after %d calls: %v", k, ferr)
				}
				b.wipe(t)
			}
		})
	}
}

// TestBusyBackfillMeetsLiveChanges makes a live change happen at each
// storage call of a backfill in turn: a reservation moved to another day
// and back (its roll-forward writing its rows) and an event moved (its
// relay's EventChanged). The backfill must never leave the rows of what it
// read before the change: the index ends as the live feeders leave it for
// what is stored then (Verify for reservations; for events, the rows of a
// fresh backfill of the final state, which the test above proves equal to
// the live feeders').
func TestBusyBackfillMeetsLiveChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBackfillFixture(t, newFaultFixture(t), tablestest.Prefix())
	var moves atomic.Int64
	change := func() {
		n := moves.Add(1)
		day := b.now.Truncate(24*time.Hour).AddDate(0, 0, 1+int(n%2))
		if _, err := b.faultFixture.healthy.svc.Update(ctx, b.organizer, b.moving, "", input("r1", day.Add(9*time.Hour), time.Hour)); err != nil {
			t.Errorf("live move: %v", err)
		}
		e, err := b.events.Get(ctx, b.tenant, b.cal, b.single.ID)
		if err != nil {
			t.Errorf("live read: %v", err)
			return
		}
		e.Start, e.End = day.Add(7*time.Hour), day.Add(8*time.Hour)
		if _, err := b.events.Update(ctx, b.tenant, e, e.ETag, nil); err != nil {
			t.Errorf("live update: %v", err)
		}
		if err := b.busy.EventChanged(ctx, b.tenant, b.cal, e.ID); err != nil {
			t.Errorf("live relay: %v", err)
		}
	}
	for k := 0; ; k++ {
		before := moves.Load()
		b.proxy.OnRequest(k, change)
		backfillUntilDone(t, b.faultyFill, b.tenant, 1000, 52, fmt.Sprintf("change at call %d", k))
		b.proxy.OnRequest(0, nil)
		b.verify(t, fmt.Sprintf("change at call %d", k))
		got := b.rows(t)
		b.wipe(t)
		b.finish(t)
		b.check(t, fmt.Sprintf("change at call %d", k), got)
		if t.Failed() {
			return
		}
		if moves.Load() == before {
			t.Logf("a whole backfill: %d storage calls, a change met at each", k)
			return
		}
		b.wipe(t)
	}
}

// TestBusyBackfillKeepsToItsTenant: one organization's backfill writes only
// its own partitions, and another's index and marker stay as they were.
func TestBusyBackfillKeepsToItsTenant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := newBackfillFixture(t, newFaultFixture(t), tablestest.Prefix())
	other := newBackfillFixture(t, newFaultFixture(t), tablestest.Prefix())
	a.finish(t)
	a.check(t, "backfilled", a.want)
	eachBusyRow(t, other.prefix, other.tenant, func(m map[string]any) {
		t.Errorf("the other organization has row %s/%s", m["PartitionKey"], m["RowKey"])
	})
	if _, err := a.fill.Tenant(ctx, "not-a-tenant|x", 10); err == nil {
		t.Error("a backfill of a key that is not a tenant id ran")
	}
}

// TestBusyBackfillAllTenants runs the timer's backfill over tables of their
// own: organization after organization, within its budget each run, until
// all are done; then a run does nothing.
func TestBusyBackfillAllTenants(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prefix := tablestest.Prefix() + strings.ReplaceAll(uuid.NewString(), "-", "")[:6]
	f := newFaultFixtureOn(t, prefix)
	a := newBackfillFixture(t, f, prefix)
	b := newBackfillFixture(t, newFaultFixtureOn(t, prefix), prefix)
	tabs := tables.NewTabStore(f.healthy.client)
	empty := tablestest.Tenant()
	for _, tenant := range []string{a.tenant, b.tenant, empty} {
		if err := tabs.Create(ctx, &tab.Tab{TenantID: tenant, ID: "tab-" + tenant[:8], Kind: tab.KindCalendar, CalendarID: uuid.NewString(), CreatedAt: f.now, UpdatedAt: f.now}); err != nil {
			t.Fatal(err)
		}
	}
	run := tables.NewBusyBackfill(f.healthy.client)
	runs := 0
	for {
		runs++
		rep, err := run.Backfill(ctx, 5)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Items > 5 {
			t.Errorf("run %d: %d items, budget 5", runs, rep.Items)
		}
		if rep.Done {
			break
		}
		if runs > 100 {
			t.Fatal("never done")
		}
	}
	if runs < 3 {
		t.Errorf("got %d runs, want the work spread over several", runs)
	}
	a.check(t, "first organization", a.want)
	b.check(t, "second organization", b.want)
	rep, err := run.Backfill(ctx, 5)
	if err != nil || !rep.Done || rep.Items != 0 {
		t.Errorf("after the end: got %+v, %v; want done with nothing to do", rep, err)
	}
}

// TestBusyBackfillRunsAtOnce: three runs of one organization's backfill at
// once (two timer instances and a retry, say) end in the live feeders' rows;
// the marker's If-Match lets one advance at a time.
func TestBusyBackfillRunsAtOnce(t *testing.T) {
	t.Parallel()
	b := newBackfillFixture(t, newFaultFixture(t), tablestest.Prefix())
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			for runs := 0; runs < 200; runs++ {
				rep, err := b.fill.Tenant(context.Background(), b.tenant, 2)
				if err != nil || rep.Done {
					errs <- err
					return
				}
			}
			errs <- fmt.Errorf("never done")
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	b.check(t, "three at once", b.want)
}

// TestBusyBackfillWaitsForAPurge: while an organization's purge is under way
// (here stopped by storage after recording it), its backfill writes nothing:
// no row, no marker.
func TestBusyBackfillWaitsForAPurge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBackfillFixture(t, newFaultFixture(t), tablestest.Prefix())
	b.proxy.FailAfter(1, faultproxy.Reset)
	if _, err := b.client.PurgeTenant(ctx, b.tenant); err == nil {
		t.Fatal("the purge went through storage failing after its first call")
	}
	b.proxy.Heal()
	rep, err := b.fill.Tenant(ctx, b.tenant, 1000)
	if err != nil || rep.Done || rep.Items != 0 {
		t.Errorf("got %+v, %v; want nothing done while the purge is open", rep, err)
	}
	eachBusyRow(t, b.prefix, b.tenant, func(m map[string]any) {
		t.Errorf("row %s/%s written during the purge", m["PartitionKey"], m["RowKey"])
	})
}
