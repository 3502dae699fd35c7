package functions

import (
	"fmt"
	"net/http"

	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/teamspro"
)

// calendarRoutes are Calendar Pro's events: the reference contract under
// /api/calendar/v1 (connector routes: a signed-in user or an API key of the
// calendar), and the native routes around it (occurrences, splits, deleted
// events, the ICS feed).
func (s *Server) calendarRoutes() []Route {
	const cal = "/api/calendar/v1/{calendarId}"
	const ev = cal + "/events/{eventId}"
	const occ = ev + "/occurrences/{originalStart}"
	return []Route{
		{"calendar-events", "GET", cal + "/events", Connector, s.handleCalListEvents},
		{"calendar-events", "POST", cal + "/events", Connector, s.handleCalCreateEvent},
		{"calendar-event", "GET", ev, Connector, s.handleCalGetEvent},
		{"calendar-event", "PATCH", ev, Connector, s.handleCalUpdateEvent},
		{"calendar-event", "DELETE", ev, Connector, s.handleCalDeleteEvent},
		{"calendar-occurrence", "PUT", occ, Connector, s.handlePutOccurrence},
		{"calendar-occurrence", "DELETE", occ, Connector, s.handleCancelOccurrence},
		{"calendar-split", "POST", occ + "/split", Connector, s.handleSplitSeries},
		{"calendar-restore", "POST", ev + "/restore", Connector, s.handleRestoreEvent},
		{"calendar-deleted", "GET", cal + "/deleted", Connector, s.handleListDeletedEvents},
		{"calendar-occurrences", "GET", cal + "/occurrences", Connector, s.handleListOccurrences},
		{"calendar-feed", "POST", cal + "/feed", User, s.handleCreateFeed},
		{"calendar-feed", "DELETE", cal + "/feed", User, s.handleRevokeFeed},
		{"feed", "GET", "/api/feeds/{file}", Public, s.handleFeed},
	}
}

// body reads r's JSON body for a service, when the service asks for it.
func (s *Server) body(r *http.Request) teamspro.Body {
	return func(v any) error {
		return teamspro.ReadOver(v, func(v any) error { return decode(r, s.MaxBodyBytes, v) })
	}
}

func writeEvent(w http.ResponseWriter, status int, e calendar.Event) error {
	w.Header().Set("ETag", e.ETag)
	return writeJSON(w, status, e.JSON())
}

// calendarQuery reads the window and filters of an event list: from and to
// (date-times, or dates in the calendar's zone), tag and color
// (repeatable), search (in the title) and address (in the full address).
func calendarQuery(r *http.Request) calendar.Query {
	q := r.URL.Query()
	return calendar.Query{From: q.Get("from"), To: q.Get("to"),
		Filter: calendar.Filter{Tags: q["tag"], Colors: q["color"], Search: q.Get("search"), Address: q.Get("address")}}
}

func occurrencesJSON(occ []calendar.Occurrence) []calendar.EventJSON {
	out := make([]calendar.EventJSON, 0, len(occ))
	for _, o := range occ {
		out = append(out, o.JSON())
	}
	return out
}

func eventsJSON(events []calendar.Event) []calendar.EventJSON {
	out := make([]calendar.EventJSON, 0, len(events))
	for _, e := range events {
		out = append(out, e.JSON())
	}
	return out
}

// handleCalListEvents is the contract's GetAllEvents, a bare array as the
// connector prescribes. Without from and to it lists the events and series
// (a series once, with its rrule, as the original product did) that meet
// the default window, a month back to a year ahead. With from or to it
// lists occurrences, as the native occurrences route does, unpaged.
func (s *Server) handleCalListEvents(w http.ResponseWriter, r *http.Request) error {
	q := calendarQuery(r)
	if q.Bounded() {
		occ, err := s.Calendar.Occurrences(r.Context(), principal(r), r.PathValue("calendarId"), q)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, convertList(occ, (*calendar.Occurrence).JSON))
	}
	events, err := s.Calendar.Events(r.Context(), principal(r), r.PathValue("calendarId"), q)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, convertList(events, (*calendar.Event).JSON))
}

// handleListOccurrences is the native event list of a calendar view: the
// occurrences of [from, to) (to defaults to 31 days after from, from to 31
// days before to, neither to the coming 31 days), a page at a time in order
// of start. Each page reads the window again and resumes after the last
// occurrence of the previous one, so following nextLink gets every
// occurrence of a month even when it spans pages.
func (s *Server) handleListOccurrences(w http.ResponseWriter, r *http.Request) error {
	p, err := readPage(r)
	if err != nil {
		return err
	}
	q := calendarQuery(r)
	q.Externals = true // a view shows the external calendars' events too
	occ, err := s.Calendar.Occurrences(r.Context(), principal(r), r.PathValue("calendarId"), q)
	if err != nil {
		return err
	}
	return writePage(w, r, p, occurrencesJSON(occ), occurrenceKey)
}

