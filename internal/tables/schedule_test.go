package tables_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/teamspro"
)

// titles returns the titles of rs, in order.
func titles(rs []*booking.Reservation) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Title)
	}
	return out
}

// book makes a reservation titled title for p, failing the test if refused.
func (f *bookingFixture) book(t *testing.T, p teamspro.Principal, title, room string, start time.Time, d time.Duration) *booking.Reservation {
	t.Helper()
	in := input(room, start, d)
	in.Title = title
	c, err := f.svc.Create(context.Background(), p, "cal", in)
	if err != nil {
		t.Fatalf("book %s: %v", title, err)
	}
	return c.First
}

// TestSchedulesOfManyRooms: the schedule of several rooms is what each room's
// schedule holds (holding reservations overlapping the window, one that
// started the UTC day before included), and it costs one query per UTC day
// whatever the number of rooms; bad input is refused with the field at
// fault, and another tenant's rooms do not exist.
func TestSchedulesOfManyRooms(t *testing.T) {
	t.Parallel()
	counter := &tables.CountingTransport{}
	f := newBookingFixture(t, func(o *tables.Options) { o.Transport = counter })
	ctx := context.Background()
	var many []string
	for i := range 12 {
		id := fmt.Sprintf("r%02d", i)
		f.room(t, id, nil)
		many = append(many, id)
	}
	f.room(t, "akl", func(in *booking.RoomInput) { in.TimeZone = "Pacific/Auckland" })
	f.room(t, "appr", func(in *booking.RoomInput) { in.Rules.RequiresApproval = true })
	u := f.user()
	day := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, time.UTC) }
	f.book(t, u, "r00 Tue 10", "r00", day(3, 10, 0), time.Hour)
	f.book(t, u, "r01 Tue 09", "r01", day(3, 9, 0), time.Hour)
	f.book(t, u, "r11 Wed 08", "r11", day(4, 8, 0), time.Hour)
	f.book(t, u, "akl Tue 23", "akl", day(3, 23, 0), 2*time.Hour) // noon in Auckland: across UTC midnight
	f.book(t, u, "appr Tue 12", "appr", day(3, 12, 0), time.Hour)
	gone := f.book(t, u, "r00 Tue 15", "r00", day(3, 15, 0), time.Hour)
	if _, err := f.svc.Cancel(ctx, u, gone.ID, ""); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		rooms    []string
		from, to time.Time
		want     []string
	}{
		{"two rooms, one day", []string{"r00", "r01"}, day(3, 0, 0), day(4, 0, 0), []string{"r01 Tue 09", "r00 Tue 10"}},
		{"a room named twice counts once", []string{"r00", "r00"}, day(3, 0, 0), day(4, 0, 0), []string{"r00 Tue 10"}},
		{"started the UTC day before", []string{"akl"}, day(4, 0, 0), day(4, 6, 0), []string{"akl Tue 23"}},
		{"pending holds its slot", []string{"appr", "r00"}, day(3, 0, 0), day(4, 0, 0), []string{"r00 Tue 10", "appr Tue 12"}},
		{"ends where the window starts", []string{"r00"}, day(3, 11, 0), day(3, 12, 0), []string{}},
		{"more rooms than a filter names", append(slices.Clone(many), "akl"), day(2, 0, 0), day(9, 0, 0),
			[]string{"r01 Tue 09", "r00 Tue 10", "akl Tue 23", "r11 Wed 08"}},
		{"rooms not asked are not answered", []string{"r05"}, day(2, 0, 0), day(9, 0, 0), []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := f.svc.Schedules(ctx, f.tenant, tt.rooms, tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if got := titles(rs); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}

	t.Run("one query per day, whatever the rooms", func(t *testing.T) {
		from, to := day(2, 0, 0), day(9, 0, 0)
		days := len(booking.Days(from.Add(-25*time.Hour), to, time.UTC))
		counter.Reset()
		for _, rooms := range [][]string{{"r00"}, many} {
			if _, err := f.svc.Schedules(ctx, f.tenant, rooms, from, to); err != nil {
				t.Fatal(err)
			}
			// The rooms are read once to know them (a RoomCache remembers them).
			if got, want := counter.Reset(), days+1; got != want {
				t.Errorf("%d rooms, a week: got %d storage round trips, want %d (the rooms, then one per UTC day)", len(rooms), got, want)
			}
		}
	})

	hundredOne := make([]string, booking.MaxScheduleRooms+1)
	for i := range hundredOne {
		hundredOne[i] = fmt.Sprintf("x%d", i)
	}
	refused := []struct {
		name     string
		tenant   string
		rooms    []string
		from, to time.Time
		code     string
		field    string
	}{
		{"no rooms", f.tenant, nil, day(3, 0, 0), day(4, 0, 0), teamspro.EINVALID, "rooms"},
		{"a malformed id", f.tenant, []string{"r00", "a/b"}, day(3, 0, 0), day(4, 0, 0), teamspro.EINVALID, "rooms"},
		{"too many rooms", f.tenant, hundredOne, day(3, 0, 0), day(4, 0, 0), teamspro.EINVALID, "rooms"},
		{"a window over 31 days", f.tenant, []string{"r00"}, day(1, 0, 0), day(1, 0, 0).AddDate(0, 0, 32), teamspro.EINVALID, "to"},
		{"to before from", f.tenant, []string{"r00"}, day(4, 0, 0), day(3, 0, 0), teamspro.EINVALID, "to"},
		{"no window", f.tenant, []string{"r00"}, time.Time{}, time.Time{}, teamspro.EINVALID, "from"},
		{"an unknown room", f.tenant, []string{"r00", "nope"}, day(3, 0, 0), day(4, 0, 0), teamspro.ENOTFOUND, "rooms"},
		{"another tenant's rooms", tablesTenant(), []string{"r00"}, day(3, 0, 0), day(4, 0, 0), teamspro.ENOTFOUND, "rooms"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := f.svc.Schedules(ctx, tt.tenant, tt.rooms, tt.from, tt.to)
			var e *teamspro.Error
			if !asError(err, &e) || e.Code != tt.code || !slices.ContainsFunc(e.Fields, func(fe teamspro.FieldError) bool { return fe.Field == tt.field }) {
				t.Fatalf("got %v (%v), want %s naming field %s", titles(rs), err, tt.code, tt.field)
			}
		})
	}
}

