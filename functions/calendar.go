package functions

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/teamspro"
)

// EventStore is what the Calendar Pro routes need from storage: the domain
// store, plus one series' exceptions (edits of a series reconcile them) and
// the purge of every tenant's old deletions (the daily timer).
type EventStore interface {
	calendar.Store
	// Exceptions returns the exceptions of one series (none if it has none).
	Exceptions(ctx context.Context, tenantID, calendarID, seriesID string) ([]calendar.Exception, error)
	// PurgeAllDeleted is Store.PurgeDeleted for every tenant at once.
	PurgeAllDeleted(ctx context.Context, olderThan time.Time) (int, error)
}

// record returns the outgoing records of changes of t's events, for the
// store to write in the batch that makes them (the transactional outbox);
// none without a dispatcher. announce hands them to the dispatcher once they
// are stored, which announces them after the answer.
func (s *Server) record(ctx context.Context, t *tab.Tab, cs ...calendar.Change) ([]calendar.Outgoing, error) {
	if s.Dispatcher == nil {
		return nil, nil
	}
	var out []calendar.Outgoing
	for _, c := range cs {
		c.By = principalOf(ctx)
		o, err := s.Dispatcher.RecordEvent(t, c)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

func (s *Server) announce(ctx context.Context, out []calendar.Outgoing) {
	if s.Dispatcher != nil {
		s.Dispatcher.Announce(ctx, out...)
	}
}

// occurrenceSequence is the SEQUENCE of a change of one occurrence: above the
// series' and above the occurrence's own earlier change, so that calendars
// apply it over both.
func occurrenceSequence(series calendar.Event, xs []calendar.Exception, originalStart time.Time) int {
	seq := series.Sequence
	for _, x := range xs {
		if x.OriginalStart.Equal(originalStart) && x.Override != nil {
			seq = max(seq, x.Override.Sequence)
		}
	}
	return seq + 1
}

func principalOf(ctx context.Context) teamspro.Principal {
	p, _ := teamspro.FromContext(ctx)
	return p
}

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

func noCalendar() error { return teamspro.Errorf(teamspro.ENOTFOUND, "The calendar does not exist.") }

// calendarTab returns the calendar tab owning the path's calendar. A
// calendar an API key was not made for, another tenant's, a deleted tab's
// and a booking tab's are all ENOTFOUND: a caller learns nothing of them.
func (s *Server) calendarTab(r *http.Request) (*tab.Tab, error) {
	id, err := pathID(r, "calendarId")
	if err != nil {
		return nil, err
	}
	p := principal(r)
	if !p.ReachesCalendar(id) {
		return nil, noCalendar()
	}
	t, err := s.Tabs.ByCalendar(r.Context(), p.TenantID, id)
	if err != nil {
		if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
			return nil, noCalendar()
		}
		return nil, err
	}
	if t.Kind != tab.KindCalendar {
		return nil, noCalendar()
	}
	return t, nil
}

// mayEdit reports whether p may do a to the tab's events: what the tab
// allows a user; an API key acts with add, modify and delete rights on the
// calendars it was made for (calendarTab checked it reaches this one).
func mayEdit(p teamspro.Principal, t *tab.Tab, a tab.Action) bool {
	if p.APIKeyID != "" {
		return p.ReachesCalendar(t.CalendarID)
	}
	return t.Allows(p, a)
}

var actionWords = map[tab.Action]string{tab.ActionAdd: "add", tab.ActionModify: "change", tab.ActionDelete: "delete"}

// editableTab is calendarTab plus the permission check of a.
func (s *Server) editableTab(r *http.Request, a tab.Action) (*tab.Tab, error) {
	t, err := s.calendarTab(r)
	if err != nil {
		return nil, err
	}
	if !mayEdit(principal(r), t, a) {
		return nil, teamspro.Errorf(teamspro.EFORBIDDEN, "This calendar does not let you %s events.", actionWords[a])
	}
	return t, nil
}

// calEvent returns the tab (permission a checked) and the path's live event.
func (s *Server) calEvent(r *http.Request, a tab.Action) (*tab.Tab, calendar.Event, error) {
	t, err := s.calendarTab(r)
	if err != nil {
		return nil, calendar.Event{}, err
	}
	id, err := pathID(r, "eventId")
	if err != nil {
		return nil, calendar.Event{}, err
	}
	e, err := s.Events.Get(r.Context(), t.TenantID, t.CalendarID, id)
	if err != nil {
		return nil, calendar.Event{}, err
	}
	if a >= 0 && !mayEdit(principal(r), t, a) {
		return nil, calendar.Event{}, teamspro.Errorf(teamspro.EFORBIDDEN, "This calendar does not let you %s events.", actionWords[a])
	}
	return t, e, nil
}

// readOnly asks calEvent for no permission beyond reaching the calendar.
const readOnly tab.Action = -1

func writeEvent(w http.ResponseWriter, status int, e calendar.Event) error {
	w.Header().Set("ETag", e.ETag)
	return writeJSON(w, status, e.JSON())
}

// actor names who made a change: the user's object id, or the API key.
func actor(p teamspro.Principal) string {
	if p.APIKeyID != "" {
		return "apikey:" + p.APIKeyID
	}
	return p.ObjectID
}

// The list's window when the query gives none: a month back, a year ahead.
const (
	defaultListBack  = 31 * 24 * time.Hour
	defaultListAhead = 365 * 24 * time.Hour
	defaultExpandLen = 31 * 24 * time.Hour
)

// calendarWindow reads the window and filters of an event list: from and to
// (date-times, or dates in the tab's zone)
// (the other defaults to 31 days away; neither: the default window, a month
// back to a year ahead, and expand is false), tag and color (repeatable),
// search (in the title) and address (in the full address).
func (s *Server) calendarWindow(r *http.Request, t *tab.Tab) (from, to time.Time, f calendar.Filter, expand bool, err error) {
	q := r.URL.Query()
	var v teamspro.Validation
	loc := zoneOf(t.Settings.TimeZone)
	from, to = queryTime(r, "from", loc, &v), queryTime(r, "to", loc, &v)
	if err := v.Err(); err != nil {
		return from, to, f, false, err
	}
	f = calendar.Filter{Tags: q["tag"], Colors: q["color"], Search: q.Get("search"), Address: q.Get("address")}
	expand = !from.IsZero() || !to.IsZero()
	switch {
	case !expand:
		now := s.Now().UTC()
		from, to = now.Add(-defaultListBack), now.Add(defaultListAhead)
	case from.IsZero():
		from = to.Add(-defaultExpandLen)
	case to.IsZero():
		to = from.Add(defaultExpandLen)
	}
	if !to.After(from) || to.Sub(from) > calendar.MaxWindow {
		e := teamspro.Errorf(teamspro.EINVALID, "The window must end after it starts and span at most %d days.", int(calendar.MaxWindow.Hours()/24))
		e.Fields = []teamspro.FieldError{{Field: "to", Reason: "after from, at most 400 days later"}}
		return from, to, f, expand, e
	}
	return from, to, f, expand, nil
}

// occurrencesIn returns the occurrences of the tab's events in [from, to)
// that pass f: every series expanded in its zone, each occurrence with its
// seriesId and originalStart.
func (s *Server) occurrencesIn(r *http.Request, t *tab.Tab, from, to time.Time, f calendar.Filter) ([]calendar.EventJSON, error) {
	win, err := s.Events.ListWindow(r.Context(), t.TenantID, t.CalendarID, from, to)
	if err != nil {
		return nil, err
	}
	occ, err := calendar.Expand(win.Events, win.Exceptions, from, to)
	if err != nil {
		return nil, err
	}
	out := []calendar.EventJSON{}
	for _, o := range calendar.FilterOccurrences(occ, f) {
		out = append(out, o.JSON())
	}
	return out, nil
}

// handleCalListEvents is the contract's GetAllEvents, a bare array as the
// connector prescribes. Without from and to it lists the events and series
// (a series once, with its rrule, as the original product did) that meet
// the default window, a month back to a year ahead. With from or to it
// lists occurrences, as the native occurrences route does, unpaged.
func (s *Server) handleCalListEvents(w http.ResponseWriter, r *http.Request) error {
	t, err := s.calendarTab(r)
	if err != nil {
		return err
	}
	from, to, f, expand, err := s.calendarWindow(r, t)
	if err != nil {
		return err
	}
	if expand {
		out, err := s.occurrencesIn(r, t, from, to, f)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, out)
	}
	win, err := s.Events.ListWindow(r.Context(), t.TenantID, t.CalendarID, from, to)
	if err != nil {
		return err
	}
	var list []calendar.Event
	for _, e := range calendar.FilterEvents(win.Events, f) {
		if e.Rule != nil {
			// A series meets the window when it starts before its end and
			// its UNTIL (if any) is not before its start.
			if e.Start.Before(to) && (e.Rule.Until.IsZero() || !e.Rule.Until.Before(from)) {
				list = append(list, e)
			}
			continue
		}
		if occ, err := calendar.Occurrences(e, nil, from, to); err == nil && len(occ) > 0 {
			list = append(list, e)
		}
	}
	slices.SortStableFunc(list, func(a, b calendar.Event) int { return a.Start.Compare(b.Start) })
	out := []calendar.EventJSON{}
	for _, e := range list {
		out = append(out, e.JSON())
	}
	return writeJSON(w, http.StatusOK, out)
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
	t, err := s.calendarTab(r)
	if err != nil {
		return err
	}
	from, to, f, expand, err := s.calendarWindow(r, t)
	if err != nil {
		return err
	}
	if !expand {
		from = s.Now().UTC()
		to = from.Add(defaultExpandLen)
	}
	out, err := s.occurrencesIn(r, t, from, to, f)
	if err != nil {
		return err
	}
	ext, err := s.externalOccurrences(r.Context(), t, from, to, f)
	if err != nil {
		return err
	}
	return writePage(w, r, p, append(out, ext...), occurrenceKey)
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
	t, err := s.editableTab(r, tab.ActionAdd)
	if err != nil {
		return err
	}
	var in calendar.EventInput
	if err := decode(r, s.MaxBodyBytes, &in); err != nil {
		return err
	}
	if in.TimeZone == "" {
		in.TimeZone = t.Settings.TimeZone // the tab's zone, as the tab shows it
	}
	e, err := in.ToEvent()
	if err != nil {
		return err
	}
	now := s.Now().UTC()
	e.ID, e.CalendarID = uuid.NewString(), t.CalendarID
	e.CreatedBy, e.CreatedAt, e.UpdatedAt = actor(principal(r)), now, now
	rec, err := s.record(r.Context(), t, calendar.Change{Kind: calendar.ChangeCreated, After: &e})
	if err != nil {
		return err
	}
	out, err := s.Events.Create(r.Context(), t.TenantID, e, rec...)
	if err != nil {
		return err
	}
	s.announce(r.Context(), rec)
	w.Header().Set("Location", fmt.Sprintf("/api/calendar/v1/%s/events/%s", t.CalendarID, out.ID))
	return writeEvent(w, http.StatusCreated, out)
}

