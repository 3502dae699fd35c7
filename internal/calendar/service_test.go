package calendar_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
	"github.com/teamspro/functions/internal/teamspro"
)

// recorder is a calendar.Notifier that remembers what it was told: the
// changes recorded, and the records announced once stored.
type recorder struct {
	mu        sync.Mutex
	changes   []calendar.Change
	announced []string
}

func (r *recorder) RecordEvent(t *tab.Tab, c calendar.Change) (calendar.Outgoing, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, c)
	return calendar.Outgoing{TenantID: t.TenantID, CalendarID: t.CalendarID, ID: uuid.NewString(), Body: []byte(`{}`), At: time.Now()}, nil
}

func (r *recorder) Announce(ctx context.Context, out ...calendar.Outgoing) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, o := range out {
		r.announced = append(r.announced, o.ID)
	}
}

// take returns and forgets what r was told.
func (r *recorder) take() ([]calendar.Change, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, n := r.changes, len(r.announced)
	r.changes, r.announced = nil, nil
	return c, n
}

// fixture is a Service over real stores in Azurite, on a tenant of its own.
type fixture struct {
	svc    *calendar.Service
	tabs   tab.Store
	rec    *recorder
	tenant string
	owner  teamspro.Principal
	now    time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	c := tablestest.New(t)
	events := tables.NewEventStore(c)
	f := &fixture{tabs: tables.NewTabStore(c), rec: &recorder{}, tenant: uuid.NewString(),
		now: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	f.owner = teamspro.Principal{TenantID: f.tenant, ObjectID: uuid.NewString(), Name: "Owner"}
	svc, err := calendar.NewService(calendar.Config{Events: events, Tabs: f.tabs, Feeds: events, Notifier: f.rec,
		Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

// newTab stores a tab of kind owned by f.owner, in Europe/Paris, with perms,
// and returns its calendar id.
func (f *fixture) newTab(t *testing.T, kind tab.Kind, perms tab.Permissions) string {
	t.Helper()
	tb := &tab.Tab{TenantID: f.tenant, ID: uuid.NewString(), Kind: kind, CalendarID: uuid.NewString(), ChannelName: "General",
		Settings:  tab.Settings{TimeZone: "Europe/Paris", Permissions: perms, Owners: []string{f.owner.ObjectID}},
		CreatedBy: f.owner.ObjectID, CreatedAt: f.now, UpdatedAt: f.now}
	if err := f.tabs.Create(context.Background(), tb); err != nil {
		t.Fatal(err)
	}
	return tb.CalendarID
}

// body is the Body of the JSON of v, read as the HTTP layer reads bodies
// (unknown members refused).
func body(v any) calendar.Body {
	return func(dst any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		d := json.NewDecoder(bytes.NewReader(b))
		d.DisallowUnknownFields()
		if err := d.Decode(dst); err != nil {
			return teamspro.Errorf(teamspro.EINVALID, "%v", err)
		}
		return nil
	}
}

func timed(title, start, end string, extra map[string]any) map[string]any {
	m := map[string]any{"title": title, "startDate": start, "endDate": end, "timeZone": "Europe/Paris"}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func (f *fixture) create(t *testing.T, calID string, in map[string]any) calendar.Event {
	t.Helper()
	e, err := f.svc.Create(context.Background(), f.owner, calID, body(in))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return e
}

func codeOf(err error) string {
	if err == nil {
		return ""
	}
	if c := teamspro.ErrorCode(err); c != "" {
		return c
	}
	return "?" + err.Error()
}

// TestServiceRights: who may do what to a calendar's events, for each of
// the tab's permission modes, API keys, other tenants and booking tabs.
func TestServiceRights(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	member := teamspro.Principal{TenantID: f.tenant, ObjectID: uuid.NewString()}
	admin := teamspro.Principal{TenantID: f.tenant, ObjectID: uuid.NewString(), Admin: true}
	stranger := teamspro.Principal{TenantID: uuid.NewString(), ObjectID: uuid.NewString(), Admin: true}
	everyone := f.newTab(t, tab.KindCalendar, tab.Permissions{Mode: tab.PermEveryone})
	owners := f.newTab(t, tab.KindCalendar, tab.Permissions{Mode: tab.PermOwners})
	custom := f.newTab(t, tab.KindCalendar, tab.Permissions{Mode: tab.PermCustom,
		Members: []tab.MemberRights{{ObjectID: member.ObjectID, Modify: true}}})
	booking := f.newTab(t, tab.KindBooking, tab.Permissions{Mode: tab.PermEveryone})
	key := teamspro.Principal{TenantID: f.tenant, APIKeyID: "k1", CalendarIDs: []string{owners}}

	ctx := context.Background()
	ops := map[string]func(p teamspro.Principal, calID, eventID string) error{
		"get": func(p teamspro.Principal, calID, id string) error { _, err := f.svc.Get(ctx, p, calID, id); return err },
		"create": func(p teamspro.Principal, calID, _ string) error {
			_, err := f.svc.Create(ctx, p, calID, body(timed("x", "2026-03-03T09:00:00Z", "2026-03-03T10:00:00Z", nil)))
			return err
		},
		"update": func(p teamspro.Principal, calID, id string) error {
			_, err := f.svc.Update(ctx, p, calID, id, "*", body(map[string]any{"title": "y"}))
			return err
		},
		"delete": func(p teamspro.Principal, calID, id string) error { return f.svc.Delete(ctx, p, calID, id, "*") },
		"restore": func(p teamspro.Principal, calID, id string) error {
			_, err := f.svc.Restore(ctx, p, calID, id)
			return err
		},
		"deleted": func(p teamspro.Principal, calID, _ string) error {
			_, _, err := f.svc.Deleted(ctx, p, calID, calendar.Page{Limit: 10})
			return err
		},
		"occurrences": func(p teamspro.Principal, calID, _ string) error {
			_, err := f.svc.Occurrences(ctx, p, calID, calendar.Query{})
			return err
		},
		"publish feed": func(p teamspro.Principal, calID, _ string) error {
			_, err := f.svc.PublishFeed(ctx, p, calID)
			return err
		},
	}
	tests := []struct {
		name   string
		p      teamspro.Principal
		calID  string
		op     string
		want   string
		delete bool // the event is deleted first (for restore)
	}{
		{"member adds where everyone may", member, everyone, "create", "", false},
		{"member changes where everyone may", member, everyone, "update", "", false},
		{"member deletes where everyone may", member, everyone, "delete", "", false},
		{"member restores where everyone may", member, everyone, "restore", "", true},
		{"member lists deleted where everyone may", member, everyone, "deleted", "", false},
		{"member publishes no feed", member, everyone, "publish feed", teamspro.EFORBIDDEN, false},
		{"member reads an owners' calendar", member, owners, "get", "", false},
		{"member lists an owners' calendar", member, owners, "occurrences", "", false},
		{"member adds to an owners' calendar", member, owners, "create", teamspro.EFORBIDDEN, false},
		{"member changes in an owners' calendar", member, owners, "update", teamspro.EFORBIDDEN, false},
		{"member deletes in an owners' calendar", member, owners, "delete", teamspro.EFORBIDDEN, false},
		{"member restores in an owners' calendar", member, owners, "restore", teamspro.EFORBIDDEN, true},
		{"member lists deleted of an owners' calendar", member, owners, "deleted", teamspro.EFORBIDDEN, false},
		{"owner adds to an owners' calendar", f.owner, owners, "create", "", false},
		{"owner publishes the feed", f.owner, owners, "publish feed", "", false},
		{"admin changes in an owners' calendar", admin, owners, "update", "", false},
		{"admin publishes the feed", admin, everyone, "publish feed", "", false},
		{"custom member may change", member, custom, "update", "", false},
		{"custom member may not add", member, custom, "create", teamspro.EFORBIDDEN, false},
		{"custom member may not delete", member, custom, "delete", teamspro.EFORBIDDEN, false},
		{"custom member may not list deleted", member, custom, "deleted", teamspro.EFORBIDDEN, false},
		{"API key adds to its calendar", key, owners, "create", "", false},
		{"API key deletes in its calendar", key, owners, "delete", "", false},
		{"API key publishes no feed", key, owners, "publish feed", teamspro.EFORBIDDEN, false},
		{"API key sees no other calendar", key, everyone, "get", teamspro.ENOTFOUND, false},
		{"another tenant's admin sees nothing", stranger, everyone, "get", teamspro.ENOTFOUND, false},
		{"another tenant's admin adds nothing", stranger, everyone, "create", teamspro.ENOTFOUND, false},
		{"a booking tab is no calendar", f.owner, booking, "occurrences", teamspro.ENOTFOUND, false},
		{"a malformed calendar id", f.owner, "a/b", "get", teamspro.EINVALID, false},
		{"an unknown calendar", f.owner, uuid.NewString(), "create", teamspro.ENOTFOUND, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id := ""
			if tt.calID != booking {
				if _, err := f.svc.Calendar(ctx, f.owner, tt.calID); err == nil {
					id = f.create(t, tt.calID, timed("e", "2026-03-04T09:00:00Z", "2026-03-04T10:00:00Z", nil)).ID
					if tt.delete {
						if err := f.svc.Delete(ctx, f.owner, tt.calID, id, "*"); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			if id == "" {
				id = uuid.NewString()
			}
			if got := codeOf(ops[tt.op](tt.p, tt.calID, id)); got != tt.want {
				t.Errorf("%s: got %q, want %q", tt.op, got, tt.want)
			}
		})
	}
}

// TestServiceReportsTypedChanges: every stored change reaches the Notifier
// as a typed change, before and after, by whom, with the sequence calendar
// clients apply; the records are announced once stored, and a change that
// is refused records nothing that is announced.
func TestServiceReportsTypedChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	weekly := map[string]any{"rrule": "FREQ=WEEKLY;COUNT=6"}
	type change struct {
		kind              calendar.ChangeKind
		before, after     int // sequences; -1: no Before
		occurrenceChanged bool
	}
	tests := []struct {
		name string
		op   func(t *testing.T, f *fixture, calID string, e calendar.Event) error
		want []change
	}{
		{"create", func(t *testing.T, f *fixture, calID string, _ calendar.Event) error {
			_, err := f.svc.Create(ctx, f.owner, calID, body(timed("new", "2026-03-05T09:00:00Z", "2026-03-05T10:00:00Z", nil)))
			return err
		}, []change{{calendar.ChangeCreated, -1, 0, false}}},
		{"update", func(t *testing.T, f *fixture, calID string, e calendar.Event) error {
			_, err := f.svc.Update(ctx, f.owner, calID, e.ID, e.ETag, body(map[string]any{"title": "renamed"}))
			return err
		}, []change{{calendar.ChangeUpdated, 0, 1, false}}},
		{"delete", func(t *testing.T, f *fixture, calID string, e calendar.Event) error {
			return f.svc.Delete(ctx, f.owner, calID, e.ID, e.ETag)
		}, []change{{calendar.ChangeDeleted, 0, 1, false}}},
		{"change one occurrence", func(t *testing.T, f *fixture, calID string, e calendar.Event) error {
			_, err := f.svc.PutOccurrence(ctx, f.owner, calID, e.ID, "2026-03-10T09:00:00Z", "", body(map[string]any{"title": "moved"}))
			return err
		}, []change{{calendar.ChangeOccurrenceChanged, 0, 0, true}}},
		{"cancel one occurrence", func(t *testing.T, f *fixture, calID string, e calendar.Event) error {
			return f.svc.CancelOccurrence(ctx, f.owner, calID, e.ID, "2026-03-10T09:00:00Z", "")
		}, []change{{calendar.ChangeOccurrenceCancelled, 0, 0, true}}},
		{"this and following", func(t *testing.T, f *fixture, calID string, e calendar.Event) error {
			_, err := f.svc.SplitAt(ctx, f.owner, calID, e.ID, "2026-03-17T09:00:00Z", e.ETag, body(map[string]any{"title": "later"}))
			return err
		}, []change{{calendar.ChangeUpdated, 0, 1, false}, {calendar.ChangeCreated, -1, 0, false}}},
		{"restore", func(t *testing.T, f *fixture, calID string, e calendar.Event) error {
			if err := f.svc.Delete(ctx, f.owner, calID, e.ID, "*"); err != nil {
				return err
			}
			f.rec.take()
			_, err := f.svc.Restore(ctx, f.owner, calID, e.ID)
			return err
		}, []change{{calendar.ChangeRestored, -1, 0, false}}},
		{"a stale If-Match stores and announces nothing", func(t *testing.T, f *fixture, calID string, e calendar.Event) error {
			if _, err := f.svc.Update(ctx, f.owner, calID, e.ID, e.ETag, body(map[string]any{"title": "renamed"})); err != nil {
				return err
			}
			f.rec.take()
			_, err := f.svc.Update(ctx, f.owner, calID, e.ID, e.ETag, body(map[string]any{"title": "again"}))
			if teamspro.ErrorCode(err) != teamspro.EPRECONDITION {
				t.Errorf("got %v, want %s", err, teamspro.EPRECONDITION)
			}
			return nil
		}, []change{{calendar.ChangeUpdated, 1, 2, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			calID := f.newTab(t, tab.KindCalendar, tab.Permissions{Mode: tab.PermOwners})
			e := f.create(t, calID, timed("weekly", "2026-03-03T09:00:00Z", "2026-03-03T10:00:00Z", weekly))
			f.rec.take()
			if err := tt.op(t, f, calID, e); err != nil {
				t.Fatal(err)
			}
			changes, announced := f.rec.take()
			var got []change
			for _, c := range changes {
				g := change{kind: c.Kind, before: -1, after: c.After.Sequence, occurrenceChanged: c.Occurrence != nil}
				if c.Before != nil {
					g.before = c.Before.Sequence
				}
				if c.By.ObjectID != f.owner.ObjectID {
					t.Errorf("%s: got by %q, want the owner", c.Kind, c.By.ObjectID)
				}
				if c.After.CalendarID != calID {
					t.Errorf("%s: got calendar %q, want %q", c.Kind, c.After.CalendarID, calID)
				}
				got = append(got, g)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got changes %+v, want %+v", got, tt.want)
			}
			wantAnnounced := len(changes)
			if strings.HasPrefix(tt.name, "a stale") {
				wantAnnounced = 0
			}
			if announced != wantAnnounced {
				t.Errorf("got %d records announced, want %d", announced, wantAnnounced)
			}
		})
	}
}

// TestOccurrencesWindow: the window of a calendar view, read in the
// calendar's zone, with its defaults and limits.
func TestOccurrencesWindow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	calID := f.newTab(t, tab.KindCalendar, tab.Permissions{})
	// 00:30 in Paris on Tuesday 3 March; 23:30 on Monday in UTC.
	f.create(t, calID, timed("early", "2026-03-02T23:30:00Z", "2026-03-03T00:15:00Z", nil))
	f.create(t, calID, timed("later", "2026-04-20T09:00:00Z", "2026-04-20T10:00:00Z", map[string]any{"tags": []string{"ops"}}))
	tests := []struct {
		name  string
		q     calendar.Query
		want  []string // titles
		field string   // the invalid field, when the window is refused
	}{
		{"dates are days of the calendar's zone", calendar.Query{From: "2026-03-03", To: "2026-03-04"}, []string{"early"}, ""},
		{"the UTC day before holds none of it", calendar.Query{From: "2026-03-02T00:00:00Z", To: "2026-03-02T23:00:00Z"}, nil, ""},
		{"no window: the coming 31 days", calendar.Query{}, []string{"early"}, ""},
		{"from alone: 31 days on", calendar.Query{From: "2026-04-01"}, []string{"later"}, ""},
		{"to alone: 31 days back", calendar.Query{To: "2026-04-01"}, []string{"early"}, ""},
		{"filtered by tag", calendar.Query{From: "2026-03-01", To: "2026-05-01", Filter: calendar.Filter{Tags: []string{"ops"}}}, []string{"later"}, ""},
		{"an unreadable bound", calendar.Query{From: "tomorrow"}, nil, "from"},
		{"an empty window", calendar.Query{From: "2026-03-04", To: "2026-03-03"}, nil, "to"},
		{"over 400 days", calendar.Query{From: "2026-01-01", To: "2027-03-01"}, nil, "to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			occ, err := f.svc.Occurrences(context.Background(), f.owner, calID, tt.q)
			if tt.field != "" {
				var fields []string
				if e, ok := err.(*teamspro.Error); ok {
					for _, fe := range e.Fields {
						fields = append(fields, fe.Field)
					}
				}
				if teamspro.ErrorCode(err) != teamspro.EINVALID || !slices.Contains(fields, tt.field) {
					t.Fatalf("got %v (fields %v), want invalid %s", err, fields, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range occ {
				got = append(got, o.Title)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
