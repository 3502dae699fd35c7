package tables_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
	"github.com/teamspro/functions/internal/teamspro"
)

func newExternal(tenant, cal string) *calendar.External {
	return &calendar.External{TenantID: tenant, CalendarID: cal, ID: uuid.NewString(), Name: "Team", Color: "#038387",
		URL: "https://example.com/team.ics", CreatedAt: time.Now().UTC()}
}

// aCopy is a copy of n single events with titles that do not compress
// away, so a large n crosses the 64 KiB property limit.
func aCopy(n int) *calendar.ExternalCopy {
	c := &calendar.ExternalCopy{}
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i := range n {
		c.Events = append(c.Events, calendar.Event{ID: fmt.Sprintf("x%d", i), Title: fmt.Sprintf("Event %d %x", i, r.Uint64()),
			Start: start.Add(time.Duration(i) * time.Hour), End: start.Add(time.Duration(i)*time.Hour + 30*time.Minute), TimeZone: "UTC"})
	}
	return c
}

// TestExternalLifecycle: add, a fetch that succeeds (a copy larger than one
// property), a fetch that fails (the copy stays, the error is recorded),
// removal.
func TestExternalLifecycle(t *testing.T) {
	t.Parallel()
	s := tables.NewExternalStore(tablestest.New(t))
	ctx := context.Background()
	tenant, cal := tablestest.Tenant(), "cal-"+uuid.NewString()[:8]
	x := newExternal(tenant, cal)
	if err := s.AddExternal(ctx, x); err != nil {
		t.Fatal(err)
	}
	big := aCopy(3000)
	x.LastAttempt, x.LastSuccess, x.Events = time.Now().UTC(), time.Now().UTC(), len(big.Events)
	if err := s.SaveFetch(ctx, *x, big); err != nil {
		t.Fatalf("save a copy of %d events: %v", len(big.Events), err)
	}
	failed := *x
	failed.LastAttempt = failed.LastAttempt.Add(time.Minute)
	failed.LastError = &calendar.FetchError{Reason: "timeout", Message: "no answer"}
	if err := s.SaveFetch(ctx, failed, nil); err != nil {
		t.Fatal(err)
	}
	copies, err := s.Copies(ctx, tenant, cal)
	if err != nil {
		t.Fatal(err)
	}
	if len(copies) != 1 {
		t.Fatalf("got %d copies, want 1", len(copies))
	}
	got := copies[0]
	if got.LastError == nil || got.LastError.Reason != "timeout" {
		t.Errorf("got last error %+v, want the failed fetch's", got.LastError)
	}
	if len(got.Copy.Events) != len(big.Events) || got.Copy.Events[2999].Title != big.Events[2999].Title {
		t.Errorf("got %d events in the kept copy, want the %d of the last good fetch", len(got.Copy.Events), len(big.Events))
	}
	list, err := s.ListExternals(ctx, tenant, cal)
	if err != nil || len(list) != 1 || list[0].ID != x.ID || list[0].Events != 3000 {
		t.Fatalf("got %+v, %v; want the one calendar without its copy", list, err)
	}
	if err := s.DeleteExternal(ctx, tenant, cal, x.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveFetch(ctx, failed, nil); teamspro.ErrorCode(err) != teamspro.ENOTFOUND {
		t.Errorf("a fetch saved after removal: got %v, want not_found (nothing brought back)", err)
	}
	if _, err := s.GetExternal(ctx, tenant, cal, x.ID); teamspro.ErrorCode(err) != teamspro.ENOTFOUND {
		t.Errorf("got %v, want not_found", err)
	}
}

// TestExternalTooLarge: a copy beyond what one entity holds is refused
// whole, and the kept copy stays.
func TestExternalTooLarge(t *testing.T) {
	t.Parallel()
	s := tables.NewExternalStore(tablestest.New(t))
	ctx := context.Background()
	tenant, cal := tablestest.Tenant(), "cal-"+uuid.NewString()[:8]
	x := newExternal(tenant, cal)
	if err := s.AddExternal(ctx, x); err != nil {
		t.Fatal(err)
	}
	x.LastSuccess = time.Now().UTC()
	if err := s.SaveFetch(ctx, *x, aCopy(2)); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveFetch(ctx, *x, aCopy(40000)); teamspro.ErrorCode(err) != teamspro.ETOOLARGE {
		t.Fatalf("got %v, want too_large", err)
	}
	copies, err := s.Copies(ctx, tenant, cal)
	if err != nil || len(copies) != 1 || len(copies[0].Copy.Events) != 2 {
		t.Fatalf("got %+v, %v; want the kept copy of 2 events", copies, err)
	}
}

// TestExternalsAtMostThree: owners adding at once never store a fourth.
func TestExternalsAtMostThree(t *testing.T) {
	t.Parallel()
	s := tables.NewExternalStore(tablestest.New(t))
	ctx := context.Background()
	tenant, cal := tablestest.Tenant(), "cal-"+uuid.NewString()[:8]
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.AddExternal(ctx, newExternal(tenant, cal))
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case teamspro.ErrorCode(err) == teamspro.ECONFLICT || teamspro.ErrorCode(err) == teamspro.EUNAVAILABLE:
		default:
			t.Errorf("got %v, want success, conflict or unavailable", err)
		}
	}
	list, err := s.ListExternals(ctx, tenant, cal)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != calendar.MaxExternals || ok != calendar.MaxExternals {
		t.Errorf("got %d stored (%d adds succeeded), want %d", len(list), ok, calendar.MaxExternals)
	}
	err = s.AddExternal(ctx, newExternal(tenant, cal))
	var e *teamspro.Error
	if teamspro.ErrorCode(err) != teamspro.ECONFLICT || !errors.As(err, &e) || e.Detail != "too_many_externals" {
		t.Errorf("a fourth: got %v, want conflict too_many_externals", err)
	}
}

// TestExternalCopiesRemembered: a view reads the copies' small columns only
// (one round trip) while they stay as they are; a copy saved by another
// instance is read again at its new version.
func TestExternalCopiesRemembered(t *testing.T) {
	t.Parallel()
	counter := &tables.CountingTransport{}
	opts := tablestest.Options(t)
	opts.Transport = counter
	c, err := tables.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	view, other := tables.NewExternalStore(c), tables.NewExternalStore(tablestest.New(t))
	ctx := context.Background()
	tenant, cal := tablestest.Tenant(), "cal-"+uuid.NewString()[:8]
	x := newExternal(tenant, cal)
	if err := other.AddExternal(ctx, x); err != nil {
		t.Fatal(err)
	}
	x.LastSuccess = time.Now().UTC()
	if err := other.SaveFetch(ctx, *x, aCopy(500)); err != nil {
		t.Fatal(err)
	}
	copies := func(want int) {
		t.Helper()
		got, err := view.Copies(ctx, tenant, cal)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || len(got[0].Copy.Events) != want {
			t.Fatalf("got %d calendars, want 1 with %d events", len(got), want)
		}
	}
	counter.Reset()
	copies(500)
	if n := counter.Reset(); n != 2 {
		t.Errorf("first view: got %d round trips, want 2 (the rows, then the copy)", n)
	}
	copies(500)
	if n := counter.Reset(); n != 1 {
		t.Errorf("second view: got %d round trips, want 1 (the rows only)", n)
	}
	if err := other.SaveFetch(ctx, *x, aCopy(7)); err != nil {
		t.Fatal(err)
	}
	copies(7)
	if n := counter.Reset(); n != 2 {
		t.Errorf("after another instance's fetch: got %d round trips, want 2", n)
	}
}
