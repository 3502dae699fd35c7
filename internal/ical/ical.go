// Package ical writes iCalendar (RFC 5545) data: subscription feeds of a
// calendar (METHOD:PUBLISH) and invitations and cancellations sent by e-mail
// (METHOD:REQUEST, METHOD:CANCEL, RFC 5546). Writing goes through
// github.com/emersion/go-ical; this package adds what a feed needs on top:
// VTIMEZONE components generated from Go's zone database for every TZID
// used, DATE values for all-day events, EXDATE and RECURRENCE-ID in the
// series' zone, and line folding.
package ical

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	goical "github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"

	"github.com/teamspro/functions/internal/teamspro"
)

// Method is the iTIP method of a calendar object.
type Method string

// The methods we write.
const (
	Publish Method = "PUBLISH" // a feed
	Request Method = "REQUEST" // an invitation or an update of one
	Cancel  Method = "CANCEL"  // a cancellation
)

// DefaultProdID identifies the product in PRODID.
const DefaultProdID = "-//TeamsPro//Functions//EN"

// UID is the iCalendar UID of the event (or series, or reservation series)
// with id, the same in every invite and every feed: clients match updates and
// duplicates on it, so it depends on nothing but the id (never on a request's
// Host or on a setting that may change). Ids are UUIDs, unique on their own;
// the suffix only gives the UID the shape RFC 5545 recommends.
func UID(id string) string { return id + "@teamspro" }

// Person is an organizer or attendee, known by e-mail.
type Person struct {
	Email string
	Name  string
}

// Attendee is an invited person. Role defaults to REQ-PARTICIPANT and
// PartStat to NEEDS-ACTION.
type Attendee struct {
	Person
	Role     string
	PartStat string
	RSVP     bool
}

// Event is one VEVENT: a single event, a series master (RRule set) or the
// override of one occurrence (RecurrenceID set, same UID as its series).
type Event struct {
	UID         string // stable across updates: clients match updates on it
	Sequence    int    // raise it on every significant change
	Summary     string
	Description string
	Location    string
	Categories  []string
	URL         string

	// Start and End are instants written in TZID (UTC when TZID is empty or
	// a UTC zone). For AllDay events only their dates, read in TZID, are
	// written, as DATE values; End is exclusive. ExDates and RecurrenceID
	// are read the same way.
	Start  time.Time
	End    time.Time
	AllDay bool
	TZID   string

	RRule        string      // RRULE value without "RRULE:" ("" for none)
	ExDates      []time.Time // cancelled occurrences, by original start
	RecurrenceID time.Time   // for an override: the original start it replaces

	Organizer *Person
	Attendees []Attendee
	Status    string // CONFIRMED, TENTATIVE or CANCELLED; CANCEL defaults it to CANCELLED
	Created   time.Time
	Modified  time.Time
}

// Calendar is one VCALENDAR.
type Calendar struct {
	ProdID string // defaults to DefaultProdID
	Method Method // PUBLISH, REQUEST or CANCEL; "" writes no METHOD
	Name   string // X-WR-CALNAME, shown by subscribing clients
	// Stamp is the DTSTAMP of every event: when this object was made. It
	// is required (pass the injected clock's now).
	Stamp  time.Time
	Events []Event
}

