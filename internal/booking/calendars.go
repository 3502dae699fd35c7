package booking

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/teamspro"
)

// Tabs finds the tab that owns a booking calendar: the rooms it offers, its
// zone, and who may book through it. tab.Store is one.
type Tabs interface {
	// ByCalendar returns the live tab owning the calendar; ENOTFOUND if none.
	ByCalendar(ctx context.Context, tenantID, calendarID string) (*tab.Tab, error)
}

// Calendars is Booking Room Pro as its routes see it: a booking tab's
// calendar, whose events are reservations of rooms, and a user's own
// reservations. It applies the rules of booking tabs (who books through a
// tab, which rooms it offers, its zone, the window of its lists, what a
// change may send) over the Service, which applies the rules of rooms.
type Calendars struct {
	svc  *Service
	tabs Tabs
}

// NewCalendars returns the booking calendars of svc's reservations, whose
// tabs tabs finds.
func NewCalendars(svc *Service, tabs Tabs) (*Calendars, error) {
	if svc == nil || tabs == nil {
		return nil, errors.New("booking: a service and a tab store are required")
	}
	return &Calendars{svc: svc, tabs: tabs}, nil
}

func noBookingCalendar() error {
	return teamspro.Errorf(teamspro.ENOTFOUND, "The booking calendar does not exist.")
}

// Tab returns the booking tab that owns calendarID: ENOTFOUND for an
// unknown calendar, one an API key was not made for, or a calendar (not
// booking) tab's; EINVALID for a malformed id.
func (c *Calendars) Tab(ctx context.Context, p teamspro.Principal, calendarID string) (*tab.Tab, error) {
	if err := checkID("calendarId", calendarID); err != nil {
		return nil, err
	}
	if !p.ReachesCalendar(calendarID) {
		return nil, noBookingCalendar()
	}
	t, err := c.tabs.ByCalendar(ctx, p.TenantID, calendarID)
	if err != nil {
		if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
			return nil, noBookingCalendar()
		}
		return nil, err
	}
	if t.Kind != tab.KindBooking {
		return nil, noBookingCalendar()
	}
	return t, nil
}

// checkID refuses an identifier that cannot be a storage key.
func checkID(field, id string) error {
	if !teamspro.ValidID(id) {
		e := teamspro.Errorf(teamspro.EINVALID, "The %s in the path is not a valid identifier.", field)
		e.Fields = []teamspro.FieldError{{Field: field, Reason: "letters, digits and . _ : @ - only, at most 128"}}
		return e
	}
	return nil
}

// event returns the tab and a reservation of its calendar that holds its
// room; ENOTFOUND for any other.
func (c *Calendars) event(ctx context.Context, p teamspro.Principal, calendarID, eventID string) (*tab.Tab, *Reservation, error) {
	t, err := c.Tab(ctx, p, calendarID)
	if err != nil {
		return nil, nil, err
	}
	if err := checkID("eventId", eventID); err != nil {
		return nil, nil, err
	}
	res, err := c.svc.Reservations.Get(ctx, p.TenantID, eventID)
	if err != nil {
		return nil, nil, err
	}
	if res.CalendarID != t.CalendarID || !Holds(res.Status) {
		return nil, nil, teamspro.Errorf(teamspro.ENOTFOUND, "The event does not exist.")
	}
	return t, res, nil
}

// mayChange refuses (EFORBIDDEN) whom MayChange refuses, before a body is
// read; the Service applies the same rule again. Every change or
// cancellation asks it, so they all agree: the tab's permissions decide who
// books through it, not who may touch another's reservation.
func (c *Calendars) mayChange(ctx context.Context, p teamspro.Principal, res *Reservation) error {
	room, err := c.svc.Rooms.Get(ctx, p.TenantID, res.RoomID)
	switch {
	case teamspro.ErrorCode(err) == teamspro.ENOTFOUND:
		room = nil
	case err != nil:
		return err
	}
	return MayChange(p, res, room)
}

func checkTabRoom(t *tab.Tab, roomID string) error {
	if len(t.Settings.Rooms) > 0 && !slices.Contains(t.Settings.Rooms, roomID) {
		e := teamspro.Errorf(teamspro.EINVALID, "This booking calendar does not offer room %q.", roomID)
		e.Detail = ReasonRoomNotInTab
		e.Fields = []teamspro.FieldError{{Field: "resourceId", Reason: "not one of the tab's rooms"}}
		return e
	}
	return nil
}

