package tab_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
	"github.com/teamspro/functions/internal/teamspro"
)

func input(kind tab.Kind, owners ...string) tab.Input {
	return tab.Input{Kind: kind, TeamID: "19:team@thread.tacv2", ChannelID: "19:chan@thread.tacv2", ChannelName: "General",
		Settings: tab.Settings{TimeZone: "Europe/Paris", Owners: owners}}
}

// TestServicePut: who creates and changes a tab, and what a change may not
// do, over a real store.
func TestServicePut(t *testing.T) {
	t.Parallel()
	svc, err := tab.NewService(tables.NewTabStore(tablestest.New(t)), func() time.Time { return time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tenant := uuid.NewString()
	owner := teamspro.Principal{TenantID: tenant, ObjectID: uuid.NewString()}
	member := teamspro.Principal{TenantID: tenant, ObjectID: uuid.NewString()}
	admin := teamspro.Principal{TenantID: tenant, ObjectID: uuid.NewString(), Admin: true}
	badZone := input(tab.KindCalendar)
	badZone.Settings.TimeZone = "Mars/Olympus"
	tests := []struct {
		name        string
		p           teamspro.Principal
		in          tab.Input
		ifMatch     string
		exists      bool // the tab is created by owner first
		want        string
		wantOwners  []string // after a successful put
		wantCreated bool
	}{
		{"the creator becomes an owner", owner, input(tab.KindCalendar), "", false, "", []string{owner.ObjectID}, true},
		{"If-Match on a tab that does not exist", owner, input(tab.KindCalendar), `W/"1"`, false, teamspro.EPRECONDITION, nil, false},
		{"invalid settings", owner, badZone, "", false, teamspro.EINVALID, nil, false},
		{"a member may not change it", member, input(tab.KindCalendar, member.ObjectID), "*", true, teamspro.EFORBIDDEN, nil, false},
		{"an owner changes it", owner, input(tab.KindCalendar, owner.ObjectID, member.ObjectID), "*", true, "", []string{owner.ObjectID, member.ObjectID}, false},
		{"an admin changes it", admin, input(tab.KindCalendar, owner.ObjectID), "*", true, "", []string{owner.ObjectID}, false},
		{"its kind never changes", owner, input(tab.KindBooking, owner.ObjectID), "*", true, teamspro.EINVALID, nil, false},
		{"it never loses its last owner", admin, input(tab.KindCalendar), "*", true, "", []string{admin.ObjectID}, false},
		{"a stale If-Match", owner, input(tab.KindCalendar, owner.ObjectID), `W/"datetime'2000-01-01T00%3A00%3A00Z'"`, true, teamspro.EPRECONDITION, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id := uuid.NewString()
			if tt.exists {
				if _, _, err := svc.Put(ctx, owner, id, "", input(tab.KindCalendar)); err != nil {
					t.Fatal(err)
				}
			}
			got, created, err := svc.Put(ctx, tt.p, id, tt.ifMatch, tt.in)
			if code := teamspro.ErrorCode(err); code != tt.want {
				t.Fatalf("got %q (%v), want %q", code, err, tt.want)
			}
			if err != nil {
				return
			}
			if created != tt.wantCreated {
				t.Errorf("got created %v, want %v", created, tt.wantCreated)
			}
			stored, err := svc.Get(ctx, owner, id)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(stored.Settings.Owners, tt.wantOwners) || stored.CalendarID == "" || stored.ETag != got.ETag {
				t.Errorf("got owners %v, calendar %q, etag %q (answered %q); want owners %v, a calendar and the answered etag",
					stored.Settings.Owners, stored.CalendarID, stored.ETag, got.ETag, tt.wantOwners)
			}
		})
	}
}

// TestServiceDelete: only owners and admins delete a tab; a restore brings
// it back.
func TestServiceDelete(t *testing.T) {
	t.Parallel()
	svc, err := tab.NewService(tables.NewTabStore(tablestest.New(t)), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tenant := uuid.NewString()
	owner := teamspro.Principal{TenantID: tenant, ObjectID: uuid.NewString()}
	tests := []struct {
		name string
		p    teamspro.Principal
		want string
	}{
		{"a member may not", teamspro.Principal{TenantID: tenant, ObjectID: uuid.NewString()}, teamspro.EFORBIDDEN},
		{"another tenant finds nothing", teamspro.Principal{TenantID: uuid.NewString(), ObjectID: owner.ObjectID, Admin: true}, teamspro.ENOTFOUND},
		{"an owner may", owner, ""},
		{"an admin may", teamspro.Principal{TenantID: tenant, ObjectID: uuid.NewString(), Admin: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id := uuid.NewString()
			if _, _, err := svc.Put(ctx, owner, id, "", input(tab.KindBooking)); err != nil {
				t.Fatal(err)
			}
			if got := teamspro.ErrorCode(svc.Delete(ctx, tt.p, id, "*")); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			_, err := svc.Get(ctx, owner, id)
			if gone := teamspro.ErrorCode(err) == teamspro.ENOTFOUND; gone != (tt.want == "") {
				t.Fatalf("after the delete: got %v, want gone %v", err, tt.want == "")
			}
			if tt.want != "" {
				return
			}
			if _, err := svc.Restore(ctx, owner, id); err != nil {
				t.Fatalf("restore: %v", err)
			}
			if _, err := svc.Get(ctx, owner, id); err != nil {
				t.Errorf("after the restore: %v", err)
			}
		})
	}
}
