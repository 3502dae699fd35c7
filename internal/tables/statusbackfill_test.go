package tables_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
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

// statusFixture is an organization whose reservation index rows were
// written before they carried a Status column: reservations booked, decided
// and cancelled through the service, then their index rows rewritten
// without the column, as the code before the approvals query wrote them.
type statusFixture struct {
	*faultFixture
	fill       *tables.BusyBackfill // through healthy storage
	faultyFill *tables.BusyBackfill // through the proxy
	manager    teamspro.Principal
	member     teamspro.Principal
	day        time.Time
	booked     int
	// table names a table of the fixture's storage (the shared prefix
	// unless the fixture has tables of its own).
	table func(name string) string
}

func newStatusFixture(t *testing.T, f *faultFixture) *statusFixture {
	t.Helper()
	s := &statusFixture{faultFixture: f, fill: tables.NewBusyBackfill(f.healthy.client), faultyFill: tables.NewBusyBackfill(f.client),
		manager: f.user(), member: f.user(), day: f.now.Truncate(24*time.Hour).AddDate(0, 0, 1),
		table: func(name string) string { return tablestest.Prefix() + name }}
	s.fill.Chunk, s.faultyFill.Chunk = 3, 3 // several chunks, so a fault can fall between two
	for _, id := range []string{"appr", "series"} {
		f.healthy.room(t, id, func(in *booking.RoomInput) {
			in.Rules.RequiresApproval = true
			in.Managers = []string{s.manager.ObjectID}
		})
	}
	f.healthy.room(t, "open", nil)
	ctx := context.Background()
	s.book(t, "open", nil)                             // confirmed
	s.book(t, "appr", nil)                             // pending
	s.book(t, "series", func(in *booking.EventInput) { // a pending series, in a room of its own
		three := 3
		in.RRule = &calendar.RecurrenceRule{Freq: "DAILY", Count: &three}
	})
	approved := s.book(t, "appr", nil)
	if _, err := f.healthy.svc.Decide(ctx, s.manager, approved.ID, true); err != nil {
		t.Fatal(err)
	}
	cancelled := s.book(t, "appr", nil)
	if _, err := f.healthy.svc.Cancel(ctx, s.member, cancelled.ID, ""); err != nil {
		t.Fatal(err)
	}
	return s
}

// book reserves the next free hour of room for the member.
func (s *statusFixture) book(t *testing.T, room string, mut func(*booking.EventInput)) *booking.Reservation {
	t.Helper()
	s.booked++
	in := input(room, s.day.Add(time.Duration(s.booked)*time.Hour), 30*time.Minute)
	in.Title = fmt.Sprintf("%s %d", room, s.booked)
	if mut != nil {
		mut(in)
	}
	c, err := s.healthy.svc.Create(context.Background(), s.member, "cal", in)
	if err != nil {
		t.Fatalf("book %s: %v", in.Title, err)
	}
	return c.First
}

// index is the bookings table, straight.
func (s *statusFixture) index(t testing.TB) *aztables.Client {
	t.Helper()
	return s.raw(t, tables.TableBookings)
}

// raw is a table of the fixture's storage, straight.
func (s *statusFixture) raw(t testing.TB, name string) *aztables.Client {
	t.Helper()
	svc, err := aztables.NewServiceClientFromConnectionString(tablestest.ConnectionString(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	return svc.NewClient(s.table(name))
}

// indexRows reads the tenant's index rows straight from storage: id -> the
// row's properties, its storage ETag included.
func (s *statusFixture) indexRows(t testing.TB) map[string]map[string]any {
	t.Helper()
	filter := "PartitionKey eq '" + s.tenant + "|i'"
	pager := s.index(t).NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter})
	out := map[string]map[string]any{}
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Entities {
			var m map[string]any
			if err := json.Unmarshal(e, &m); err != nil {
				t.Fatal(err)
			}
			out[m["RowKey"].(string)] = m
		}
	}
	return out
}

