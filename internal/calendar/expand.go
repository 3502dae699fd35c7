package calendar

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/teambition/rrule-go"

	"github.com/teamspro/functions/internal/teamspro"
)

// Expansion bounds. A query may ask for at most MaxWindow of time and gets at
// most MaxOccurrencesPerSeries occurrences of one series; beyond either the
// answer is EINVALID (ask for a smaller window) rather than a silently
// truncated list. maxIterations bounds the rule steps spent on one series
// (a daily series started ten years ago costs 3,650 steps to reach today).
const (
	MaxOccurrencesPerSeries = 1000
	MaxWindow               = 400 * 24 * time.Hour
	maxIterations           = 200_000
)

// Exception changes one occurrence of a series: it cancels it (RFC 5545
// EXDATE) or overrides it with its own fields (a VEVENT with RECURRENCE-ID).
// It is keyed by the series and OriginalStart, the start the rule gives the
// occurrence: a UTC instant for timed series, the local midnight of the date
// in the series' zone for all-day series (Occurrence.OriginalStart is the
// same value, so a client can echo it back).
type Exception struct {
	SeriesID      string
	OriginalStart time.Time
	Cancelled     bool
	// Override is the occurrence as changed (its own start, end, title...);
	// nil when Cancelled. Its Rule is always nil.
	Override *Event
	ETag     string // set by the Store
}

// Occurrence returns the occurrence x overrides (its Override with the
// series and original start); only for an exception that is not Cancelled.
func (x Exception) Occurrence() Occurrence {
	return Occurrence{Event: *x.Override, SeriesID: x.SeriesID, OriginalStart: x.OriginalStart, Overridden: true}
}

// Occurrence is one instance of an event in a window: a single event, or an
// occurrence of a series with the series' fields (or its override's) and
// its own start and end. Its Event.ID is the series' id and its Rule is nil.
type Occurrence struct {
	Event
	SeriesID      string    // the series; "" for a single event
	OriginalStart time.Time // the start the rule gave it (zero for a single event)
	Overridden    bool      // its fields come from an Exception
	// Cut: its series has more occurrences in the window than a view
	// shows (MaxOccurrencesPerSeries); the later ones are left out.
	Cut bool
	// External is the external calendar it comes from (nil for the
	// calendar's own events): read-only, never stored in the calendar.
	External *ExternalRef
}

// JSON returns o in the contract's shape, with seriesId and originalStart.
func (o Occurrence) JSON() EventJSON {
	j := o.Event.JSON()
	j.SeriesID = o.SeriesID
	j.SeriesCut = o.Cut
	if o.SeriesID != "" {
		j.OriginalStart = o.OriginalStart.UTC().Format(time.RFC3339)
	}
	if x := o.External; x != nil {
		// Ids are the external calendar's and the event's: the same
		// document added twice shows twice, each occurrence its own.
		j.ID = x.ID + ":" + j.ID
		if j.SeriesID != "" {
			j.SeriesID = x.ID + ":" + j.SeriesID
		}
		j.Source, j.ExternalID, j.ExternalName, j.ReadOnly = SourceExternal, x.ID, x.Name, true
	}
	return j
}

// NewException makes the exception that cancels (override nil) or changes
// the occurrence of series that starts at originalStart. It returns
// EINVALID when series is not recurring, when no occurrence starts at
// originalStart, or when the override is itself recurring.
func NewException(series Event, originalStart time.Time, override *Event) (Exception, error) {
	ok, err := IsOccurrence(series, originalStart)
	if err != nil {
		return Exception{}, err
	}
	if !ok {
		return Exception{}, invalid("originalStart", "is not the start of an occurrence of the series")
	}
	x := Exception{SeriesID: series.ID, OriginalStart: originalStart.UTC(), Cancelled: override == nil}
	if override != nil {
		if override.Rule != nil {
			return Exception{}, invalid("rrule", "an occurrence cannot itself repeat")
		}
		o := *override
		o.ID, o.CalendarID, o.Mode = series.ID, series.CalendarID, NotRepeat
		x.Override = &o
	}
	return x, nil
}

