package functions

import (
	"fmt"
	"net/http"

	"github.com/teamspro/functions/internal/findtime"
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
	var in findtime.Request
	if err := decode(r, s.MaxBodyBytes, &in); err != nil {
		return err
	}
	a, err := svc.Find(r.Context(), principal(r), &in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

// handleFindTimeBook books a suggested slot in one step through the booking
// tab's normal reservation path. A slot taken meanwhile is a 409 with fresh
// suggestions in extra.suggestions.
func (s *Server) handleFindTimeBook(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.findTimeService()
	if err != nil {
		return err
	}
	var in findtime.BookRequest
	if err := decode(r, s.MaxBodyBytes, &in); err != nil {
		return err
	}
	c, err := svc.Book(r.Context(), principal(r), &in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/bookingroom/v1/%s/events/%s", c.First.CalendarID, c.First.ID))
	w.Header().Set("ETag", c.First.ETag)
	return writeJSON(w, http.StatusCreated, c.First)
}
