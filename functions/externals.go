package functions

import (
	"context"
	"fmt"
	"net/http"

	"github.com/teamspro/functions/internal/calendar"
)

// externalRoutes are the owners' management of a calendar's external
// calendars (calendar.Service); the occurrences route shows their events.
func (s *Server) externalRoutes() []Route {
	const ext = "/api/calendar/v1/{calendarId}/externals"
	return []Route{
		{"calendar-externals", "GET", ext, User, s.handleListExternals},
		{"calendar-externals", "POST", ext, User, s.handleAddExternal},
		{"calendar-external", "DELETE", ext + "/{externalId}", User, s.handleDeleteExternal},
		{"calendar-external-refresh", "POST", ext + "/{externalId}/refresh", User, s.handleRefreshExternal},
	}
}

func (s *Server) handleListExternals(w http.ResponseWriter, r *http.Request) error {
	xs, err := s.Calendar.Externals(r.Context(), principal(r), r.PathValue("calendarId"))
	if err != nil {
		return err
	}
	out := make([]calendar.ExternalJSON, len(xs))
	for i, x := range xs {
		out[i] = x.JSON()
	}
	return writeJSON(w, http.StatusOK, pageOf[calendar.ExternalJSON]{Value: out})
}

// handleAddExternal answers 201 whether or not the first fetch worked: the
// answer's lastError says why it did not.
func (s *Server) handleAddExternal(w http.ResponseWriter, r *http.Request) error {
	x, err := s.Calendar.AddExternal(r.Context(), principal(r), r.PathValue("calendarId"), s.body(r))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/calendar/v1/"+x.CalendarID+"/externals/"+x.ID)
	return writeJSON(w, http.StatusCreated, x.JSON())
}

func (s *Server) handleDeleteExternal(w http.ResponseWriter, r *http.Request) error {
	if err := s.Calendar.RemoveExternal(r.Context(), principal(r), r.PathValue("calendarId"), r.PathValue("externalId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleRefreshExternal answers 200 whether or not the fetch worked
// (lastError): the request did its work, the publisher did not.
func (s *Server) handleRefreshExternal(w http.ResponseWriter, r *http.Request) error {
	x, err := s.Calendar.RefreshExternal(r.Context(), principal(r), r.PathValue("calendarId"), r.PathValue("externalId"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, x.JSON())
}

// handleRefreshExternals is the timer that reads every external calendar
// again; a storage failure fails the run, and the host runs it again.
func (s *Server) handleRefreshExternals(ctx context.Context, inv *Invocation) (InvocationResult, error) {
	var ti TimerInfo
	if err := inv.DecodeData("timer", &ti); err != nil {
		return InvocationResult{}, err
	}
	n, err := s.Calendar.RefreshAllExternals(ctx)
	if err != nil {
		return InvocationResult{}, err
	}
	msg := fmt.Sprintf("external calendars: %d refreshed, %d failed to fetch, %d skipped", n.Refreshed, n.Failed, n.Skipped)
	logger(ctx).Info(msg, "past_due", ti.IsPastDue)
	return InvocationResult{Logs: []string{msg}, ReturnValue: n}, nil
}
