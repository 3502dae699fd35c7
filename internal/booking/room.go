// Package booking is Booking Room Pro's domain: rooms with their booking rules,
// reservations of rooms, the rules that decide whether a reservation may be
// made, and the stores that keep them. It imports no Azure SDK; the Table
// Storage adapter implements its Store interfaces.
package booking

import (
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/teamspro/functions/internal/holiday"
	"github.com/teamspro/functions/internal/teamspro"
)

// Hours is a room's daily bookable window in its local time, "HH:MM" each.
// End "24:00" means until midnight.
type Hours struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Rules decide who may book a room, when and for how long. Zero values mean
// "no limit", except where noted.
type Rules struct {
	MinMinutes          int  `json:"minMinutes"`          // shortest reservation
	MaxMinutes          int  `json:"maxMinutes"`          // longest reservation
	MaxDaysAhead        int  `json:"maxDaysAhead"`        // how far ahead a reservation may start
	MinNoticeMinutes    int  `json:"minNoticeMinutes"`    // notice needed to book
	CancelNoticeMinutes int  `json:"cancelNoticeMinutes"` // notice needed to cancel (managers are exempt)
	BufferMinutes       int  `json:"bufferMinutes"`       // free time kept between two reservations
	RequiresApproval    bool `json:"requiresApproval"`    // reservations start pending until a manager approves
	CheckInRequired     bool `json:"checkInRequired"`     // unchecked reservations are released
	ReleaseAfterMinutes int  `json:"releaseAfterMinutes"` // minutes after start before release (default 15)
	// BookableBy lists the Entra object ids that may book; empty means everyone.
	BookableBy []string `json:"bookableBy"`
	// ClosedOnHolidays refuses reservations on the public holidays of the
	// room's Holidays place (which it then requires).
	ClosedOnHolidays bool `json:"closedOnHolidays"`
}

// RoomInput is what an admin or a room manager sends to create or replace a room.
type RoomInput struct {
	Name       string   `json:"name"`
	Email      string   `json:"email,omitempty"`
	Capacity   int      `json:"capacity"`
	Building   string   `json:"building,omitempty"`
	Floor      string   `json:"floor,omitempty"`
	Equipment  []string `json:"equipment"`
	Accessible bool     `json:"accessible"`
	PhotoURL   string   `json:"photoUrl,omitempty"`
	TimeZone   string   `json:"timeZone"`
	Hours      *Hours   `json:"hours,omitempty"`
	Days       []int    `json:"days"` // bookable weekdays, 0 = Sunday; empty = every day
	Rules      Rules    `json:"rules"`
	Managers   []string `json:"managers"`
	// Holidays is where the room is, for its public holidays (the
	// closedOnHolidays rule, the holidays its schedule shows); nil: none.
	Holidays *holiday.Place `json:"holidays,omitempty"`
	// Active rooms can be booked; inactive ones keep their reservations but take no new ones.
	Active *bool `json:"active,omitempty"`
}

// Room is a bookable room of an organization.
type Room struct {
	TenantID string `json:"-"`
	ID       string `json:"id"`
	RoomInput
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	ETag      string    `json:"etag"`
}

// CheckInEarly is how long before its start a reservation can be checked in.
const CheckInEarly = 15 * time.Minute

// DefaultReleaseAfter is the release delay of check-in rooms that set none.
const DefaultReleaseAfter = 15

