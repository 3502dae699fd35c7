package functions

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/teamspro/functions/internal/apikey"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/ical"
	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/teamspro"
)

// FeedStore keeps the secret tokens of calendars' ICS feeds, by hash only
// (apikey.Hash): a leaked table opens no feed.
type FeedStore interface {
	// SetFeed makes hash the calendar's feed token; the previous one, if
	// any, stops working at once.
	SetFeed(ctx context.Context, tenantID, calendarID, hash, by string, at time.Time) error
	// RevokeFeed removes the calendar's token; ENOTFOUND if it has none.
	RevokeFeed(ctx context.Context, tenantID, calendarID string) error
	// FeedByHash returns the calendar of a current token; ENOTFOUND otherwise.
	FeedByHash(ctx context.Context, hash string) (tenantID, calendarID string, err error)
}

// feedPrefix marks feed tokens, distinct from API keys' tpk_.
const feedPrefix = "tpf_"

// The feed's window: subscribing clients show what is near; a series is
// written whole (RRULE) whenever it meets the window, so the client expands
// it beyond. The total stays within calendar.MaxWindow (400 days).
const (
	feedBack  = 90 * 24 * time.Hour
	feedAhead = 305 * 24 * time.Hour
)

func newFeedToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return feedPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

func feedTokenWellFormed(s string) bool {
	return strings.HasPrefix(s, feedPrefix) && len(s) == len(feedPrefix)+43
}

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
	t, err := s.calendarTab(r)
	if err != nil {
		return err
	}
	p := principal(r)
	if !t.IsOwner(p) {
		return teamspro.Errorf(teamspro.EFORBIDDEN, "Only the calendar's owners and tenant admins publish its feed.")
	}
	token, err := newFeedToken()
	if err != nil {
		return teamspro.Wrap(teamspro.EINTERNAL, err, "make feed token")
	}
	if err := s.Feeds.SetFeed(r.Context(), t.TenantID, t.CalendarID, apikey.Hash(token), p.ObjectID, s.Now()); err != nil {
		return err
	}
	path := "/api/feeds/" + token + ".ics"
	return writeJSON(w, http.StatusCreated, createdFeed{Token: token, Path: path, URL: s.PublicOrigin + path})
}

// handleRevokeFeed unpublishes the calendar's feed.
func (s *Server) handleRevokeFeed(w http.ResponseWriter, r *http.Request) error {
	t, err := s.calendarTab(r)
	if err != nil {
		return err
	}
	if !t.IsOwner(principal(r)) {
		return teamspro.Errorf(teamspro.EFORBIDDEN, "Only the calendar's owners and tenant admins revoke its feed.")
	}
	if err := s.Feeds.RevokeFeed(r.Context(), t.TenantID, t.CalendarID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleFeed serves a calendar's ICS feed to whoever holds its token: the
// events from 90 days back to 305 days ahead, series with their RRULE,
// EXDATEs and changed occurrences (RECURRENCE-ID), times in their zone
// with VTIMEZONEs. An unknown, rotated or revoked token, and the feed of a
// deleted tab, are 404.
func (s *Server) handleFeed(w http.ResponseWriter, r *http.Request) error {
	gone := teamspro.Errorf(teamspro.ENOTFOUND, "No such feed.")
	token, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
	if !ok || !feedTokenWellFormed(token) {
		return gone
	}
	tenantID, calendarID, err := s.Feeds.FeedByHash(r.Context(), apikey.Hash(token))
	if err != nil {
		return err
	}
	t, err := s.Tabs.ByCalendar(r.Context(), tenantID, calendarID)
	if err != nil {
		if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
			return gone
		}
		return err
	}
	if t.Kind != tab.KindCalendar {
		return gone
	}
	now := s.Now().UTC()
	from, to := now.Add(-feedBack), now.Add(feedAhead)
	win, err := s.Events.ListWindow(r.Context(), tenantID, calendarID, from, to)
	if err != nil {
		return err
	}
	bySeries := map[string][]calendar.Exception{}
	for _, x := range win.Exceptions {
		bySeries[x.SeriesID] = append(bySeries[x.SeriesID], x)
	}
	cal := ical.Calendar{Method: ical.Publish, Name: t.ChannelName, Stamp: now}
	for _, e := range win.Events {
		if e.Rule == nil {
			if occ, err := calendar.Occurrences(e, nil, from, to); err != nil || len(occ) == 0 {
				continue
			}
		}
		cal.Events = append(cal.Events, ical.FromEvent(e, bySeries[e.ID])...)
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
