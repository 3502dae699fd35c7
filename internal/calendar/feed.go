package calendar

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"

	"github.com/teamspro/functions/internal/apikey"
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
// it beyond. The total stays within MaxWindow (400 days).
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

func (s *Service) feedStore() (FeedStore, error) {
	if s.feeds == nil {
		return nil, teamspro.Errorf(teamspro.EUNAVAILABLE, "Feeds are not configured.")
	}
	return s.feeds, nil
}

// PublishFeed publishes (or rotates) the calendar's ICS feed under a new
// unguessable token, which it returns: the only time the token is shown.
// Only the tab's owners and tenant admins may (EFORBIDDEN).
func (s *Service) PublishFeed(ctx context.Context, p teamspro.Principal, calendarID string) (string, error) {
	feeds, err := s.feedStore()
	if err != nil {
		return "", err
	}
	t, err := s.Calendar(ctx, p, calendarID)
	if err != nil {
		return "", err
	}
	if !t.IsOwner(p) {
		return "", teamspro.Errorf(teamspro.EFORBIDDEN, "Only the calendar's owners and tenant admins publish its feed.")
	}
	token, err := newFeedToken()
	if err != nil {
		return "", teamspro.Wrap(teamspro.EINTERNAL, err, "make feed token")
	}
	if err := feeds.SetFeed(ctx, t.TenantID, t.CalendarID, apikey.Hash(token), p.ObjectID, s.now()); err != nil {
		return "", err
	}
	return token, nil
}

// RevokeFeed unpublishes the calendar's feed, for its owners and tenant
// admins. ENOTFOUND if it has none.
func (s *Service) RevokeFeed(ctx context.Context, p teamspro.Principal, calendarID string) error {
	feeds, err := s.feedStore()
	if err != nil {
		return err
	}
	t, err := s.Calendar(ctx, p, calendarID)
	if err != nil {
		return err
	}
	if !t.IsOwner(p) {
		return teamspro.Errorf(teamspro.EFORBIDDEN, "Only the calendar's owners and tenant admins revoke its feed.")
	}
	return feeds.RevokeFeed(ctx, t.TenantID, t.CalendarID)
}

// Feed is what a calendar's ICS feed shows: its events and series that meet
// the feed's window, each series with its exceptions.
type Feed struct {
	Name       string // the calendar's name: its channel's
	Stamp      time.Time
	Events     []Event
	Exceptions map[string][]Exception // by series id
}

// Feed returns the feed of whoever holds token: the events from 90 days
// back to 305 days ahead, series whole. An unknown, rotated or revoked
// token, and the feed of a deleted tab, are ENOTFOUND.
func (s *Service) Feed(ctx context.Context, token string) (Feed, error) {
	gone := teamspro.Errorf(teamspro.ENOTFOUND, "No such feed.")
	if !feedTokenWellFormed(token) {
		return Feed{}, gone
	}
	feeds, err := s.feedStore()
	if err != nil {
		return Feed{}, err
	}
	tenantID, calendarID, err := feeds.FeedByHash(ctx, apikey.Hash(token))
	if err != nil {
		return Feed{}, err
	}
	t, err := s.tabs.ByCalendar(ctx, tenantID, calendarID)
	if err != nil {
		if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
			return Feed{}, gone
		}
		return Feed{}, err
	}
	if t.Kind != tab.KindCalendar {
		return Feed{}, gone
	}
	now := s.now().UTC()
	from, to := now.Add(-feedBack), now.Add(feedAhead)
	win, err := s.events.ListWindow(ctx, tenantID, calendarID, from, to)
	if err != nil {
		return Feed{}, err
	}
	f := Feed{Name: t.ChannelName, Stamp: now, Exceptions: map[string][]Exception{}}
	for _, x := range win.Exceptions {
		f.Exceptions[x.SeriesID] = append(f.Exceptions[x.SeriesID], x)
	}
	for _, e := range win.Events {
		if e.Rule == nil {
			if occ, err := Occurrences(e, nil, from, to); err != nil || len(occ) == 0 {
				continue
			}
		}
		f.Events = append(f.Events, e)
	}
	return f, nil
}