func invalid(field, reason string) error {
	v := teamspro.Validation{}
	v.Add(field, reason)
	return v.Err()
}

// IsOccurrence reports whether the rule of series starts an occurrence at
// t (exceptions aside). It returns EINVALID for a single event.
func IsOccurrence(series Event, t time.Time) (bool, error) {
	it, err := series.iterator()
	if err != nil {
		return false, err
	}
	for n := 0; n < maxIterations; n++ {
		s, ok := it.next()
		if !ok || s.After(t) {
			return false, nil
		}
		if s.Equal(t) {
			return true, nil
		}
	}
	return false, teamspro.Errorf(teamspro.EINVALID, "The series is too dense to expand.")
}

// occIter walks the starts of a series' occurrences as instants (local
// midnights for all-day series).
type occIter struct {
	next func() (time.Time, bool)
}

func (e Event) iterator() (occIter, error) {
	if e.Rule == nil {
		return occIter{}, teamspro.Errorf(teamspro.EINVALID, "The event is not recurring.")
	}
	loc, err := e.Location()
	if err != nil {
		return occIter{}, err
	}
	var o rrule.ROption
	if e.AllDay {
		// Dates are expanded as UTC midnights, where no day is 23 or 25
		// hours long, then placed at the local midnight of the zone.
		o = e.Rule.ropt(e.StartDay.In(time.UTC))
		if !e.Rule.Until.IsZero() {
			o.Until = dayIn(e.Rule.Until, loc).In(time.UTC)
		}
	} else {
		// rrule-go builds every occurrence with time.Date in dtstart's
		// location: the wall-clock time holds across DST changes. A local
		// time that falls in a spring-forward gap is moved forward by the
		// gap, as RFC 5545 3.3.5 prescribes.
		o = e.Rule.ropt(e.Start.In(loc))
	}
	r, err := rrule.NewRRule(o)
	if err != nil {
		return occIter{}, teamspro.Wrap(teamspro.EINVALID, err, "The recurrence rule is invalid.")
	}
	next := r.Iterator()
	if e.AllDay {
		return occIter{func() (time.Time, bool) {
			t, ok := next()
			return DateOf(t).In(loc).UTC(), ok
		}}, nil
	}
	return occIter{func() (time.Time, bool) {
		t, ok := next()
		return t.UTC(), ok
	}}, nil
}

// firstOccurrence returns the first start the rule produces.
func (e Event) firstOccurrence() (time.Time, bool) {
	it, err := e.iterator()
	if err != nil {
		return time.Time{}, false
	}
	return it.next()
}

// window is a query window; all-day occurrences are matched by date in the
// location of from, the viewer's zone.
type window struct {
	from, to       time.Time
	fromDay, toDay Date // [fromDay, toDay)
}

func newWindow(from, to time.Time) (window, error) {
	v := teamspro.Validation{}
	v.Check(!from.IsZero(), "from", "is required")
	v.Check(!to.IsZero(), "to", "is required")
	if !from.IsZero() && !to.IsZero() {
		if v.Check(to.After(from), "to", "must be after from") {
			v.Check(to.Sub(from) <= MaxWindow, "to", fmt.Sprintf("the window may span at most %d days", int(MaxWindow.Hours()/24)))
		}
	}
	if err := v.Err(); err != nil {
		return window{}, err
	}
	w := window{from: from, to: to, fromDay: DateOf(from)}
	lt := to.In(from.Location())
	w.toDay = DateOf(lt)
	if lt.Hour() != 0 || lt.Minute() != 0 || lt.Second() != 0 || lt.Nanosecond() != 0 {
		w.toDay = w.toDay.AddDays(1)
	}
	return w, nil
}

// overlaps reports whether an occurrence of e lasting e.Duration() and
// starting at start (instant) meets the window.
func (w window) overlaps(e Event, start time.Time) bool {
	if e.AllDay {
		loc, err := e.Location()
		if err != nil {
			return false
		}
		sd := DateOf(start.In(loc))
		ed := sd.AddDays(e.StartDay.DaysUntil(e.EndDay))
		return sd.Before(w.toDay) && w.fromDay.Before(ed)
	}
	return start.Before(w.to) && start.Add(e.Duration()).After(w.from)
}

