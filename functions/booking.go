package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/teamspro"
)

// bookingRoutes are reservations: the reference contract of Booking Room Pro
// (a "calendar" is a booking tab, its events are reservations of rooms) and
// the native routes around a reservation's life.
func (s *Server) bookingRoutes() []Route {
	const events = "/api/bookingroom/v1/{calendarId}/events"
	return []Route{
		{"bookingroom-events", "GET", events, Connector, s.handleListEvents},
		{"bookingroom-events", "POST", events, Connector, s.handleCreateEvent},
		{"bookingroom-event", "GET", events + "/{eventId}", Connector, s.handleGetEvent},
		{"bookingroom-event", "PATCH", events + "/{eventId}", Connector, s.handleUpdateEvent},
		{"bookingroom-event", "DELETE", events + "/{eventId}", Connector, s.handleDeleteEvent},
		{"bookingroom-reservations", "GET", "/api/bookingroom/v1/{calendarId}/reservations", Connector, s.handleListTabReservations},
		{"reservations-mine", "GET", "/api/reservations/mine", User, s.handleMyReservations},
		{"reservation", "GET", "/api/reservations/{reservationId}", User, s.handleGetReservation},
		{"reservation-cancel", "POST", "/api/reservations/{reservationId}/cancel", User, s.handleCancelReservation},
		{"reservation-checkin", "POST", "/api/reservations/{reservationId}/checkin", User, s.handleCheckIn},
		{"reservation-approve", "POST", "/api/reservations/{reservationId}/approve", User, s.handleDecide(true)},
		{"reservation-decline", "POST", "/api/reservations/{reservationId}/decline", User, s.handleDecide(false)},
	}
}

// eventResponse is a reservation as the contract's Event, plus, for a series,
// how many occurrences were booked and which were skipped.
type eventResponse struct {
	*booking.Reservation
	Occurrences int                  `json:"occurrences,omitempty"`
	Skipped     []booking.Occurrence `json:"skipped,omitempty"`
	// Horizon is how far an open-ended series was booked.
	Horizon *time.Time `json:"horizon,omitempty"`
}

func writeReservation(w http.ResponseWriter, status int, r *booking.Reservation) error {
	w.Header().Set("ETag", r.ETag)
	return writeJSON(w, status, eventResponse{Reservation: r})
}

// bookingTab returns the booking tab that owns the path's calendar:
// ENOTFOUND for an unknown calendar or one of a calendar (not booking) tab.
func (s *Server) bookingTab(r *http.Request) (*tab.Tab, error) {
	id, err := pathID(r, "calendarId")
	if err != nil {
		return nil, err
	}
	if !principal(r).ReachesCalendar(id) {
		return nil, teamspro.Errorf(teamspro.ENOTFOUND, "The booking calendar does not exist.")
	}
	t, err := s.Tabs.ByCalendar(r.Context(), principal(r).TenantID, id)
	if err != nil {
		if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
			return nil, teamspro.Errorf(teamspro.ENOTFOUND, "The booking calendar does not exist.")
		}
		return nil, err
	}
	if t.Kind != tab.KindBooking {
		return nil, teamspro.Errorf(teamspro.ENOTFOUND, "The booking calendar does not exist.")
	}
	return t, nil
}

// calendarEvent returns the tab and a holding reservation of its calendar.
func (s *Server) calendarEvent(r *http.Request) (*tab.Tab, *booking.Reservation, error) {
	t, err := s.bookingTab(r)
	if err != nil {
		return nil, nil, err
	}
	id, err := pathID(r, "eventId")
	if err != nil {
		return nil, nil, err
	}
	res, err := s.Reservations.Get(r.Context(), principal(r).TenantID, id)
	if err != nil {
		return nil, nil, err
	}
	if res.CalendarID != t.CalendarID || !booking.Holds(res.Status) {
		return nil, nil, teamspro.Errorf(teamspro.ENOTFOUND, "The event does not exist.")
	}
	return t, res, nil
}

// mayChange refuses (EFORBIDDEN) whom booking.MayChange refuses, before a
// handler reads a body; the service applies the same rule again. Every route
// that changes or cancels a reservation asks it, so they all agree: the tab's
// permissions decide who books through it, not who may touch another's
// reservation.
func (s *Server) mayChange(ctx context.Context, p teamspro.Principal, res *booking.Reservation) error {
	room, err := s.Rooms.Get(ctx, p.TenantID, res.RoomID)
	switch {
	case teamspro.ErrorCode(err) == teamspro.ENOTFOUND:
		room = nil
	case err != nil:
		return err
	}
	return booking.MayChange(p, res, room)
}

func checkTabRoom(t *tab.Tab, roomID string) error {
	if len(t.Settings.Rooms) > 0 && !slices.Contains(t.Settings.Rooms, roomID) {
		e := teamspro.Errorf(teamspro.EINVALID, "This booking calendar does not offer room %q.", roomID)
		e.Detail = booking.ReasonRoomNotInTab
		e.Fields = []teamspro.FieldError{{Field: "resourceId", Reason: "not one of the tab's rooms"}}
		return e
	}
	return nil
}