// listWindow reads the optional from and to of a list, date-times or dates
// in loc (default: a week back to 90 days ahead; at most 366 days).
func (c *Calendars) listWindow(fromS, toS string, loc *time.Location) (time.Time, time.Time, error) {
	var v teamspro.Validation
	from, to := v.TimeOrDate("from", fromS, loc), v.TimeOrDate("to", toS, loc)
	now := c.svc.Now().UTC()
	if from.IsZero() {
		from = now.AddDate(0, 0, -7)
	}
	if to.IsZero() {
		to = from.AddDate(0, 0, 97)
	}
	v.Check(to.After(from), "to", "must be after from")
	v.Check(to.Sub(from) <= 366*24*time.Hour, "to", "the window is at most 366 days")
	return from, to, v.Err()
}

// List returns the booking calendar's reservations that hold their room in
// [from, to) (see listWindow; dates in the tab's zone).
func (c *Calendars) List(ctx context.Context, p teamspro.Principal, calendarID, from, to string) ([]*Reservation, error) {
	t, err := c.Tab(ctx, p, calendarID)
	if err != nil {
		return nil, err
	}
	f, u, err := c.listWindow(from, to, teamspro.ZoneOf(t.Settings.TimeZone))
	if err != nil {
		return nil, err
	}
	rs, err := c.svc.Reservations.ByCalendar(ctx, t.TenantID, t.CalendarID, f, u)
	if err != nil {
		return nil, err
	}
	out := []*Reservation{}
	for _, res := range rs {
		if Holds(res.Status) {
			out = append(out, res)
		}
	}
	return out, nil
}

// Mine returns p's own reservations in [from, to) (see listWindow; dates in
// UTC).
func (c *Calendars) Mine(ctx context.Context, p teamspro.Principal, from, to string) ([]*Reservation, error) {
	f, u, err := c.listWindow(from, to, time.UTC)
	if err != nil {
		return nil, err
	}
	return c.svc.Reservations.ByOrganizer(ctx, p.TenantID, teamspro.NormalizeGUID(p.ObjectID), f, u)
}

// Create books what body gives through the booking calendar, for whom its
// tab lets book (EFORBIDDEN otherwise), in one of the rooms it offers. An
// input without a zone takes the tab's, else the room's: what the person
// booking sees. series reports whether the input was recurring. Errors as
// Service.Create.
func (c *Calendars) Create(ctx context.Context, p teamspro.Principal, calendarID string, body teamspro.Body) (created *Created, series bool, err error) {
	t, err := c.Tab(ctx, p, calendarID)
	if err != nil {
		return nil, false, err
	}
	if !t.Allows(p, tab.ActionAdd) {
		return nil, false, teamspro.Errorf(teamspro.EFORBIDDEN, "This booking calendar does not let you book.")
	}
	var in EventInput
	if err := body(&in); err != nil {
		return nil, false, err
	}
	if in.TimeZone == "" {
		in.TimeZone = t.Settings.TimeZone
		if in.TimeZone == "" && teamspro.ValidID(in.ResourceID) {
			if room, err := c.svc.Rooms.Get(ctx, t.TenantID, in.ResourceID); err == nil {
				in.TimeZone = room.TimeZone
			}
		}
	}
	if err := in.Validate(); err != nil {
		return nil, false, err
	}
	if err := checkTabRoom(t, in.ResourceID); err != nil {
		return nil, false, err
	}
	created, err = c.svc.Create(ctx, p, t.CalendarID, &in)
	return created, in.Recurring(), err
}

// Get returns a reservation of the booking calendar that holds its room.
func (c *Calendars) Get(ctx context.Context, p teamspro.Principal, calendarID, eventID string) (*Reservation, error) {
	_, res, err := c.event(ctx, p, calendarID, eventID)
	return res, err
}

// patchBody is the body of a reservation PATCH: the contract's input
// members, and the read-only members of a Reservation as answered, so that
// a client may send back what it read; those are ignored.
type patchBody struct {
	EventInput
	SeriesID      json.RawMessage `json:"seriesId"`
	Status        json.RawMessage `json:"status"`
	Organizer     json.RawMessage `json:"organizer"`
	OrganizerName json.RawMessage `json:"organizerName"`
	CheckInBy     json.RawMessage `json:"checkInBy"`
	CheckedInAt   json.RawMessage `json:"checkedInAt"`
	CreatedAt     json.RawMessage `json:"createdAt"`
	UpdatedAt     json.RawMessage `json:"updatedAt"`
	ETag          json.RawMessage `json:"etag"`
}