// past reports whether an occurrence starting at start, and every later one,
// begins after the window.
func (w window) past(e Event, start time.Time) bool {
	if e.AllDay {
		loc, err := e.Location()
		if err != nil {
			return true
		}
		return !DateOf(start.In(loc)).Before(w.toDay)
	}
	return !start.Before(w.to)
}

// at returns e moved to start, keeping its duration.
func (e Event) at(start time.Time) Event {
	o := e
	o.Rule = nil
	if e.AllDay {
		loc, _ := e.Location()
		if loc == nil {
			loc = time.UTC
		}
		days := e.StartDay.DaysUntil(e.EndDay)
		o.StartDay = DateOf(start.In(loc))
		o.EndDay = o.StartDay.AddDays(days)
		o.Start, o.End = o.StartDay.In(loc).UTC(), o.EndDay.In(loc).UTC()
		return o
	}
	o.Start, o.End = start.UTC(), start.Add(e.Duration()).UTC()
	return o
}

// Occurrences returns the occurrences of series that meet the window
// [from, to), in start order, with exceptions applied: cancelled ones are
// left out, overridden ones carry the override's fields and times (an
// override moved into the window is returned even if its original start is
// outside it; one moved out is not). Exceptions of other series, and those
// whose original start is not an occurrence (left over from an edit of the
// whole series), are ignored. A single event yields itself if it meets the
// window. Timed occurrences meet the window when they overlap it; all-day
// ones when their dates meet the dates of the window in from's location, so
// pass from and to in the viewer's zone. It returns EINVALID when the window
// is empty or longer than MaxWindow, or when more than
// MaxOccurrencesPerSeries occurrences would be returned.
func Occurrences(series Event, exceptions []Exception, from, to time.Time) ([]Occurrence, error) {
	w, err := newWindow(from, to)
	if err != nil {
		return nil, err
	}
	occ, err := series.occurrences(exceptions, w)
	var cut cutError
	if errors.As(err, &cut) {
		return nil, cut.err
	}
	return occ, err
}

// cutError is the expansion of a series stopped at a bound
// (MaxOccurrencesPerSeries, or too dense to expand): the occurrences up to
// the cut come with it.
type cutError struct{ err error }

func (e cutError) Error() string { return e.err.Error() }

// NextOccurrence returns the first occurrence of e that starts after after,
// exceptions applied (a cancelled occurrence is skipped, an override counts at
// its own start), looking at most MaxWindow ahead; ok is false when there is
// none (the series has ended). A single event is its own only occurrence.
// Reminders of a series use it: one is scheduled at a time, for the next
// occurrence, and each schedules the one after.
func NextOccurrence(e Event, exceptions []Exception, after time.Time) (o Occurrence, ok bool, err error) {
	if e.Rule == nil {
		return Occurrence{Event: e}, e.Start.After(after), nil
	}
	// Month-long windows keep a dense series under MaxOccurrencesPerSeries;
	// a window starts a day early so that an override moved later into it
	// from just before is seen.
	const step = 31 * 24 * time.Hour
	for from := after; from.Before(after.Add(MaxWindow)); from = from.Add(step) {
		occ, err := Occurrences(e, exceptions, from.Add(-24*time.Hour), from.Add(step))
		if err != nil {
			return Occurrence{}, false, err
		}
		for _, o := range occ {
			if o.Start.After(after) {
				return o, true, nil
			}
		}
	}
	return Occurrence{}, false, nil
}

func (e Event) occurrences(exceptions []Exception, w window) ([]Occurrence, error) {
	return e.appendOccurrences(nil, exceptions, w)
}

