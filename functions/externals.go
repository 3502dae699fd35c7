package functions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/ical"
	"github.com/teamspro/functions/internal/safehttp"
	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/teamspro"
)

// ExternalFetcher fetches the document of an external calendar: a
// safehttp.Fetcher, which refuses every destination but the public
// internet. Check refuses what can be refused before fetching.
type ExternalFetcher interface {
	Check(rawURL string) error
	Fetch(ctx context.Context, rawURL string) ([]byte, error)
}

// externalRoutes are the owners' management of a calendar's external
// calendars. The occurrences route shows their events.
func (s *Server) externalRoutes() []Route {
	const ext = "/api/calendar/v1/{calendarId}/externals"
	return []Route{
		{"calendar-externals", "GET", ext, User, s.handleListExternals},
		{"calendar-externals", "POST", ext, User, s.handleAddExternal},
		{"calendar-external", "DELETE", ext + "/{externalId}", User, s.handleDeleteExternal},
		{"calendar-external-refresh", "POST", ext + "/{externalId}/refresh", User, s.handleRefreshExternal},
	}
}

// ownedCalendar is the path's calendar tab, for one of its owners (or a
// tenant admin): the external calendars' URLs are the owners' to see, as
// a private calendar's URL is its password.
func (s *Server) ownedCalendar(r *http.Request) (*tab.Tab, error) {
	if s.Externals == nil {
		return nil, teamspro.Errorf(teamspro.ENOTFOUND, "External calendars are not available on this deployment.")
	}
	t, err := s.calendarTab(r)
	if err != nil {
		return nil, err
	}
	if !t.IsOwner(principal(r)) {
		return nil, teamspro.Errorf(teamspro.EFORBIDDEN, "Only the calendar's owners manage its external calendars.")
	}
	return t, nil
}

func (s *Server) handleListExternals(w http.ResponseWriter, r *http.Request) error {
	t, err := s.ownedCalendar(r)
	if err != nil {
		return err
	}
	xs, err := s.Externals.ListExternals(r.Context(), t.TenantID, t.CalendarID)
	if err != nil {
		return err
	}
	out := make([]calendar.ExternalJSON, len(xs))
	for i, x := range xs {
		out[i] = x.JSON()
	}
	return writeJSON(w, http.StatusOK, pageOf[calendar.ExternalJSON]{Value: out})
}

// handleAddExternal adds an external calendar and fetches it at once: the
// answer (201 either way) carries the first fetch's outcome, so the owner
// sees at once whether the URL works.
func (s *Server) handleAddExternal(w http.ResponseWriter, r *http.Request) error {
	t, err := s.ownedCalendar(r)
	if err != nil {
		return err
	}
	var in calendar.ExternalInput
	if err := decode(r, s.MaxBodyBytes, &in); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	if err := s.Fetcher.Check(calendar.FetchURL(in.URL)); err != nil {
		e := teamspro.Errorf(teamspro.EINVALID, "This URL cannot be fetched: %s.", fetchErrorOf(err).Message)
		e.Fields = []teamspro.FieldError{{Field: "url", Reason: fetchErrorOf(err).Reason}}
		return e
	}
	p := principal(r)
	x := calendar.External{TenantID: t.TenantID, CalendarID: t.CalendarID, ID: uuid.NewString(), Name: in.Name,
		Color: in.Color, URL: in.URL, CreatedBy: p.ObjectID, CreatedAt: s.Now().UTC()}
	if err := s.Externals.AddExternal(r.Context(), &x); err != nil {
		return err
	}
	x, err = s.refreshExternal(r.Context(), x)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/calendar/v1/"+t.CalendarID+"/externals/"+x.ID)
	return writeJSON(w, http.StatusCreated, x.JSON())
}

func (s *Server) pathExternal(r *http.Request) (calendar.External, error) {
	t, err := s.ownedCalendar(r)
	if err != nil {
		return calendar.External{}, err
	}
	id, err := pathID(r, "externalId")
	if err != nil {
		return calendar.External{}, err
	}
	return s.Externals.GetExternal(r.Context(), t.TenantID, t.CalendarID, id)
}

