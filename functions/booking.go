package functions

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/teamspro/functions/internal/booking"
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

// handleListEvents is the contract's GetAllEvents: a bare array, as the
// connector prescribes.
func (s *Server) handleListEvents(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	out, err := s.Bookings.List(r.Context(), principal(r), r.PathValue("calendarId"), q.Get("from"), q.Get("to"))
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
	q := r.URL.Query()
	out, err := s.Bookings.List(r.Context(), principal(r), r.PathValue("calendarId"), q.Get("from"), q.Get("to"))
	if err != nil {
		return err
	}
	return writePage(w, r, p, out, reservationKey)
}

func (s *Server) handleCreateEvent(w http.ResponseWriter, r *http.Request) error {
	c, series, err := s.Bookings.Create(r.Context(), principal(r), r.PathValue("calendarId"), s.body(r))
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/bookingroom/v1/%s/events/%s", c.First.CalendarID, c.First.ID))
	w.Header().Set("ETag", c.First.ETag)
	resp := eventResponse{Reservation: c.First, Skipped: c.Skipped, Horizon: c.Horizon}
	if series {
		resp.Occurrences = len(c.All)
	}
	return writeJSON(w, http.StatusCreated, resp)
}

func (s *Server) handleGetEvent(w http.ResponseWriter, r *http.Request) error {
	res, err := s.Bookings.Get(r.Context(), principal(r), r.PathValue("calendarId"), r.PathValue("eventId"))
	if err != nil {
		return err
	}
	return writeReservation(w, http.StatusOK, res)
}

// handleUpdateEvent is the contract's UpdateEvent on a reservation, a
// partial update: the members sent replace the current ones.
func (s *Server) handleUpdateEvent(w http.ResponseWriter, r *http.Request) error {
	out, err := s.Bookings.Update(r.Context(), principal(r), r.PathValue("calendarId"), r.PathValue("eventId"), r.Header.Get("If-Match"), s.body(r))
	if err != nil {
		return err
	}
	return writeReservation(w, http.StatusOK, out)
}

func (s *Server) handleDeleteEvent(w http.ResponseWriter, r *http.Request) error {
	if err := s.Bookings.Cancel(r.Context(), principal(r), r.PathValue("calendarId"), r.PathValue("eventId"), r.Header.Get("If-Match")); err != nil {
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
	q := r.URL.Query()
	rs, err := s.Bookings.Mine(r.Context(), principal(r), q.Get("from"), q.Get("to"))
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
	res, err := s.Bookings.Reservation(r.Context(), principal(r), id)
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
	out, err := s.Bookings.CancelReservation(r.Context(), principal(r), id, r.Header.Get("If-Match"))
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
	var last time.Time
	if ti.ScheduleStatus != nil {
		last = ti.ScheduleStatus.Last
	}
	n, err := s.Booking.ReleaseSince(ctx, last)
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
//
// Then, until it is done, it takes the busy index's backfill a step further
// (BackfillBudget items a run): the repair first, so that the operations a
// dead instance left are finished and the backfill does not wait for them.
func (s *Server) handleRepairBookings(ctx context.Context, inv *Invocation) (InvocationResult, error) {
	n, err := s.Booking.Repair(ctx)
	if err != nil {
		return InvocationResult{}, err
	}
	msg := fmt.Sprintf("repaired %d unfinished reservation changes", n)
	logger(ctx).Info(msg)
	ret := map[string]any{"repaired": n}
	logs := []string{msg}
	if s.Backfill != nil {
		rep, err := s.Backfill.Backfill(ctx, BackfillBudget)
		if err != nil {
			return InvocationResult{}, err
		}
		if rep.Items > 0 || rep.Tenants > 0 {
			msg := fmt.Sprintf("busy index backfill: %d items, %d organizations finished, done %v", rep.Items, rep.Tenants, rep.Done)
			logger(ctx).Info(msg)
			logs = append(logs, msg)
		}
		ret["backfill"] = rep
	}
	return InvocationResult{Logs: logs, ReturnValue: ret}, nil
}

// BackfillBudget bounds the busy index backfill's work in one run of the
// repair timer: events and reservations handed to the index (each a few
// storage calls).
const BackfillBudget = 300