// appendOccurrences appends e's occurrences in w to dst, in start order, and
// returns the extended slice: a view expands every event of its window into
// one list, rather than a slice per event copied into it. On a cutError the
// occurrences up to the cut are appended; on another error, none.
func (e Event) appendOccurrences(dst []Occurrence, exceptions []Exception, w window) ([]Occurrence, error) {
	if e.Rule == nil {
		if w.overlaps(e, e.Start) {
			return append(dst, Occurrence{Event: e}), nil
		}
		return dst, nil
	}
	first := len(dst)
	byStart := map[int64]Exception{}
	for _, x := range exceptions {
		if x.SeriesID == e.ID {
			byStart[x.OriginalStart.Unix()] = x
		}
	}
	out := dst
	add := func(o Occurrence) error {
		if len(out)-first == MaxOccurrencesPerSeries {
			return cutError{teamspro.Errorf(teamspro.EINVALID, "A series has more than %d occurrences in the window; ask for a smaller window.", MaxOccurrencesPerSeries)}
		}
		out = append(out, o)
		return nil
	}
	it, err := e.iterator()
	if err != nil {
		return dst, err
	}
	seen := map[int64]bool{} // exceptions whose original start the rule produced
	n := 0
	for {
		s, ok := it.next()
		if !ok {
			break
		}
		if n++; n > maxIterations {
			sortOccurrences(out[first:])
			return out, cutError{teamspro.Errorf(teamspro.EINVALID, "The series is too dense to expand.")}
		}
		if _, ok := byStart[s.Unix()]; ok {
			seen[s.Unix()] = true
		}
		if w.past(e, s) {
			break
		}
		if _, ok := byStart[s.Unix()]; ok || !w.overlaps(e, s) {
			continue
		}
		if err := add(Occurrence{Event: e.at(s), SeriesID: e.ID, OriginalStart: s}); err != nil {
			sortOccurrences(out[first:])
			return out, err
		}
	}
	for k, x := range byStart {
		if x.Cancelled || x.Override == nil {
			continue
		}
		if !seen[k] {
			// Its original start lies after the window: check it is real.
			if ok, err := IsOccurrence(e, x.OriginalStart); err != nil || !ok {
				continue
			}
		}
		o := *x.Override
		o.ID, o.CalendarID, o.Rule, o.Mode = e.ID, e.CalendarID, nil, NotRepeat
		if w.overlaps(o, o.Start) {
			if err := add(Occurrence{Event: o, SeriesID: e.ID, OriginalStart: x.OriginalStart.UTC(), Overridden: true}); err != nil {
				sortOccurrences(out[first:])
				return out, err
			}
		}
	}
	sortOccurrences(out[first:])
	return out, nil
}

