package booking_test

import (
	"slices"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/holiday"
)

func usageRoom(id, zone, building, floor string, hours *booking.Hours, days []int, place *holiday.Place, closed bool) *booking.Room {
	in := booking.RoomInput{Name: "Room " + id, TimeZone: zone, Building: building, Floor: floor, Hours: hours, Days: days,
		Holidays: place, Rules: booking.Rules{ClosedOnHolidays: closed}}
	in.Normalize()
	return &booking.Room{ID: id, RoomInput: in}
}

// TestUtilise checks the figures of a week with known reservations: the week
// of Easter Monday 2027 (29 March), just after Paris moved to summer time.
//
//	a: Paris, 08:00-18:00, Monday to Friday (5 × 10 = 50 open hours)
//	b: UTC, all day, closed on French holidays (6 × 24 = 144: Easter Monday off)
//	c: UTC, all day, no building, nothing booked (7 × 24 = 168)
func TestUtilise(t *testing.T) {
	t.Parallel()
	par := paris(t)
	a := usageRoom("a", "Europe/Paris", "HQ", "1", &booking.Hours{Start: "08:00", End: "18:00"}, []int{1, 2, 3, 4, 5}, nil, false)
	b := usageRoom("b", "UTC", "HQ", "2", nil, nil, &holiday.Place{Country: "FR"}, true)
	c := usageRoom("c", "UTC", "", "", nil, nil, nil, false)
	pa := func(d, h int) time.Time { return time.Date(2027, 3, d, h, 0, 0, 0, par) }
	utc := func(d, h int) time.Time { return time.Date(2027, 3, d, h, 0, 0, 0, time.UTC) }
	use := func(id, room, status string, s, e time.Time) booking.Usage {
		return booking.Usage{ID: id, RoomID: room, Status: status, Start: s, End: e}
	}
	usage := []booking.Usage{
		use("a1", "a", booking.StatusConfirmed, pa(29, 9), pa(29, 11)),     // Mon 09-11: 2 h
		use("a2", "a", booking.StatusReleased, pa(30, 10), pa(30, 11)),     // Tue: a no-show, not booked
		use("a3", "a", booking.StatusConfirmed, pa(31, 17), pa(31, 19)),    // Wed 17-19: 1 h inside the hours
		use("a4", "a", booking.StatusCancelled, pa(32, 10), pa(32, 11)),    // Thu: cancelled, not counted
		use("a5", "a", booking.StatusPending, pa(33, 10), pa(33, 11)),      // Fri: pending holds: 1 h
		use("a6", "a", booking.StatusConfirmed, pa(28, 10), pa(28, 11)),    // the Sunday before: outside the period
		use("b1", "b", booking.StatusConfirmed, utc(30, 12), utc(30, 18)),  // Tue 12-18: 6 h
		use("b2", "b", booking.StatusConfirmed, utc(29, 10), utc(29, 12)),  // on the holiday it closes on: not open
		use("x1", "zz", booking.StatusConfirmed, utc(30, 10), utc(30, 12)), // a room not asked
		use("b3", "b", booking.StatusDeclined, utc(31, 10), utc(31, 12)),   // declined: not counted
		use("b4", "b", booking.StatusConfirmed, utc(35, 23), utc(35, 23)),  // empty, on 4 April: counted, no hours
		use("b5", "b", booking.StatusConfirmed, utc(36, 10), utc(36, 11)),  // 5 April: after the period
		use("a7", "a", booking.StatusConfirmed, pa(33, 17), pa(33, 18)),    // Fri 17-18: 1 h
		use("a8", "a", booking.StatusReleased, pa(33, 8), pa(33, 9)),       // Fri: another no-show
		use("a9", "a", booking.StatusConfirmed, pa(29, 10), pa(29, 10)),    // empty: counted, no hours
		use("c1", "c", booking.StatusCancelled, utc(30, 10), utc(30, 11)),  // c: only a cancelled one
		use("b6", "b", booking.StatusReleased, utc(31, 9), utc(31, 10)),    // a no-show in b
		use("b7", "b", booking.StatusPending, utc(31, 23), utc(32, 0)),     // Wed 23-24: 1 h
		use("a10", "a", booking.StatusConfirmed, pa(31, 7), pa(31, 8)),     // before opening: no hours, counted
		use("a11", "a", booking.StatusConfirmed, pa(34, 10), pa(34, 12)),   // Saturday: a closed day, counted
		use("b8", "b", booking.StatusConfirmed, utc(28, 22), utc(29, 1)),   // from the Sunday before: outside
		use("b9", "b", booking.StatusConfirmed, utc(34, 10), utc(34, 10)),  // empty on Saturday: counted
		use("b10", "b", booking.StatusCancelled, utc(34, 11), utc(34, 12)), // cancelled
		use("a12", "a", booking.StatusCancelled, pa(30, 12), pa(30, 13)),   // cancelled
		use("b11", "b", booking.StatusConfirmed, utc(33, 9), utc(33, 10)),  // Fri 09-10 UTC: 1 h
		use("a13", "a", booking.StatusConfirmed, pa(30, 9), pa(30, 10)),    // Tue 09-10: 1 h
		use("a14", "a", booking.StatusConfirmed, pa(29, 16), pa(29, 17)),   // Mon 16-17: 1 h
		use("b12", "b", booking.StatusConfirmed, utc(30, 18), utc(30, 19)), // Tue 18-19: 1 h
		use("b13", "b", booking.StatusReleased, utc(30, 8), utc(30, 9)),    // another no-show
		use("c2", "c", booking.StatusDeclined, utc(31, 10), utc(31, 11)),   // declined
		use("a15", "a", booking.StatusConfirmed, pa(32, 11), pa(32, 13)),   // Thu 11-13: 2 h
		use("b14", "b", booking.StatusConfirmed, utc(32, 12), utc(32, 14)), // Thu 12-14: 2 h
		use("b15", "b", booking.StatusConfirmed, utc(33, 12), utc(33, 13)), // Fri 12-13: 1 h
		use("b16", "b", booking.StatusConfirmed, utc(29, 23), utc(29, 24)), // Easter Monday 23-24: closed
		use("a16", "a", booking.StatusConfirmed, pa(33, 12), pa(33, 13)),   // Fri 12-13: 1 h
		use("b17", "b", booking.StatusConfirmed, utc(31, 12), utc(31, 13)), // Wed 12-13: 1 h
		use("a17", "a", booking.StatusConfirmed, pa(31, 10), pa(31, 11)),   // Wed 10-11: 1 h
		use("b18", "b", booking.StatusConfirmed, utc(30, 10), utc(30, 11)), // Tue 10-11: 1 h
		use("b19", "b", booking.StatusConfirmed, utc(30, 11), utc(30, 12)), // Tue 11-12: 1 h
		use("a18", "a", booking.StatusConfirmed, pa(29, 11), pa(29, 12)),   // Mon 11-12: 1 h
	}
	// a: booked a1 2 + a3 a5 a7 a13 a14 1 each + a15 2 + a16 a17 a18 1 each
	// = 12 h of 50; reservations (in the period, not cancelled or declined)
	// a1 a2 a3 a5 a7 a8 a9 a10 a11 a13 a14 a15 a16 a17 a18 = 15, of which
	// released a2 a8 = 2.
	// b: booked b1 6 + b7 b11 b12 b15 b17 b18 b19 1 each + b14 2 = 15 h of
	// 144; reservations b1 b2 b4 b6 b7 b9 b11 b12 b13 b14 b15 b16 b17 b18
	// b19 = 15, released b6 b13 = 2.
	rep := booking.Utilise([]*booking.Room{a, b, c}, usage, "2027-03-29", "2027-04-05")
	type fig struct {
		open, booked, util float64
		res, rel           int
		noShow             float64
	}
	of := func(f booking.Figures) fig {
		return fig{f.OpenHours, f.BookedHours, f.Utilisation, f.Reservations, f.Released, f.NoShowRate}
	}
	tests := []struct {
		name string
		got  booking.Figures
		want fig
	}{
		{"room a", rep.Rooms[0].Figures, fig{50, 12, 0.24, 15, 2, 0.1333}},
		{"room b", rep.Rooms[1].Figures, fig{144, 15, 0.1042, 15, 2, 0.1333}},
		{"room c", rep.Rooms[2].Figures, fig{168, 0, 0, 0, 0, 0}},
		{"building HQ", rep.Groups[0].Figures, fig{194, 27, 0.1392, 30, 4, 0.1333}},
		{"HQ floor 1", rep.Groups[1].Figures, fig{50, 12, 0.24, 15, 2, 0.1333}},
		{"HQ floor 2", rep.Groups[2].Figures, fig{144, 15, 0.1042, 15, 2, 0.1333}},
		{"total", rep.Total, fig{362, 27, 0.0746, 30, 4, 0.1333}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := of(tt.got); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	t.Run("groups", func(t *testing.T) {
		var got []string
		for _, g := range rep.Groups {
			got = append(got, g.Building+"/"+g.Floor)
		}
		if want := []string{"HQ/", "HQ/1", "HQ/2"}; !slices.Equal(got, want) {
			t.Errorf("got groups %q, want %q (a room without building is in no group)", got, want)
		}
	})
	t.Run("busiest hours of a", func(t *testing.T) {
		// Mon 9, 10, 11 and 16; Tue 9; Wed 10 and 17; Thu 11 and 12; Fri 10, 12, 17 (Paris time): one hour each.
		got := rep.Rooms[0].BusiestHours
		want := []booking.WeekHour{{Weekday: 1, Hour: 9, BookedHours: 1}, {Weekday: 1, Hour: 10, BookedHours: 1},
			{Weekday: 1, Hour: 11, BookedHours: 1}, {Weekday: 1, Hour: 16, BookedHours: 1}, {Weekday: 2, Hour: 9, BookedHours: 1}}
		if !slices.Equal(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})
	t.Run("busiest hour of b", func(t *testing.T) {
		// Tuesday 12-18 (6 h) + 10, 11, 18: Tuesday's hours lead, one hour each.
		if got := rep.Rooms[1].BusiestHours[0]; got != (booking.WeekHour{Weekday: 2, Hour: 10, BookedHours: 1}) {
			t.Errorf("got %+v, want Tuesday 10:00, 1 h", got)
		}
	})
	t.Run("week of the total", func(t *testing.T) {
		var sum float64
		for _, d := range rep.Week {
			for _, h := range d {
				sum += h
			}
		}
		if sum != 27 {
			t.Errorf("got %v booked hours in the week grid, want 27", sum)
		}
		if got := rep.Week[1][9]; got != 1 { // Monday 09:00 Paris (a1); b has nothing then
			t.Errorf("got %v h on Monday 09:00, want 1", got)
		}
	})
}

// TestUtiliseOpenHours checks the open hours the figures divide by: days,
// hours, holidays and daylight saving time.
func TestUtiliseOpenHours(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		room     *booking.Room
		from, to string
		want     float64
	}{
		{"a whole UTC week", usageRoom("r", "UTC", "", "", nil, nil, nil, false), "2027-03-01", "2027-03-08", 168},
		{"Paris' spring-forward day has 23 hours", usageRoom("r", "Europe/Paris", "", "", nil, nil, nil, false), "2027-03-28", "2027-03-29", 23},
		{"Paris' fall-back day has 25 hours", usageRoom("r", "Europe/Paris", "", "", nil, nil, nil, false), "2027-10-31", "2027-11-01", 25},
		{"09:00-17:00 on weekdays", usageRoom("r", "UTC", "", "", &booking.Hours{Start: "09:00", End: "17:00"}, []int{1, 2, 3, 4, 5}, nil, false), "2027-03-01", "2027-03-15", 80},
		{"until 24:00", usageRoom("r", "UTC", "", "", &booking.Hours{Start: "20:00", End: "24:00"}, nil, nil, false), "2027-03-01", "2027-03-03", 8},
		{"closed on Bavarian holidays: Corpus Christi", usageRoom("r", "Europe/Berlin", "", "", nil, nil, &holiday.Place{Country: "DE", Region: "BY"}, true), "2027-05-27", "2027-05-28", 0},
		{"holidays known, not closed", usageRoom("r", "Europe/Berlin", "", "", nil, nil, &holiday.Place{Country: "DE", Region: "BY"}, false), "2027-05-27", "2027-05-28", 24},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := booking.Utilise([]*booking.Room{tt.room}, nil, tt.from, tt.to).Total.OpenHours; got != tt.want {
				t.Errorf("got %v open hours, want %v", got, tt.want)
			}
		})
	}
}

func TestUtilisationQueryValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		q    booking.UtilisationQuery
		want []string
	}{
		{"a month", booking.UtilisationQuery{From: "2027-03-01", To: "2027-04-01"}, nil},
		{"missing", booking.UtilisationQuery{}, []string{"from", "to"}},
		{"reversed", booking.UtilisationQuery{From: "2027-04-01", To: "2027-03-01"}, []string{"to"}},
		{"too long", booking.UtilisationQuery{From: "2027-01-01", To: "2027-06-01"}, []string{"to"}},
		{"a date-time", booking.UtilisationQuery{From: "2027-03-01T00:00:00Z", To: "2027-04-01"}, []string{"from"}},
		{"a bad room id", booking.UtilisationQuery{From: "2027-03-01", To: "2027-04-01", Rooms: []string{"a/b"}}, []string{"room"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := fields(tt.q.Validate()); !slices.Equal(got, tt.want) {
				t.Errorf("got fields %q, want %q", got, tt.want)
			}
		})
	}
}
