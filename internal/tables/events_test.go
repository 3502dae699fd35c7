package tables_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
	"github.com/teamspro/functions/internal/teamspro"
)

func eventStore(t *testing.T) *tables.EventStore {
	t.Helper()
	c, err := tables.New(tablestest.Options(t, tables.TableEvents))
	if err != nil {
		t.Fatal(err)
	}
	s := tables.NewEventStore(c)
	tablestest.Ensure(t, c, tables.TableEvents)
	return s
}

// mkEvent converts an input to a stored-ready event of calendar cal.
func mkEvent(t *testing.T, cal, id string, in calendar.EventInput) calendar.Event {
	t.Helper()
	if in.Title == "" {
		in.Title = id
	}
	if in.TimeZone == "" {
		in.TimeZone = "Europe/Paris"
	}
	e, err := in.ToEvent()
	if err != nil {
		t.Fatalf("ToEvent %s: %v", id, err)
	}
	e.ID, e.CalendarID = id, cal
	e.CreatedAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return e
}

func timed(start time.Time, d time.Duration) calendar.EventInput {
	return calendar.EventInput{StartDate: start.UTC().Format(time.RFC3339), EndDate: start.Add(d).UTC().Format(time.RFC3339)}
}

func ids(occ []calendar.Occurrence) []string {
	var out []string
	for _, o := range occ {
		if !slices.Contains(out, o.ID) {
			out = append(out, o.ID)
		}
	}
	slices.Sort(out)
	return out
}

func view(t *testing.T, s *tables.EventStore, tenant, cal string, from, to time.Time) []calendar.Occurrence {
	t.Helper()
	w, err := s.ListWindow(context.Background(), tenant, cal, from, to)
	if err != nil {
		t.Fatalf("ListWindow: %v", err)
	}
	occ, err := calendar.Expand(w.Events, w.Exceptions, from, to)
	if err != nil {
		t.Fatalf("Expand: %v", err)
	}
	return occ
}

