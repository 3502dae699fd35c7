package calendar

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/teamspro"
)

// EventStore is what Calendar Pro needs from storage: Store, plus one
// series' exceptions (edits of a series reconcile them) and the purge of
// every tenant's old deletions (the daily timer).
type EventStore interface {
	Store
	// Exceptions returns the exceptions of one series (none if it has none).
	Exceptions(ctx context.Context, tenantID, calendarID, seriesID string) ([]Exception, error)
	// PurgeAllDeleted is Store.PurgeDeleted for every tenant at once.
	PurgeAllDeleted(ctx context.Context, olderThan time.Time) (int, error)
}

// Tabs finds the tab that owns a calendar: its zone, who may change its
// events, and whether it still exists. tab.Store is one.
type Tabs interface {
	// ByCalendar returns the live tab owning the calendar; ENOTFOUND if none.
	ByCalendar(ctx context.Context, tenantID, calendarID string) (*tab.Tab, error)
}

// Notifier is told of every change the Service stores, in two steps so that
// the announcement cannot be lost: RecordEvent makes the outgoing record the
// store writes in the change's own batch (the transactional outbox), and
// Announce hands the stored records over once the change is stored. The
// notification dispatcher is one; it decides who, if anyone, is mailed.
type Notifier interface {
	RecordEvent(t *tab.Tab, c Change) (Outgoing, error)
	Announce(ctx context.Context, out ...Outgoing)
}

// Projection is a read model kept in step with the events as stored: the
// busy index of find a time (tables.BusyStore) is one. The outbox relay tells
// it of every recorded change; a copy job, whose copies announce nothing (a
// copy mails nobody), tells it of each event it writes.
type Projection interface {
	// EventChanged brings the projection in step with the event as stored
	// now. Safe to call any number of times.
	EventChanged(ctx context.Context, tenantID, calendarID, eventID string) error
}

// Body reads a request's input into v, a pointer. The Service calls it once
// it has found the calendar and checked the caller's rights.
type Body = teamspro.Body

// Service applies Calendar Pro's rules over its stores: every read and
// change of a calendar's events, whichever route asks, goes through one of
// its methods, which check who may do it, keep series and their exceptions
// consistent, and report each stored change to the Notifier.
type Service struct {
	events   EventStore
	tabs     Tabs
	notifier Notifier // nil: changes are announced to nobody
	now      teamspro.Clock
	log      *slog.Logger

	feeds FeedStore
	jobs  Jobs

	externals ExternalStore
	source    ExternalSource

	projections []Projection
}

// Config holds a Service's dependencies. Events and Tabs are required.
type Config struct {
	Events EventStore
	Tabs   Tabs
	// Feeds keeps the calendars' feed tokens; without it feed methods answer
	// EUNAVAILABLE.
	Feeds FeedStore
	// Jobs runs calendar copies; without it they answer EUNAVAILABLE.
	Jobs Jobs
	// Externals keeps the calendars' external calendars and Source reads
	// them (optional, both or neither: without them external calendar
	// methods answer ENOTFOUND and views show none).
	Externals ExternalStore
	Source    ExternalSource
	// Notifier is told of every stored change (optional: nil tells nobody).
	Notifier Notifier
	// Projections are told of every event a copy job writes (optional).
	Projections []Projection
	Now         teamspro.Clock // default time.Now
	Logger      *slog.Logger   // default slog.Default()
}

// NewService checks cfg and returns a Service.
func NewService(cfg Config) (*Service, error) {
	var missing []error
	if cfg.Events == nil {
		missing = append(missing, errors.New("event store"))
	}
	if cfg.Tabs == nil {
		missing = append(missing, errors.New("tab store"))
	}
	if (cfg.Externals == nil) != (cfg.Source == nil) {
		missing = append(missing, errors.New("external calendars need both a store and a source"))
	}
	if len(missing) > 0 {
		return nil, errors.Join(append([]error{errors.New("calendar: missing dependencies")}, missing...)...)
	}
	s := &Service{events: cfg.Events, tabs: cfg.Tabs, feeds: cfg.Feeds, jobs: cfg.Jobs, notifier: cfg.Notifier, now: cfg.Now, log: cfg.Logger,
		externals: cfg.Externals, source: cfg.Source, projections: cfg.Projections}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s, nil
}

