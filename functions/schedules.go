package functions

import (
	"net/http"
	"strings"
)

// scheduleRoutes read many rooms' reservations in one request: the timeline
// of a booking tab and the approvals of a room manager.
func (s *Server) scheduleRoutes() []Route {
	return []Route{
		{"rooms-schedule", "GET", "/api/rooms/schedule", User, s.handleRoomsSchedule},
		{"reservations-pending", "GET", "/api/reservations/pending", User, s.handlePendingReservations},
	}
}

// handleRoomsSchedule answers the reservations holding the rooms named in
// rooms (comma-separated, or the parameter repeated) in [from, to), a page at
// a time in order of start.
func (s *Server) handleRoomsSchedule(w http.ResponseWriter, r *http.Request) error {
	p, err := readPage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var ids []string
	for _, v := range q["rooms"] {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
	}
	rs, err := s.RoomAdmin.Schedules(r.Context(), principal(r), ids, q.Get("from"), q.Get("to"))
	if err != nil {
		return err
	}
	return writePage(w, r, p, rs, reservationKey)
}

// handlePendingReservations answers the reservations that wait for the
// caller's approval, a page at a time in order of start.
func (s *Server) handlePendingReservations(w http.ResponseWriter, r *http.Request) error {
	p, err := readPage(r)
	if err != nil {
		return err
	}
	rs, err := s.Booking.Pending(r.Context(), principal(r))
	if err != nil {
		return err
	}
	return writePage(w, r, p, rs, reservationKey)
}
