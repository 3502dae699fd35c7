package tables_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/directory"
	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
	"github.com/teamspro/functions/internal/teamspro"
)

func code(err error) string { return teamspro.ErrorCode(err) }

func TestSignInKeepsFirstSeen(t *testing.T) {
	t.Parallel()
	s := tables.NewDirectoryStore(tablestest.New(t))
	ctx := context.Background()
	tenant, user := tablestest.Tenant(), uuid.NewString()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	p, err := s.SignIn(ctx, directory.Profile{TenantID: tenant, ObjectID: user, UPN: "a@x.example", Name: "A", LastSignIn: t0})
	if err != nil {
		t.Fatal(err)
	}
	if !p.FirstSeen.Equal(t0) {
		t.Errorf("got first seen %s, want %s", p.FirstSeen, t0)
	}
	t1 := t0.Add(48 * time.Hour)
	p, err = s.SignIn(ctx, directory.Profile{TenantID: tenant, ObjectID: user, UPN: "a2@x.example", Name: "A2", LastSignIn: t1})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Profile(ctx, tenant, user)
	if err != nil {
		t.Fatal(err)
	}
	if !got.FirstSeen.Equal(t0) || !got.LastSignIn.Equal(t1) || got.UPN != "a2@x.example" || got.Name != "A2" {
		t.Errorf("got %+v, want first seen %s, last %s and the new UPN and name", got, t0, t1)
	}
	ten, err := s.Tenant(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	if !ten.FirstSeen.Equal(t0) || !ten.LastActivity.Equal(t1) {
		t.Errorf("got tenant %+v, want first seen %s and last activity %s", ten, t0, t1)
	}
	if _, err := s.Profile(ctx, tablestest.Tenant(), user); code(err) != teamspro.ENOTFOUND {
		t.Errorf("profile from another tenant: got %v, want not_found", err)
	}
}

func TestSignInConcurrentFirstSignIns(t *testing.T) {
	t.Parallel()
	s := tables.NewDirectoryStore(tablestest.New(t))
	tenant, user := tablestest.Tenant(), uuid.NewString()
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.SignIn(context.Background(), directory.Profile{TenantID: tenant, ObjectID: user, LastSignIn: time.Now()}); err != nil {
				t.Log(err)
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Errorf("got %d failed concurrent sign-ins, want 0", failed.Load())
	}
}

func newTab(tenant string) *tab.Tab {
	now := time.Now().UTC().Truncate(time.Second)
	return &tab.Tab{
		TenantID: tenant, ID: "tab-" + uuid.NewString()[:8], Kind: tab.KindCalendar, CalendarID: uuid.NewString(),
		TeamID: "team", ChannelID: "19:abc@thread.tacv2", ChannelName: "General",
		Settings:  tab.Settings{DefaultView: "week", Permissions: tab.Permissions{Mode: tab.PermEveryone}, Owners: []string{uuid.NewString()}},
		CreatedAt: now, UpdatedAt: now,
	}
}

func TestTabLifecycle(t *testing.T) {
	t.Parallel()
	s := tables.NewTabStore(tablestest.New(t))
	ctx := context.Background()
	tenant := tablestest.Tenant()
	tb := newTab(tenant)
	if err := s.Create(ctx, tb); err != nil {
		t.Fatal(err)
	}
	if tb.ETag != `"1"` {
		t.Errorf("got etag %s, want \"1\"", tb.ETag)
	}
	if err := s.Create(ctx, newTabWithID(tenant, tb.ID)); code(err) != teamspro.ECONFLICT {
		t.Errorf("second create: got %v, want conflict", err)
	}
	byCal, err := s.ByCalendar(ctx, tenant, tb.CalendarID)
	if err != nil || byCal.ID != tb.ID {
		t.Fatalf("ByCalendar: got %v %v, want tab %s", byCal, err, tb.ID)
	}

	upd := *tb
	upd.ChannelName = "Renamed"
	if err := s.Update(ctx, &upd, `"7"`); code(err) != teamspro.EPRECONDITION {
		t.Errorf("stale If-Match: got %v, want precondition_failed", err)
	}
	if err := s.Update(ctx, &upd, tb.ETag); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Get(ctx, tenant, tb.ID)
	byCal, _ = s.ByCalendar(ctx, tenant, tb.CalendarID)
	if got.ChannelName != "Renamed" || byCal.ChannelName != "Renamed" || got.ETag != `"2"` {
		t.Errorf("after update got %q/%q etag %s, want Renamed in both rows, etag \"2\"", got.ChannelName, byCal.ChannelName, got.ETag)
	}

	if err := s.Delete(ctx, tenant, tb.ID, `"1"`, time.Now()); code(err) != teamspro.EPRECONDITION {
		t.Errorf("delete with stale etag: got %v, want precondition_failed", err)
	}
	if err := s.Delete(ctx, tenant, tb.ID, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, tenant, tb.ID); code(err) != teamspro.ENOTFOUND {
		t.Errorf("get deleted: got %v, want not_found", err)
	}
	if _, err := s.ByCalendar(ctx, tenant, tb.CalendarID); code(err) != teamspro.ENOTFOUND {
		t.Errorf("calendar of deleted tab: got %v, want not_found", err)
	}
	restored, err := s.Restore(ctx, tenant, tb.ID)
	if err != nil || restored.ChannelName != "Renamed" {
		t.Fatalf("restore: got %v %v", restored, err)
	}
	if _, err := s.Restore(ctx, tenant, tb.ID); code(err) != teamspro.ENOTFOUND {
		t.Errorf("restore a live tab: got %v, want not_found", err)
	}
}

func newTabWithID(tenant, id string) *tab.Tab {
	t := newTab(tenant)
	t.ID = id
	return t
}

func TestTabsAreTenantScoped(t *testing.T) {
	t.Parallel()
	s := tables.NewTabStore(tablestest.New(t))
	ctx := context.Background()
	a, b := tablestest.Tenant(), tablestest.Tenant()
	tb := newTab(a)
	if err := s.Create(ctx, tb); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, b, tb.ID); code(err) != teamspro.ENOTFOUND {
		t.Errorf("get: got %v, want not_found", err)
	}
	if _, err := s.ByCalendar(ctx, b, tb.CalendarID); code(err) != teamspro.ENOTFOUND {
		t.Errorf("by calendar: got %v, want not_found", err)
	}
	other := *tb
	other.TenantID = b
	if err := s.Update(ctx, &other, ""); code(err) != teamspro.ENOTFOUND {
		t.Errorf("update: got %v, want not_found", err)
	}
	if err := s.Delete(ctx, b, tb.ID, "", time.Now()); code(err) != teamspro.ENOTFOUND {
		t.Errorf("delete: got %v, want not_found", err)
	}
	if _, err := s.Get(ctx, a, tb.ID); err != nil {
		t.Errorf("owner tenant lost its tab: %v", err)
	}
}