// Encode writes cal to w. It returns EINVALID when cal cannot be written as
// valid iCalendar: no Stamp, an event without UID or start, a TZID unknown
// to the zone database, a malformed RRULE, REQUEST or CANCEL without an
// organizer.
func Encode(w io.Writer, cal Calendar) error {
	if cal.Stamp.IsZero() {
		return teamspro.Errorf(teamspro.EINVALID, "An iCalendar object needs a stamp.")
	}
	c := goical.NewCalendar()
	prodID := cal.ProdID
	if prodID == "" {
		prodID = DefaultProdID
	}
	c.Props.SetText(goical.PropProductID, prodID)
	c.Props.SetText(goical.PropVersion, "2.0")
	c.Props.SetText(goical.PropCalendarScale, "GREGORIAN")
	switch cal.Method {
	case "":
	case Publish, Request, Cancel:
		c.Props.SetText(goical.PropMethod, string(cal.Method))
	default:
		return teamspro.Errorf(teamspro.EINVALID, "Unknown iCalendar method %q.", cal.Method)
	}
	if cal.Name != "" {
		c.Props.SetText("X-WR-CALNAME", clean(cal.Name))
	}

	spans := map[string]*span{}
	var order []string
	var events []*goical.Component
	for i, e := range cal.Events {
		comp, err := encodeEvent(cal, e)
		if err != nil {
			return teamspro.Wrap(teamspro.EINVALID, err, "Event %d cannot be written as iCalendar: %v.", i, err)
		}
		events = append(events, comp)
		if e.AllDay || isUTC(e.TZID) {
			continue
		}
		loc, _ := time.LoadLocation(e.TZID) // checked by encodeEvent
		from, to, err := coverage(e, loc, cal.Stamp)
		if err != nil {
			return teamspro.Wrap(teamspro.EINVALID, err, "Event %d has an invalid rule.", i)
		}
		s, ok := spans[e.TZID]
		if !ok {
			s = &span{loc: loc, from: from, to: to}
			spans[e.TZID] = s
			order = append(order, e.TZID)
		}
		if from.Before(s.from) {
			s.from = from
		}
		if to.After(s.to) {
			s.to = to
		}
	}
	slices.Sort(order)
	for _, tzid := range order {
		s := spans[tzid]
		c.Children = append(c.Children, vtimezone(tzid, s.loc, s.from, s.to))
	}
	c.Children = append(c.Children, events...)
	if len(c.Children) == 0 {
		// RFC 5545 wants at least one component; an empty feed still is one.
		return writeEmpty(w, c)
	}
	if err := goical.NewEncoder(&folder{w: w}).Encode(c); err != nil {
		return teamspro.Wrap(teamspro.EINVALID, err, "The calendar cannot be written as iCalendar.")
	}
	return nil
}

type span struct {
	loc      *time.Location
	from, to time.Time
}

func isUTC(tzid string) bool {
	switch tzid {
	case "", "UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Zulu", "Zulu":
		return true
	}
	return false
}

