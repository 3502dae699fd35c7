package calendar

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/teamspro/functions/internal/teamspro"
)

// MaxExternals is how many external calendars one calendar tab may show.
const MaxExternals = 3

// External is an iCalendar (ICS) calendar published elsewhere that an owner
// shows over a Calendar Pro calendar: read-only, never copied into the
// calendar's events or its own feed. The server fetches it (a timer, or an
// owner's refresh) and keeps the last copy it could parse, so that a
// publisher's outage changes nothing in the views but the status an owner
// sees.
type External struct {
	TenantID   string
	CalendarID string
	ID         string
	Name       string
	Color      string
	URL        string
	CreatedBy  string
	CreatedAt  time.Time

	// The state of the fetches: the last attempt, the last success (the
	// copy kept is from then) and the error of the last attempt, if it
	// failed.
	LastAttempt time.Time
	LastSuccess time.Time
	LastError   *FetchError
	// Events and Exceptions count what the kept copy holds.
	Events     int
	Exceptions int
}

// FetchError is why the last fetch of an external calendar failed: a
// stable reason (the fetcher's, or "parse") and what the owner can act on.
type FetchError struct {
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// ExternalCopy is the parsed content of an external calendar: its events
// and series in their own zones, and the exceptions of its series (EXDATE,
// RECURRENCE-ID), ready for Expand.
type ExternalCopy struct {
	Events     []Event
	Exceptions []Exception
}

// ExternalWithCopy is an external calendar and its kept copy.
type ExternalWithCopy struct {
	External
	Copy ExternalCopy
}

// ExternalStore keeps the external calendars of calendar tabs and the last
// good copy of each.
type ExternalStore interface {
	// ListExternals returns a calendar's external calendars, without their
	// copies.
	ListExternals(ctx context.Context, tenantID, calendarID string) ([]External, error)
	// Copies returns a calendar's external calendars with their copies.
	Copies(ctx context.Context, tenantID, calendarID string) ([]ExternalWithCopy, error)
	// AddExternal stores a new external calendar (no copy yet). It returns
	// ECONFLICT with detail "too_many_externals" when the calendar already
	// has MaxExternals.
	AddExternal(ctx context.Context, x *External) error
	// GetExternal returns one external calendar; ENOTFOUND otherwise.
	GetExternal(ctx context.Context, tenantID, calendarID, id string) (External, error)
	// SaveFetch records a fetch of x: with a copy, the copy replaces the kept
	// one (x.LastSuccess set); with x.LastError, only the status changes and
	// the kept copy stays. ENOTFOUND when x was removed meanwhile (a fetch
	// never brings a removed calendar back); ETOOLARGE when the copy cannot
	// be stored.
	SaveFetch(ctx context.Context, x External, c *ExternalCopy) error
	// DeleteExternal removes an external calendar and its copy; ENOTFOUND
	// when it does not exist.
	DeleteExternal(ctx context.Context, tenantID, calendarID, id string) error
	// AllExternals calls fn for every external calendar of every tenant,
	// without copies (the refresh timer).
	AllExternals(ctx context.Context, fn func(External) error) error
}

// ExternalInput is what an owner gives to add an external calendar.
type ExternalInput struct {
	Name  string `json:"name"`
	Color string `json:"color"`
	URL   string `json:"url"`
}

// Validate checks the input; the fetcher checks the URL's destination.
func (in ExternalInput) Validate() error {
	var v teamspro.Validation
	n := utf8.RuneCountInString(strings.TrimSpace(in.Name))
	v.Check(n >= 1 && n <= MaxName, "name", fmt.Sprintf("1 to %d characters", MaxName))
	v.Check(in.Color == "" || validColor(in.Color), "color", "a colour as #rrggbb")
	u, err := url.Parse(in.URL)
	ok := err == nil && u.IsAbs() && u.Host != "" && len(in.URL) <= 2048
	v.Check(ok, "url", "an absolute https URL of at most 2048 characters")
	if ok {
		v.Check(strings.EqualFold(u.Scheme, "https") || strings.EqualFold(u.Scheme, "http") || strings.EqualFold(u.Scheme, "webcal"), "url", "an https URL")
	}
	return v.Err()
}

// FetchURL is the URL fetched for u: a webcal: link (what calendar sites
// offer for subscription) is its https URL.
func FetchURL(u string) string {
	if len(u) > 7 && strings.EqualFold(u[:7], "webcal:") {
		return "https:" + u[7:]
	}
	return u
}

func validColor(c string) bool {
	if len(c) != 7 || c[0] != '#' {
		return false
	}
	for _, r := range c[1:] {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

// ExternalJSON is an external calendar as the API shows it to owners.
type ExternalJSON struct {
	ID          string      `json:"id"`
	CalendarID  string      `json:"calendarId"`
	Name        string      `json:"name"`
	Color       string      `json:"color,omitempty"`
	URL         string      `json:"url"`
	CreatedAt   string      `json:"createdAt,omitempty"`
	LastAttempt string      `json:"lastAttempt,omitempty"`
	LastSuccess string      `json:"lastSuccess,omitempty"`
	LastError   *FetchError `json:"lastError,omitempty"`
	Events      int         `json:"events"`
	Exceptions  int         `json:"exceptions"`
}

// JSON returns x in the API's shape.
func (x External) JSON() ExternalJSON {
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	return ExternalJSON{ID: x.ID, CalendarID: x.CalendarID, Name: x.Name, Color: x.Color, URL: x.URL,
		CreatedAt: ts(x.CreatedAt), LastAttempt: ts(x.LastAttempt), LastSuccess: ts(x.LastSuccess),
		LastError: x.LastError, Events: x.Events, Exceptions: x.Exceptions}
}

// ExternalOccurrences returns the occurrences of the kept copies in
// [from, to) that pass f, each marked with its external calendar (source
// "external", externalId, externalName, readOnly) and coloured with the
// calendar's colour. Expansion is the same as the calendar's own events',
// in each event's own zone; a series the bound cuts is cut, not refused, as
// an owner cannot fix someone else's calendar (Expand marks it).
func ExternalOccurrences(copies []ExternalWithCopy, from, to time.Time, f Filter) []EventJSON {
	out := []EventJSON{}
	for _, x := range copies {
		occ, err := Expand(x.Copy.Events, x.Copy.Exceptions, from, to)
		if err != nil {
			continue // the window itself was checked before; a copy that cannot expand shows nothing
		}
		for i := range occ {
			occ[i].Color = x.Color // overrides included
		}
		for _, o := range FilterOccurrences(occ, f) {
			j := o.JSON()
			// Ids are the external calendar's and the event's: the same
			// document added twice shows twice, each occurrence its own.
			j.CalendarID, j.ID = x.CalendarID, x.ID+":"+j.ID
			if j.SeriesID != "" {
				j.SeriesID = x.ID + ":" + j.SeriesID
			}
			j.Source, j.ExternalID, j.ExternalName, j.ReadOnly = SourceExternal, x.ID, x.Name, true
			out = append(out, j)
		}
	}
	return out
}

// SourceExternal marks an occurrence of an external calendar.
const SourceExternal = "external"