func (s *Server) handleDeleteExternal(w http.ResponseWriter, r *http.Request) error {
	x, err := s.pathExternal(r)
	if err != nil {
		return err
	}
	if err := s.Externals.DeleteExternal(r.Context(), x.TenantID, x.CalendarID, x.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleRefreshExternal fetches an external calendar now. A failed fetch
// is an answer too (200, lastError set): the request worked, the
// publisher did not.
func (s *Server) handleRefreshExternal(w http.ResponseWriter, r *http.Request) error {
	x, err := s.pathExternal(r)
	if err != nil {
		return err
	}
	x, err = s.refreshExternal(r.Context(), x)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, x.JSON())
}

// refreshExternal fetches and parses x and records the outcome: a new copy
// and its counts, or the error beside the copy kept from before.
func (s *Server) refreshExternal(ctx context.Context, x calendar.External) (calendar.External, error) {
	x.LastAttempt = s.Now().UTC()
	var c *calendar.ExternalCopy
	body, err := s.Fetcher.Fetch(ctx, calendar.FetchURL(x.URL))
	if err == nil {
		var p ical.Parsed
		if p, err = ical.Parse(body); err == nil {
			c = &p.ExternalCopy
		}
	}
	if c != nil {
		x.LastError, x.LastSuccess = nil, x.LastAttempt
		x.Events, x.Exceptions = len(c.Events), len(c.Exceptions)
	} else {
		x.LastError = fetchErrorOf(err)
	}
	err = s.Externals.SaveFetch(ctx, x, c)
	if teamspro.ErrorCode(err) == teamspro.ETOOLARGE {
		x.LastError = &calendar.FetchError{Reason: safehttp.ReasonTooLarge, Message: teamspro.ErrorMessage(err)}
		x.LastSuccess, x.Events, x.Exceptions = time.Time{}, 0, 0
		err = s.Externals.SaveFetch(ctx, x, nil)
	}
	if err != nil {
		return x, err
	}
	if x.LastError != nil {
		logger(ctx).Info("external calendar fetch failed", "external", x.ID, "reason", x.LastError.Reason)
	}
	return x, nil
}

// fetchErrorOf is the reason and message an owner sees for a failed fetch.
func fetchErrorOf(err error) *calendar.FetchError {
	var fe *safehttp.Error
	if errors.As(err, &fe) {
		return &calendar.FetchError{Reason: fe.Reason, Message: fe.Detail}
	}
	if teamspro.ErrorCode(err) == teamspro.EINVALID {
		return &calendar.FetchError{Reason: "not_icalendar", Message: "the document is not an iCalendar file"}
	}
	return &calendar.FetchError{Reason: "failed", Message: "the calendar could not be read"}
}

// externalOccurrences are the occurrences of the tab's external calendars
// in [from, to) that pass f, marked read-only (calendar.ExternalOccurrences).
func (s *Server) externalOccurrences(ctx context.Context, t *tab.Tab, from, to time.Time, f calendar.Filter) ([]calendar.EventJSON, error) {
	if s.Externals == nil {
		return nil, nil
	}
	copies, err := s.Externals.Copies(ctx, t.TenantID, t.CalendarID)
	if err != nil {
		return nil, err
	}
	return calendar.ExternalOccurrences(copies, from, to, f), nil
}

// handleRefreshExternals is the timer that refreshes every external
// calendar of every live calendar tab, a few at a time. A failed fetch is
// recorded on its calendar and does not fail the run; a storage failure
// does, and the host runs the timer again.
func (s *Server) handleRefreshExternals(ctx context.Context, inv *Invocation) (InvocationResult, error) {
	var ti TimerInfo
	if err := inv.DecodeData("timer", &ti); err != nil {
		return InvocationResult{}, err
	}
	if s.Externals == nil {
		return InvocationResult{Logs: []string{"external calendars are not configured"}}, nil
	}
	var xs []calendar.External
	if err := s.Externals.AllExternals(ctx, func(x calendar.External) error {
		xs = append(xs, x)
		return nil
	}); err != nil {
		return InvocationResult{}, err
	}
	var (
		mu                      sync.Mutex
		refreshed, failed, gone int
		firstErr                error
		wg                      sync.WaitGroup
		sem                     = make(chan struct{}, 4)
	)
	for _, x := range xs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			t, err := s.Tabs.ByCalendar(ctx, x.TenantID, x.CalendarID)
			if err == nil && t.Kind != tab.KindCalendar {
				err = teamspro.Errorf(teamspro.ENOTFOUND, "not a calendar")
			}
			if err == nil {
				x, err = s.refreshExternal(ctx, x)
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case teamspro.ErrorCode(err) == teamspro.ENOTFOUND:
				gone++ // its tab was deleted, or it was removed meanwhile
			case err != nil:
				if firstErr == nil {
					firstErr = err
				}
			case x.LastError != nil:
				failed++
			default:
				refreshed++
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return InvocationResult{}, firstErr
	}
	msg := fmt.Sprintf("external calendars: %d refreshed, %d failed to fetch, %d skipped", refreshed, failed, gone)
	logger(ctx).Info(msg, "past_due", ti.IsPastDue)
	return InvocationResult{Logs: []string{msg}, ReturnValue: map[string]int{"refreshed": refreshed, "failed": failed, "skipped": gone}}, nil
}