// clean makes text writable: go-ical escapes commas, semicolons and line
// feeds but refuses carriage returns.
func clean(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// param makes a parameter value writable: go-ical quotes values with
// separators but refuses double quotes and line breaks.
func param(s string) string {
	return strings.NewReplacer(`"`, "'", "\r", " ", "\n", " ").Replace(s)
}

func encodeEvent(cal Calendar, e Event) (*goical.Component, error) {
	if e.UID == "" {
		return nil, fmt.Errorf("no UID")
	}
	if e.Start.IsZero() {
		return nil, fmt.Errorf("no start")
	}
	// An all-day event's dates are those of its own zone: its start is the
	// local midnight there, which is the day before in UTC east of Greenwich.
	var loc *time.Location
	if !isUTC(e.TZID) {
		var err error
		if loc, err = time.LoadLocation(e.TZID); err != nil {
			return nil, fmt.Errorf("unknown TZID %q", e.TZID)
		}
	}
	if (cal.Method == Request || cal.Method == Cancel) && (e.Organizer == nil || e.Organizer.Email == "") {
		return nil, fmt.Errorf("%s needs an organizer", cal.Method)
	}
	ev := goical.NewEvent()
	p := ev.Props
	p.SetText(goical.PropUID, e.UID)
	p.SetDateTime(goical.PropDateTimeStamp, cal.Stamp.UTC())
	if e.Sequence > 0 {
		seq := goical.NewProp(goical.PropSequence)
		seq.Value = fmt.Sprint(e.Sequence)
		p.Set(seq)
	}
	p.SetText(goical.PropSummary, clean(e.Summary))
	if e.Description != "" {
		p.SetText(goical.PropDescription, clean(e.Description))
	}
	if e.Location != "" {
		p.SetText(goical.PropLocation, clean(e.Location))
	}
	if len(e.Categories) > 0 {
		cat := goical.NewProp(goical.PropCategories)
		l := make([]string, len(e.Categories))
		for i, c := range e.Categories {
			l[i] = clean(c)
		}
		cat.SetTextList(l)
		p.Set(cat)
	}
	if e.URL != "" {
		u := goical.NewProp(goical.PropURL)
		u.Value = e.URL
		p.Set(u)
	}
	p.Set(timeProp(goical.PropDateTimeStart, e.Start, e.AllDay, loc))
	if !e.End.IsZero() {
		p.Set(timeProp(goical.PropDateTimeEnd, e.End, e.AllDay, loc))
	}
	if e.RRule != "" {
		value := strings.TrimPrefix(e.RRule, "RRULE:")
		if _, err := rrule.StrToROption(value); err != nil {
			return nil, fmt.Errorf("RRULE %q: %v", value, err)
		}
		r := goical.NewProp(goical.PropRecurrenceRule)
		r.Value = value
		p.Set(r)
	}
	for _, x := range e.ExDates {
		p.Add(timeProp(goical.PropExceptionDates, x, e.AllDay, loc))
	}
	if !e.RecurrenceID.IsZero() {
		p.Set(timeProp(goical.PropRecurrenceID, e.RecurrenceID, e.AllDay, loc))
	}
	status := e.Status
	if status == "" && cal.Method == Cancel {
		status = "CANCELLED"
	}
	if status != "" {
		p.SetText(goical.PropStatus, status)
	}
	if o := e.Organizer; o != nil && o.Email != "" {
		org := goical.NewProp(goical.PropOrganizer)
		org.Value = "mailto:" + o.Email
		if o.Name != "" {
			org.Params.Set(goical.ParamCommonName, param(o.Name))
		}
		p.Set(org)
	}
	for _, a := range e.Attendees {
		at := goical.NewProp(goical.PropAttendee)
		at.Value = "mailto:" + a.Email
		if a.Name != "" {
			at.Params.Set(goical.ParamCommonName, param(a.Name))
		}
		role, stat := a.Role, a.PartStat
		if role == "" {
			role = "REQ-PARTICIPANT"
		}
		if stat == "" {
			stat = "NEEDS-ACTION"
		}
		at.Params.Set(goical.ParamRole, param(role))
		at.Params.Set(goical.ParamParticipationStatus, param(stat))
		if a.RSVP {
			at.Params.Set(goical.ParamRSVP, "TRUE")
		}
		p.Add(at)
	}
	if !e.Created.IsZero() {
		p.SetDateTime(goical.PropCreated, e.Created.UTC())
	}
	if !e.Modified.IsZero() {
		p.SetDateTime(goical.PropLastModified, e.Modified.UTC())
	}
	return ev.Component, nil
}

// timeProp writes t as a DATE (all-day: its date in loc, or in UTC when loc
// is nil), a local date-time with TZID, or a UTC date-time (loc nil).
func timeProp(name string, t time.Time, allDay bool, loc *time.Location) *goical.Prop {
	p := goical.NewProp(name)
	switch {
	case allDay:
		if loc == nil {
			loc = time.UTC
		}
		y, m, d := t.In(loc).Date()
		p.SetDate(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
	case loc == nil:
		p.SetDateTime(t.UTC())
	default:
		p.SetDateTime(t.In(loc)) // sets TZID to loc's name
	}
	return p
}

// coverage returns the span of time whose zone transitions e needs: from
// its start to its last end, the end of its rule when the rule ends, or
// five years past the later of its start and stamp when it does not.
func coverage(e Event, loc *time.Location, stamp time.Time) (time.Time, time.Time, error) {
	from := e.Start.Add(-24 * time.Hour)
	to := e.End
	if to.Before(e.Start) {
		to = e.Start
	}
	if !e.RecurrenceID.IsZero() && e.RecurrenceID.Before(from) {
		from = e.RecurrenceID.Add(-24 * time.Hour)
	}
	if e.RRule == "" {
		return from, to.Add(24 * time.Hour), nil
	}
	o, err := rrule.StrToROption(strings.TrimPrefix(e.RRule, "RRULE:"))
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	switch {
	case !o.Until.IsZero():
		to = o.Until
	case o.Count > 0:
		o.Dtstart = e.Start.In(loc)
		r, err := rrule.NewRRule(*o)
		if err != nil {
			return time.Time{}, time.Time{}, err
		}
		if all := r.All(); len(all) > 0 {
			to = all[len(all)-1]
		}
	default:
		to = stamp
		if e.Start.After(to) {
			to = e.Start
		}
		to = to.AddDate(5, 0, 0)
	}
	return from, to.Add(e.End.Sub(e.Start)).Add(24 * time.Hour), nil
}

// vtimezone describes loc from the zone database over [from, to]: the
// observance in effect at from, then one observance per transition up to
// to, each with its DTSTART in the local time before the change
// (TZOFFSETFROM), as RFC 5545 3.6.5 defines.
func vtimezone(tzid string, loc *time.Location, from, to time.Time) *goical.Component {
	tz := goical.NewComponent(goical.CompTimezone)
	tz.Props.SetText(goical.PropTimezoneID, tzid)
	t := from.In(loc)
	for range 1000 {
		start, end := t.ZoneBounds()
		tz.Children = append(tz.Children, observance(t, start))
		if end.IsZero() || end.After(to) {
			break
		}
		t = end.In(loc)
	}
	return tz
}

func observance(t, start time.Time) *goical.Component {
	name, offset := t.Zone()
	before := offset
	if start.IsZero() {
		start = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Duration(offset) * time.Second)
	} else {
		_, before = start.Add(-time.Second).In(t.Location()).Zone()
	}
	kind := goical.CompTimezoneStandard
	if t.IsDST() {
		kind = goical.CompTimezoneDaylight
	}
	c := goical.NewComponent(kind)
	dt := goical.NewProp(goical.PropDateTimeStart)
	dt.Value = start.In(time.FixedZone("", before)).Format("20060102T150405")
	c.Props.Set(dt)
	c.Props.Set(&goical.Prop{Name: goical.PropTimezoneOffsetFrom, Params: goical.Params{}, Value: utcOffset(before)})
	c.Props.Set(&goical.Prop{Name: goical.PropTimezoneOffsetTo, Params: goical.Params{}, Value: utcOffset(offset)})
	if name != "" {
		c.Props.SetText(goical.PropTimezoneName, name)
	}
	return c
}

// utcOffset formats seconds east of UTC as RFC 5545 UTC-OFFSET (+hhmm[ss]).
func utcOffset(sec int) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	s := fmt.Sprintf("%s%02d%02d", sign, sec/3600, sec/60%60)
	if sec%60 != 0 {
		s += fmt.Sprintf("%02d", sec%60)
	}
	return s
}