// handleCalGetEvent is the contract's GetEvent.
func (s *Server) handleCalGetEvent(w http.ResponseWriter, r *http.Request) error {
	_, e, err := s.calEvent(r, readOnly)
	if err != nil {
		return err
	}
	return writeEvent(w, http.StatusOK, e)
}

// patchOver applies the request body to base, the JSON of what is being
// changed, with PATCH semantics: members present replace base's, others are
// kept. Read-only and derived members are cleared first (duration would
// contradict new dates), all-day dates are given as dates (so that a change
// of zone keeps them), and the rrule is kept unless the body sets one or
// changes the recurrence mode to another shortcut or NotRepeat.
func (s *Server) patchOver(r *http.Request, base calendar.EventJSON) (calendar.Event, error) {
	rule, mode := base.RRule, base.ModeRecurrence
	base.RRule, base.Duration = nil, nil
	base.ID, base.CalendarID, base.ETag, base.SeriesID, base.OriginalStart, base.Deleted = "", "", "", "", "", false
	if base.AllDay {
		base.StartDate, base.EndDate = base.StartDay, base.EndDay
	}
	base.StartDay, base.EndDay = "", ""
	if err := decode(r, s.MaxBodyBytes, &base); err != nil {
		return calendar.Event{}, err
	}
	if base.RRule == nil && rule != nil && (base.ModeRecurrence == mode || base.ModeRecurrence == string(calendar.Custom)) {
		base.RRule = rule
	}
	return base.ToEvent()
}

