package findtime

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestWorkingPeriods: working hours are the wall clock of the request's
// zone, also on the days its offset changes; past time and excluded days are
// left out.
func TestWorkingPeriods(t *testing.T) {
	t.Parallel()
	paris := mustZone(t, "Europe/Paris")
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	nine := &Hours{Start: "09:00", End: "17:00"}
	for _, tc := range []struct {
		name     string
		from, to string
		h        *Hours
		days     []int
		now      string
		want     []string
	}{
		{"across the spring change", "2027-03-27T00:00:00+01:00", "2027-03-30T00:00:00+02:00", nine, nil, "2027-01-01T00:00:00Z",
			[]string{"2027-03-27T08:00:00Z 2027-03-27T16:00:00Z", "2027-03-28T07:00:00Z 2027-03-28T15:00:00Z", "2027-03-29T07:00:00Z 2027-03-29T15:00:00Z"}},
		{"weekdays only", "2027-03-27T00:00:00+01:00", "2027-03-30T00:00:00+02:00", nine, []int{1, 2, 3, 4, 5}, "2027-01-01T00:00:00Z",
			[]string{"2027-03-29T07:00:00Z 2027-03-29T15:00:00Z"}},
		{"the past is skipped", "2027-03-29T00:00:00+02:00", "2027-03-30T00:00:00+02:00", nine, nil, "2027-03-29T10:10:00Z",
			[]string{"2027-03-29T10:10:00Z 2027-03-29T15:00:00Z"}},
		{"whole days to 24:00", "2027-03-29T00:00:00+02:00", "2027-03-30T00:00:00+02:00", &Hours{Start: "20:00", End: "24:00"}, nil, "2027-01-01T00:00:00Z",
			[]string{"2027-03-29T18:00:00Z 2027-03-29T22:00:00Z"}},
		{"no hours: the window", "2027-03-29T10:00:00Z", "2027-03-29T12:00:00Z", nil, nil, "2027-01-01T00:00:00Z",
			[]string{"2027-03-29T10:00:00Z 2027-03-29T12:00:00Z"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := workingPeriods(utc(tc.from), utc(tc.to), paris, tc.h, tc.days, utc(tc.now))
			var s []string
			for _, p := range got {
				s = append(s, p[0].UTC().Format(time.RFC3339)+" "+p[1].UTC().Format(time.RFC3339))
			}
			if len(s) != len(tc.want) {
				t.Fatalf("got %q, want %q", s, tc.want)
			}
			for i := range s {
				if s[i] != tc.want[i] {
					t.Errorf("period %d: got %s, want %s", i, s[i], tc.want[i])
				}
			}
		})
	}
}

// TestFreeGapsAndGrid: half-open intervals (a meeting may start when
// another ends) and starts on the quarter hours of the zone's wall clock,
// even in a zone whose offset is not whole hours.
func TestFreeGapsAndGrid(t *testing.T) {
	t.Parallel()
	base := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return base.Add(time.Duration(m) * time.Minute) }
	busy := [][]Busy{{{Start: at(0), End: at(30)}}, {{Start: at(20), End: at(60)}, {Start: at(90), End: at(120)}}}
	gaps := freeGaps(mergeAll(busy), at(0), at(180))
	want := [][2]time.Time{{at(60), at(90)}, {at(120), at(180)}}
	if len(gaps) != len(want) || !gaps[0][0].Equal(want[0][0]) || !gaps[0][1].Equal(want[0][1]) || !gaps[1][0].Equal(want[1][0]) {
		t.Errorf("got gaps %v, want %v", gaps, want)
	}
	kathmandu := mustZone(t, "Asia/Kathmandu") // UTC+05:45
	got := gridUp(time.Date(2027, 3, 1, 3, 20, 0, 0, time.UTC), kathmandu)
	if l := got.In(kathmandu); l.Minute()%15 != 0 || l.Hour() != 9 || l.Minute() != 15 {
		t.Errorf("got first start %s local, want 09:15", l.Format("15:04"))
	}
	if n := nextGrid(got, kathmandu); n.Sub(got) != Step {
		t.Errorf("got next start %s after %s, want one step", n, got)
	}
}

// TestValidate lists every invalid field of a request at once.
func TestValidate(t *testing.T) {
	t.Parallel()
	r := Request{Participants: []string{"nobody"}, DurationMinutes: 1, TimeZone: "Nowhere/City",
		From: time.Date(2027, 3, 2, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC),
		WorkingHours: &Hours{Start: "9:00", End: "17:00"}, Days: []int{7}, Max: 50}
	var e *teamspro.Error
	if err := r.Validate(); !errors.As(err, &e) {
		t.Fatalf("got %v, want a validation error", err)
	}
	for _, f := range []string{"participants", "durationMinutes", "timeZone", "to", "workingHours", "days", "max"} {
		if !slices.ContainsFunc(e.Fields, func(x teamspro.FieldError) bool { return x.Field == f }) {
			t.Errorf("got fields %v, want %s named", e.Fields, f)
		}
	}
}
