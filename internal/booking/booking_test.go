package booking_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/holiday"
	"github.com/teamspro/functions/internal/teamspro"
)

const (
	alice = "11111111-1111-1111-1111-111111111111"
	bob   = "22222222-2222-2222-2222-222222222222"
)

func paris(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func testRoom() *booking.Room {
	in := booking.RoomInput{
		Name: "Ada", Capacity: 8, TimeZone: "Europe/Paris", Hours: &booking.Hours{Start: "08:00", End: "20:00"}, Days: []int{1, 2, 3, 4, 5},
		Rules:    booking.Rules{MinMinutes: 15, MaxMinutes: 240, MaxDaysAhead: 30, MinNoticeMinutes: 10, BufferMinutes: 10, BookableBy: []string{alice}},
		Managers: []string{bob},
	}
	in.Normalize()
	return &booking.Room{ID: "ada", RoomInput: in}
}

func reason(err error) string {
	var e *teamspro.Error
	if errors.As(err, &e) {
		return e.Code + "/" + e.Detail
	}
	return ""
}

// TestCheckBooking covers each rule with a reservation that breaks it alone.
func TestCheckBooking(t *testing.T) {
	t.Parallel()
	loc := paris(t)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, loc) // Monday
	at := func(day, h, m int) time.Time { return time.Date(2026, 3, day, h, m, 0, 0, loc) }
	user := teamspro.Principal{ObjectID: alice}
	inactive := testRoom()
	f := false
	inactive.Active = &f
	tests := []struct {
		name       string
		room       *booking.Room
		p          teamspro.Principal
		start, end time.Time
		want       string
	}{
		{"ok", testRoom(), user, at(2, 10, 0), at(2, 11, 0), ""},
		{"ends at closing", testRoom(), user, at(2, 19, 0), at(2, 20, 0), ""},
		{"not in bookableBy", testRoom(), teamspro.Principal{ObjectID: "33333333-3333-3333-3333-333333333333"}, at(2, 10, 0), at(2, 11, 0), "forbidden/not_allowed"},
		{"manager may book", testRoom(), teamspro.Principal{ObjectID: bob}, at(2, 10, 0), at(2, 11, 0), ""},
		{"inactive room", inactive, user, at(2, 10, 0), at(2, 11, 0), "invalid/inactive_room"},
		{"end before start", testRoom(), user, at(2, 11, 0), at(2, 10, 0), "invalid/end_before_start"},
		{"too short", testRoom(), user, at(2, 10, 0), at(2, 10, 10), "invalid/too_short"},
		{"too long", testRoom(), user, at(2, 10, 0), at(2, 14, 1), "invalid/too_long"},
		{"too late notice", testRoom(), user, at(2, 9, 5), at(2, 10, 0), "invalid/too_late_notice"},
		{"in the past", testRoom(), user, at(2, 8, 0), at(2, 8, 30), "invalid/too_late_notice"},
		{"too far ahead", testRoom(), user, at(2, 10, 0).AddDate(0, 0, 31), at(2, 11, 0).AddDate(0, 0, 31), "invalid/too_far_ahead"},
		{"weekend", testRoom(), user, at(7, 10, 0), at(7, 11, 0), "conflict/outside_hours"},
		{"before opening", testRoom(), user, at(3, 7, 30), at(3, 9, 0), "conflict/outside_hours"},
		{"after closing", testRoom(), user, at(2, 19, 30), at(2, 20, 30), "conflict/outside_hours"},
		{"crosses midnight", testRoom(), user, at(3, 23, 0), at(4, 0, 30), "invalid/crosses_midnight"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.room.CheckBooking(tt.p, tt.start, tt.end, now)
			if got := reason(err); got != tt.want {
				t.Errorf("got %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

func TestCheckCancel(t *testing.T) {
	t.Parallel()
	r := testRoom()
	r.Rules.CancelNoticeMinutes = 60
	start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	if err := r.CheckCancel(teamspro.Principal{ObjectID: alice}, start, start.Add(-2*time.Hour)); err != nil {
		t.Errorf("two hours ahead: got %v, want nil", err)
	}
	if got := reason(r.CheckCancel(teamspro.Principal{ObjectID: alice}, start, start.Add(-30*time.Minute))); got != "invalid/too_late_cancel" {
		t.Errorf("30 minutes ahead: got %q, want invalid/too_late_cancel", got)
	}
	if err := r.CheckCancel(teamspro.Principal{ObjectID: bob}, start, start); err != nil {
		t.Errorf("manager: got %v, want nil", err)
	}
}

func TestOverlap(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	s := booking.Slot{ID: "a", Start: base, End: base.Add(time.Hour)}
	tests := []struct {
		name       string
		start, end time.Duration
		buffer     time.Duration
		want       bool
	}{
		{"back to back after", 60 * time.Minute, 90 * time.Minute, 0, false},
		{"back to back before", -30 * time.Minute, 0, 0, false},
		{"inside", 10 * time.Minute, 20 * time.Minute, 0, true},
		{"covering", -10 * time.Minute, 70 * time.Minute, 0, true},
		{"straddling end", 59 * time.Minute, 70 * time.Minute, 0, true},
		{"within the buffer after", 65 * time.Minute, 90 * time.Minute, 10 * time.Minute, true},
		{"just past the buffer", 70 * time.Minute, 90 * time.Minute, 10 * time.Minute, false},
		{"within the buffer before", -30 * time.Minute, -5 * time.Minute, 10 * time.Minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Overlaps(base.Add(tt.start), base.Add(tt.end), tt.buffer); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if _, hit := booking.Conflict([]booking.Slot{s}, "a", base, base.Add(time.Hour), 0); hit {
		t.Errorf("a reservation conflicts with its own slot")
	}
}

// series is a recurring reservation input of an hour from start.
func series(t *testing.T, start time.Time, zone string, mode string, rule *calendar.RecurrenceRule) booking.Series {
	t.Helper()
	in := &booking.EventInput{Title: "Sync", StartDate: start, EndDate: start.Add(time.Hour), TimeZone: zone, ResourceID: "r", ModeRecurrence: mode, RRule: rule}
	s, err := booking.SeriesOf(in, start, start.Add(time.Hour), zone)
	if err != nil {
		t.Fatalf("SeriesOf: %v", err)
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// TestExpandDST checks that a weekly 09:00 series stays at 09:00 Paris time
// across the change to summer time.
func TestExpandDST(t *testing.T) {
	t.Parallel()
	loc := paris(t)
	start := time.Date(2026, 3, 23, 9, 0, 0, 0, loc) // a week before the change (29 March)
	got, err := series(t, start, "Europe/Paris", "", &calendar.RecurrenceRule{Freq: "WEEKLY", Count: ptr(3)}).Starts(start.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d occurrences, want 3", len(got))
	}
	for i, o := range got {
		if l := o.In(loc); l.Hour() != 9 || l.Minute() != 0 {
			t.Errorf("occurrence %d at %s, want 09:00 local", i, l)
		}
	}
	if d := got[1].Sub(got[0]); d != 7*24*time.Hour-time.Hour {
		t.Errorf("got %s between the weeks around the change, want 167h", d)
	}
}

func TestExpandBounds(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) // a Monday
	got, err := series(t, start, "UTC", "", &calendar.RecurrenceRule{Freq: "DAILY"}).Starts(start.AddDate(0, 0, 9).Add(time.Minute))
	if err != nil || len(got) != 10 {
		t.Errorf("horizon: got %d occurrences (%v), want 10", len(got), err)
	}
	wk, err := series(t, start, "UTC", "Workweek", nil).Starts(start.AddDate(0, 0, 13).Add(time.Minute))
	if err != nil || len(wk) != 10 {
		t.Errorf("workweek over two weeks: got %d (%v), want 10", len(wk), err)
	}
	lastFriday, err := series(t, time.Date(2026, 3, 27, 9, 0, 0, 0, time.UTC), "UTC", "",
		&calendar.RecurrenceRule{Freq: "MONTHLY", Count: ptr(3), Byweekday: []calendar.WeekdayJSON{{Day: 4, N: -1}}}).Starts(start.AddDate(1, 0, 0))
	if err != nil || len(lastFriday) != 3 || lastFriday[1].Day() != 24 {
		t.Errorf("last Friday monthly: got %v (%v), want 27 Mar, 24 Apr, 29 May", lastFriday, err)
	}
	in := &booking.EventInput{Title: "x", StartDate: start, EndDate: start.Add(time.Hour), TimeZone: "UTC", ResourceID: "r", RRule: &calendar.RecurrenceRule{Freq: "MINUTELY"}}
	if _, err := booking.SeriesOf(in, start, start.Add(time.Hour), "UTC"); teamspro.ErrorCode(err) != teamspro.EINVALID {
		t.Errorf("minutely: got %v, want EINVALID", err)
	}
}

func TestEventInputValidate(t *testing.T) {
	t.Parallel()
	in := booking.EventInput{Title: "", Description: string(make([]byte, 251)), Color: "0123456789012345678901234567890",
		ResourceID: "a b", TimeZone: "Mars/Olympus", ModeRecurrence: "Hourly", Address: &calendar.Address{Lat: 91, Lng: -181}}
	err := in.Validate()
	var e *teamspro.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want EINVALID", err)
	}
	want := []string{"title", "description", "color", "startDate", "endDate", "resourceId", "timeZone", "address.lat", "address.lng", "modeRecurrence"}
	got := map[string]bool{}
	for _, f := range e.Fields {
		got[f.Field] = true
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("got no error on %s (%v)", w, e.Fields)
		}
	}
}

func TestRoomValidate(t *testing.T) {
	t.Parallel()
	in := booking.RoomInput{Name: "", TimeZone: "Nowhere", Capacity: -1, Hours: &booking.Hours{Start: "18:00", End: "08:00"}, Days: []int{7},
		Rules: booking.Rules{MinMinutes: 60, MaxMinutes: 30, BookableBy: []string{"bob"}}, Managers: []string{"x"}, PhotoURL: "http://x"}
	err := in.Validate()
	var e *teamspro.Error
	if !errors.As(err, &e) || len(e.Fields) < 9 {
		t.Fatalf("got %v, want at least 9 invalid fields", err)
	}
}

// TestClosedOnHolidays: a room closed on public holidays refuses a
// reservation on one of its place's holidays, by the room's local date.
func TestClosedOnHolidays(t *testing.T) {
	t.Parallel()
	loc := paris(t)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, loc)
	room := func(closed bool, place *holiday.Place) *booking.Room {
		in := booking.RoomInput{Name: "Ada", TimeZone: "Europe/Paris", Holidays: place, Rules: booking.Rules{ClosedOnHolidays: closed}}
		in.Normalize()
		return &booking.Room{ID: "ada", RoomInput: in}
	}
	fr := &holiday.Place{Country: "fr"}
	at := func(m time.Month, d, h int) time.Time { return time.Date(2026, m, d, h, 0, 0, 0, loc) }
	tests := []struct {
		name  string
		room  *booking.Room
		start time.Time
		want  string
	}{
		{"Easter Monday 2026", room(true, fr), at(time.April, 6, 10), "conflict/public_holiday"},
		{"the day after", room(true, fr), at(time.April, 7, 10), ""},
		{"Bastille Day just after local midnight (still 13 July in UTC)", room(true, fr), at(time.July, 14, 0), "conflict/public_holiday"},
		{"13 July late evening (14 July in UTC+2 is not the room's date)", room(true, fr), at(time.July, 13, 22), ""},
		{"holidays known but the rule is off", room(false, fr), at(time.April, 6, 10), ""},
		{"another country's holiday", room(true, &holiday.Place{Country: "US"}), at(time.April, 6, 10), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.room.CheckBooking(teamspro.Principal{ObjectID: alice}, tt.start, tt.start.Add(time.Hour), now)
			if got := reason(err); got != tt.want {
				t.Errorf("got %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

func TestRoomHolidaysValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   booking.RoomInput
		want []string
	}{
		{"closed without a place", booking.RoomInput{Rules: booking.Rules{ClosedOnHolidays: true}}, []string{"rules.closedOnHolidays"}},
		{"unknown country", booking.RoomInput{Holidays: &holiday.Place{Country: "XX"}}, []string{"holidays.country"}},
		{"unknown region", booking.RoomInput{Holidays: &holiday.Place{Country: "DE", Region: "XX"}}, []string{"holidays.region"}},
		{"valid", booking.RoomInput{Holidays: &holiday.Place{Country: "DE", Region: "BY"}, Rules: booking.Rules{ClosedOnHolidays: true}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := tt.in
			in.Name, in.TimeZone = "Ada", "Europe/Berlin"
			if got := fields(in.Validate()); !slices.Equal(got, tt.want) {
				t.Errorf("got fields %q, want %q", got, tt.want)
			}
		})
	}
}

// fields returns the fields at fault of a validation error, in order.
func fields(err error) []string {
	var out []string
	var e *teamspro.Error
	if errors.As(err, &e) {
		for _, f := range e.Fields {
			out = append(out, f.Field)
		}
	}
	return out
}
