package booking

import (
	"strings"
	"time"

	"github.com/teambition/rrule-go"
	"github.com/teamspro/functions/internal/teamspro"
)

// MaxOccurrences bounds a series: a recurrence is booked occurrence by
// occurrence, so its size is its cost.
const MaxOccurrences = 500

var freqs = map[string]rrule.Frequency{
	"YEARLY": rrule.YEARLY, "MONTHLY": rrule.MONTHLY, "WEEKLY": rrule.WEEKLY, "DAILY": rrule.DAILY,
	"HOURLY": rrule.HOURLY, "MINUTELY": rrule.MINUTELY, "SECONDLY": rrule.SECONDLY,
}

var weekdays = map[string]rrule.Weekday{
	"Monday": rrule.MO, "Tuesday": rrule.TU, "Wednesday": rrule.WE, "Thursday": rrule.TH,
	"Friday": rrule.FR, "Saturday": rrule.SA, "Sunday": rrule.SU,
}

// RuleOf returns the recurrence of in: its rrule, or the one its
// modeRecurrence stands for, starting at in.StartDate.
func RuleOf(in *EventInput) *RRule {
	if in.RRule != nil {
		r := *in.RRule
		if r.Dtstart.IsZero() {
			r.Dtstart = in.StartDate
		}
		return &r
	}
	r := &RRule{Dtstart: in.StartDate}
	switch in.ModeRecurrence {
	case "Daily":
		r.Freq = "DAILY"
	case "Workweek":
		r.Freq = "WEEKLY"
		r.Byweekday = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}
	case "Weekly":
		r.Freq = "WEEKLY"
	case "Monthly":
		r.Freq = "MONTHLY"
	case "Yearly":
		r.Freq = "YEARLY"
	default:
		return nil
	}
	return r
}

// Expand returns the start times of rule's occurrences up to horizon, in loc:
// the recurrence is computed on the wall clock of loc, so a 09:00 series stays
// at 09:00 across daylight saving changes. At most MaxOccurrences; EINVALID
// when the rule yields none or more.
//
// This is the one place that expands recurrences for booking; it can be
// swapped for the calendar package's expander without touching its callers.
func Expand(rule *RRule, loc *time.Location, horizon time.Time) ([]time.Time, error) {
	opt := rrule.ROption{
		Freq: freqs[strings.ToUpper(rule.Freq)], Dtstart: rule.Dtstart.In(loc), Interval: rule.Interval, Count: rule.Count,
		Bymonth: rule.Bymonth, Bysetpos: rule.Bysetpos, Bymonthday: rule.Bymonthday, Byyearday: rule.Byyearday,
		Byweekno: rule.Byweekno, Byhour: rule.Byhour, Byminute: rule.Byminute, Bysecond: rule.Bysecond,
	}
	if rule.Wkst != "" {
		opt.Wkst = weekdays[rule.Wkst]
	}
	for _, d := range rule.Byweekday {
		opt.Byweekday = append(opt.Byweekday, weekdays[d])
	}
	until := horizon
	if rule.Until != nil && rule.Until.Before(until) {
		until = *rule.Until
	}
	opt.Until = until.In(loc)
	rr, err := rrule.NewRRule(opt)
	if err != nil {
		e := teamspro.Wrap(teamspro.EINVALID, err, "The recurrence rule is not valid.")
		e.Fields = []teamspro.FieldError{{Field: "rrule", Reason: err.Error()}}
		return nil, e
	}
	var out []time.Time
	it := rr.Iterator()
	for {
		t, ok := it()
		if !ok {
			break
		}
		if len(out) == MaxOccurrences {
			e := teamspro.Errorf(teamspro.EINVALID, "The recurrence has more than %d occurrences; set count or until.", MaxOccurrences)
			e.Fields = []teamspro.FieldError{{Field: "rrule", Reason: "too many occurrences"}}
			return nil, e
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		e := teamspro.Errorf(teamspro.EINVALID, "The recurrence has no occurrence.")
		e.Fields = []teamspro.FieldError{{Field: "rrule", Reason: "no occurrence"}}
		return nil, e
	}
	return out, nil
}
