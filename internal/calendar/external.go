package calendar

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/teamspro/functions/internal/tab"
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
	// Events and Exceptions count what the kept copy holds; Skipped what
	// its document held that the copy leaves out (rules the recurrence
	// engine refuses, components past ical.MaxParsedItems).
	Events     int
	Exceptions int
	Skipped    int
}

// FetchError is why the last fetch of an external calendar failed: a
// stable reason (the fetcher's, or "parse") and what the owner can act on.
type FetchError struct {
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

func (e *FetchError) Error() string { return e.Reason + ": " + e.Message }

// ExternalSource reads external calendars: Check refuses, before anything
// is fetched, a URL that can be refused (a scheme, credentials, an address);
// Read fetches and parses one. Both return a *FetchError for what the
// owner can act on (the publisher's failure, a refused destination, a
// document that is not iCalendar). internal/ical.Source is one, over the
// SSRF-safe fetcher of internal/safehttp.
type ExternalSource interface {
	Check(url string) error
	Read(ctx context.Context, url string) (ExternalCopy, error)
}

// ExternalCopy is the parsed content of an external calendar: its events
// and series in their own zones, and the exceptions of its series (EXDATE,
// RECURRENCE-ID), ready for Expand.
type ExternalCopy struct {
	Events     []Event
	Exceptions []Exception
	Skipped    int `json:",omitempty"` // components of the document left out
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
	Skipped     int         `json:"skipped,omitempty"`
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
		LastError: x.LastError, Events: x.Events, Exceptions: x.Exceptions, Skipped: x.Skipped}
}

// ExternalRef names the external calendar an occurrence comes from.
type ExternalRef struct {
	ID   string
	Name string
}

// ExpandExternals returns the occurrences of the kept copies in [from, to),
// each marked with its external calendar and coloured with its colour.
// Expansion is the calendar's own, in each event's zone; a series the bound
// cuts is cut, not refused (Expand marks it), as an owner cannot fix
// someone else's calendar, and a copy that cannot expand shows nothing.
func ExpandExternals(copies []ExternalWithCopy, from, to time.Time) []Occurrence {
	var out []Occurrence
	for _, x := range copies {
		occ, err := Expand(x.Copy.Events, x.Copy.Exceptions, from, to)
		if err != nil {
			continue
		}
		ref := &ExternalRef{ID: x.ID, Name: x.Name}
		for i := range occ {
			occ[i].Color = x.Color // overrides included
			occ[i].CalendarID = x.CalendarID
			occ[i].External = ref
		}
		out = append(out, occ...)
	}
	return out
}

// SourceExternal marks an occurrence of an external calendar.
const SourceExternal = "external"

// mayManageExternals returns the calendar for its owners (and tenant
// admins): the URLs of its external calendars are theirs to see, as a
// private calendar's URL is its password. ENOTFOUND without external
// calendars on this deployment.
func (s *Service) mayManageExternals(ctx context.Context, p teamspro.Principal, calendarID string) (*tab.Tab, error) {
	if s.externals == nil {
		return nil, teamspro.Errorf(teamspro.ENOTFOUND, "External calendars are not available on this deployment.")
	}
	t, err := s.Calendar(ctx, p, calendarID)
	if err != nil {
		return nil, err
	}
	if !p.IsUser() || !t.IsOwner(p) {
		return nil, teamspro.Errorf(teamspro.EFORBIDDEN, "Only the calendar's owners manage its external calendars.")
	}
	return t, nil
}

// Externals lists the calendar's external calendars with the state of
// their fetches. EFORBIDDEN unless p owns the calendar.
func (s *Service) Externals(ctx context.Context, p teamspro.Principal, calendarID string) ([]External, error) {
	t, err := s.mayManageExternals(ctx, p, calendarID)
	if err != nil {
		return nil, err
	}
	return s.externals.ListExternals(ctx, t.TenantID, t.CalendarID)
}

// AddExternal adds the external calendar body gives (an ExternalInput)
// and fetches it at once; the calendar returned carries that fetch's
// outcome, failed or not. EFORBIDDEN unless p owns the calendar; EINVALID
// for bad input or a URL refused before fetching (field url, the refusal's
// reason); ECONFLICT (too_many_externals) beyond MaxExternals.
func (s *Service) AddExternal(ctx context.Context, p teamspro.Principal, calendarID string, body Body) (External, error) {
	t, err := s.mayManageExternals(ctx, p, calendarID)
	if err != nil {
		return External{}, err
	}
	var in ExternalInput
	if err := body(&in); err != nil {
		return External{}, err
	}
	if err := in.Validate(); err != nil {
		return External{}, err
	}
	if err := s.source.Check(FetchURL(in.URL)); err != nil {
		fe := fetchErrorOf(err)
		e := teamspro.Errorf(teamspro.EINVALID, "This URL cannot be fetched: %s.", fe.Message)
		e.Fields = []teamspro.FieldError{{Field: "url", Reason: fe.Reason}}
		return External{}, e
	}
	x := External{TenantID: t.TenantID, CalendarID: t.CalendarID, ID: uuid.NewString(), Name: strings.TrimSpace(in.Name),
		Color: in.Color, URL: in.URL, CreatedBy: p.ObjectID, CreatedAt: s.now().UTC()}
	if err := s.externals.AddExternal(ctx, &x); err != nil {
		return External{}, err
	}
	return s.refreshExternal(ctx, x)
}