func sortOccurrences(out []Occurrence) {
	slices.SortStableFunc(out, func(a, b Occurrence) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		if c := a.OriginalStart.Compare(b.OriginalStart); c != 0 {
			return c
		}
		return compareStrings(a.ID, b.ID)
	})
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Expand returns the occurrences of every event (single or series) that
// meet [from, to), in start order, each series with its exceptions (matched
// by SeriesID). A view never fails because of one series: a series beyond
// the bounds of Occurrences (more than MaxOccurrencesPerSeries occurrences in
// the window, or too dense to expand) is cut there, and its occurrences are
// flagged Cut. It is what the list route calls on what Store.ListWindow
// returns.
func Expand(events []Event, exceptions []Exception, from, to time.Time) ([]Occurrence, error) {
	w, err := newWindow(from, to)
	if err != nil {
		return nil, err
	}
	bySeries := map[string][]Exception{}
	for _, x := range exceptions {
		bySeries[x.SeriesID] = append(bySeries[x.SeriesID], x)
	}
	var out []Occurrence
	if len(events) > 0 {
		out = make([]Occurrence, 0, len(events)) // at least one each, most often
	}
	for i := range events {
		first := len(out)
		var err error
		out, err = events[i].appendOccurrences(out, bySeries[events[i].ID], w)
		var cut cutError
		if errors.As(err, &cut) {
			for j := first; j < len(out); j++ {
				out[j].Cut = true
			}
			err = nil
		}
		if err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	sortOccurrences(out)
	return out, nil
}

// Split is the result of a "this and following" edit: the series cut before
// the chosen occurrence, the new series starting at it, and the exceptions
// shared out between them.
type Split struct {
	Before           Event
	After            Event
	BeforeExceptions []Exception
	AfterExceptions  []Exception
}

// SplitSeries cuts series at the occurrence whose original start is at, for
// a "this and following" edit. Before keeps series' id and ends just before
// at (UNTIL one second earlier, or a COUNT of the occurrences before at when
// the series was counted); After gets newID, starts at at with the same
// duration and pattern, and keeps the rest of a COUNT. Exceptions at or
// after at move to After. The caller then applies the edit to After and
// stores both, with their exceptions, in one batch. It returns EINVALID when
// series is not recurring, newID is not a valid id, at is not an occurrence,
// or at is the first occurrence (edit the whole series instead).
func SplitSeries(series Event, exceptions []Exception, at time.Time, newID string) (Split, error) {
	if !teamspro.ValidID(newID) {
		return Split{}, invalid("id", "is not a valid identifier")
	}
	it, err := series.iterator()
	if err != nil {
		return Split{}, err
	}
	before := 0
	found := false
	for n := 0; n < maxIterations; n++ {
		s, ok := it.next()
		if !ok || s.After(at) {
			break
		}
		if s.Equal(at) {
			found = true
			break
		}
		before++
	}
	if !found {
		return Split{}, invalid("originalStart", "is not the start of an occurrence of the series")
	}
	if before == 0 {
		return Split{}, invalid("originalStart", "is the first occurrence: edit the whole series instead")
	}
	var sp Split
	b, a := *series.Rule, *series.Rule
	if series.Rule.Count > 0 {
		b.Count, a.Count = before, series.Rule.Count-before
	} else {
		b.Until = at.Add(-time.Second).UTC()
	}
	// Copy the slices so that editing one series never changes the other.
	a.ByWeekday, a.ByMonth, a.ByMonthDay = slices.Clone(a.ByWeekday), slices.Clone(a.ByMonth), slices.Clone(a.ByMonthDay)
	a.ByYearDay, a.ByWeekNo, a.BySetPos = slices.Clone(a.ByYearDay), slices.Clone(a.ByWeekNo), slices.Clone(a.BySetPos)
	a.ByHour, a.ByMinute, a.BySecond = slices.Clone(a.ByHour), slices.Clone(a.ByMinute), slices.Clone(a.BySecond)
	sp.Before = series
	sp.Before.Rule = &b
	sp.After = series.at(at)
	sp.After.Rule = &a
	sp.After.ID, sp.After.ETag, sp.After.Sequence = newID, "", 0
	sp.After.Tags, sp.After.Participants = slices.Clone(series.Tags), slices.Clone(series.Participants)
	if series.Address != nil {
		addr := *series.Address
		sp.After.Address = &addr
	}
	for _, x := range exceptions {
		if x.SeriesID != series.ID {
			continue
		}
		if x.OriginalStart.Before(at) {
			sp.BeforeExceptions = append(sp.BeforeExceptions, x)
			continue
		}
		x.SeriesID, x.ETag = newID, ""
		if x.Override != nil {
			o := *x.Override
			o.ID = newID
			x.Override = &o
		}
		sp.AfterExceptions = append(sp.AfterExceptions, x)
	}
	return sp, nil
}

// ReconcileExceptions sorts the exceptions of series after an edit of the
// whole series: kept are those whose original start is still an
// occurrence, orphaned those the new rule or start no longer produces (the
// Store should delete them). It returns EINVALID for a single event.
func ReconcileExceptions(series Event, exceptions []Exception) (kept, orphaned []Exception, err error) {
	for _, x := range exceptions {
		ok, err := IsOccurrence(series, x.OriginalStart)
		if err != nil {
			return nil, nil, err
		}
		if ok && x.SeriesID == series.ID {
			kept = append(kept, x)
		} else {
			orphaned = append(orphaned, x)
		}
	}
	return kept, orphaned, nil
}