// listWindow reads the optional from/to of a list (default: a week back to
// 90 days ahead; at most 366 days).
func (s *Server) listWindow(r *http.Request, loc *time.Location) (time.Time, time.Time, error) {
	var v teamspro.Validation
	from, to := queryTime(r, "from", loc, &v), queryTime(r, "to", loc, &v)
	now := s.Now().UTC()
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

// holdingReservations returns the booking tab's reservations that hold
// their room in the list window.
func (s *Server) holdingReservations(r *http.Request) ([]*booking.Reservation, error) {
	t, err := s.bookingTab(r)
	if err != nil {
		return nil, err
	}
	from, to, err := s.listWindow(r, zoneOf(t.Settings.TimeZone))
	if err != nil {
		return nil, err
	}
	rs, err := s.Reservations.ByCalendar(r.Context(), t.TenantID, t.CalendarID, from, to)
	if err != nil {
		return nil, err
	}
	out := []*booking.Reservation{}
	for _, res := range rs {
		if booking.Holds(res.Status) {
			out = append(out, res)
		}
	}
	return out, nil
}

// handleListEvents is the contract's GetAllEvents: a bare array, as the
// connector prescribes.
func (s *Server) handleListEvents(w http.ResponseWriter, r *http.Request) error {
	out, err := s.holdingReservations(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleListTabReservations is the native list of a booking tab's
// reservations in a window, a page at a time in order of start.
func (s *Server) handleListTabReservations(w http.ResponseWriter, r *http.Request) error {
	p, err := readPage(r)
	if err != nil {
		return err
	}
	out, err := s.holdingReservations(r)
	if err != nil {
		return err
	}
	return writePage(w, r, p, out, reservationKey)
}

func (s *Server) handleCreateEvent(w http.ResponseWriter, r *http.Request) error {
	t, err := s.bookingTab(r)
	if err != nil {
		return err
	}
	p := principal(r)
	if !t.Allows(p, tab.ActionAdd) {
		return teamspro.Errorf(teamspro.EFORBIDDEN, "This booking calendar does not let you book.")
	}
	var in booking.EventInput
	if err := decode(r, s.MaxBodyBytes, &in); err != nil {
		return err
	}
	if in.TimeZone == "" {
		// The tab's zone, else the room's: what the person booking sees.
		in.TimeZone = t.Settings.TimeZone
		if in.TimeZone == "" && teamspro.ValidID(in.ResourceID) {
			if room, err := s.Rooms.Get(r.Context(), t.TenantID, in.ResourceID); err == nil {
				in.TimeZone = room.TimeZone
			}
		}
	}
	if err := in.Validate(); err != nil {
		return err
	}
	if err := checkTabRoom(t, in.ResourceID); err != nil {
		return err
	}
	c, err := s.Booking.Create(r.Context(), p, t.CalendarID, &in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/bookingroom/v1/%s/events/%s", t.CalendarID, c.First.ID))
	w.Header().Set("ETag", c.First.ETag)
	resp := eventResponse{Reservation: c.First, Skipped: c.Skipped, Horizon: c.Horizon}
	if in.Recurring() {
		resp.Occurrences = len(c.All)
	}
	return writeJSON(w, http.StatusCreated, resp)
}

func (s *Server) handleGetEvent(w http.ResponseWriter, r *http.Request) error {
	_, res, err := s.calendarEvent(r)
	if err != nil {
		return err
	}
	return writeReservation(w, http.StatusOK, res)
}

// reservationPatchBody is the body of a reservation PATCH: the contract's
// input members, and the read-only members of a Reservation as answered, so
// that a client may send back what it read; those are ignored.
type reservationPatchBody struct {
	booking.EventInput
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

// reservationPatch reads a PATCH body with the meaning PATCH has on every
// event of both products: the members sent replace the reservation's
// current values, the others are kept, read-only members are ignored. A
// reservation's recurrence is fixed once booked: sending back the rrule and
// modeRecurrence it has is fine, another one is a field error.
func (s *Server) reservationPatch(r *http.Request, res *booking.Reservation) (*booking.EventInput, error) {
	body := reservationPatchBody{EventInput: booking.EventInput{
		Title: res.Title, Description: res.Description, StartDate: res.Start, EndDate: res.End, Color: res.Color,
		AllDay: res.AllDay, ResourceID: res.RoomID, ResourceName: res.RoomName, ModeRecurrence: res.ModeRecurrence,
		TimeZone: res.TimeZone, Address: res.Address, Tags: res.Tags, Participants: res.Participants,
	}}
	if err := decode(r, s.MaxBodyBytes, &body); err != nil {
		return nil, err
	}
	in := &body.EventInput
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

// handleUpdateEvent is the contract's UpdateEvent on a reservation, a
// partial update (see reservationPatch).
func (s *Server) handleUpdateEvent(w http.ResponseWriter, r *http.Request) error {
	t, res, err := s.calendarEvent(r)
	if err != nil {
		return err
	}
	p := principal(r)
	if err := s.mayChange(r.Context(), p, res); err != nil {
		return err
	}
	in, err := s.reservationPatch(r, res)
	if err != nil {
		return err
	}
	if err := checkTabRoom(t, in.ResourceID); err != nil {
		return err
	}
	in.RRule = nil
	out, err := s.Booking.Update(r.Context(), p, res.ID, r.Header.Get("If-Match"), in)
	if err != nil {
		return err
	}
	return writeReservation(w, http.StatusOK, out)
}

func (s *Server) handleDeleteEvent(w http.ResponseWriter, r *http.Request) error {
	_, res, err := s.calendarEvent(r)
	if err != nil {
		return err
	}
	p := principal(r)
	if err := s.mayChange(r.Context(), p, res); err != nil {
		return err
	}
	if _, err := s.Booking.Cancel(r.Context(), p, res.ID, r.Header.Get("If-Match")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleMyReservations(w http.ResponseWriter, r *http.Request) error {
	pg, err := readPage(r)
	if err != nil {
		return err
	}
	from, to, err := s.listWindow(r, time.UTC)
	if err != nil {
		return err
	}
	p := principal(r)
	rs, err := s.Reservations.ByOrganizer(r.Context(), p.TenantID, teamspro.NormalizeGUID(p.ObjectID), from, to)
	if err != nil {
		return err
	}
	return writePage(w, r, pg, rs, reservationKey)
}

func (s *Server) handleGetReservation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "reservationId")
	if err != nil {
		return err
	}
	res, err := s.Reservations.Get(r.Context(), principal(r).TenantID, id)
	if err != nil {
		return err
	}
	return writeReservation(w, http.StatusOK, res)
}

func (s *Server) handleCancelReservation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "reservationId")
	if err != nil {
		return err
	}
	p := principal(r)
	res, err := s.Reservations.Get(r.Context(), p.TenantID, id)
	if err != nil {
		return err
	}
	if err := s.mayChange(r.Context(), p, res); err != nil {
		return err
	}
	out, err := s.Booking.Cancel(r.Context(), p, id, r.Header.Get("If-Match"))
	if err != nil {
		return err
	}
	return writeReservation(w, http.StatusOK, out)
}

func (s *Server) handleCheckIn(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "reservationId")
	if err != nil {
		return err
	}
	out, err := s.Booking.CheckIn(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	return writeReservation(w, http.StatusOK, out)
}

func (s *Server) handleDecide(approve bool) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "reservationId")
		if err != nil {
			return err
		}
		out, err := s.Booking.Decide(r.Context(), principal(r), id, approve)
		if err != nil {
			return err
		}
		return writeReservation(w, http.StatusOK, out)
	}
}

// releaseLookback is how far back the release timer looks when its last run
// is unknown or recent; releaseMaxLookback bounds it after an outage.
const (
	releaseLookback    = 2 * time.Hour
	releaseMaxLookback = 48 * time.Hour
)

// handleReleaseUnchecked releases, every five minutes, the reservations of
// check-in rooms not checked in by their release time. It reads only the
// hourly deadline partitions since its last run (at least two hours back), so
// its cost does not grow with the data of all tenants. Running it twice, or
// twice at once, releases each reservation once.
func (s *Server) handleReleaseUnchecked(ctx context.Context, inv *Invocation) (InvocationResult, error) {
	var ti TimerInfo
	if err := inv.DecodeData("timer", &ti); err != nil {
		return InvocationResult{}, err
	}
	now := s.Now().UTC()
	from := now.Add(-releaseLookback)
	if ti.ScheduleStatus != nil && !ti.ScheduleStatus.Last.IsZero() && ti.ScheduleStatus.Last.Before(from) {
		from = ti.ScheduleStatus.Last.Add(-10 * time.Minute)
	}
	if from.Before(now.Add(-releaseMaxLookback)) {
		from = now.Add(-releaseMaxLookback)
	}
	n, err := s.Booking.ReleaseUnchecked(ctx, from)
	if err != nil {
		return InvocationResult{}, err
	}
	msg := fmt.Sprintf("released %d reservations not checked in", n)
	logger(ctx).Info(msg, "past_due", ti.IsPastDue)
	return InvocationResult{Logs: []string{msg}, ReturnValue: map[string]int{"released": n}}, nil
}

// handleRepairBookings finishes or undoes, every three minutes, the changes
// of reservations that a dead instance or a storage failure left unfinished
// (see docs/booking.md, "Writes that span partitions"). It is idempotent and
// safe to run concurrently with requests and with itself.
func (s *Server) handleRepairBookings(ctx context.Context, inv *Invocation) (InvocationResult, error) {
	n, err := s.Booking.Repair(ctx)
	if err != nil {
		return InvocationResult{}, err
	}
	msg := fmt.Sprintf("repaired %d unfinished reservation changes", n)
	logger(ctx).Info(msg)
	return InvocationResult{Logs: []string{msg}, ReturnValue: map[string]int{"repaired": n}}, nil
}