// TestConcurrentUpdatesOneWins proves that version checks hold under
// concurrency: writers that all read version 1 cannot all commit.
func TestConcurrentUpdatesOneWins(t *testing.T) {
	t.Parallel()
	s := tables.NewTabStore(tablestest.New(t))
	ctx := context.Background()
	tb := newTab(tablestest.Tenant())
	if err := s.Create(ctx, tb); err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	var ok, stale atomic.Int32
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := *tb
			u.ChannelName = uuid.NewString()
			switch err := s.Update(ctx, &u, `"1"`); code(err) {
			case "":
				ok.Add(1)
			case teamspro.EPRECONDITION:
				stale.Add(1)
			default:
				t.Errorf("update: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || stale.Load() != n-1 {
		t.Errorf("got %d successes and %d precondition failures, want 1 and %d", ok.Load(), stale.Load(), n-1)
	}
}

func TestRejectsBadKeys(t *testing.T) {
	t.Parallel()
	s := tables.NewTabStore(tablestest.New(t))
	for _, id := range []string{"a/b", `a\b`, "a#b", "a?b", "a\x01b", ""} {
		if _, err := s.Get(context.Background(), tablestest.Tenant(), id); code(err) != teamspro.EINVALID {
			t.Errorf("Get(%q): got %v, want invalid", id, err)
		}
	}
}

func TestPingAndRoundTrips(t *testing.T) {
	t.Parallel()
	ct := &tables.CountingTransport{}
	opts := tablestest.Options(t)
	opts.Transport = ct
	c, err := tables.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	tablestest.Ensure(t, c)
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := tables.NewTabStore(c)
	tb := newTab(tablestest.Tenant())
	ct.Reset()
	if err := s.Create(context.Background(), tb); err != nil {
		t.Fatal(err)
	}
	if got := ct.Reset(); got != 1 {
		t.Errorf("create tab: got %d round trips, want 1", got)
	}
	if _, err := s.ByCalendar(context.Background(), tb.TenantID, tb.CalendarID); err != nil {
		t.Fatal(err)
	}
	if got := ct.Reset(); got != 1 {
		t.Errorf("tab by calendar: got %d round trips, want 1", got)
	}
}

func TestPingUnreachable(t *testing.T) {
	t.Parallel()
	c, err := tables.New(tables.Options{ConnectionString: "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:1/devstoreaccount1;", Prefix: "x"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx); code(err) != teamspro.EUNAVAILABLE {
		t.Errorf("got %v, want unavailable", err)
	}
}

// ownTables is a client whose prefix no other test uses, so that it starts
// with no table at all, and a raw service client to inspect and change the
// tables behind its back. Its tables are deleted when the test ends.
func ownTables(t *testing.T, suffix string, transport *tables.CountingTransport) (*tables.Client, *aztables.ServiceClient, tables.Options) {
	t.Helper()
	opts := tablestest.Options(t)
	opts.Prefix = tablestest.Prefix() + suffix
	if transport != nil {
		opts.Transport = transport
	}
	c, err := tables.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := aztables.NewServiceClientFromConnectionString(opts.ConnectionString, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for name := range listTables(t, svc, opts.Prefix) {
			_, _ = svc.DeleteTable(context.Background(), name, nil)
		}
	})
	return c, svc, opts
}

// listTables returns the names of the tables that start with prefix.
func listTables(t *testing.T, svc *aztables.ServiceClient, prefix string) map[string]bool {
	t.Helper()
	filter := "TableName ge '" + prefix + "' and TableName lt '" + prefix + "{'"
	got := map[string]bool{}
	pager := svc.NewListTablesPager(&aztables.ListTablesOptions{Filter: &filter})
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, tb := range page.Tables {
			got[*tb.Name] = true
		}
	}
	return got
}

