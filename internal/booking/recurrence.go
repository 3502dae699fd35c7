package booking

import (
	"time"

	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/teamspro"
)

// MaxOccurrences bounds a series: a recurrence is booked occurrence by
// occurrence, so its size is its cost.
const MaxOccurrences = 500

// Series is a recurring reservation as Calendar Pro's event model sees it:
// the recurrence (from rrule or a modeRecurrence shortcut) with its first
// occurrence at [start, end), computed on the wall clock of zone.
type Series struct {
	Event calendar.Event
}

// SeriesOf converts in to a series starting at [start, end) in zone (the
// room's: a 09:00 series stays at 09:00 in the room across DST changes).
// EINVALID when the recurrence is not valid.
func SeriesOf(in *EventInput, start, end time.Time, zone string) (Series, error) {
	ci := in.Calendar()
	ci.StartDate, ci.EndDate, ci.TimeZone, ci.AllDay = start.Format(time.RFC3339), end.Format(time.RFC3339), zone, false
	ci.Duration = nil
	e, err := ci.ToEvent()
	if err != nil {
		return Series{}, err
	}
	return Series{Event: e}, nil
}

// Bounded reports whether the series ends by itself (count or until).
func (s Series) Bounded() bool {
	r := s.Event.Rule
	return r != nil && (r.Count > 0 || !r.Until.IsZero())
}

// Rule is the recurrence in the contract's rrule.js shape, for the answer.
func (s Series) Rule() *calendar.RecurrenceRule { return s.Event.JSON().RRule }

// Starts returns the start times of the series' occurrences before horizon,
// expanded by calendar.Occurrences (rrule-go, DST-correct). At most
// MaxOccurrences; EINVALID when the series yields none or more.
func (s Series) Starts(horizon time.Time) ([]time.Time, error) {
	from := s.Event.Start
	if max := from.Add(calendar.MaxWindow); horizon.After(max) {
		horizon = max
	}
	occ, err := calendar.Occurrences(s.Event, nil, from, horizon)
	if err != nil {
		return nil, err
	}
	if len(occ) > MaxOccurrences {
		e := teamspro.Errorf(teamspro.EINVALID, "The recurrence has more than %d occurrences; set count or until.", MaxOccurrences)
		e.Fields = []teamspro.FieldError{{Field: "rrule", Reason: "too many occurrences"}}
		return nil, e
	}
	if len(occ) == 0 {
		e := teamspro.Errorf(teamspro.EINVALID, "The recurrence has no occurrence.")
		e.Fields = []teamspro.FieldError{{Field: "rrule", Reason: "no occurrence"}}
		return nil, e
	}
	out := make([]time.Time, len(occ))
	for i, o := range occ {
		out[i] = o.Start
	}
	return out, nil
}