// unstamp rewrites every index row of the tenant without its Status, as
// the code before the approvals query wrote it, and makes the backfill
// marker the one the busy index's backfill left then.
func (s *statusFixture) unstamp(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	c := s.index(t)
	for _, m := range s.indexRows(t) {
		delete(m, "Status")
		for k := range m {
			if strings.HasPrefix(k, "odata.") || k == "Timestamp" {
				delete(m, k)
			}
		}
		m["Version@odata.type"] = "Edm.Int64"
		e, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.UpsertEntity(ctx, e, &aztables.UpsertEntityOptions{UpdateMode: aztables.UpdateModeReplace}); err != nil {
			t.Fatal(err)
		}
	}
	for id, m := range s.indexRows(t) {
		if _, ok := m["Status"]; ok {
			t.Fatalf("index row %s still has a Status", id)
		}
	}
	if err := s.fill.MarkBackfilledBeforeStatus(ctx, s.tenant); err != nil {
		t.Fatal(err)
	}
}

// docStatus is the status in an index row's document.
func docStatus(t testing.TB, m map[string]any) string {
	t.Helper()
	var r booking.Reservation
	if err := json.Unmarshal([]byte(m["Doc"].(string)), &r); err != nil {
		t.Fatal(err)
	}
	return r.Status
}

// wantPending is the ids of the pending reservations that have not ended,
// from the index rows' documents.
func (s *statusFixture) wantPending(t testing.TB) []string {
	t.Helper()
	var out []string
	for id, m := range s.indexRows(t) {
		var r booking.Reservation
		if err := json.Unmarshal([]byte(m["Doc"].(string)), &r); err != nil {
			t.Fatal(err)
		}
		if r.Status == booking.StatusPending && r.End.After(s.now) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// pending is Pending's answer for the whole organization, as ids, through a
// store that remembers nothing yet.
func (s *statusFixture) pending(t testing.TB, res *tables.ReservationStore) []string {
	t.Helper()
	rs, err := res.Pending(context.Background(), s.tenant, nil, s.now)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	slices.Sort(out)
	return out
}

// byStatus is what a query on the Status column alone finds: the ids of the
// index rows whose Status is pending.
func (s *statusFixture) byStatus(t testing.TB) []string {
	t.Helper()
	out := []string{}
	for id, m := range s.indexRows(t) {
		if m["Status"] == booking.StatusPending {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// check fails the test unless every index row of the tenant carries the
// Status of its own document, a query on Status finds every pending
// reservation, and Pending answers them (its first read, before it trusts
// the column, and its second).
func (s *statusFixture) check(t testing.TB, what string) {
	t.Helper()
	for id, m := range s.indexRows(t) {
		if got, want := m["Status"], docStatus(t, m); got != want {
			t.Errorf("%s: index row %s has Status %v, want %q (its document's)", what, id, got, want)
		}
	}
	want := s.wantPending(t)
	if len(want) < 2 {
		t.Fatalf("%s: only %d pending reservations to look for", what, len(want))
	}
	if got := s.byStatus(t); !slices.Equal(got, want) {
		t.Errorf("%s: a query on Status finds %v, want %v", what, got, want)
	}
	res := tables.NewReservationStore(s.healthy.client)
	for _, read := range []string{"first read", "second read"} {
		if got := s.pending(t, res); !slices.Equal(got, want) {
			t.Errorf("%s: Pending's %s: got %v, want %v", what, read, got, want)
		}
	}
}

// finish runs the healthy backfill of the tenant to its end, a few items a
// run, as the timer does.
func (s *statusFixture) finish(t testing.TB) {
	t.Helper()
	backfillUntilDone(t, s.fill, s.tenant, 4, 199, "")
}

// etags are the storage ETags of the tenant's index rows.
func (s *statusFixture) etags(t testing.TB) map[string]any {
	t.Helper()
	out := map[string]any{}
	for id, m := range s.indexRows(t) {
		out[id] = m["odata.etag"]
	}
	return out
}

// TestStatusBackfillFindsOldPending: index rows written before they carried
// a Status get their document's from the backfill, whether the organization
// had the busy index's backfill already (a later step alone) or none, in one
// run or a few items a run; Pending answers the old pending reservations
// before the backfill as after it; and a backfill run again writes nothing.
func TestStatusBackfillFindsOldPending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		budget   int
		upgraded bool // the busy index's backfill was done before
	}{{"after the busy backfill, one run", 1000, true}, {"after the busy backfill, one item a run", 1, true},
		{"from the start, four items a run", 4, false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStatusFixture(t, newFaultFixture(t))
			if tc.upgraded {
				s.finish(t)
			}
			s.unstamp(t)
			if !tc.upgraded {
				if _, err := s.raw(t, tables.TableBusy).DeleteEntity(ctx, s.tenant+"|src", "backfill|v1", nil); err != nil {
					t.Fatal(err)
				}
			}
			want := s.wantPending(t)
			if got := s.byStatus(t); len(got) != 0 {
				t.Fatalf("before the backfill a query on Status finds %v, want none", got)
			}
			if got := s.pending(t, tables.NewReservationStore(s.healthy.client)); !slices.Equal(got, want) {
				t.Errorf("before the backfill: Pending got %v, want %v", got, want)
			}
			for runs := 1; ; runs++ {
				rep, err := s.fill.Tenant(ctx, s.tenant, tc.budget)
				if err != nil {
					t.Fatal(err)
				}
				if rep.Items > tc.budget {
					t.Errorf("run %d did %d items, budget %d", runs, rep.Items, tc.budget)
				}
				if rep.Done {
					break
				}
				if runs > 200 {
					t.Fatal("never done")
				}
			}
			s.check(t, tc.name)
			before := s.etags(t)
			rep, err := s.fill.Tenant(ctx, s.tenant, 1000)
			if err != nil || !rep.Done || rep.Items != 0 {
				t.Errorf("run after the end: got %+v, %v; want done with nothing to do", rep, err)
			}
			// The status step again over stamped rows: it reads, writes nothing.
			if err := s.fill.MarkBackfilledBeforeStatus(ctx, s.tenant); err != nil {
				t.Fatal(err)
			}
			s.finish(t)
			if after := s.etags(t); !maps.Equal(after, before) {
				t.Errorf("a second backfill rewrote index rows: ETags %v, were %v", after, before)
			}
			s.check(t, "after a second backfill")
		})
	}
}

// TestStatusBackfillResumesAfterFaults fails storage at each storage call of
// the status step in turn (connection reset, 503, or a timeout after
// storage applied the request); the next run, on healthy storage, resumes
// from the marker and leaves every row with its document's Status.
func TestStatusBackfillResumesAfterFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, mode := range []faultproxy.Mode{faultproxy.Reset, faultproxy.Unavailable, faultproxy.Timeout} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			s := newStatusFixture(t, newFaultFixture(t))
			s.finish(t)
			s.proxy.Hold = 50 * time.Millisecond
			for k := 0; ; k++ {
				s.unstamp(t)
				s.proxy.FailAfter(k, mode)
				_, ferr := s.faultyFill.Tenant(ctx, s.tenant, 1000)
				s.proxy.Heal()
				s.finish(t)
				s.check(t, fmt.Sprintf("storage failing after %d calls", k))
				if t.Failed() {
					return
				}
				if ferr == nil {
					t.Logf("a whole status step: %d storage calls", k)
					return
				}
				if k > 200 {
					t.Fatalf("still failing after %d calls: %v", k, ferr)
				}
			}
		})
	}
}