// TestEnsureTablesCreatesOnlyMissing: a start lists the deployment's tables in
// one call and creates only those that are missing, including one deleted by
// hand.
func TestEnsureTablesCreatesOnlyMissing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ct := &tables.CountingTransport{}
	c, svc, opts := ownTables(t, "ens", ct)

	if err := c.EnsureTables(ctx); err != nil {
		t.Fatal(err)
	}
	all := listTables(t, svc, opts.Prefix)
	if len(all) < 11 || !all[opts.Prefix+tables.TableBookings] {
		t.Fatalf("got tables %v, want every table of the client", all)
	}
	if got, want := ct.Reset(), 1+len(all); got != want {
		t.Errorf("first start: got %d round trips, want %d (one list, one create per table)", got, want)
	}

	if err := c.EnsureTables(ctx); err != nil {
		t.Fatal(err)
	}
	if got := ct.Reset(); got != 1 {
		t.Errorf("start with every table: got %d round trips, want 1", got)
	}

	if _, err := svc.DeleteTable(ctx, opts.Prefix+tables.TableRooms, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureTables(ctx); err != nil {
		t.Fatal(err)
	}
	if got := ct.Reset(); got != 2 {
		t.Errorf("start with one table missing: got %d round trips, want 2", got)
	}
	if got := listTables(t, svc, opts.Prefix); len(got) != len(all) {
		t.Errorf("got %d tables after re-creating, want %d", len(got), len(all))
	}
}

// TestPingWaitsForTables: readiness means every table exists, not only the
// one the probe queries.
func TestPingWaitsForTables(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, svc, opts := ownTables(t, "ping", nil)
	// Only the table the probe queries exists, as when a start was cut short.
	if _, err := svc.CreateTable(ctx, opts.Prefix+tables.TableDirectory, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if _, err := tables.NewRoomStore(c).List(ctx, tablestest.Tenant()); err != nil {
		t.Errorf("list rooms after a successful ping: %v, want the rooms table to exist", err)
	}
}

// TestFirstRequestsCreateTables: on a fresh storage account whose tables the
// start has not created yet, the first requests wait for the tables instead
// of failing; concurrent ones share the creation. The same holds when tables
// disappear under a running service.
func TestFirstRequestsCreateTables(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, svc, opts := ownTables(t, "fresh", nil)
	dir := tables.NewDirectoryStore(c)
	rooms := tables.NewRoomStore(c)
	tenant := tablestest.Tenant()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 10 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := dir.SignIn(ctx, directory.Profile{TenantID: tenant, ObjectID: uuid.NewString(), UPN: fmt.Sprintf("u%d@x.example", i), LastSignIn: time.Now()})
			errs <- err
		}()
		go func() {
			defer wg.Done()
			_, err := rooms.List(ctx, tenant)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a first request on a fresh account: got %v, want it to wait for the tables", err)
		}
	}
	if _, err := svc.DeleteTable(ctx, opts.Prefix+tables.TableRooms, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := rooms.List(ctx, tenant); err != nil {
		t.Errorf("after the rooms table was deleted: got %v, want it re-created", err)
	}
}
