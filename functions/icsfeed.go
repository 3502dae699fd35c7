package functions

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/teamspro/functions/internal/ical"
	"github.com/teamspro/functions/internal/teamspro"
)

// createdFeed is the answer to a feed's creation: the only time its token
// is shown.
type createdFeed struct {
	Token string `json:"token"`
	Path  string `json:"path"`
	URL   string `json:"url"`
}

// handleCreateFeed publishes (or rotates) the calendar's ICS feed at a new
// unguessable URL; only the tab's owners and tenant admins may.
func (s *Server) handleCreateFeed(w http.ResponseWriter, r *http.Request) error {
	token, err := s.Calendar.PublishFeed(r.Context(), principal(r), r.PathValue("calendarId"))
	if err != nil {
		return err
	}
	path := "/api/feeds/" + token + ".ics"
	return writeJSON(w, http.StatusCreated, createdFeed{Token: token, Path: path, URL: s.PublicOrigin + path})
}

// handleRevokeFeed unpublishes the calendar's feed.
func (s *Server) handleRevokeFeed(w http.ResponseWriter, r *http.Request) error {
	if err := s.Calendar.RevokeFeed(r.Context(), principal(r), r.PathValue("calendarId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleFeed serves a calendar's ICS feed to whoever holds its token:
// series with their RRULE, EXDATEs and changed occurrences (RECURRENCE-ID),
// times in their zone with VTIMEZONEs. An unknown, rotated or revoked
// token, and the feed of a deleted tab, are 404.
func (s *Server) handleFeed(w http.ResponseWriter, r *http.Request) error {
	token, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
	if !ok {
		return teamspro.Errorf(teamspro.ENOTFOUND, "No such feed.")
	}
	f, err := s.Calendar.Feed(r.Context(), token)
	if err != nil {
		return err
	}
	cal := ical.Calendar{Method: ical.Publish, Name: f.Name, Stamp: f.Stamp}
	for _, e := range f.Events {
		cal.Events = append(cal.Events, ical.FromEvent(e, f.Exceptions[e.ID])...)
	}
	var buf bytes.Buffer
	if err := ical.Encode(&buf, cal); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(buf.Bytes())
	return err
}