// occurrenceKey orders occurrences by start, then event, then original start
// (unique: an occurrence is a series and its original start).
func occurrenceKey(e calendar.EventJSON) string {
	id := e.ID
	if e.SeriesID != "" {
		id = e.SeriesID
	}
	return e.StartDate + " " + id + " " + e.OriginalStart
}

// handleCalCreateEvent is the contract's CreateNewEvent.
func (s *Server) handleCalCreateEvent(w http.ResponseWriter, r *http.Request) error {
	e, err := s.Calendar.Create(r.Context(), principal(r), r.PathValue("calendarId"), s.body(r))
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/calendar/v1/%s/events/%s", e.CalendarID, e.ID))
	return writeEvent(w, http.StatusCreated, e)
}

// handleCalGetEvent is the contract's GetEvent.
func (s *Server) handleCalGetEvent(w http.ResponseWriter, r *http.Request) error {
	e, err := s.Calendar.Get(r.Context(), principal(r), r.PathValue("calendarId"), r.PathValue("eventId"))
	if err != nil {
		return err
	}
	return writeEvent(w, http.StatusOK, e)
}

// handleCalUpdateEvent is the contract's UpdateEvent, a partial update: the
// body's members replace the stored event's (on a series, the whole
// series'). If-Match guards it.
func (s *Server) handleCalUpdateEvent(w http.ResponseWriter, r *http.Request) error {
	e, err := s.Calendar.Update(r.Context(), principal(r), r.PathValue("calendarId"), r.PathValue("eventId"), r.Header.Get("If-Match"), s.body(r))
	if err != nil {
		return err
	}
	return writeEvent(w, http.StatusOK, e)
}

// handleCalDeleteEvent is the contract's DeleteEvent: a soft delete, which
// the restore route undoes until the retention period ends.
func (s *Server) handleCalDeleteEvent(w http.ResponseWriter, r *http.Request) error {
	if err := s.Calendar.Delete(r.Context(), principal(r), r.PathValue("calendarId"), r.PathValue("eventId"), r.Header.Get("If-Match")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handlePutOccurrence changes one occurrence of a series. It answers the
// occurrence, whose ETag guards the next change of it.
func (s *Server) handlePutOccurrence(w http.ResponseWriter, r *http.Request) error {
	x, err := s.Calendar.PutOccurrence(r.Context(), principal(r), r.PathValue("calendarId"), r.PathValue("eventId"),
		r.PathValue("originalStart"), r.Header.Get("If-Match"), s.body(r))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", x.ETag)
	return writeJSON(w, http.StatusOK, x.Occurrence().JSON())
}

// handleCancelOccurrence cancels one occurrence of a series (an EXDATE).
func (s *Server) handleCancelOccurrence(w http.ResponseWriter, r *http.Request) error {
	if err := s.Calendar.CancelOccurrence(r.Context(), principal(r), r.PathValue("calendarId"), r.PathValue("eventId"),
		r.PathValue("originalStart"), r.Header.Get("If-Match")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// splitResponse is the two series of a "this and following" edit.
type splitResponse struct {
	Before calendar.EventJSON `json:"before"`
	After  calendar.EventJSON `json:"after"`
}

// handleSplitSeries is "this and following": the series ends before the
// path's occurrence, and a new series, changed by the body's members,
// starts at it. If-Match guards the series.
func (s *Server) handleSplitSeries(w http.ResponseWriter, r *http.Request) error {
	sp, err := s.Calendar.SplitAt(r.Context(), principal(r), r.PathValue("calendarId"), r.PathValue("eventId"),
		r.PathValue("originalStart"), r.Header.Get("If-Match"), s.body(r))
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/calendar/v1/%s/events/%s", sp.After.CalendarID, sp.After.ID))
	return writeJSON(w, http.StatusCreated, splitResponse{Before: sp.Before.JSON(), After: sp.After.JSON()})
}

// handleRestoreEvent brings back a soft-deleted event, for whom may delete.
func (s *Server) handleRestoreEvent(w http.ResponseWriter, r *http.Request) error {
	e, err := s.Calendar.Restore(r.Context(), principal(r), r.PathValue("calendarId"), r.PathValue("eventId"))
	if err != nil {
		return err
	}
	return writeEvent(w, http.StatusOK, e)
}

// handleListDeletedEvents lists the calendar's soft-deleted events, most
// recently deleted first, for whom may delete (and so restore) them. The
// store cuts the pages (one range query each).
func (s *Server) handleListDeletedEvents(w http.ResponseWriter, r *http.Request) error {
	p, err := readPage(r)
	if err != nil {
		return err
	}
	events, next, err := s.Calendar.Deleted(r.Context(), principal(r), r.PathValue("calendarId"), calendar.Page{Token: p.Store, Limit: p.Top})
	if err != nil {
		return err
	}
	return writeStorePage(w, r, p, eventsJSON(events), next)
}