// writeEmpty writes a calendar with no component, which go-ical refuses.
func writeEmpty(w io.Writer, c *goical.Calendar) error {
	f := &folder{w: w}
	c.Children = []*goical.Component{goical.NewComponent("X-EMPTY")}
	var sb strings.Builder
	if err := goical.NewEncoder(&sb).Encode(c); err != nil {
		return teamspro.Wrap(teamspro.EINVALID, err, "The calendar cannot be written as iCalendar.")
	}
	out := strings.Replace(sb.String(), "BEGIN:X-EMPTY\r\nEND:X-EMPTY\r\n", "", 1)
	_, err := f.Write([]byte(out))
	return err
}

// folder folds content lines longer than 75 octets (RFC 5545 3.1), which
// go-ical does not do, without cutting a UTF-8 sequence.
type folder struct{ w io.Writer }

func (f *folder) Write(b []byte) (int, error) {
	var out []byte
	for _, line := range strings.SplitAfter(string(b), "\r\n") {
		body := strings.TrimSuffix(line, "\r\n")
		limit := 75
		for len(body) > limit {
			cut := limit
			for cut > 0 && body[cut]&0xC0 == 0x80 { // inside a UTF-8 sequence
				cut--
			}
			out = append(out, body[:cut]...)
			out = append(out, "\r\n "...)
			body = body[cut:]
			limit = 74
		}
		out = append(out, body...)
		if strings.HasSuffix(line, "\r\n") {
			out = append(out, "\r\n"...)
		}
	}
	if _, err := f.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}