// Compiled at first use, not at start (cold start).
var hhmm = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(([01]\d|2[0-3]):[0-5]\d|24:00)$`) })

// Validate reports every invalid field of in at once.
func (in *RoomInput) Validate() error {
	var v teamspro.Validation
	v.Check(strings.TrimSpace(in.Name) != "" && len(in.Name) <= 200, "name", "is required, at most 200 characters")
	if in.Email != "" {
		_, err := mail.ParseAddress(in.Email)
		v.Check(err == nil && len(in.Email) <= 254, "email", "is not a mail address")
	}
	v.Check(in.Capacity >= 0 && in.Capacity <= 100000, "capacity", "must be 0 to 100000")
	v.Check(len(in.Building) <= 100, "building", "at most 100 characters")
	v.Check(len(in.Floor) <= 50, "floor", "at most 50 characters")
	v.Check(len(in.Equipment) <= 50, "equipment", "at most 50 tags")
	for _, e := range in.Equipment {
		if !v.Check(strings.TrimSpace(e) != "" && len(e) <= 50 && !strings.ContainsAny(e, ";\n\r"), "equipment", "tags are 1 to 50 characters, no ';'") {
			break
		}
	}
	if in.PhotoURL != "" {
		v.Check(len(in.PhotoURL) <= 2048 && strings.HasPrefix(in.PhotoURL, "https://"), "photoUrl", "must be an https URL")
	}
	if _, err := time.LoadLocation(in.TimeZone); err != nil || in.TimeZone == "" || in.TimeZone == "Local" {
		v.Add("timeZone", "is required: an IANA time zone name")
	}
	if h := in.Hours; h != nil {
		if v.Check(hhmm().MatchString(h.Start) && hhmm().MatchString(h.End) && h.Start != "24:00", "hours", "start and end are HH:MM") {
			v.Check(h.Start < h.End, "hours", "start must be before end")
		}
	}
	for _, d := range in.Days {
		if !v.Check(d >= 0 && d <= 6, "days", "days are 0 (Sunday) to 6 (Saturday)") {
			break
		}
	}
	r := &in.Rules
	v.Check(r.MinMinutes >= 0 && r.MinMinutes <= 24*60, "rules.minMinutes", "must be 0 to 1440")
	v.Check(r.MaxMinutes >= 0 && r.MaxMinutes <= 24*60, "rules.maxMinutes", "must be 0 to 1440")
	v.Check(r.MaxMinutes == 0 || r.MaxMinutes >= r.MinMinutes, "rules.maxMinutes", "must not be below minMinutes")
	v.Check(r.MaxDaysAhead >= 0 && r.MaxDaysAhead <= 730, "rules.maxDaysAhead", "must be 0 to 730")
	v.Check(r.MinNoticeMinutes >= 0 && r.MinNoticeMinutes <= 60*24*30, "rules.minNoticeMinutes", "must be 0 to 43200")
	v.Check(r.CancelNoticeMinutes >= 0 && r.CancelNoticeMinutes <= 60*24*30, "rules.cancelNoticeMinutes", "must be 0 to 43200")
	v.Check(r.BufferMinutes >= 0 && r.BufferMinutes <= 240, "rules.bufferMinutes", "must be 0 to 240")
	v.Check(r.ReleaseAfterMinutes >= 0 && r.ReleaseAfterMinutes <= 240, "rules.releaseAfterMinutes", "must be 0 to 240")
	checkGUIDs(&v, "rules.bookableBy", r.BookableBy, 500)
	if in.Holidays != nil {
		p := *in.Holidays
		p.Normalize()
		p.Validate("holidays", &v)
	}
	v.Check(!r.ClosedOnHolidays || in.Holidays != nil, "rules.closedOnHolidays", "needs the room's holidays (a country, and a region where it has some)")
	checkGUIDs(&v, "managers", in.Managers, 100)
	return v.Err()
}

func checkGUIDs(v *teamspro.Validation, field string, ids []string, max int) {
	v.Check(len(ids) <= max, field, "too many entries")
	for _, id := range ids {
		if !v.Check(teamspro.IsGUID(id), field, "entries are Entra object ids") {
			return
		}
	}
}

// Normalize fills defaults and canonical forms so that stored rooms are complete.
func (in *RoomInput) Normalize() {
	if in.Active == nil {
		t := true
		in.Active = &t
	}
	if in.Rules.CheckInRequired && in.Rules.ReleaseAfterMinutes == 0 {
		in.Rules.ReleaseAfterMinutes = DefaultReleaseAfter
	}
	for i, e := range in.Equipment {
		in.Equipment[i] = strings.TrimSpace(e)
	}
	for i := range in.Managers {
		in.Managers[i] = teamspro.NormalizeGUID(in.Managers[i])
	}
	for i := range in.Rules.BookableBy {
		in.Rules.BookableBy[i] = teamspro.NormalizeGUID(in.Rules.BookableBy[i])
	}
	if in.Equipment == nil {
		in.Equipment = []string{}
	}
	if in.Days == nil {
		in.Days = []int{}
	}
	if in.Managers == nil {
		in.Managers = []string{}
	}
	if in.Rules.BookableBy == nil {
		in.Rules.BookableBy = []string{}
	}
	slices.Sort(in.Days)
	in.Days = slices.Compact(in.Days)
	if in.Holidays != nil {
		in.Holidays.Normalize()
	}
}

// IsActive reports whether the room takes new reservations.
func (r *Room) IsActive() bool { return r.Active == nil || *r.Active }

// Location returns the room's time zone (UTC if it cannot be loaded, which
// validation prevents).
func (r *Room) Location() *time.Location { return teamspro.ZoneOf(r.TimeZone) }

// Buffer is the free time kept before and after each reservation.
func (r *Room) Buffer() time.Duration { return time.Duration(r.Rules.BufferMinutes) * time.Minute }

// Manages reports whether p may manage the room: tenant admins and its managers.
func (r *Room) Manages(p teamspro.Principal) bool {
	return p.Admin || (p.ObjectID != "" && slices.Contains(r.Managers, teamspro.NormalizeGUID(p.ObjectID)))
}

// MayBook reports whether p is allowed to book the room at all.
func (r *Room) MayBook(p teamspro.Principal) bool {
	return len(r.Rules.BookableBy) == 0 || r.Manages(p) || slices.Contains(r.Rules.BookableBy, teamspro.NormalizeGUID(p.ObjectID))
}

// Day returns the room-local date of t as YYYY-MM-DD: the day partition of a
// reservation starting at t.
func (r *Room) Day(t time.Time) string { return t.In(r.Location()).Format(time.DateOnly) }

// ruleError is a rule refusal: the code says the class, reason the rule.
func ruleError(code, reason, format string, args ...any) error {
	e := teamspro.Errorf(code, format, args...)
	e.Detail = reason
	return e
}

// Rule reasons, stable strings in a problem's "reason".
const (
	ReasonSlotTaken       = "slot_taken"
	ReasonWithinBuffer    = "within_buffer"
	ReasonTooShort        = "too_short"
	ReasonTooLong         = "too_long"
	ReasonTooFarAhead     = "too_far_ahead"
	ReasonTooLateNotice   = "too_late_notice"
	ReasonTooLateCancel   = "too_late_cancel"
	ReasonOutsideHours    = "outside_hours"
	ReasonNotAllowed      = "not_allowed"
	ReasonInactiveRoom    = "inactive_room"
	ReasonCrossesMidnight = "crosses_midnight"
	ReasonEndBeforeStart  = "end_before_start"
	ReasonCheckInWindow   = "outside_check_in_window"
	ReasonNotPending      = "not_pending"
	ReasonNotActive       = "not_active"
	ReasonHasFuture       = "has_future_reservations"
	ReasonRoomNotInTab    = "room_not_in_tab"
	// ReasonHoliday: the room is closed on public holidays and the
	// reservation falls on one (rules.closedOnHolidays).
	ReasonHoliday = "public_holiday"
	// ReasonOccurrencesRefused: some occurrences of a series break a rule
	// (Extra.conflicts says which and why), not only taken slots.
	ReasonOccurrencesRefused = "occurrences_refused"
)

// CheckBooking applies the room's rules to a reservation of [start, end) made
// by p at now. It returns EFORBIDDEN (not_allowed) when p may not book the
// room, EINVALID with the broken rule's reason otherwise. Every reservation,
// whichever route makes it, goes through here.
func (r *Room) CheckBooking(p teamspro.Principal, start, end, now time.Time) error {
	if !r.MayBook(p) {
		return ruleError(teamspro.EFORBIDDEN, ReasonNotAllowed, "You are not allowed to book %s.", r.Name)
	}
	if !r.IsActive() {
		return ruleError(teamspro.EINVALID, ReasonInactiveRoom, "%s is deactivated and takes no new reservations.", r.Name)
	}
	if !end.After(start) {
		return ruleError(teamspro.EINVALID, ReasonEndBeforeStart, "The end must be after the start.")
	}
	loc := r.Location()
	ls, le := start.In(loc), end.In(loc)
	midnight := time.Date(ls.Year(), ls.Month(), ls.Day()+1, 0, 0, 0, 0, loc)
	if le.After(midnight) {
		return ruleError(teamspro.EINVALID, ReasonCrossesMidnight, "A reservation must end by midnight of its day in the room's time zone (%s); book two.", r.TimeZone)
	}
	d := end.Sub(start)
	if m := r.Rules.MinMinutes; m > 0 && d < time.Duration(m)*time.Minute {
		return ruleError(teamspro.EINVALID, ReasonTooShort, "%s is booked for at least %d minutes.", r.Name, m)
	}
	if m := r.Rules.MaxMinutes; m > 0 && d > time.Duration(m)*time.Minute {
		return ruleError(teamspro.EINVALID, ReasonTooLong, "%s is booked for at most %d minutes.", r.Name, m)
	}
	if start.Before(now.Add(time.Duration(r.Rules.MinNoticeMinutes) * time.Minute)) {
		return ruleError(teamspro.EINVALID, ReasonTooLateNotice, "%s must be booked at least %d minutes before the start.", r.Name, r.Rules.MinNoticeMinutes)
	}
	if n := r.Rules.MaxDaysAhead; n > 0 && start.After(now.Add(time.Duration(n)*24*time.Hour)) {
		return ruleError(teamspro.EINVALID, ReasonTooFarAhead, "%s can be booked at most %d days ahead.", r.Name, n)
	}
	if len(r.Days) > 0 && !slices.Contains(r.Days, int(ls.Weekday())) {
		return ruleError(teamspro.ECONFLICT, ReasonOutsideHours, "%s is not bookable on %s.", r.Name, ls.Weekday())
	}
	if h := r.Hours; h != nil {
		s := ls.Format("15:04")
		e := le.Format("15:04")
		if le.Equal(midnight) {
			e = "24:00"
		}
		if s < h.Start || e > h.End {
			return ruleError(teamspro.ECONFLICT, ReasonOutsideHours, "%s is bookable from %s to %s (%s).", r.Name, h.Start, h.End, r.TimeZone)
		}
	}
	if hd, ok := r.HolidayOn(ls); ok && r.Rules.ClosedOnHolidays {
		e := teamspro.Errorf(teamspro.ECONFLICT, "%s is closed on public holidays, and %s is %s.", r.Name, hd.Date, hd.Name)
		e.Detail = ReasonHoliday
		e.Extra = map[string]any{"holiday": hd}
		return e
	}
	return nil
}

// HolidayOn returns the public holiday of the room's place on the room-local
// date of t, if it has one. A reservation can never cross the room's local
// midnight, so its start's date is the only one to check.
func (r *Room) HolidayOn(t time.Time) (holiday.Holiday, bool) {
	if r.Holidays == nil {
		return holiday.Holiday{}, false
	}
	return holiday.On(*r.Holidays, t.In(r.Location()))
}

// CheckCancel applies the cancel notice: the organizer may cancel until
// CancelNoticeMinutes before the start; managers and admins at any time.
func (r *Room) CheckCancel(p teamspro.Principal, start, now time.Time) error {
	if r.Manages(p) {
		return nil
	}
	if n := r.Rules.CancelNoticeMinutes; n > 0 && now.After(start.Add(-time.Duration(n)*time.Minute)) {
		return ruleError(teamspro.EINVALID, ReasonTooLateCancel, "Reservations of %s are cancelled at least %d minutes before the start.", r.Name, n)
	}
	return nil
}

// Clone returns a deep copy of r, so that callers of a cache never share a
// room.
func (r *Room) Clone() *Room {
	if r == nil {
		return nil
	}
	c := *r
	c.Equipment = slices.Clone(r.Equipment)
	c.Days = slices.Clone(r.Days)
	c.Managers = slices.Clone(r.Managers)
	c.Rules.BookableBy = slices.Clone(r.Rules.BookableBy)
	if r.Hours != nil {
		h := *r.Hours
		c.Hours = &h
	}
	if r.Active != nil {
		a := *r.Active
		c.Active = &a
	}
	if r.Holidays != nil {
		h := *r.Holidays
		c.Holidays = &h
	}
	return &c
}
