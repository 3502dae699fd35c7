package tables_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/apikey"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/faultproxy"
	"github.com/teamspro/functions/internal/job"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
	"github.com/teamspro/functions/internal/teamspro"
)

// TestAppliedWriteWhoseAnswerWasLost plays the storage failure behind a
// false conflict: a write reaches storage and is applied, but its answer is
// lost (the try times out), so the client tries again, and storage answers
// the repeat with 409 (exists) or 412 (changed). The write succeeded and must
// say so, not report a conflict to the caller who made it, nor undo or
// repeat any part of it. Each request of each write loses its answer in turn.
func TestAppliedWriteWhoseAnswerWasLost(t *testing.T) {
	t.Parallel()
	p, through := storageProxy(t)
	p.Hold = 10 * time.Second // the try times out first
	extra := []string{tables.TableEvents, tables.TableAPIKeys, tables.TableJobs, tables.TableExternals}
	opts := tablestest.Options(t, extra...)
	opts.ConnectionString = through
	opts.Retry = &policy.RetryOptions{MaxRetries: 2, TryTimeout: 3 * time.Second, RetryDelay: 10 * time.Millisecond}
	c, err := tables.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	events, rooms := tables.NewEventStore(c), tables.NewRoomStore(c)
	keys, jobs, externals := tables.NewAPIKeyStore(c), tables.NewJobStore(c), tables.NewExternalStore(c)
	tabs := tables.NewTabStore(c)
	tablestest.Ensure(t, c, extra...)
	svc, err := aztables.NewServiceClientFromConnectionString(tablestest.ConnectionString(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	raw := svc.NewClient(opts.Prefix + tables.TableAPIKeys) // past the proxy
	tenant, cal := uuid.NewString(), "cal-lost"
	ctx := context.Background()
	start := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	now := time.Now().UTC()
	room := func(id, name string) *booking.Room {
		in := booking.RoomInput{Name: name, Capacity: 4, TimeZone: "UTC"}
		in.Normalize()
		return &booking.Room{TenantID: tenant, ID: id, RoomInput: in, CreatedAt: now}
	}
	feedIs := func(t *testing.T, hash, calendarID string) {
		t.Helper()
		if tn, c, err := events.FeedByHash(ctx, hash); err != nil || tn != tenant || c != calendarID {
			t.Errorf("feed token: got %s %s %v, want calendar %s", tn, c, err, calendarID)
		}
	}

	tests := []struct {
		name  string
		setup func(t *testing.T, id string)
		write func(id string) error
		check func(t *testing.T, id string) // what the write left, beyond its answer
	}{
		{"create an event", nil, func(id string) error {
			_, err := events.Create(ctx, tenant, mkEvent(t, cal, id, timed(start, time.Hour)))
			return err
		}, nil},
		{"update an event", func(t *testing.T, id string) {
			if _, err := events.Create(ctx, tenant, mkEvent(t, cal, id, timed(start, time.Hour))); err != nil {
				t.Fatal(err)
			}
		}, func(id string) error {
			e := mkEvent(t, cal, id, timed(start.Add(2*time.Hour), time.Hour))
			e.Title = "Moved"
			_, err := events.Update(ctx, tenant, e, `"1"`, nil)
			return err
		}, nil},
		{"delete an event", func(t *testing.T, id string) {
			if _, err := events.Create(ctx, tenant, mkEvent(t, cal, id, timed(start, time.Hour))); err != nil {
				t.Fatal(err)
			}
		}, func(id string) error {
			return events.Delete(ctx, tenant, cal, id, `"1"`, now)
		}, func(t *testing.T, id string) {
			if _, err := events.Get(ctx, tenant, cal, id); teamspro.ErrorCode(err) != teamspro.ENOTFOUND {
				t.Errorf("the deleted event: got %v, want not_found", err)
			}
		}},
		{"restore an event", func(t *testing.T, id string) {
			if _, err := events.Create(ctx, tenant, mkEvent(t, cal, id, timed(start, time.Hour))); err != nil {
				t.Fatal(err)
			}
			if err := events.Delete(ctx, tenant, cal, id, `"1"`, now); err != nil {
				t.Fatal(err)
			}
		}, func(id string) error {
			_, err := events.Restore(ctx, tenant, cal, id)
			return err
		}, func(t *testing.T, id string) {
			if _, err := events.Get(ctx, tenant, cal, id); err != nil {
				t.Errorf("the restored event: %v", err)
			}
		}},
		{"change an occurrence", func(t *testing.T, id string) {
			if _, err := events.Create(ctx, tenant, mkEvent(t, cal, id, calendar.EventInput{StartDate: "2027-03-01T12:00:00Z", EndDate: "2027-03-01T13:00:00Z", ModeRecurrence: "Daily"})); err != nil {
				t.Fatal(err)
			}
		}, func(id string) error {
			series, err := events.Get(ctx, tenant, cal, id)
			if err != nil {
				return err
			}
			x, err := calendar.NewException(series, time.Date(2027, 3, 2, 12, 0, 0, 0, time.UTC), nil)
			if err != nil {
				return err
			}
			_, err = events.PutException(ctx, tenant, cal, x, "")
			return err
		}, nil},
		{"create a room", nil, func(id string) error { return rooms.Create(ctx, room(id, "Lost")) }, nil},
		{"update a room", func(t *testing.T, id string) {
			if err := rooms.Create(ctx, room(id, "Before")); err != nil {
				t.Fatal(err)
			}
		}, func(id string) error { return rooms.Update(ctx, room(id, "After"), `"1"`) }, nil},
		{"create a tab", nil, func(id string) error {
			tb := newTab(tenant)
			tb.ID = id
			return tabs.Create(ctx, tb)
		}, func(t *testing.T, id string) {
			if tb, err := tabs.Get(ctx, tenant, id); err != nil || tb.ETag != `"1"` {
				t.Errorf("the tab: got %v, %v, want version 1", tb, err)
			}
		}},
		{"update a tab", func(t *testing.T, id string) {
			tb := newTab(tenant)
			tb.ID = id
			if err := tabs.Create(ctx, tb); err != nil {
				t.Fatal(err)
			}
		}, func(id string) error {
			tb := newTab(tenant)
			tb.ID, tb.ChannelName = id, "Renamed"
			return tabs.Update(ctx, tb, `"1"`)
		}, func(t *testing.T, id string) {
			if tb, err := tabs.Get(ctx, tenant, id); err != nil || tb.ETag != `"2"` || tb.ChannelName != "Renamed" {
				t.Errorf("the tab: got %v, %v, want version 2, renamed", tb, err)
			}
		}},
		{"create an API key", nil, func(id string) error {
			return keys.Create(ctx, &apikey.Key{TenantID: tenant, ID: id, Name: "Lost", CalendarIDs: []string{cal},
				CreatedBy: "owner", CreatedAt: now, Hash: "hash-" + id})
		}, func(t *testing.T, id string) {
			if k, err := keys.ByHash(ctx, "hash-"+id); err != nil || k.ID != id {
				t.Errorf("the key by its hash: got %v, %v, want key %s", k, err, id)
			}
		}},
		{"create a copy job", nil, func(id string) error {
			return jobs.Create(ctx, &job.Job{TenantID: tenant, ID: id, Kind: "copy", Status: "queued",
				SourceCalendarID: cal, TargetCalendarID: "cal-target", RequestedBy: "owner", Steps: 1})
		}, func(t *testing.T, id string) {
			if _, err := jobs.Get(ctx, tenant, id); err != nil {
				t.Errorf("the job: %v", err)
			}
		}},
		{"add an external calendar", nil, func(id string) error {
			return externals.AddExternal(ctx, &calendar.External{TenantID: tenant, CalendarID: "cal-" + id, ID: id, Name: "Team",
				Color: "#038387", URL: "https://example.com/team.ics", CreatedAt: now})
		}, func(t *testing.T, id string) {
			// A repeat taken for a conflict went on to the next free slot:
			// the calendar showed the same external calendar twice.
			if xs, err := externals.ListExternals(ctx, tenant, "cal-"+id); err != nil || len(xs) != 1 {
				t.Errorf("got %d external calendars (%v), want 1", len(xs), err)
			}
		}},
		{"set a feed token", nil, func(id string) error {
			return events.SetFeed(ctx, tenant, "cal-"+id, "feed-"+id, "owner", now)
		}, func(t *testing.T, id string) { feedIs(t, "feed-"+id, "cal-"+id) }},
		{"replace a feed token", func(t *testing.T, id string) {
			if err := events.SetFeed(ctx, tenant, "cal-"+id, "old-"+id, "owner", now); err != nil {
				t.Fatal(err)
			}
		}, func(id string) error {
			return events.SetFeed(ctx, tenant, "cal-"+id, "feed-"+id, "owner", now)
		}, func(t *testing.T, id string) {
			feedIs(t, "feed-"+id, "cal-"+id)
			if _, _, err := events.FeedByHash(ctx, "old-"+id); teamspro.ErrorCode(err) != teamspro.ENOTFOUND {
				t.Errorf("the replaced token: got %v, want not_found", err)
			}
		}},
		// Deletes: the repeat of an applied delete meets 404.
		{"delete a room", func(t *testing.T, id string) {
			if err := rooms.Create(ctx, room(id, "Gone")); err != nil {
				t.Fatal(err)
			}
		}, func(id string) error { return rooms.Delete(ctx, tenant, id, `"1"`) }, func(t *testing.T, id string) {
			if _, err := rooms.Get(ctx, tenant, id); teamspro.ErrorCode(err) != teamspro.ENOTFOUND {
				t.Errorf("the deleted room: got %v, want not_found", err)
			}
		}},
		{"revoke an API key", func(t *testing.T, id string) {
			if err := keys.Create(ctx, &apikey.Key{TenantID: tenant, ID: id, Name: "Revoked", CalendarIDs: []string{cal},
				CreatedBy: "owner", CreatedAt: now, Hash: "hash-" + id}); err != nil {
				t.Fatal(err)
			}
		}, func(id string) error { return keys.Revoke(ctx, tenant, id) }, func(t *testing.T, id string) {
			if _, err := keys.ByHash(ctx, "hash-"+id); teamspro.ErrorCode(err) != teamspro.EUNAUTHORIZED {
				t.Errorf("the revoked key by its hash: got %v, want unauthorized", err)
			}
			if _, err := keys.Get(ctx, tenant, id); teamspro.ErrorCode(err) != teamspro.ENOTFOUND {
				t.Errorf("the revoked key: got %v, want not_found", err)
			}
		}},
		{"revoke a feed token", func(t *testing.T, id string) {
			if err := events.SetFeed(ctx, tenant, "cal-"+id, "feed-"+id, "owner", now); err != nil {
				t.Fatal(err)
			}
		}, func(id string) error { return events.RevokeFeed(ctx, tenant, "cal-"+id) }, func(t *testing.T, id string) {
			if _, _, err := events.FeedByHash(ctx, "feed-"+id); teamspro.ErrorCode(err) != teamspro.ENOTFOUND {
				t.Errorf("the revoked token: got %v, want not_found", err)
			}
			// The token's hash row goes too, not only the feed row.
			if _, err := raw.GetEntity(ctx, "hash", "feed|feed-"+id, nil); !isNotFound(err) {
				t.Errorf("the revoked token's hash row: got %v, want it gone (404)", err)
			}
		}},
		{"undo an occurrence's change", func(t *testing.T, id string) {
			series, err := events.Create(ctx, tenant, mkEvent(t, cal, id, calendar.EventInput{StartDate: "2027-03-01T12:00:00Z", EndDate: "2027-03-01T13:00:00Z", ModeRecurrence: "Daily"}))
			if err != nil {
				t.Fatal(err)
			}
			x, err := calendar.NewException(series, time.Date(2027, 3, 2, 12, 0, 0, 0, time.UTC), nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := events.PutException(ctx, tenant, cal, x, ""); err != nil {
				t.Fatal(err)
			}
		}, func(id string) error {
			return events.DeleteException(ctx, tenant, cal, id, time.Date(2027, 3, 2, 12, 0, 0, 0, time.UTC))
		}, func(t *testing.T, id string) {
			if xs, err := events.Exceptions(ctx, tenant, cal, id); err != nil || len(xs) != 0 {
				t.Errorf("the occurrence's changes: got %d (%v), want none", len(xs), err)
			}
		}},
		{"remove an external calendar", func(t *testing.T, id string) {
			if err := externals.AddExternal(ctx, &calendar.External{TenantID: tenant, CalendarID: "cal-" + id, ID: id, Name: "Team",
				Color: "#038387", URL: "https://example.com/team.ics", CreatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}, func(id string) error { return externals.DeleteExternal(ctx, tenant, "cal-"+id, id) }, func(t *testing.T, id string) {
			if xs, err := externals.ListExternals(ctx, tenant, "cal-"+id); err != nil || len(xs) != 0 {
				t.Errorf("got %d external calendars (%v), want none", len(xs), err)
			}
		}},
	}
	for _, tt := range tests { // not parallel: they share the proxy
		t.Run(tt.name, func(t *testing.T) {
			// How many requests the write makes: its last one is the write.
			dry := "dry-" + uuid.NewString()[:8]
			if tt.setup != nil {
				tt.setup(t, dry)
			}
			p.Passed()
			if err := tt.write(dry); err != nil {
				t.Fatalf("write with storage well: %v", err)
			}
			n := p.Passed()

			for k := range n {
				id := "lost-" + uuid.NewString()[:8]
				if tt.setup != nil {
					tt.setup(t, id)
				}
				failed := p.Failed()
				p.FailAfter(k, faultproxy.Timeout) // request k is applied, its answer lost
				p.OnRequest(k+1, p.Heal)           // the client's next try reaches storage
				err := tt.write(id)
				p.Heal()
				if got := p.Failed() - failed; got != 1 {
					t.Fatalf("request %d of %d: got %d lost answers, want 1 (the test did not play the failure)", k+1, n, got)
				}
				if err != nil {
					t.Errorf("request %d of %d lost its answer: got %v, want success: the write was applied", k+1, n, err)
				}
				if tt.check != nil {
					tt.check(t, id)
				}
			}
		})
	}
}

// isNotFound reports whether err is storage's 404.
func isNotFound(err error) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.StatusCode == http.StatusNotFound
}