// handleCalUpdateEvent is the contract's UpdateEvent, a partial update: the
// body's members replace the stored event's. On a series it edits the whole
// series; exceptions whose occurrence the new rule or start no longer
// produces are deleted in the same batch.
func (s *Server) handleCalUpdateEvent(w http.ResponseWriter, r *http.Request) error {
	t, cur, err := s.calEvent(r, tab.ActionModify)
	if err != nil {
		return err
	}
	e, err := s.patchOver(r, cur.JSON())
	if err != nil {
		return err
	}
	e.ID, e.CalendarID, e.CreatedBy, e.CreatedAt = cur.ID, cur.CalendarID, cur.CreatedBy, cur.CreatedAt
	e.UpdatedAt, e.Sequence = s.Now().UTC(), cur.Sequence+1
	var drop []calendar.Exception
	if cur.Rule != nil && (e.Rule == nil || e.RRule() != cur.RRule() || !e.Start.Equal(cur.Start) || e.AllDay != cur.AllDay || e.TimeZone != cur.TimeZone) {
		xs, err := s.Events.Exceptions(r.Context(), t.TenantID, t.CalendarID, cur.ID)
		if err != nil {
			return err
		}
		drop = xs
		if e.Rule != nil {
			if _, drop, err = calendar.ReconcileExceptions(e, xs); err != nil {
				return err
			}
		}
	}
	rec, err := s.record(r.Context(), t, calendar.Change{Kind: calendar.ChangeUpdated, Before: &cur, After: &e})
	if err != nil {
		return err
	}
	out, err := s.Events.Update(r.Context(), t.TenantID, e, r.Header.Get("If-Match"), drop, rec...)
	if err != nil {
		return err
	}
	s.announce(r.Context(), rec)
	return writeEvent(w, http.StatusOK, out)
}