func (s *Service) external(ctx context.Context, p teamspro.Principal, calendarID, id string) (External, error) {
	t, err := s.mayManageExternals(ctx, p, calendarID)
	if err != nil {
		return External{}, err
	}
	if id, err = checkID("externalId", id); err != nil {
		return External{}, err
	}
	return s.externals.GetExternal(ctx, t.TenantID, t.CalendarID, id)
}

// RemoveExternal removes an external calendar and its kept copy.
func (s *Service) RemoveExternal(ctx context.Context, p teamspro.Principal, calendarID, id string) error {
	x, err := s.external(ctx, p, calendarID, id)
	if err != nil {
		return err
	}
	return s.externals.DeleteExternal(ctx, x.TenantID, x.CalendarID, x.ID)
}

// RefreshExternal fetches an external calendar now. A failed fetch is an
// outcome, not an error: the calendar returned carries it in LastError,
// and the copy kept from the last good fetch stays.
func (s *Service) RefreshExternal(ctx context.Context, p teamspro.Principal, calendarID, id string) (External, error) {
	x, err := s.external(ctx, p, calendarID, id)
	if err != nil {
		return External{}, err
	}
	return s.refreshExternal(ctx, x)
}

// refreshExternal reads x and records the outcome: a new copy and its
// counts, or the error beside the copy kept from before.
func (s *Service) refreshExternal(ctx context.Context, x External) (External, error) {
	x.LastAttempt = s.now().UTC()
	c, err := s.source.Read(ctx, FetchURL(x.URL))
	var keep *ExternalCopy
	if err == nil {
		keep = &c
		x.LastError, x.LastSuccess = nil, x.LastAttempt
		x.Events, x.Exceptions, x.Skipped = len(c.Events), len(c.Exceptions), c.Skipped
	} else {
		x.LastError = fetchErrorOf(err)
	}
	err = s.externals.SaveFetch(ctx, x, keep)
	if teamspro.ErrorCode(err) == teamspro.ETOOLARGE {
		// The copy cannot be kept: record why, and keep the previous one.
		old, gerr := s.externals.GetExternal(ctx, x.TenantID, x.CalendarID, x.ID)
		if gerr != nil {
			return x, gerr
		}
		x.LastSuccess, x.Events, x.Exceptions, x.Skipped = old.LastSuccess, old.Events, old.Exceptions, old.Skipped
		x.LastError = &FetchError{Reason: "too_large", Message: teamspro.ErrorMessage(err)}
		err = s.externals.SaveFetch(ctx, x, nil)
	}
	if err != nil {
		return x, err
	}
	if x.LastError != nil {
		s.log.InfoContext(ctx, "external calendar fetch failed", "tenant", x.TenantID, "external", x.ID, "reason", x.LastError.Reason)
	}
	return x, nil
}

// fetchErrorOf is what an owner sees of a failed read.
func fetchErrorOf(err error) *FetchError {
	var fe *FetchError
	if errors.As(err, &fe) {
		return fe
	}
	return &FetchError{Reason: "failed", Message: "the calendar could not be read"}
}

// RefreshedExternals counts a run of RefreshAllExternals.
type RefreshedExternals struct {
	Refreshed int `json:"refreshed"` // read and kept
	Failed    int `json:"failed"`    // fetched or read in vain; the copy from before stays
	Skipped   int `json:"skipped"`   // of a deleted tab, or removed meanwhile
}

// RefreshAllExternals reads every external calendar of every live calendar
// tab, a few at a time (the refresh timer). A failed fetch is recorded on
// its calendar and does not fail the run; a storage failure does.
func (s *Service) RefreshAllExternals(ctx context.Context) (RefreshedExternals, error) {
	var n RefreshedExternals
	if s.externals == nil {
		return n, nil
	}
	var xs []External
	if err := s.externals.AllExternals(ctx, func(x External) error {
		xs = append(xs, x)
		return nil
	}); err != nil {
		return n, err
	}
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, 4)
	)
	for _, x := range xs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			t, err := s.tabs.ByCalendar(ctx, x.TenantID, x.CalendarID)
			if err == nil && t.Kind != tab.KindCalendar {
				err = noCalendar()
			}
			if err == nil {
				x, err = s.refreshExternal(ctx, x)
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case teamspro.ErrorCode(err) == teamspro.ENOTFOUND:
				n.Skipped++
			case err != nil:
				if firstErr == nil {
					firstErr = err
				}
			case x.LastError != nil:
				n.Failed++
			default:
				n.Refreshed++
			}
		}()
	}
	wg.Wait()
	return n, firstErr
}