// TestStatusBackfillMeetsLiveChanges makes live changes happen at each
// storage call of the status step in turn: a pending reservation approved,
// another cancelled, and an index row deleted (as an organization's purge
// does). The backfill must never write a Status over a newer row nor bring
// a deleted row back: every row ends with its own document's Status, the
// decided reservations leave Pending, and the deleted row stays deleted.
func TestStatusBackfillMeetsLiveChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStatusFixture(t, newFaultFixture(t))
	s.finish(t)
	var changes atomic.Int64
	index := s.index(t)
	var last []string
	for k := 0; ; k++ {
		// The index keeps its size from one call to the next: the last
		// round's reservations leave it.
		for _, id := range last {
			if _, err := index.DeleteEntity(ctx, s.tenant+"|i", id, nil); err != nil && !strings.Contains(err.Error(), "ResourceNotFound") {
				t.Fatal(err)
			}
		}
		approve, cancel, gone := s.book(t, "appr", nil), s.book(t, "appr", nil), s.book(t, "appr", nil)
		last = []string{approve.ID, cancel.ID, gone.ID}
		s.unstamp(t)
		before := changes.Load()
		s.proxy.OnRequest(k, func() {
			changes.Add(1)
			if _, err := s.healthy.svc.Decide(ctx, s.manager, approve.ID, true); err != nil {
				t.Errorf("live approval: %v", err)
			}
			if _, err := s.healthy.svc.Cancel(ctx, s.member, cancel.ID, ""); err != nil {
				t.Errorf("live cancel: %v", err)
			}
			if _, err := index.DeleteEntity(ctx, s.tenant+"|i", gone.ID, nil); err != nil {
				t.Errorf("live delete: %v", err)
			}
		})
		backfillUntilDone(t, s.faultyFill, s.tenant, 1000, 52, fmt.Sprintf("change at call %d", k))
		s.proxy.OnRequest(0, nil)
		what := fmt.Sprintf("change at call %d", k)
		if changes.Load() == before {
			t.Logf("a whole status step: %d storage calls, a change met at each", k)
			return
		}
		rows := s.indexRows(t)
		if _, ok := rows[gone.ID]; ok {
			t.Errorf("%s: the deleted index row is back", what)
		}
		for id, st := range map[string]string{approve.ID: booking.StatusConfirmed, cancel.ID: booking.StatusCancelled} {
			if got := docStatus(t, rows[id]); got != st {
				t.Errorf("%s: reservation %s is %s, want %s", what, id, got, st)
			}
		}
		s.check(t, what)
		if slices.Contains(s.wantPending(t), approve.ID) || slices.Contains(s.wantPending(t), cancel.ID) {
			t.Errorf("%s: a decided reservation still waits", what)
		}
		if t.Failed() {
			return
		}
	}
}