// record returns the outgoing records of changes of t's events, made by p,
// for the store to write in the batch that makes them; none without a
// Notifier. announce hands them over once they are stored.
func (s *Service) record(p teamspro.Principal, t *tab.Tab, cs ...Change) ([]Outgoing, error) {
	if s.notifier == nil {
		return nil, nil
	}
	var out []Outgoing
	for _, c := range cs {
		c.By = p
		o, err := s.notifier.RecordEvent(t, c)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

func (s *Service) announce(ctx context.Context, out []Outgoing) {
	if s.notifier != nil {
		s.notifier.Announce(ctx, out...)
	}
}

// checkID returns id if it is a valid identifier; EINVALID naming field
// otherwise. Identifiers become storage keys.
func checkID(field, id string) (string, error) {
	if !teamspro.ValidID(id) {
		e := teamspro.Errorf(teamspro.EINVALID, "The %s in the path is not a valid identifier.", field)
		e.Fields = []teamspro.FieldError{{Field: field, Reason: "letters, digits and . _ : @ - only, at most 128"}}
		return "", e
	}
	return id, nil
}

func noCalendar() error { return teamspro.Errorf(teamspro.ENOTFOUND, "The calendar does not exist.") }

// Calendar returns the calendar tab owning calendarID, as p may see it. A
// calendar an API key was not made for, another tenant's, a deleted tab's
// and a booking tab's are all ENOTFOUND: a caller learns nothing of them.
// EINVALID for a malformed id.
func (s *Service) Calendar(ctx context.Context, p teamspro.Principal, calendarID string) (*tab.Tab, error) {
	id, err := checkID("calendarId", calendarID)
	if err != nil {
		return nil, err
	}
	if !p.ReachesCalendar(id) {
		return nil, noCalendar()
	}
	t, err := s.tabs.ByCalendar(ctx, p.TenantID, id)
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

// MayEdit reports whether p may do a to the tab's events: what the tab
// allows a user; an API key acts with add, modify and delete rights on the
// calendars it was made for.
func MayEdit(p teamspro.Principal, t *tab.Tab, a tab.Action) bool {
	if p.APIKeyID != "" {
		return p.ReachesCalendar(t.CalendarID)
	}
	return t.Allows(p, a)
}

var actionWords = map[tab.Action]string{tab.ActionAdd: "add", tab.ActionModify: "change", tab.ActionDelete: "delete"}

func mayNot(a tab.Action) error {
	return teamspro.Errorf(teamspro.EFORBIDDEN, "This calendar does not let you %s events.", actionWords[a])
}

// editable is Calendar plus the check that p may do a.
func (s *Service) editable(ctx context.Context, p teamspro.Principal, calendarID string, a tab.Action) (*tab.Tab, error) {
	t, err := s.Calendar(ctx, p, calendarID)
	if err != nil {
		return nil, err
	}
	if !MayEdit(p, t, a) {
		return nil, mayNot(a)
	}
	return t, nil
}

// readOnly asks event for no right beyond reaching the calendar.
const readOnly tab.Action = -1

// event returns the tab (right a checked, unless readOnly) and a live event.
func (s *Service) event(ctx context.Context, p teamspro.Principal, calendarID, eventID string, a tab.Action) (*tab.Tab, Event, error) {
	t, err := s.Calendar(ctx, p, calendarID)
	if err != nil {
		return nil, Event{}, err
	}
	id, err := checkID("eventId", eventID)
	if err != nil {
		return nil, Event{}, err
	}
	e, err := s.events.Get(ctx, t.TenantID, t.CalendarID, id)
	if err != nil {
		return nil, Event{}, err
	}
	if a != readOnly && !MayEdit(p, t, a) {
		return nil, Event{}, mayNot(a)
	}
	return t, e, nil
}

// actor names who made a change: the user's object id, or the API key.
func actor(p teamspro.Principal) string {
	if p.APIKeyID != "" {
		return "apikey:" + p.APIKeyID
	}
	return p.ObjectID
}

// Query asks for a calendar's events: a window and filters. From and To
// are RFC 3339 date-times or dates (YYYY-MM-DD, midnight in the calendar's
// zone); either may be empty (see Occurrences and Events).
type Query struct {
	From, To string
	Filter   Filter
	// Externals adds the occurrences of the calendar's external calendars
	// (a view's read path; never the connector's, a feed's or a copy's).
	Externals bool
}

// Bounded reports whether the query names a window.
func (q Query) Bounded() bool { return q.From != "" || q.To != "" }

// The lists' windows when the query gives none: a month back and a year
// ahead for Events, the coming 31 days for Occurrences; the other bound
// defaults to 31 days away from the one given.
const (
	defaultListBack  = 31 * 24 * time.Hour
	defaultListAhead = 365 * 24 * time.Hour
	defaultExpandLen = 31 * 24 * time.Hour
)

// window resolves q in t's zone: the given bounds, the other 31 days away,
// or when neither is given [now+back, now+ahead). EINVALID for an unreadable
// bound, and for a window that is empty or longer than MaxWindow.
func (s *Service) window(t *tab.Tab, q Query, back, ahead time.Duration) (from, to time.Time, err error) {
	var v teamspro.Validation
	loc := teamspro.ZoneOf(t.Settings.TimeZone)
	from, to = v.TimeOrDate("from", q.From, loc), v.TimeOrDate("to", q.To, loc)
	if err := v.Err(); err != nil {
		return from, to, err
	}
	switch {
	case from.IsZero() && to.IsZero():
		now := s.now().UTC()
		from, to = now.Add(back), now.Add(ahead)
	case from.IsZero():
		from = to.Add(-defaultExpandLen)
	case to.IsZero():
		to = from.Add(defaultExpandLen)
	}
	if !to.After(from) || to.Sub(from) > MaxWindow {
		e := teamspro.Errorf(teamspro.EINVALID, "The window must end after it starts and span at most %d days.", int(MaxWindow.Hours()/24))
		e.Fields = []teamspro.FieldError{{Field: "to", Reason: "after from, at most 400 days later"}}
		return from, to, e
	}
	return from, to, nil
}

// Occurrences is the read path of a calendar view: the occurrences of the
// calendar's events in q's window (the coming 31 days when q names none)
// that pass q's filter, every series expanded in its zone, each occurrence
// with its series and original start, in order of start. ENOTFOUND for a
// calendar p cannot see; EINVALID for a bad window.
func (s *Service) Occurrences(ctx context.Context, p teamspro.Principal, calendarID string, q Query) ([]Occurrence, error) {
	t, err := s.Calendar(ctx, p, calendarID)
	if err != nil {
		return nil, err
	}
	from, to, err := s.window(t, q, 0, defaultExpandLen)
	if err != nil {
		return nil, err
	}
	// The external calendars' copies are read beside the window's events,
	// so that a view waits for one storage round trip, not two in a row.
	var (
		copies  []ExternalWithCopy
		copyErr error
		done    = make(chan struct{})
	)
	if q.Externals && s.externals != nil {
		go func() {
			defer close(done)
			copies, copyErr = s.externals.Copies(ctx, t.TenantID, t.CalendarID)
		}()
	} else {
		close(done)
	}
	win, err := s.events.ListWindow(ctx, t.TenantID, t.CalendarID, from, to)
	<-done
	if err != nil {
		return nil, err
	}
	if copyErr != nil {
		return nil, copyErr
	}
	occ, err := Expand(win.Events, win.Exceptions, from, to)
	if err != nil {
		return nil, err
	}
	if ext := ExpandExternals(copies, from, to); len(ext) > 0 {
		occ = append(occ, ext...)
		sortOccurrences(occ)
	}
	return FilterOccurrences(occ, q.Filter), nil
}

// Events lists the calendar's events and series that meet q's window (a
// month back to a year ahead when q names none) and pass its filter, a
// series once with its rule, as the original product listed them, in order
// of start.
func (s *Service) Events(ctx context.Context, p teamspro.Principal, calendarID string, q Query) ([]Event, error) {
	t, err := s.Calendar(ctx, p, calendarID)
	if err != nil {
		return nil, err
	}
	from, to, err := s.window(t, q, -defaultListBack, defaultListAhead)
	if err != nil {
		return nil, err
	}
	win, err := s.events.ListWindow(ctx, t.TenantID, t.CalendarID, from, to)
	if err != nil {
		return nil, err
	}
	var list []Event
	for _, e := range FilterEvents(win.Events, q.Filter) {
		if e.Rule != nil {
			// A series meets the window when it starts before its end and
			// its UNTIL (if any) is not before its start.
			if e.Start.Before(to) && (e.Rule.Until.IsZero() || !e.Rule.Until.Before(from)) {
				list = append(list, e)
			}
			continue
		}
		if occ, err := Occurrences(e, nil, from, to); err == nil && len(occ) > 0 {
			list = append(list, e)
		}
	}
	slices.SortStableFunc(list, func(a, b Event) int { return a.Start.Compare(b.Start) })
	return list, nil
}

// Get returns one live event or series of the calendar. ENOTFOUND if p
// cannot see the calendar or the event does not exist.
func (s *Service) Get(ctx context.Context, p teamspro.Principal, calendarID, eventID string) (Event, error) {
	_, e, err := s.event(ctx, p, calendarID, eventID, readOnly)
	return e, err
}

// Create adds the event body gives to the calendar, in the calendar's zone
// when the input names none. EFORBIDDEN if p may not add events; EINVALID
// for invalid input.
func (s *Service) Create(ctx context.Context, p teamspro.Principal, calendarID string, body Body) (Event, error) {
	t, err := s.editable(ctx, p, calendarID, tab.ActionAdd)
	if err != nil {
		return Event{}, err
	}
	var in EventInput
	if err := body(&in); err != nil {
		return Event{}, err
	}
	if in.TimeZone == "" {
		in.TimeZone = t.Settings.TimeZone // the tab's zone, as the tab shows it
	}
	e, err := in.ToEvent()
	if err != nil {
		return Event{}, err
	}
	now := s.now().UTC()
	e.ID, e.CalendarID = uuid.NewString(), t.CalendarID
	e.CreatedBy, e.CreatedAt, e.UpdatedAt = actor(p), now, now
	rec, err := s.record(p, t, Change{Kind: ChangeCreated, After: &e})
	if err != nil {
		return Event{}, err
	}
	out, err := s.events.Create(ctx, t.TenantID, e, rec...)
	if err != nil {
		return Event{}, err
	}
	s.announce(ctx, rec)
	return out, nil
}

// patchOver applies body to base, the JSON of what is being changed, with
// PATCH semantics: members present replace base's, others are kept.
// Read-only and derived members are cleared first (duration would
// contradict new dates), all-day dates are given as dates (so that a change
// of zone keeps them), and the rrule is kept unless the body sets one or
// changes the recurrence mode to another shortcut or NotRepeat.
func patchOver(body Body, base EventJSON) (Event, error) {
	rule, mode := base.RRule, base.ModeRecurrence
	base.RRule, base.Duration = nil, nil
	base.ID, base.CalendarID, base.ETag, base.SeriesID, base.OriginalStart, base.Deleted = "", "", "", "", "", false
	if base.AllDay {
		base.StartDate, base.EndDate = base.StartDay, base.EndDay
	}
	base.StartDay, base.EndDay = "", ""
	if err := body(&base); err != nil {
		return Event{}, err
	}
	if base.RRule == nil && rule != nil && (base.ModeRecurrence == mode || base.ModeRecurrence == string(Custom)) {
		base.RRule = rule
	}
	return base.ToEvent()
}

// Update changes an event, or a whole series, by body's members (PATCH
// semantics) if its ETag is ifMatch. Exceptions whose occurrence the new
// rule or start no longer produces are deleted with it. EFORBIDDEN if p may
// not change events; ENOTFOUND, EPRECONDITION as Store.Update.
func (s *Service) Update(ctx context.Context, p teamspro.Principal, calendarID, eventID, ifMatch string, body Body) (Event, error) {
	t, cur, err := s.event(ctx, p, calendarID, eventID, tab.ActionModify)
	if err != nil {
		return Event{}, err
	}
	e, err := patchOver(body, cur.JSON())
	if err != nil {
		return Event{}, err
	}
	e.ID, e.CalendarID, e.CreatedBy, e.CreatedAt = cur.ID, cur.CalendarID, cur.CreatedBy, cur.CreatedAt
	e.UpdatedAt, e.Sequence = s.now().UTC(), cur.Sequence+1
	var drop []Exception
	if cur.Rule != nil && (e.Rule == nil || e.RRule() != cur.RRule() || !e.Start.Equal(cur.Start) || e.AllDay != cur.AllDay || e.TimeZone != cur.TimeZone) {
		xs, err := s.events.Exceptions(ctx, t.TenantID, t.CalendarID, cur.ID)
		if err != nil {
			return Event{}, err
		}
		drop = xs
		if e.Rule != nil {
			if _, drop, err = ReconcileExceptions(e, xs); err != nil {
				return Event{}, err
			}
		}
	}
	rec, err := s.record(p, t, Change{Kind: ChangeUpdated, Before: &cur, After: &e})
	if err != nil {
		return Event{}, err
	}
	out, err := s.events.Update(ctx, t.TenantID, e, ifMatch, drop, rec...)
	if err != nil {
		return Event{}, err
	}
	s.announce(ctx, rec)
	return out, nil
}

// Delete soft-deletes an event (a series with its exceptions) if its ETag
// is ifMatch; Restore undoes it until the retention period ends.
// EFORBIDDEN if p may not delete events; ENOTFOUND, EPRECONDITION as
// Store.Delete.
func (s *Service) Delete(ctx context.Context, p teamspro.Principal, calendarID, eventID, ifMatch string) error {
	t, cur, err := s.event(ctx, p, calendarID, eventID, tab.ActionDelete)
	if err != nil {
		return err
	}
	gone := cur
	gone.Deleted, gone.Sequence = true, cur.Sequence+1 // as Delete stores it
	rec, err := s.record(p, t, Change{Kind: ChangeDeleted, Before: &cur, After: &gone})
	if err != nil {
		return err
	}
	if err := s.events.Delete(ctx, t.TenantID, t.CalendarID, cur.ID, ifMatch, s.now(), rec...); err != nil {
		return err
	}
	s.announce(ctx, rec)
	return nil
}

// occurrenceSequence is the SEQUENCE of a change of one occurrence: above the
// series' and above the occurrence's own earlier change, so that calendars
// apply it over both.
func occurrenceSequence(series Event, xs []Exception, originalStart time.Time) int {
	seq := series.Sequence
	for _, x := range xs {
		if x.OriginalStart.Equal(originalStart) && x.Override != nil {
			seq = max(seq, x.Override.Sequence)
		}
	}
	return seq + 1
}

// currentOccurrence is the occurrence as it stands: its earlier change, or
// the series' at that occurrence.
func currentOccurrence(o Occurrence, xs []Exception) Event {
	cur := o.Event
	for _, x := range xs {
		if x.OriginalStart.Equal(o.OriginalStart) && x.Override != nil {
			cur = *x.Override
		}
	}
	return cur
}

// occurrence is one occurrence of a series addressed by its original start
// (an RFC 3339 date-time), with the series and its exceptions, right a
// checked. EINVALID if the event is not a series or no occurrence starts
// there.
type occurrence struct {
	tab    *tab.Tab
	series Event
	occ    Occurrence
	xs     []Exception
}

func (s *Service) occurrence(ctx context.Context, p teamspro.Principal, calendarID, eventID, originalStart string, a tab.Action) (occurrence, error) {
	t, series, err := s.event(ctx, p, calendarID, eventID, a)
	if err != nil {
		return occurrence{}, err
	}
	orig, err := time.Parse(time.RFC3339, originalStart)
	if err != nil {
		e := teamspro.Errorf(teamspro.EINVALID, "The occurrence in the path must be its original start, an RFC 3339 date-time.")
		e.Fields = []teamspro.FieldError{{Field: "originalStart", Reason: "an RFC 3339 date-time"}}
		return occurrence{}, e
	}
	if series.Rule == nil {
		e := teamspro.Errorf(teamspro.EINVALID, "The event is not recurring.")
		e.Fields = []teamspro.FieldError{{Field: "eventId", Reason: "not a series"}}
		return occurrence{}, e
	}
	xs, err := s.events.Exceptions(ctx, t.TenantID, t.CalendarID, series.ID)
	if err != nil {
		return occurrence{}, err
	}
	// The occurrence as the rule gives it; all-day ones are matched by date
	// in the series' zone.
	loc, err := series.Location()
	if err != nil {
		return occurrence{}, err
	}
	from := orig.In(loc)
	occ, err := Occurrences(series, nil, from, from.Add(time.Second))
	if err != nil {
		return occurrence{}, err
	}
	for _, o := range occ {
		if o.OriginalStart.Equal(orig) {
			return occurrence{tab: t, series: series, occ: o, xs: xs}, nil
		}
	}
	e := teamspro.Errorf(teamspro.EINVALID, "No occurrence of the series starts at %s.", orig.UTC().Format(time.RFC3339))
	e.Fields = []teamspro.FieldError{{Field: "originalStart", Reason: "is not the start of an occurrence of the series"}}
	return occurrence{}, e
}

// PutOccurrence changes one occurrence of a series, the one whose original
// start is originalStart: body's members replace the occurrence's current
// fields (the series' at that occurrence, or its earlier change). It
// returns the stored exception, whose ETag guards the occurrence's next
// change (ifMatch).
func (s *Service) PutOccurrence(ctx context.Context, p teamspro.Principal, calendarID, eventID, originalStart, ifMatch string, body Body) (Exception, error) {
	o, err := s.occurrence(ctx, p, calendarID, eventID, originalStart, tab.ActionModify)
	if err != nil {
		return Exception{}, err
	}
	j := currentOccurrence(o.occ, o.xs).JSON()
	j.ModeRecurrence, j.RRule = string(NotRepeat), nil
	changed, err := patchOver(body, j)
	if err != nil {
		return Exception{}, err
	}
	series := o.series
	changed.CreatedBy, changed.CreatedAt, changed.UpdatedAt = series.CreatedBy, series.CreatedAt, s.now().UTC()
	changed.Sequence = occurrenceSequence(series, o.xs, o.occ.OriginalStart)
	x, err := NewException(series, o.occ.OriginalStart, &changed)
	if err != nil {
		return Exception{}, err
	}
	rec, err := s.record(p, o.tab, Change{Kind: ChangeOccurrenceChanged, Before: &series, After: &series, OriginalStart: x.OriginalStart, Occurrence: x.Override})
	if err != nil {
		return Exception{}, err
	}
	out, err := s.events.PutException(ctx, o.tab.TenantID, o.tab.CalendarID, x, ifMatch, rec...)
	if err != nil {
		return Exception{}, err
	}
	s.announce(ctx, rec)
	return out, nil
}

// CancelOccurrence cancels one occurrence of a series (an EXDATE).
func (s *Service) CancelOccurrence(ctx context.Context, p teamspro.Principal, calendarID, eventID, originalStart, ifMatch string) error {
	o, err := s.occurrence(ctx, p, calendarID, eventID, originalStart, tab.ActionDelete)
	if err != nil {
		return err
	}
	x, err := NewException(o.series, o.occ.OriginalStart, nil)
	if err != nil {
		return err
	}
	gone := currentOccurrence(o.occ, o.xs)
	gone.Sequence = occurrenceSequence(o.series, o.xs, o.occ.OriginalStart)
	rec, err := s.record(p, o.tab, Change{Kind: ChangeOccurrenceCancelled, Before: &o.series, After: &o.series, OriginalStart: o.occ.OriginalStart, Occurrence: &gone})
	if err != nil {
		return err
	}
	if _, err := s.events.PutException(ctx, o.tab.TenantID, o.tab.CalendarID, x, ifMatch, rec...); err != nil {
		return err
	}
	s.announce(ctx, rec)
	return nil
}

// SplitAt is "this and following": the series ends before the occurrence
// whose original start is originalStart, and a new series, changed by
// body's members, starts at it and takes the later exceptions. ifMatch
// guards the series. EINVALID if body stops the following occurrences from
// repeating (that is a change of the occurrence alone).
func (s *Service) SplitAt(ctx context.Context, p teamspro.Principal, calendarID, eventID, originalStart, ifMatch string, body Body) (Split, error) {
	o, err := s.occurrence(ctx, p, calendarID, eventID, originalStart, tab.ActionModify)
	if err != nil {
		return Split{}, err
	}
	series, t := o.series, o.tab
	sp, err := SplitSeries(series, o.xs, o.occ.OriginalStart, uuid.NewString())
	if err != nil {
		return Split{}, err
	}
	after, err := patchOver(body, sp.After.JSON())
	if err != nil {
		return Split{}, err
	}
	now := s.now().UTC()
	after.ID, after.CalendarID = sp.After.ID, t.CalendarID
	after.CreatedBy, after.CreatedAt, after.UpdatedAt = actor(p), now, now
	if after.Rule == nil {
		e := teamspro.Errorf(teamspro.EINVALID, "The following occurrences must stay a series; change the occurrence alone instead.")
		e.Fields = []teamspro.FieldError{{Field: "modeRecurrence", Reason: "must repeat"}}
		return Split{}, e
	}
	if after.RRule() != sp.After.RRule() || !after.Start.Equal(sp.After.Start) || after.AllDay != sp.After.AllDay || after.TimeZone != sp.After.TimeZone {
		if sp.AfterExceptions, _, err = ReconcileExceptions(after, sp.AfterExceptions); err != nil {
			return Split{}, err
		}
	}
	sp.After = after
	sp.Before.UpdatedAt, sp.Before.Sequence = now, series.Sequence+1
	rec, err := s.record(p, t, Change{Kind: ChangeUpdated, Before: &series, After: &sp.Before},
		Change{Kind: ChangeCreated, After: &sp.After})
	if err != nil {
		return Split{}, err
	}
	out, err := s.events.ReplaceSeries(ctx, t.TenantID, sp, ifMatch, rec...)
	if err != nil {
		return Split{}, err
	}
	s.announce(ctx, rec)
	return out, nil
}

// Restore brings back a soft-deleted event, for whom may delete events.
// ENOTFOUND if there is no deleted event with that id.
func (s *Service) Restore(ctx context.Context, p teamspro.Principal, calendarID, eventID string) (Event, error) {
	t, err := s.editable(ctx, p, calendarID, tab.ActionDelete)
	if err != nil {
		return Event{}, err
	}
	id, err := checkID("eventId", eventID)
	if err != nil {
		return Event{}, err
	}
	// The store makes the restored state: the announcement reads it back.
	rec, err := s.record(p, t, Change{Kind: ChangeRestored, After: &Event{ID: id, CalendarID: t.CalendarID}})
	if err != nil {
		return Event{}, err
	}
	e, err := s.events.Restore(ctx, t.TenantID, t.CalendarID, id, rec...)
	if err != nil {
		return Event{}, err
	}
	s.announce(ctx, rec)
	return e, nil
}

// Deleted lists the calendar's soft-deleted events, most recently deleted
// first, a page at a time (with the next page's token, "" after the last),
// for whom may delete (and so restore) them.
func (s *Service) Deleted(ctx context.Context, p teamspro.Principal, calendarID string, page Page) ([]Event, string, error) {
	t, err := s.editable(ctx, p, calendarID, tab.ActionDelete)
	if err != nil {
		return nil, "", err
	}
	return s.events.ListDeleted(ctx, t.TenantID, t.CalendarID, page)
}

// PurgeDeleted removes for good every tenant's events deleted before
// cutoff (the daily timer), and returns how many.
func (s *Service) PurgeDeleted(ctx context.Context, cutoff time.Time) (int, error) {
	return s.events.PurgeAllDeleted(ctx, cutoff)
}