func TestEventCRUD(t *testing.T) {
	t.Parallel()
	s := eventStore(t)
	ctx := context.Background()
	tenant, cal := tablestest.Tenant(), "cal-1"
	t0 := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	e := mkEvent(t, cal, "ev-1", timed(t0, time.Hour))
	e.Tags = []string{"team"}
	created, err := s.Create(ctx, tenant, e)
	if err != nil {
		t.Fatal(err)
	}
	if created.ETag != `"1"` {
		t.Errorf("got ETag %s, want \"1\"", created.ETag)
	}
	if _, err := s.Create(ctx, tenant, e); code(err) != teamspro.ECONFLICT {
		t.Errorf("duplicate id: got %v, want conflict", err)
	}
	got, err := s.Get(ctx, tenant, cal, "ev-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "ev-1" || !got.Start.Equal(t0) || got.TimeZone != "Europe/Paris" || !slices.Equal(got.Tags, []string{"team"}) || got.ETag != `"1"` {
		t.Errorf("got %+v, want the created event", got)
	}

	moved := got
	moved.Start, moved.End, moved.Title = t0.AddDate(0, 0, 20), t0.AddDate(0, 0, 20).Add(time.Hour), "moved"
	if _, err := s.Update(ctx, tenant, moved, `"7"`, nil); code(err) != teamspro.EPRECONDITION {
		t.Fatalf("stale ETag: got %v, want precondition_failed", err)
	}
	if again, _ := s.Get(ctx, tenant, cal, "ev-1"); again.Title != "ev-1" || again.ETag != `"1"` {
		t.Errorf("a refused update changed the event: %+v", again)
	}
	up, err := s.Update(ctx, tenant, moved, `"1"`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if up.ETag != `"2"` || !up.CreatedAt.Equal(e.CreatedAt) {
		t.Errorf("got %+v, want ETag \"2\" and the creation time kept", up)
	}
	// The projection moved with the event.
	if occ := view(t, s, tenant, cal, t0.Add(-time.Hour), t0.Add(2*time.Hour)); len(occ) != 0 {
		t.Errorf("old slot: got %v, want nothing", ids(occ))
	}
	if occ := view(t, s, tenant, cal, t0.AddDate(0, 0, 20), t0.AddDate(0, 0, 21)); !slices.Equal(ids(occ), []string{"ev-1"}) || occ[0].Title != "moved" {
		t.Errorf("new slot: got %v, want the moved event", occ)
	}
	// Another tenant sees nothing, changes nothing.
	other := tablestest.Tenant()
	if _, err := s.Get(ctx, other, cal, "ev-1"); code(err) != teamspro.ENOTFOUND {
		t.Errorf("other tenant Get: got %v, want not_found", err)
	}
	if _, err := s.Update(ctx, other, moved, "*", nil); code(err) != teamspro.ENOTFOUND {
		t.Errorf("other tenant Update: got %v, want not_found", err)
	}
	if err := s.Delete(ctx, other, cal, "ev-1", "*", t0); code(err) != teamspro.ENOTFOUND {
		t.Errorf("other tenant Delete: got %v, want not_found", err)
	}
	if occ := view(t, s, other, cal, t0, t0.AddDate(0, 1, 0)); len(occ) != 0 {
		t.Errorf("other tenant view: got %v", ids(occ))
	}
	if _, err := s.Get(ctx, tenant, cal, "bad/id"); code(err) != teamspro.EINVALID {
		t.Errorf("bad id: got %v, want invalid", err)
	}
}

func TestEventWindow(t *testing.T) {
	t.Parallel()
	s := eventStore(t)
	ctx := context.Background()
	tenant, cal := tablestest.Tenant(), "cal-w"
	from := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 1, 0)
	count3 := 3
	events := []calendar.Event{
		mkEvent(t, cal, "inside", timed(from.AddDate(0, 0, 10), time.Hour)),
		mkEvent(t, cal, "starts-before", timed(from.Add(-3*24*time.Hour), 4*24*time.Hour)),
		mkEvent(t, cal, "ends-at-from", timed(from.Add(-2*time.Hour), 2*time.Hour)),
		mkEvent(t, cal, "long-before", timed(from.AddDate(0, 0, -9), 10*24*time.Hour)),
		mkEvent(t, cal, "long-over", timed(from.AddDate(0, -1, 0), 90*24*time.Hour)),
		mkEvent(t, cal, "after", timed(to, time.Hour)),
		mkEvent(t, cal, "last-minute", timed(to.Add(-time.Minute), time.Hour)),
		mkEvent(t, cal, "series-old", calendar.EventInput{StartDate: "2025-01-06T08:00:00Z", EndDate: "2025-01-06T09:00:00Z", ModeRecurrence: "Weekly"}),
		mkEvent(t, cal, "series-ended", calendar.EventInput{StartDate: "2025-01-06T08:00:00Z", EndDate: "2025-01-06T09:00:00Z", ModeRecurrence: "Daily", RRule: &calendar.RecurrenceRule{Until: "2025-01-08T09:00:00Z"}}),
		mkEvent(t, cal, "series-counted", calendar.EventInput{StartDate: "2025-01-06T08:00:00Z", EndDate: "2025-01-06T09:00:00Z", ModeRecurrence: "Daily", RRule: &calendar.RecurrenceRule{Count: &count3}}),
		mkEvent(t, cal, "allday", calendar.EventInput{AllDay: true, StartDate: "2026-04-30", EndDate: "2026-05-01", TimeZone: "Pacific/Auckland"}),
		mkEvent(t, cal, "allday-before", calendar.EventInput{AllDay: true, StartDate: "2026-03-31", EndDate: "2026-04-01", TimeZone: "Pacific/Auckland"}),
	}
	for _, e := range events {
		if _, err := s.Create(ctx, tenant, e); err != nil {
			t.Fatalf("create %s: %v", e.ID, err)
		}
	}
	w, err := s.ListWindow(ctx, tenant, cal, from, to)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range w.Events {
		if e.ID == "series-ended" {
			t.Errorf("a series that ended long before the window was returned")
		}
	}
	occ, err := calendar.Expand(w.Events, w.Exceptions, from, to)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"allday", "inside", "last-minute", "long-before", "long-over", "series-old", "starts-before"}
	if got := ids(occ); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// What the store returns agrees with expanding every event.
	all, err := calendar.Expand(events, nil, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(occ) {
		t.Errorf("got %d occurrences from the window, want %d from all events", len(occ), len(all))
	}
	for _, bad := range [][2]time.Time{{to, from}, {from, from.AddDate(2, 0, 0)}} {
		if _, err := s.ListWindow(ctx, tenant, cal, bad[0], bad[1]); code(err) != teamspro.EINVALID {
			t.Errorf("window %v: got %v, want invalid", bad, err)
		}
	}
}

