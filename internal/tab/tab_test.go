package tab

import (
	"testing"

	"github.com/teamspro/functions/internal/teamspro"
)

func TestAllows(t *testing.T) {
	t.Parallel()
	owner := teamspro.Principal{TenantID: "t", ObjectID: "11111111-1111-1111-1111-111111111111"}
	member := teamspro.Principal{TenantID: "t", ObjectID: "22222222-2222-2222-2222-222222222222"}
	admin := teamspro.Principal{TenantID: "t", ObjectID: "33333333-3333-3333-3333-333333333333", Admin: true}
	key := teamspro.Principal{TenantID: "t", APIKeyID: "k"}
	custom := Permissions{Mode: PermCustom, Members: []MemberRights{{ObjectID: member.ObjectID, Add: true, Modify: false, Delete: true}}}
	tests := []struct {
		name  string
		perms Permissions
		who   teamspro.Principal
		act   Action
		want  bool
	}{
		{"everyone: member adds", Permissions{Mode: PermEveryone}, member, ActionAdd, true},
		{"API key of another calendar", Permissions{Mode: PermEveryone}, key, ActionAdd, false},
		{"API key of this calendar", Permissions{Mode: PermOwners}, teamspro.Principal{TenantID: "t", APIKeyID: "k", CalendarIDs: []string{"cal"}}, ActionDelete, true},
		{"owners: member cannot add", Permissions{Mode: PermOwners}, member, ActionAdd, false},
		{"owners: owner deletes", Permissions{Mode: PermOwners}, owner, ActionDelete, true},
		{"owners: admin deletes", Permissions{Mode: PermOwners}, admin, ActionDelete, true},
		{"custom: member adds", custom, member, ActionAdd, true},
		{"custom: member cannot modify", custom, member, ActionModify, false},
		{"custom: member deletes", custom, member, ActionDelete, true},
		{"custom: unlisted cannot add", custom, teamspro.Principal{TenantID: "t", ObjectID: "44444444-4444-4444-4444-444444444444"}, ActionAdd, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tb := &Tab{CalendarID: "cal", Settings: Settings{Permissions: tt.perms, Owners: []string{owner.ObjectID}}}
			if got := tb.Allows(tt.who, tt.act); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidateAndNormalize(t *testing.T) {
	t.Parallel()
	in := Input{Kind: KindBooking, TeamID: "t", ChannelID: "c", Settings: Settings{
		Owners: []string{"AAAAAAAA-1111-1111-1111-111111111111"}, Rooms: []string{"room-1"},
		BusinessHours: &Hours{Start: "08:00", End: "18:30"}, TimeZone: "Australia/Sydney"}}
	if err := in.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	in.Normalize()
	if in.Settings.DefaultView != "week" || in.Settings.Permissions.Mode != PermEveryone || in.Settings.Owners[0] != "aaaaaaaa-1111-1111-1111-111111111111" {
		t.Errorf("got %+v, want defaults filled and owners lower-cased", in.Settings)
	}
	for _, h := range []Hours{{"8:00", "18:00"}, {"24:00", "25:00"}, {"18:00", "08:00"}, {"08:60", "09:00"}} {
		bad := in
		bad.Settings.BusinessHours = &h
		if err := bad.Validate(); teamspro.ErrorCode(err) != teamspro.EINVALID {
			t.Errorf("hours %v: got %v, want invalid", h, err)
		}
	}
	cal := in
	cal.Kind = KindCalendar
	if err := cal.Validate(); teamspro.ErrorCode(err) != teamspro.EINVALID {
		t.Errorf("a calendar tab with rooms: got %v, want invalid", err)
	}
}