// patch reads a PATCH body with the meaning PATCH has on every event of
// both products: the members sent replace the reservation's current values,
// the others are kept, read-only members are ignored. A reservation's
// recurrence is fixed once booked: sending back the rrule and
// modeRecurrence it has is fine, another one is a field error.
func patch(body teamspro.Body, res *Reservation) (*EventInput, error) {
	b := patchBody{EventInput: EventInput{
		Title: res.Title, Description: res.Description, StartDate: res.Start, EndDate: res.End, Color: res.Color,
		AllDay: res.AllDay, ResourceID: res.RoomID, ResourceName: res.RoomName, ModeRecurrence: res.ModeRecurrence,
		TimeZone: res.TimeZone, Address: res.Address, Tags: res.Tags, Participants: res.Participants,
	}}
	if err := body(&b); err != nil {
		return nil, err
	}
	in := &b.EventInput
	if in.RRule != nil {
		sent, _ := json.Marshal(in.RRule)
		have, _ := json.Marshal(res.RRule)
		if res.RRule == nil || !bytes.Equal(sent, have) {
			e := teamspro.Errorf(teamspro.EINVALID, "A reservation's recurrence cannot be changed; book a new series.")
			e.Fields = []teamspro.FieldError{{Field: "rrule", Reason: "cannot change"}}
			return nil, e
		}
		in.RRule = nil // as booked
	}
	if in.ModeRecurrence != res.ModeRecurrence && (in.Recurring() || res.SeriesID != "") {
		e := teamspro.Errorf(teamspro.EINVALID, "A reservation's recurrence cannot be changed; book a new series.")
		e.Fields = []teamspro.FieldError{{Field: "modeRecurrence", Reason: "cannot change"}}
		return nil, e
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	return in, nil
}

// Update changes a reservation of the booking calendar by body's members
// (see patch), if its ETag is ifMatch, for its organizer, its room's
// managers and tenant admins. Errors as Service.Update.
func (c *Calendars) Update(ctx context.Context, p teamspro.Principal, calendarID, eventID, ifMatch string, body teamspro.Body) (*Reservation, error) {
	t, res, err := c.event(ctx, p, calendarID, eventID)
	if err != nil {
		return nil, err
	}
	if err := c.mayChange(ctx, p, res); err != nil {
		return nil, err
	}
	in, err := patch(body, res)
	if err != nil {
		return nil, err
	}
	if err := checkTabRoom(t, in.ResourceID); err != nil {
		return nil, err
	}
	in.RRule = nil
	return c.svc.Update(ctx, p, res.ID, ifMatch, in)
}

// Cancel cancels a reservation of the booking calendar, if its ETag is
// ifMatch, for whom may change it.
func (c *Calendars) Cancel(ctx context.Context, p teamspro.Principal, calendarID, eventID, ifMatch string) error {
	_, res, err := c.event(ctx, p, calendarID, eventID)
	if err != nil {
		return err
	}
	if err := c.mayChange(ctx, p, res); err != nil {
		return err
	}
	_, err = c.svc.Cancel(ctx, p, res.ID, ifMatch)
	return err
}

// Reservation returns one of the tenant's reservations, whatever its
// status; ENOTFOUND if there is none.
func (c *Calendars) Reservation(ctx context.Context, p teamspro.Principal, id string) (*Reservation, error) {
	return c.svc.Reservations.Get(ctx, p.TenantID, id)
}

// CancelReservation cancels one of the tenant's reservations, if its ETag
// is ifMatch, for whom may change it, and returns it as cancelled.
func (c *Calendars) CancelReservation(ctx context.Context, p teamspro.Principal, id, ifMatch string) (*Reservation, error) {
	res, err := c.svc.Reservations.Get(ctx, p.TenantID, id)
	if err != nil {
		return nil, err
	}
	if err := c.mayChange(ctx, p, res); err != nil {
		return nil, err
	}
	return c.svc.Cancel(ctx, p, id, ifMatch)
}