// handleCalDeleteEvent is the contract's DeleteEvent: a soft delete, which
// the restore route undoes until the retention period ends.
func (s *Server) handleCalDeleteEvent(w http.ResponseWriter, r *http.Request) error {
	t, cur, err := s.calEvent(r, tab.ActionDelete)
	if err != nil {
		return err
	}
	gone := cur
	gone.Deleted, gone.Sequence = true, cur.Sequence+1 // as Delete stores it
	rec, err := s.record(r.Context(), t, calendar.Change{Kind: calendar.ChangeDeleted, Before: &cur, After: &gone})
	if err != nil {
		return err
	}
	if err := s.Events.Delete(r.Context(), t.TenantID, t.CalendarID, cur.ID, r.Header.Get("If-Match"), s.Now(), rec...); err != nil {
		return err
	}
	s.announce(r.Context(), rec)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// occurrencePath returns the tab, the series and the original start of the
// path's occurrence, with permission a checked. EINVALID if the event is not
// a series or no occurrence starts there.
func (s *Server) occurrencePath(r *http.Request, a tab.Action) (*tab.Tab, calendar.Event, calendar.Occurrence, []calendar.Exception, error) {
	fail := func(err error) (*tab.Tab, calendar.Event, calendar.Occurrence, []calendar.Exception, error) {
		return nil, calendar.Event{}, calendar.Occurrence{}, nil, err
	}
	t, series, err := s.calEvent(r, a)
	if err != nil {
		return fail(err)
	}
	orig, err := time.Parse(time.RFC3339, r.PathValue("originalStart"))
	if err != nil {
		e := teamspro.Errorf(teamspro.EINVALID, "The occurrence in the path must be its original start, an RFC 3339 date-time.")
		e.Fields = []teamspro.FieldError{{Field: "originalStart", Reason: "an RFC 3339 date-time"}}
		return fail(e)
	}
	if series.Rule == nil {
		e := teamspro.Errorf(teamspro.EINVALID, "The event is not recurring.")
		e.Fields = []teamspro.FieldError{{Field: "eventId", Reason: "not a series"}}
		return fail(e)
	}
	xs, err := s.Events.Exceptions(r.Context(), t.TenantID, t.CalendarID, series.ID)
	if err != nil {
		return fail(err)
	}
	// The occurrence as the rule gives it; all-day ones are matched by date
	// in the series' zone.
	loc, err := series.Location()
	if err != nil {
		return fail(err)
	}
	from := orig.In(loc)
	occ, err := calendar.Occurrences(series, nil, from, from.Add(time.Second))
	if err != nil {
		return fail(err)
	}
	for _, o := range occ {
		if o.OriginalStart.Equal(orig) {
			return t, series, o, xs, nil
		}
	}
	e := teamspro.Errorf(teamspro.EINVALID, "No occurrence of the series starts at %s.", orig.UTC().Format(time.RFC3339))
	e.Fields = []teamspro.FieldError{{Field: "originalStart", Reason: "is not the start of an occurrence of the series"}}
	return fail(e)
}

// handlePutOccurrence changes one occurrence of a series: the body's
// members replace the occurrence's current fields (the series' at that
// occurrence, or its earlier change). It answers the occurrence, whose ETag
// guards the next change of it.
func (s *Server) handlePutOccurrence(w http.ResponseWriter, r *http.Request) error {
	t, series, o, xs, err := s.occurrencePath(r, tab.ActionModify)
	if err != nil {
		return err
	}
	base := o.Event
	for _, x := range xs {
		if x.OriginalStart.Equal(o.OriginalStart) && x.Override != nil {
			base = *x.Override
		}
	}
	j := base.JSON()
	j.ModeRecurrence, j.RRule = string(calendar.NotRepeat), nil
	changed, err := s.patchOver(r, j)
	if err != nil {
		return err
	}
	changed.CreatedBy, changed.CreatedAt, changed.UpdatedAt = series.CreatedBy, series.CreatedAt, s.Now().UTC()
	changed.Sequence = occurrenceSequence(series, xs, o.OriginalStart)
	x, err := calendar.NewException(series, o.OriginalStart, &changed)
	if err != nil {
		return err
	}
	rec, err := s.record(r.Context(), t, calendar.Change{Kind: calendar.ChangeOccurrenceChanged, Before: &series, After: &series, OriginalStart: x.OriginalStart, Occurrence: x.Override})
	if err != nil {
		return err
	}
	out, err := s.Events.PutException(r.Context(), t.TenantID, t.CalendarID, x, r.Header.Get("If-Match"), rec...)
	if err != nil {
		return err
	}
	s.announce(r.Context(), rec)
	w.Header().Set("ETag", out.ETag)
	occ := calendar.Occurrence{Event: *out.Override, SeriesID: series.ID, OriginalStart: out.OriginalStart, Overridden: true}
	return writeJSON(w, http.StatusOK, occ.JSON())
}

// handleCancelOccurrence cancels one occurrence of a series (an EXDATE).
func (s *Server) handleCancelOccurrence(w http.ResponseWriter, r *http.Request) error {
	t, series, o, xs, err := s.occurrencePath(r, tab.ActionDelete)
	if err != nil {
		return err
	}
	x, err := calendar.NewException(series, o.OriginalStart, nil)
	if err != nil {
		return err
	}
	gone := o.Event
	for _, x := range xs {
		if x.OriginalStart.Equal(o.OriginalStart) && x.Override != nil {
			gone = *x.Override
		}
	}
	gone.Sequence = occurrenceSequence(series, xs, o.OriginalStart)
	rec, err := s.record(r.Context(), t, calendar.Change{Kind: calendar.ChangeOccurrenceCancelled, Before: &series, After: &series, OriginalStart: o.OriginalStart, Occurrence: &gone})
	if err != nil {
		return err
	}
	if _, err := s.Events.PutException(r.Context(), t.TenantID, t.CalendarID, x, r.Header.Get("If-Match"), rec...); err != nil {
		return err
	}
	s.announce(r.Context(), rec)
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
// starts at it and takes the later exceptions. If-Match guards the series.
func (s *Server) handleSplitSeries(w http.ResponseWriter, r *http.Request) error {
	t, series, o, xs, err := s.occurrencePath(r, tab.ActionModify)
	if err != nil {
		return err
	}
	sp, err := calendar.SplitSeries(series, xs, o.OriginalStart, uuid.NewString())
	if err != nil {
		return err
	}
	after, err := s.patchOver(r, sp.After.JSON())
	if err != nil {
		return err
	}
	now := s.Now().UTC()
	after.ID, after.CalendarID = sp.After.ID, t.CalendarID
	after.CreatedBy, after.CreatedAt, after.UpdatedAt = actor(principal(r)), now, now
	if after.Rule == nil {
		e := teamspro.Errorf(teamspro.EINVALID, "The following occurrences must stay a series; change the occurrence alone instead.")
		e.Fields = []teamspro.FieldError{{Field: "modeRecurrence", Reason: "must repeat"}}
		return e
	}
	if after.RRule() != sp.After.RRule() || !after.Start.Equal(sp.After.Start) || after.AllDay != sp.After.AllDay || after.TimeZone != sp.After.TimeZone {
		if sp.AfterExceptions, _, err = calendar.ReconcileExceptions(after, sp.AfterExceptions); err != nil {
			return err
		}
	}
	sp.After = after
	sp.Before.UpdatedAt, sp.Before.Sequence = now, series.Sequence+1
	rec, err := s.record(r.Context(), t, calendar.Change{Kind: calendar.ChangeUpdated, Before: &series, After: &sp.Before},
		calendar.Change{Kind: calendar.ChangeCreated, After: &sp.After})
	if err != nil {
		return err
	}
	out, err := s.Events.ReplaceSeries(r.Context(), t.TenantID, sp, r.Header.Get("If-Match"), rec...)
	if err != nil {
		return err
	}
	s.announce(r.Context(), rec)
	w.Header().Set("Location", fmt.Sprintf("/api/calendar/v1/%s/events/%s", t.CalendarID, out.After.ID))
	return writeJSON(w, http.StatusCreated, splitResponse{Before: out.Before.JSON(), After: out.After.JSON()})
}

// handleRestoreEvent brings back a soft-deleted event, for whom may delete.
func (s *Server) handleRestoreEvent(w http.ResponseWriter, r *http.Request) error {
	t, err := s.editableTab(r, tab.ActionDelete)
	if err != nil {
		return err
	}
	id, err := pathID(r, "eventId")
	if err != nil {
		return err
	}
	// The store makes the restored state: the announcement reads it back.
	rec, err := s.record(r.Context(), t, calendar.Change{Kind: calendar.ChangeRestored, After: &calendar.Event{ID: id, CalendarID: t.CalendarID}})
	if err != nil {
		return err
	}
	e, err := s.Events.Restore(r.Context(), t.TenantID, t.CalendarID, id, rec...)
	if err != nil {
		return err
	}
	s.announce(r.Context(), rec)
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
	t, err := s.editableTab(r, tab.ActionDelete)
	if err != nil {
		return err
	}
	events, next, err := s.Events.ListDeleted(r.Context(), t.TenantID, t.CalendarID, calendar.Page{Token: p.Store, Limit: p.Top})
	if err != nil {
		return err
	}
	out := make([]calendar.EventJSON, 0, len(events))
	for _, e := range events {
		out = append(out, e.JSON())
	}
	return writeStorePage(w, r, p, out, next)
}
