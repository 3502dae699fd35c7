package booking_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
	"github.com/teamspro/functions/internal/teamspro"
)

// body is the Body of the JSON of v, read as the HTTP layer reads bodies.
func body(v any) teamspro.Body {
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

func booked(room string, day, hour int) map[string]any {
	start := time.Date(2026, 3, day, hour, 0, 0, 0, time.UTC)
	return map[string]any{"title": "Sync", "startDate": start.Format(time.RFC3339), "endDate": start.Add(time.Hour).Format(time.RFC3339),
		"timeZone": "Europe/Paris", "resourceId": room}
}

// reasonOf is the code and, when it has one, the reason of err.
func reasonOf(err error) string {
	if e, ok := err.(*teamspro.Error); ok && e.Detail != "" {
		return e.Code + "/" + e.Detail
	}
	return teamspro.ErrorCode(err)
}

// TestCalendarsRights: a booking tab's permissions decide who books
// through it and in which rooms; only a reservation's organizer, its
// room's managers and admins change or cancel it, whichever route asks.
func TestCalendarsRights(t *testing.T) {
	t.Parallel()
	c := tablestest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	rooms, tabs := tables.NewRoomStore(c), tables.NewTabStore(c)
	svc, err := booking.NewService(rooms, tables.NewReservationStore(c), func() time.Time { return now }, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cals, err := booking.NewCalendars(svc, tabs)
	if err != nil {
		t.Fatal(err)
	}
	tenant := uuid.NewString()
	owner := teamspro.Principal{TenantID: tenant, ObjectID: uuid.NewString()}
	adder := teamspro.Principal{TenantID: tenant, ObjectID: uuid.NewString()}
	reader := teamspro.Principal{TenantID: tenant, ObjectID: uuid.NewString()}
	admin := teamspro.Principal{TenantID: tenant, ObjectID: uuid.NewString(), Admin: true}
	for _, id := range []string{"r1", "r2"} {
		in := booking.RoomInput{Name: "Room " + id, Capacity: 8, TimeZone: "UTC"}
		in.Normalize()
		if err := rooms.Create(ctx, &booking.Room{TenantID: tenant, ID: id, RoomInput: in, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	newTab := func(kind tab.Kind) string {
		tb := &tab.Tab{TenantID: tenant, ID: uuid.NewString(), Kind: kind, CalendarID: uuid.NewString(),
			Settings: tab.Settings{Owners: []string{owner.ObjectID}, Rooms: []string{"r1"}, Permissions: tab.Permissions{Mode: tab.PermCustom,
				Members: []tab.MemberRights{{ObjectID: adder.ObjectID, Add: true}}}}}
		if err := tabs.Create(ctx, tb); err != nil {
			t.Fatal(err)
		}
		return tb.CalendarID
	}
	cal, calendarTab := newTab(tab.KindBooking), newTab(tab.KindCalendar)
	hour := 8 // each case books its own hour of Tuesday 3 March
	book := func(t *testing.T, p teamspro.Principal) *booking.Reservation {
		t.Helper()
		hour++
		c, _, err := cals.Create(ctx, p, cal, body(booked("r1", 3, hour)))
		if err != nil {
			t.Fatalf("book: %v", err)
		}
		return c.First
	}
	tests := []struct {
		name string
		op   func(t *testing.T) error
		want string
	}{
		{"a reader may not book", func(t *testing.T) error {
			_, _, err := cals.Create(ctx, reader, cal, body(booked("r1", 4, 9)))
			return err
		}, teamspro.EFORBIDDEN},
		{"a room the tab does not offer", func(t *testing.T) error {
			_, _, err := cals.Create(ctx, adder, cal, body(booked("r2", 4, 10)))
			return err
		}, teamspro.EINVALID + "/" + booking.ReasonRoomNotInTab},
		{"a calendar tab is no booking calendar", func(t *testing.T) error {
			_, _, err := cals.Create(ctx, owner, calendarTab, body(booked("r1", 4, 11)))
			return err
		}, teamspro.ENOTFOUND},
		{"another tenant finds nothing", func(t *testing.T) error {
			_, err := cals.List(ctx, teamspro.Principal{TenantID: uuid.NewString(), ObjectID: owner.ObjectID}, cal, "", "")
			return err
		}, teamspro.ENOTFOUND},
		{"an adder may not change another's reservation", func(t *testing.T) error {
			r := book(t, owner)
			_, err := cals.Update(ctx, adder, cal, r.ID, "*", body(map[string]any{"title": "Mine now"}))
			return err
		}, teamspro.EFORBIDDEN + "/" + booking.ReasonNotAllowed},
		{"an adder may not cancel another's reservation", func(t *testing.T) error {
			return cals.Cancel(ctx, adder, cal, book(t, owner).ID, "*")
		}, teamspro.EFORBIDDEN + "/" + booking.ReasonNotAllowed},
		{"nor through the reservation's own route", func(t *testing.T) error {
			_, err := cals.CancelReservation(ctx, adder, book(t, owner).ID, "*")
			return err
		}, teamspro.EFORBIDDEN + "/" + booking.ReasonNotAllowed},
		{"an adder changes their own", func(t *testing.T) error {
			_, err := cals.Update(ctx, adder, cal, book(t, adder).ID, "*", body(map[string]any{"title": "Renamed"}))
			return err
		}, ""},
		{"an admin cancels anyone's", func(t *testing.T) error {
			_, err := cals.CancelReservation(ctx, admin, book(t, adder).ID, "*")
			return err
		}, ""},
		{"a recurrence is fixed once booked", func(t *testing.T) error {
			_, err := cals.Update(ctx, owner, cal, book(t, owner).ID, "*", body(map[string]any{"modeRecurrence": "Daily"}))
			return err
		}, teamspro.EINVALID},
		{"a cancelled reservation is not cancelled again", func(t *testing.T) error {
			r := book(t, owner)
			if _, err := cals.CancelReservation(ctx, owner, r.ID, "*"); err != nil {
				t.Fatal(err)
			}
			_, err := cals.CancelReservation(ctx, owner, r.ID, "*")
			return err
		}, teamspro.ECONFLICT + "/" + booking.ReasonNotActive},
		{"nor checked in", func(t *testing.T) error {
			r := book(t, owner)
			if _, err := cals.CancelReservation(ctx, owner, r.ID, "*"); err != nil {
				t.Fatal(err)
			}
			_, err := svc.CheckIn(ctx, owner, r.ID)
			return err
		}, teamspro.ECONFLICT + "/" + booking.ReasonNotActive},
		{"a cancelled reservation is no event of the calendar", func(t *testing.T) error {
			r := book(t, owner)
			if err := cals.Cancel(ctx, owner, cal, r.ID, "*"); err != nil {
				t.Fatal(err)
			}
			_, err := cals.Get(ctx, owner, cal, r.ID)
			return err
		}, teamspro.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reasonOf(tt.op(t)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
