package apikey_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/apikey"
	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
	"github.com/teamspro/functions/internal/teamspro"
)

// TestService: who makes keys for which calendars, who sees and revokes
// them, and what a secret authenticates, over real stores.
func TestService(t *testing.T) {
	t.Parallel()
	c := tablestest.New(t)
	ctx := context.Background()
	tabs := tables.NewTabStore(c)
	svc, err := apikey.NewService(tables.NewAPIKeyStore(c), tabs, nil)
	if err != nil {
		t.Fatal(err)
	}
	tenant := uuid.NewString()
	owner := teamspro.Principal{TenantID: tenant, ObjectID: uuid.NewString()}
	member := teamspro.Principal{TenantID: tenant, ObjectID: uuid.NewString()}
	admin := teamspro.Principal{TenantID: tenant, ObjectID: uuid.NewString(), Admin: true}
	tb := &tab.Tab{TenantID: tenant, ID: uuid.NewString(), Kind: tab.KindCalendar, CalendarID: uuid.NewString(),
		Settings: tab.Settings{Owners: []string{owner.ObjectID}}, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := tabs.Create(ctx, tb); err != nil {
		t.Fatal(err)
	}
	cal := tb.CalendarID

	ownerKey, ownerSecret, err := svc.Create(ctx, owner, apikey.Input{Name: "Flows", CalendarIDs: []string{cal, cal}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ownerKey.CalendarIDs, []string{cal}) {
		t.Errorf("got calendars %v, want %s once", ownerKey.CalendarIDs, cal)
	}
	adminKey, _, err := svc.Create(ctx, admin, apikey.Input{Name: "Admin", CalendarIDs: []string{cal}})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("create", func(t *testing.T) {
		tests := []struct {
			name string
			p    teamspro.Principal
			in   apikey.Input
			want string
		}{
			{"a member does not own the calendar", member, apikey.Input{Name: "x", CalendarIDs: []string{cal}}, teamspro.EFORBIDDEN},
			{"an unknown calendar", owner, apikey.Input{Name: "x", CalendarIDs: []string{uuid.NewString()}}, teamspro.ENOTFOUND},
			{"no calendar", owner, apikey.Input{Name: "x"}, teamspro.EINVALID},
			{"no name", owner, apikey.Input{CalendarIDs: []string{cal}}, teamspro.EINVALID},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, _, err := svc.Create(ctx, tt.p, tt.in)
				if got := teamspro.ErrorCode(err); got != tt.want {
					t.Errorf("got %q, want %q", got, tt.want)
				}
			})
		}
	})
	t.Run("list", func(t *testing.T) {
		tests := []struct {
			name string
			p    teamspro.Principal
			want []string
		}{
			{"an admin sees every key", admin, []string{ownerKey.ID, adminKey.ID}},
			{"a user sees their own", owner, []string{ownerKey.ID}},
			{"a member sees none", member, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				keys, err := svc.List(ctx, tt.p)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, k := range keys {
					got = append(got, k.ID)
				}
				slices.Sort(got)
				want := slices.Clone(tt.want)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("got %v, want %v", got, want)
				}
			})
		}
	})
	t.Run("authenticate", func(t *testing.T) {
		tests := []struct {
			name   string
			secret string
			want   string
		}{
			{"a current key", ownerSecret, ""},
			{"a malformed secret", "nope", teamspro.EUNAUTHORIZED},
			{"a well-formed unknown secret", apikey.Prefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", teamspro.EUNAUTHORIZED},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p, err := svc.Authenticate(ctx, tt.secret)
				if got := teamspro.ErrorCode(err); got != tt.want {
					t.Fatalf("got %q, want %q", got, tt.want)
				}
				if err == nil && (p.TenantID != tenant || p.APIKeyID != ownerKey.ID || !p.ReachesCalendar(cal) || p.ObjectID != "") {
					t.Errorf("got principal %+v, want the key acting for its tenant and calendar", p)
				}
			})
		}
	})
	t.Run("revoke", func(t *testing.T) {
		if got := teamspro.ErrorCode(svc.Revoke(ctx, member, ownerKey.ID)); got != teamspro.EFORBIDDEN {
			t.Errorf("a member revoking: got %q, want forbidden", got)
		}
		if err := svc.Revoke(ctx, owner, ownerKey.ID); err != nil {
			t.Fatalf("the creator revoking: %v", err)
		}
		if _, err := svc.Authenticate(ctx, ownerSecret); teamspro.ErrorCode(err) != teamspro.EUNAUTHORIZED {
			t.Errorf("a revoked key: got %v, want unauthorized", err)
		}
		if got := teamspro.ErrorCode(svc.Revoke(ctx, admin, ownerKey.ID)); got != teamspro.ENOTFOUND {
			t.Errorf("revoking again: got %q, want not_found", got)
		}
	})
}
