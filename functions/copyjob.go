package functions

import (
	"net/http"
)

func (s *Server) copyRoutes() []Route {
	return []Route{
		{"calendar-copy", "POST", "/api/calendar/v1/{calendarId}/copy", User, s.handleCopyCalendar},
		{"job", "GET", "/api/jobs/{jobId}", User, s.handleGetJob},
	}
}

// handleCopyCalendar starts a copy of the path's calendar into another
// calendar tab of the tenant: 202 with the job and its Location. The copy
// runs as steps on the notification queue.
func (s *Server) handleCopyCalendar(w http.ResponseWriter, r *http.Request) error {
	j, err := s.Calendar.Copy(r.Context(), principal(r), r.PathValue("calendarId"), s.body(r))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/jobs/"+j.ID)
	return writeJSON(w, http.StatusAccepted, j)
}

// handleGetJob answers a job's progress to its requester and tenant admins.
func (s *Server) handleGetJob(w http.ResponseWriter, r *http.Request) error {
	j, err := s.Calendar.Job(r.Context(), principal(r), r.PathValue("jobId"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, j)
}