// TestPendingAwaitsTheirManagers: the approvals of a user are the pending,
// not yet ended reservations of the rooms they manage (every room for a
// tenant admin), read in one query of the tenant's index; decided ones leave
// the list, and nobody sees another tenant's.
func TestPendingAwaitsTheirManagers(t *testing.T) {
	t.Parallel()
	counter := &tables.CountingTransport{}
	f := newBookingFixture(t, func(o *tables.Options) { o.Transport = counter })
	ctx := context.Background()
	mgr1, mgr2 := f.user(), f.user()
	admin := teamspro.Principal{TenantID: f.tenant, ObjectID: uuid.NewString(), Admin: true}
	member := f.user()
	approval := func(managers ...teamspro.Principal) func(*booking.RoomInput) {
		return func(in *booking.RoomInput) {
			in.Rules.RequiresApproval = true
			for _, m := range managers {
				in.Managers = append(in.Managers, m.ObjectID)
			}
		}
	}
	f.room(t, "p1", approval(mgr1))
	f.room(t, "p2", approval(mgr2))
	f.room(t, "both", approval(mgr1, mgr2))
	f.room(t, "open", func(in *booking.RoomInput) { in.Managers = []string{mgr1.ObjectID} })
	day := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }
	f.book(t, member, "p1 Tue", "p1", day(3, 10), time.Hour)
	f.book(t, member, "p1 in April", "p1", day(3, 10).AddDate(0, 0, 29), time.Hour) // beyond any 31-day look-ahead of the day partitions
	f.book(t, member, "p2 Wed", "p2", day(4, 10), time.Hour)
	f.book(t, member, "both Thu", "both", day(5, 10), time.Hour)
	f.book(t, member, "open Tue", "open", day(3, 12), time.Hour) // confirmed: no approval needed
	approved := f.book(t, member, "p1 approved", "p1", day(3, 14), time.Hour)
	declined := f.book(t, member, "p1 declined", "p1", day(3, 16), time.Hour)
	if _, err := f.svc.Decide(ctx, mgr1, approved.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Decide(ctx, mgr1, declined.ID, false); err != nil {
		t.Fatal(err)
	}
	f.book(t, mgr1, "p1 by its manager", "p1", day(3, 18), time.Hour) // a manager's own booking is confirmed

	tests := []struct {
		name  string
		p     teamspro.Principal
		now   time.Time
		want  []string
		trips int // storage round trips: the rooms (admins need none), then the index
	}{
		{"tenant admin: every room", admin, f.now, []string{"p1 Tue", "p2 Wed", "both Thu", "p1 in April"}, 1},
		{"manager of p1 and both", mgr1, f.now, []string{"p1 Tue", "both Thu", "p1 in April"}, 2},
		{"manager of p2 and both", mgr2, f.now, []string{"p2 Wed", "both Thu"}, 2},
		{"a member manages nothing", member, f.now, []string{}, 1},
		{"ended ones have left", admin, day(4, 12), []string{"both Thu", "p1 in April"}, 1},
		{"during one: it still waits", mgr2, day(4, 10).Add(30 * time.Minute), []string{"p2 Wed", "both Thu"}, 2},
		{"another tenant's admin", teamspro.Principal{TenantID: tablesTenant(), ObjectID: admin.ObjectID, Admin: true}, f.now, []string{}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, err := booking.NewService(f.rooms, f.res, func() time.Time { return tt.now }, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			counter.Reset()
			rs, err := svc.Pending(ctx, tt.p)
			trips := counter.Reset()
			if err != nil {
				t.Fatal(err)
			}
			if got := titles(rs); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			for _, r := range rs {
				if r.Status != booking.StatusPending || r.ETag == "" {
					t.Errorf("%s: got status %s, etag %q; want pending with its etag", r.Title, r.Status, r.ETag)
				}
			}
			if trips != tt.trips {
				t.Errorf("got %d storage round trips, want %d", trips, tt.trips)
			}
		})
	}
}