// TestStatusBackfillKeepsToItsTenant: one organization's backfill stamps
// only its own index rows; another's stay as they were, and its Pending
// still answers its old pending reservations.
func TestStatusBackfillKeepsToItsTenant(t *testing.T) {
	t.Parallel()
	a := newStatusFixture(t, newFaultFixture(t))
	other := newStatusFixture(t, newFaultFixture(t))
	a.unstamp(t)
	other.unstamp(t)
	before := other.indexRows(t)
	a.finish(t)
	a.check(t, "backfilled")
	after := other.indexRows(t)
	if len(after) != len(before) {
		t.Fatalf("the other organization has %d index rows, had %d", len(after), len(before))
	}
	for id, m := range after {
		if m["odata.etag"] != before[id]["odata.etag"] {
			t.Errorf("the other organization's index row %s was rewritten", id)
		}
	}
	if got, want := other.pending(t, tables.NewReservationStore(other.healthy.client)), other.wantPending(t); !slices.Equal(got, want) {
		t.Errorf("the other organization's Pending: got %v, want %v", got, want)
	}
}

// TestStatusBackfillAfterTheBusyOne: where the timer's backfill had gone
// through every organization before the status step existed, its next runs
// go through them again for that step alone, within their budget, and then
// cost nothing.
func TestStatusBackfillAfterTheBusyOne(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prefix := tablestest.Prefix() + strings.ReplaceAll(uuid.NewString(), "-", "")[:6]
	f := newFaultFixtureOn(t, prefix)
	s := newStatusFixture(t, f)
	s.table = func(name string) string { return prefix + name }
	tabs := tables.NewTabStore(f.healthy.client)
	if err := tabs.Create(ctx, &tab.Tab{TenantID: s.tenant, ID: "tab-" + s.tenant[:8], Kind: tab.KindCalendar, CalendarID: uuid.NewString(), CreatedAt: f.now, UpdatedAt: f.now}); err != nil {
		t.Fatal(err)
	}
	run := tables.NewBusyBackfill(f.healthy.client)
	all := func(what string) {
		t.Helper()
		for runs := 1; ; runs++ {
			rep, err := run.Backfill(ctx, 5)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if rep.Items > 5 {
				t.Errorf("%s: run %d did %d items, budget 5", what, runs, rep.Items)
			}
			if rep.Done {
				return
			}
			if runs > 100 {
				t.Fatalf("%s: never done", what)
			}
		}
	}
	all("first walk")
	s.unstamp(t)
	if err := run.MarkAllBackfilledBeforeStatus(ctx); err != nil {
		t.Fatal(err)
	}
	all("walk for the new step")
	s.check(t, "after the walk")
	rep, err := run.Backfill(ctx, 5)
	if err != nil || !rep.Done || rep.Items != 0 {
		t.Errorf("after the end: got %+v, %v; want done with nothing to do", rep, err)
	}
}
