package functions

import (
	"context"
	"fmt"
	"net/http"

	"github.com/teamspro/functions/internal/findtime"
	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/teamspro"
)

// findTimeRoutes are "find a time": the earliest slots when people (and a
// room) are free together, and the booking of one in a single request.
func (s *Server) findTimeRoutes() []Route {
	return []Route{
		{"findtime", "POST", "/api/findtime", User, s.handleFindTime},
		{"findtime-book", "POST", "/api/findtime/book", User, s.handleFindTimeBook},
	}
}

// findBody is a search: the request, and optionally the booking tab whose
// rooms it may offer.
type findBody struct {
	findtime.Request
	CalendarID string `json:"calendarId,omitempty"`
}

// bookBody books a suggested slot through a booking tab.
type bookBody struct {
	findtime.BookRequest
	CalendarID string `json:"calendarId"`
}

// findOptions narrows a search to a booking tab's rooms, when one is named.
func (s *Server) findOptions(ctx context.Context, p teamspro.Principal, calendarID string) (*tab.Tab, findtime.Options, error) {
	if calendarID == "" {
		return nil, findtime.Options{}, nil
	}
	notFound := func() error {
		e := teamspro.Errorf(teamspro.ENOTFOUND, "The booking calendar does not exist.")
		e.Fields = []teamspro.FieldError{{Field: "calendarId", Reason: "unknown booking calendar"}}
		return e
	}
	if !teamspro.ValidID(calendarID) {
		return nil, findtime.Options{}, notFound()
	}
	t, err := s.Tabs.ByCalendar(ctx, p.TenantID, calendarID)
	switch {
	case teamspro.ErrorCode(err) == teamspro.ENOTFOUND:
		return nil, findtime.Options{}, notFound()
	case err != nil:
		return nil, findtime.Options{}, err
	case t.Kind != tab.KindBooking:
		return nil, findtime.Options{}, notFound()
	}
	return t, findtime.Options{OnlyRooms: t.Settings.Rooms}, nil
}

func (s *Server) findTimeService() (*findtime.Service, error) {
	if s.FindTime == nil {
		return nil, teamspro.Errorf(teamspro.EUNAVAILABLE, "Find a time is not configured.")
	}
	return s.FindTime, nil
}

// handleFindTime answers the earliest free slots, or why there is none.
func (s *Server) handleFindTime(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.findTimeService()
	if err != nil {
		return err
	}
	var in findBody
	if err := decode(r, s.MaxBodyBytes, &in); err != nil {
		return err
	}
	p := principal(r)
	_, opt, err := s.findOptions(r.Context(), p, in.CalendarID)
	if err != nil {
		return err
	}
	a, err := svc.Find(r.Context(), p, &in.Request, opt)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

// handleFindTimeBook books a suggested slot in one step, through the booking
// tab's normal reservation path: its add right, its rooms, the room's rules
// and the guarded batch. A slot taken meanwhile is a 409 with fresh
// suggestions in extra.suggestions.
func (s *Server) handleFindTimeBook(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.findTimeService()
	if err != nil {
		return err
	}
	var in bookBody
	if err := decode(r, s.MaxBodyBytes, &in); err != nil {
		return err
	}
	p := principal(r)
	if in.CalendarID == "" {
		e := teamspro.Errorf(teamspro.EINVALID, "Name the booking calendar to book through.")
		e.Fields = []teamspro.FieldError{{Field: "calendarId", Reason: "is required"}}
		return e
	}
	t, opt, err := s.findOptions(r.Context(), p, in.CalendarID)
	if err != nil {
		return err
	}
	if !t.Allows(p, tab.ActionAdd) {
		return teamspro.Errorf(teamspro.EFORBIDDEN, "This booking calendar does not let you book.")
	}
	if in.RoomID != "" {
		if err := checkTabRoom(t, in.RoomID); err != nil {
			return err
		}
	}
	c, err := svc.Book(r.Context(), p, t.CalendarID, &in.BookRequest, opt)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/bookingroom/v1/%s/events/%s", t.CalendarID, c.First.ID))
	w.Header().Set("ETag", c.First.ETag)
	return writeJSON(w, http.StatusCreated, eventResponse{Reservation: c.First})
}