func TestEventSoftDeleteRestorePurge(t *testing.T) {
	t.Parallel()
	s := eventStore(t)
	ctx := context.Background()
	tenant, cal := tablestest.Tenant(), "cal-d"
	t0 := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	for i := range 3 {
		if _, err := s.Create(ctx, tenant, mkEvent(t, cal, fmt.Sprintf("e%d", i), timed(t0.Add(time.Duration(i)*time.Hour), 30*time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	series, err := s.Create(ctx, tenant, mkEvent(t, cal, "s", calendar.EventInput{StartDate: "2026-05-04T12:00:00Z", EndDate: "2026-05-04T13:00:00Z", ModeRecurrence: "Daily"}))
	if err != nil {
		t.Fatal(err)
	}
	x, err := calendar.NewException(series, time.Date(2026, 5, 5, 12, 0, 0, 0, time.UTC), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutException(ctx, tenant, cal, x, ""); err != nil {
		t.Fatal(err)
	}
	day1, day2, day3 := t0.AddDate(0, 0, 1), t0.AddDate(0, 0, 2), t0.AddDate(0, 0, 3)
	if err := s.Delete(ctx, tenant, cal, "e0", `"9"`, day1); code(err) != teamspro.EPRECONDITION {
		t.Errorf("stale delete: got %v, want precondition_failed", err)
	}
	for _, d := range []struct {
		id string
		at time.Time
	}{{"e0", day1}, {"s", day2}, {"e1", day3}} {
		if err := s.Delete(ctx, tenant, cal, d.id, "*", d.at); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Delete(ctx, tenant, cal, "e0", "*", day3); code(err) != teamspro.ENOTFOUND {
		t.Errorf("second delete: got %v, want not_found", err)
	}
	if _, err := s.Get(ctx, tenant, cal, "e0"); code(err) != teamspro.ENOTFOUND {
		t.Errorf("get deleted: got %v, want not_found", err)
	}
	if got := ids(view(t, s, tenant, cal, t0, t0.AddDate(0, 0, 7))); !slices.Equal(got, []string{"e2"}) {
		t.Errorf("view after deletes: got %v, want [e2]", got)
	}
	// Most recently deleted first, one per page.
	var listed []string
	token := ""
	for range 5 {
		page, next, err := s.ListDeleted(ctx, tenant, cal, calendar.Page{Token: token, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			listed = append(listed, e.ID)
			if !e.Deleted {
				t.Errorf("listed %s without Deleted", e.ID)
			}
		}
		if token = next; token == "" {
			break
		}
	}
	if !slices.Equal(listed, []string{"e1", "s", "e0"}) {
		t.Errorf("got deleted %v, want [e1 s e0]", listed)
	}
	if _, _, err := s.ListDeleted(ctx, tenant, cal, calendar.Page{Token: "!!"}); code(err) != teamspro.EINVALID {
		t.Errorf("bad token: got %v, want invalid", err)
	}
	// Restore the series: its exception comes back with it.
	if _, err := s.Restore(ctx, tenant, cal, "s"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Restore(ctx, tenant, cal, "s"); code(err) != teamspro.ENOTFOUND {
		t.Errorf("restore twice: got %v, want not_found", err)
	}
	occ := view(t, s, tenant, cal, t0, t0.AddDate(0, 0, 3))
	if got := ids(occ); !slices.Equal(got, []string{"e2", "s"}) || len(occ) != 3 {
		t.Errorf("after restore: got %v (%d occurrences), want e2 and two of s (the 5th cancelled)", got, len(occ))
	}
	// Purge what was deleted before day 3: e0 only (s is restored, e1 is newer).
	n, err := s.PurgeDeleted(ctx, tenant, day3)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("purged %d, want 1", n)
	}
	if _, err := s.Restore(ctx, tenant, cal, "e0"); code(err) != teamspro.ENOTFOUND {
		t.Errorf("restore purged: got %v, want not_found", err)
	}
	if n, _ := s.PurgeDeleted(ctx, tenant, day3); n != 0 {
		t.Errorf("second purge removed %d, want 0", n)
	}
	// Another tenant's purge touches nothing here.
	if n, _ := s.PurgeDeleted(ctx, tablestest.Tenant(), day3.AddDate(1, 0, 0)); n != 0 {
		t.Errorf("other tenant purge removed %d", n)
	}
	if _, err := s.Restore(ctx, tenant, cal, "e1"); err != nil {
		t.Errorf("e1 must still be restorable: %v", err)
	}
	// A purged series takes its exceptions along.
	if err := s.Delete(ctx, tenant, cal, "s", "*", day1); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.PurgeDeleted(ctx, tenant, day2); n != 1 {
		t.Errorf("purge series: got %d, want 1", n)
	}
	if xs, err := s.Exceptions(ctx, tenant, cal, "s"); err != nil || len(xs) != 0 {
		t.Errorf("exceptions after purge: got %v %v, want none", xs, err)
	}
}

func TestEventExceptionsAndSplit(t *testing.T) {
	t.Parallel()
	s := eventStore(t)
	ctx := context.Background()
	tenant, cal := tablestest.Tenant(), "cal-x"
	series, err := s.Create(ctx, tenant, mkEvent(t, cal, "daily", calendar.EventInput{StartDate: "2026-06-01T07:00:00Z", EndDate: "2026-06-01T08:00:00Z", ModeRecurrence: "Daily"}))
	if err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return time.Date(2026, 6, d, 7, 0, 0, 0, time.UTC) }
	cancel, _ := calendar.NewException(series, day(2), nil)
	over := series
	over.Rule, over.Title = nil, "moved"
	over.Start, over.End = day(3).Add(3*time.Hour), day(3).Add(4*time.Hour)
	change, err := calendar.NewException(series, day(3), &over)
	if err != nil {
		t.Fatal(err)
	}
	late, _ := calendar.NewException(series, day(10), nil)
	for _, x := range []calendar.Exception{cancel, change, late} {
		if _, err := s.PutException(ctx, tenant, cal, x, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.PutException(ctx, tenant, cal, cancel, `"9"`); code(err) != teamspro.EPRECONDITION {
		t.Errorf("stale exception: got %v, want precondition_failed", err)
	}
	missing, _ := calendar.NewException(series, day(4), nil)
	missing.SeriesID = "nope"
	if _, err := s.PutException(ctx, tenant, cal, missing, ""); code(err) != teamspro.ENOTFOUND {
		t.Errorf("exception of no series: got %v, want not_found", err)
	}
	occ := view(t, s, tenant, cal, day(1), day(5))
	var starts []string
	for _, o := range occ {
		starts = append(starts, o.Start.Format("02T15")+o.Title)
	}
	if want := []string{"01T07daily", "03T10moved", "04T07daily"}; !slices.Equal(starts, want) {
		t.Errorf("got %v, want %v", starts, want)
	}
	if err := s.DeleteException(ctx, tenant, cal, "daily", day(2)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteException(ctx, tenant, cal, "daily", day(2)); code(err) != teamspro.ENOTFOUND {
		t.Errorf("delete exception twice: got %v", err)
	}

	// This and following from the 5th: the late exception moves to the new series.
	xs, err := s.Exceptions(ctx, tenant, cal, "daily")
	if err != nil || len(xs) != 2 {
		t.Fatalf("got exceptions %v %v, want 2", xs, err)
	}
	sp, err := calendar.SplitSeries(series, xs, day(5), "daily-2")
	if err != nil {
		t.Fatal(err)
	}
	sp.After.Title = "later"
	if _, err := s.ReplaceSeries(ctx, tenant, sp, `"5"`); code(err) != teamspro.EPRECONDITION {
		t.Errorf("stale split: got %v, want precondition_failed", err)
	}
	if _, err := s.ReplaceSeries(ctx, tenant, sp, series.ETag); err != nil {
		t.Fatal(err)
	}
	occ = view(t, s, tenant, cal, day(4), day(12))
	starts = nil
	for _, o := range occ {
		starts = append(starts, o.Start.Format("02")+o.ID)
	}
	want := []string{"04daily", "05daily-2", "06daily-2", "07daily-2", "08daily-2", "09daily-2", "11daily-2"}
	if !slices.Equal(starts, want) {
		t.Errorf("after split: got %v, want %v", starts, want)
	}
	if xs, _ := s.Exceptions(ctx, tenant, cal, "daily"); len(xs) != 1 {
		t.Errorf("old series keeps %d exceptions, want 1", len(xs))
	}

	// An edit of the whole series drops the exceptions it orphans.
	cur, _ := s.Get(ctx, tenant, cal, "daily")
	cur.Start, cur.End = cur.Start.Add(time.Hour), cur.End.Add(time.Hour)
	xs, _ = s.Exceptions(ctx, tenant, cal, "daily")
	_, orphaned, err := calendar.ReconcileExceptions(cur, xs)
	if err != nil || len(orphaned) != 1 {
		t.Fatalf("got orphaned %v %v, want 1", orphaned, err)
	}
	if _, err := s.Update(ctx, tenant, cur, cur.ETag, orphaned); err != nil {
		t.Fatal(err)
	}
	if xs, _ := s.Exceptions(ctx, tenant, cal, "daily"); len(xs) != 0 {
		t.Errorf("exceptions after the edit: got %d, want 0", len(xs))
	}
}

// TestMonthViewRoundTrips counts the storage requests of a month view of a
// calendar with a year of events: three range queries, whatever the size.
func TestMonthViewRoundTrips(t *testing.T) {
	t.Parallel()
	counter := &tables.CountingTransport{}
	opts := tablestest.Options(t, tables.TableEvents)
	opts.Transport = counter
	c, err := tables.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	s := tables.NewEventStore(c)
	tablestest.Ensure(t, c, tables.TableEvents)
	ctx := context.Background()
	tenant, cal := tablestest.Tenant(), "cal-m"
	start := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	for i := range 300 {
		if _, err := s.Create(ctx, tenant, mkEvent(t, cal, fmt.Sprintf("e%03d", i), timed(start.Add(time.Duration(i)*29*time.Hour), time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Create(ctx, tenant, mkEvent(t, cal, "weekly", calendar.EventInput{StartDate: "2026-01-05T08:00:00Z", EndDate: "2026-01-05T09:00:00Z", ModeRecurrence: "Weekly"})); err != nil {
		t.Fatal(err)
	}
	counter.Reset()
	from := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	occ := view(t, s, tenant, cal, from, from.AddDate(0, 1, 0))
	if n := counter.Reset(); n != 3 {
		t.Errorf("a month view cost %d round trips, want 3", n)
	}
	if len(occ) < 25 {
		t.Errorf("got %d occurrences, want the month's events and weekly series", len(occ))
	}
}

func TestFeedTokens(t *testing.T) {
	t.Parallel()
	s := eventStore(t)
	ctx := context.Background()
	tenant, cal := tablestest.Tenant(), "cal-f"
	h1, h2 := uuid.NewString(), uuid.NewString()
	now := time.Now()
	if err := s.SetFeed(ctx, tenant, cal, h1, "owner", now); err != nil {
		t.Fatal(err)
	}
	if tn, c, err := s.FeedByHash(ctx, h1); err != nil || tn != tenant || c != cal {
		t.Fatalf("got %s %s %v, want the calendar", tn, c, err)
	}
	if err := s.SetFeed(ctx, tenant, cal, h2, "owner", now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.FeedByHash(ctx, h1); code(err) != teamspro.ENOTFOUND {
		t.Errorf("rotated token: got %v, want not_found", err)
	}
	if _, _, err := s.FeedByHash(ctx, h2); err != nil {
		t.Errorf("new token: %v", err)
	}
	if err := s.RevokeFeed(ctx, tenant, cal); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.FeedByHash(ctx, h2); code(err) != teamspro.ENOTFOUND {
		t.Errorf("revoked token: got %v, want not_found", err)
	}
	if err := s.RevokeFeed(ctx, tenant, cal); code(err) != teamspro.ENOTFOUND {
		t.Errorf("revoke twice: got %v, want not_found", err)
	}
}
