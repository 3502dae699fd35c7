package calendar

import (
	"encoding/json"
	"fmt"
	"time"
)

// Date is a calendar date with no time and no zone, the RFC 5545 DATE value.
// All-day events are made of dates, not instants: an all-day event on
// 2026-03-29 covers that date for every viewer, whatever their zone, so it
// must never be stored as a UTC instant that a viewer west of Greenwich would
// see on the 28th.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate parses an ISO 8601 calendar date (2006-01-02).
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, err
	}
	return DateOf(t), nil
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// String formats d as 2006-01-02.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// In returns the instant at which d begins in loc (local midnight).
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// AddDays returns d moved by n days (negative n moves back).
func (d Date) AddDays(n int) Date {
	return DateOf(d.In(time.UTC).AddDate(0, 0, n))
}

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	return d.In(time.UTC).Compare(e.In(time.UTC))
}

// Before reports whether d is strictly before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// DaysUntil returns the number of days from d to e (negative if e is before d).
func (d Date) DaysUntil(e Date) int {
	return int(e.In(time.UTC).Sub(d.In(time.UTC)).Hours() / 24)
}

// MarshalJSON writes d as "2006-01-02".
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads "2006-01-02", and the zero Date MarshalJSON writes
// (the dates of a timed event), so that every Date round-trips.
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == (Date{}).String() {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// dayIn returns the calendar date an instant designates for an all-day event
// kept in loc. Clients send all-day dates as instants in two common ways: the
// local midnight of the event's zone (a browser's toISOString of a local
// date), or midnight UTC (a date-only value read by JavaScript). When t is a
// local midnight in loc, that local date wins; otherwise, when t is midnight
// UTC, it is a floating date and its UTC date wins; otherwise the local date
// of t in loc is taken.
func dayIn(t time.Time, loc *time.Location) Date {
	lt := t.In(loc)
	if lt.Hour() == 0 && lt.Minute() == 0 && lt.Second() == 0 {
		return DateOf(lt)
	}
	ut := t.UTC()
	if ut.Hour() == 0 && ut.Minute() == 0 && ut.Second() == 0 {
		return DateOf(ut)
	}
	return DateOf(lt)
}
