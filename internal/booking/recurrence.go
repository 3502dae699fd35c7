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

// StartsUntil returns the start times of the series' occurrences before
// horizon, expanded by calendar.Occurrences (rrule-go, DST-correct) window by
// window, and, for a bounded series, those at or after horizon (to be
// reported, not dropped). At most MaxOccurrences in all; EINVALID when the
// series yields none or more.
func (s Series) StartsUntil(horizon time.Time) (within, beyond []time.Time, err error) {
	from := s.Event.Start
	end := horizon
	if s.Bounded() {
		// A bounded rule is expanded to its end, however far: what lies
		// beyond the horizon is reported.
		end = from.AddDate(100, 0, 0)
		if r := s.Event.Rule; !r.Until.IsZero() && r.Until.Before(end) {
			end = r.Until.Add(time.Second)
		}
	}
	step := calendar.MaxWindow - 24*time.Hour
	var all []time.Time
	for w := from; w.Before(end); w = w.Add(step) {
		to := w.Add(step)
		if to.After(end) {
			to = end
		}
		occ, err := calendar.Occurrences(s.Event, nil, w, to)
		if err != nil {
			return nil, nil, err
		}
		for _, o := range occ {
			all = append(all, o.Start)
		}
		if len(all) > MaxOccurrences {
			e := teamspro.Errorf(teamspro.EINVALID, "The recurrence has more than %d occurrences; set count or until.", MaxOccurrences)
			e.Fields = []teamspro.FieldError{{Field: "rrule", Reason: "too many occurrences"}}
			return nil, nil, e
		}
		if r := s.Event.Rule; r != nil && r.Count > 0 && len(all) >= r.Count {
			break
		}
	}
	if len(all) == 0 {
		e := teamspro.Errorf(teamspro.EINVALID, "The recurrence has no occurrence.")
		e.Fields = []teamspro.FieldError{{Field: "rrule", Reason: "no occurrence"}}
		return nil, nil, e
	}
	for _, t := range all {
		if t.Before(horizon) {
			within = append(within, t)
		} else {
			beyond = append(beyond, t)
		}
	}
	return within, beyond, nil
}

// Starts returns the start times of the occurrences before horizon.
func (s Series) Starts(horizon time.Time) ([]time.Time, error) {
	within, _, err := s.StartsUntil(horizon)
	return within, err
}