func tablesTenant() string { return uuid.NewString() }

func asError(err error, target **teamspro.Error) bool { return errors.As(err, target) }

// TestSchedulesOfARoomMadeElsewhere: an instance that remembers the room
// directory still reads the schedule of a room made through another
// instance since (the room looked up on its own), and still refuses an
// unknown one.
func TestSchedulesOfARoomMadeElsewhere(t *testing.T) {
	t.Parallel()
	f := newBookingFixture(t)
	ctx := context.Background()
	svc, _ := f.cachedService(t)
	f.room(t, "old", nil)
	from, to := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	if _, err := svc.Schedules(ctx, f.tenant, []string{"old"}, from, to); err != nil {
		t.Fatal(err) // the directory is now remembered, without "new"
	}
	f.room(t, "new", nil) // through the store: another instance
	f.book(t, f.user(), "new Tue", "new", from.Add(9*time.Hour), time.Hour)
	rs, err := svc.Schedules(ctx, f.tenant, []string{"old", "new"}, from, to)
	if got, want := titles(rs), []string{"new Tue"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("got %q (%v), want %q", got, err, want)
	}
	if _, err := svc.Schedules(ctx, f.tenant, []string{"old", "gone"}, from, to); teamspro.ErrorCode(err) != teamspro.ENOTFOUND {
		t.Errorf("an unknown room: got %v, want not_found", err)
	}
}
