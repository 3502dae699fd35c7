// Package calendar is the domain of Calendar Pro events (and of Booking Room
// Pro reservations, which are events tied to a room): the Event type and its
// contract JSON shape, validation, recurrence expansion with exceptions,
// list filters and the Store interface the Table Storage adapter implements.
// It imports no Azure SDK.
//
// Times: a timed event is a pair of UTC instants plus the IANA zone it was
// planned in; recurrence is expanded in that zone, so its local time holds
// across daylight-saving changes. An all-day event is a pair of dates (end
// exclusive, as in RFC 5545) in its zone, never instants.
package calendar

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	_ "time/tzdata" // the zone database must not depend on the host image
	"unicode/utf8"

	"github.com/teamspro/functions/internal/teamspro"
)

// Field limits of the contract (calendar-pro.swagger.json, Event) and ours.
const (
	MaxTitle        = 100
	MaxDescription  = 250
	MaxColor        = 30
	MaxTimeZone     = 50
	MaxFullAddress  = 250
	MaxResourceName = 100
	MaxTags         = 20
	MaxTagLength    = 50
	MaxParticipants = 200
	MaxName         = 100
)

// Address is where an event takes place.
type Address struct {
	FullAddress string  `json:"fullAddress"`
	Lat         float64 `json:"lat"`
	Lng         float64 `json:"lng"`
}

// Participant is someone invited to an event, known by any of their Entra
// object id, user principal name or e-mail address (at least one).
type Participant struct {
	ObjectID string `json:"objectId,omitempty"`
	UPN      string `json:"upn,omitempty"`
	Email    string `json:"email,omitempty"`
	Name     string `json:"name,omitempty"`
}

// Event is a calendar event or a recurring series (Rule set). For Booking
// Room Pro it is a reservation and ResourceID is the room.
type Event struct {
	ID         string
	CalendarID string

	Title       string
	Description string
	Color       string

	// AllDay events use StartDay and EndDay (exclusive); Start and End then
	// hold the local midnights of those dates in TimeZone, for ordering and
	// storage keys. Timed events use Start and End, UTC instants truncated
	// to the second.
	AllDay   bool
	Start    time.Time
	End      time.Time
	StartDay Date
	EndDay   Date
	TimeZone string // IANA name

	// Mode is how the client chose the recurrence; Rule is what it means
	// (nil for a single event). A shortcut mode is resolved to its Rule when
	// the input is converted, so expansion only ever reads Rule.
	Mode RecurrenceMode
	Rule *Rule

	ResourceID   string
	ResourceName string
	Address      *Address
	Tags         []string
	Participants []Participant

	// Sequence counts significant changes, for iCalendar invitations.
	Sequence  int
	CreatedBy string // object id of the creator
	CreatedAt time.Time
	UpdatedAt time.Time

	ETag      string // set by the Store
	Deleted   bool
	DeletedAt time.Time
}

// Recurring reports whether e is a series.
func (e Event) Recurring() bool { return e.Rule != nil }

// Duration is the length of every occurrence: the exact time between Start
// and End for timed events (RFC 5545 applies the same exact duration to
// every instance), whole days of 24 hours for all-day events.
func (e Event) Duration() time.Duration {
	if e.AllDay {
		return time.Duration(e.StartDay.DaysUntil(e.EndDay)) * 24 * time.Hour
	}
	return e.End.Sub(e.Start)
}

// Location returns the event's zone: an IANA zone, or the POSIX rule of an
// external calendar's zone that no IANA name denotes (PosixZone).
func (e Event) Location() (*time.Location, error) {
	if IsPosixZone(e.TimeZone) {
		return PosixZone(e.TimeZone)
	}
	return loadLocation(e.TimeZone)
}

// RRule returns the rule as an RRULE value ("" for a single event), UNTIL as
// a DATE for all-day events and as a UTC date-time otherwise.
func (e Event) RRule() string {
	if e.Rule == nil {
		return ""
	}
	if e.AllDay && !e.Rule.Until.IsZero() {
		loc, err := e.Location()
		if err != nil {
			loc = time.UTC
		}
		d := dayIn(e.Rule.Until, loc)
		return e.Rule.format(fmt.Sprintf("%04d%02d%02d", d.Year, int(d.Month), d.Day))
	}
	return e.Rule.String()
}

// loadLocation is teamspro.LoadZone (time.LoadLocation remembered) without
// the names that do not denote a fixed IANA zone ("" and "Local").
func loadLocation(name string) (*time.Location, error) {
	if name == "" || name == "Local" || len(name) > MaxTimeZone {
		return nil, teamspro.Errorf(teamspro.EINVALID, "%q is not an IANA time zone", name)
	}
	l, err := teamspro.LoadZone(name)
	if err != nil {
		return nil, teamspro.Wrap(teamspro.EINVALID, err, "%q is not an IANA time zone", name)
	}
	return l, nil
}

// EventJSON is the contract's Event (calendar-pro.swagger.json, shared by
// booking-room-pro.swagger.json) plus our additive optional fields. It is
// both what the API returns and, as EventInput, what it accepts, so a
// client can send back what it read: the read-only fields (id, calendarId,
// seriesId, originalStart, startDay, endDay, etag, deleted) are ignored on
// input.
//
// startDate and endDate are RFC 3339 date-times in UTC; for an all-day event
// they are the local midnights of the first day and of the day after the
// last in timeZone, and startDay/endDay carry the dates themselves.
type EventJSON struct {
	ID             string          `json:"id,omitempty"`
	CalendarID     string          `json:"calendarId,omitempty"`
	Title          string          `json:"title"`
	Description    string          `json:"description,omitempty"`
	StartDate      string          `json:"startDate"`
	EndDate        string          `json:"endDate"`
	Color          string          `json:"color,omitempty"`
	AllDay         bool            `json:"allDay"`
	ResourceID     string          `json:"resourceId,omitempty"`
	ResourceName   string          `json:"resourceName,omitempty"`
	RRule          *RecurrenceRule `json:"rrule,omitempty"`
	Duration       *int64          `json:"duration,omitempty"`
	ModeRecurrence string          `json:"modeRecurrence,omitempty"`
	TimeZone       string          `json:"timeZone,omitempty"`
	Address        *AddressJSON    `json:"address,omitempty"`
	Tags           []string        `json:"tags,omitempty"`

	// Additive to the contract.
	SeriesID      string        `json:"seriesId,omitempty"`      // occurrences: the series they belong to
	OriginalStart string        `json:"originalStart,omitempty"` // occurrences: the start the rule gave them (RECURRENCE-ID)
	SeriesCut     bool          `json:"seriesCut,omitempty"`     // occurrences: their series was cut at the per-series bound of a view
	StartDay      string        `json:"startDay,omitempty"`      // all-day: first date
	EndDay        string        `json:"endDay,omitempty"`        // all-day: day after the last
	Participants  []Participant `json:"participants,omitempty"`
	ETag          string        `json:"etag,omitempty"`
	Deleted       bool          `json:"deleted,omitempty"`

	// Occurrences of an external calendar (ExternalOccurrences): source
	// "external", the external calendar's id and name, and readOnly. Read-only
	// fields, ignored on input.
	Source       string `json:"source,omitempty"`
	ExternalID   string `json:"externalId,omitempty"`
	ExternalName string `json:"externalName,omitempty"`
	ReadOnly     bool   `json:"readOnly,omitempty"`
}

// EventInput is the body of create and update requests. To apply a partial
// PATCH, start from the stored event's JSON, decode the body over it (only
// the members present are replaced) and convert the result.
type EventInput = EventJSON

// AddressJSON is the contract's Address; its members are pointers because
// the contract requires all three and a missing one must not read as 0.
type AddressJSON struct {
	FullAddress *string  `json:"fullAddress"`
	Lat         *float64 `json:"lat"`
	Lng         *float64 `json:"lng"`
}

// EarliestTime and LatestTime bound the times of events and reservations:
// dates at the edges of the representable range answer 400.
var (
	EarliestTime = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	LatestTime   = time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Validate returns nil when in is a valid event, or an EINVALID
// *teamspro.Error listing every invalid field.
func (in EventInput) Validate() error {
	_, err := in.ToEvent()
	return err
}

// ValidateReservation is Validate for Booking Room Pro, whose contract also
// requires resourceId (the room).
func (in EventInput) ValidateReservation() error {
	_, v := in.convert()
	v.Check(in.ResourceID != "", "resourceId", "is required for a reservation")
	return v.Err()
}

// ToEvent validates in and converts it to an Event (without ID, CalendarID
// and the bookkeeping fields, which the caller sets). It returns EINVALID
// listing every invalid field.
func (in EventInput) ToEvent() (Event, error) {
	e, v := in.convert()
	if err := v.Err(); err != nil {
		return Event{}, err
	}
	return e, nil
}

func runes(s string) int { return utf8.RuneCountInString(s) }

func (in EventInput) convert() (Event, *teamspro.Validation) {
	v := &teamspro.Validation{}
	e := Event{Title: in.Title, Description: in.Description, Color: in.Color, AllDay: in.AllDay,
		TimeZone: in.TimeZone, ResourceID: in.ResourceID, ResourceName: in.ResourceName}

	v.Check(strings.TrimSpace(in.Title) != "" && runes(in.Title) <= MaxTitle, "title", fmt.Sprintf("must be 1 to %d characters", MaxTitle))
	v.Check(runes(in.Description) <= MaxDescription, "description", fmt.Sprintf("must be at most %d characters", MaxDescription))
	v.Check(runes(in.Color) <= MaxColor, "color", fmt.Sprintf("must be at most %d characters", MaxColor))
	v.Check(in.ResourceID == "" || teamspro.ValidID(in.ResourceID), "resourceId", "is not a valid identifier")
	v.Check(runes(in.ResourceName) <= MaxResourceName, "resourceName", fmt.Sprintf("must be at most %d characters", MaxResourceName))
	v.Check(utf8.ValidString(in.Title+in.Description+in.Color+in.ResourceName), "title", "must be valid UTF-8")

	loc, err := loadLocation(in.TimeZone)
	if in.TimeZone == "" {
		v.Add("timeZone", "is required")
	} else {
		v.Check(err == nil, "timeZone", "must be an IANA time zone name such as Europe/Paris")
	}

	// Start and end.
	timesOK := false
	if in.AllDay {
		sd, okS := parseDay(in.StartDate, loc)
		ed, okE := parseDay(in.EndDate, loc)
		v.Check(okS, "startDate", "must be a date (2006-01-02) or an RFC 3339 date-time")
		v.Check(okE, "endDate", "must be a date (2006-01-02) or an RFC 3339 date-time")
		if okS && okE && loc != nil {
			if ed == sd {
				ed = sd.AddDays(1) // a one-day event sent with an inclusive end
			}
			if v.Check(sd.Before(ed), "endDate", "must not be before startDate") {
				e.StartDay, e.EndDay = sd, ed
				e.Start, e.End = sd.In(loc).UTC(), ed.In(loc).UTC()
				timesOK = true
			}
		}
	} else {
		s, errS := parseInstant(in.StartDate)
		en, errE := parseInstant(in.EndDate)
		v.Check(errS == nil, "startDate", "must be an RFC 3339 date-time")
		v.Check(errE == nil, "endDate", "must be an RFC 3339 date-time")
		if errS == nil && errE == nil {
			s, en = s.UTC().Truncate(time.Second), en.UTC().Truncate(time.Second)
			if v.Check(en.After(s), "endDate", "must be after startDate") {
				e.Start, e.End = s, en
				timesOK = true
			}
		}
	}
	if timesOK && (e.Start.Before(EarliestTime) || e.End.After(LatestTime)) {
		// At the edges of time a day after the end, a zone's offset or an
		// expansion window no longer fits in a date: refuse, not crash.
		v.Add("startDate", fmt.Sprintf("events must lie between %d and %d", EarliestTime.Year(), LatestTime.Year()-1))
		timesOK = false
	}
	if in.Duration != nil && timesOK {
		v.Check(*in.Duration == e.Duration().Milliseconds(), "duration", "must equal endDate minus startDate in milliseconds")
	}

	// Address.
	if a := in.Address; a != nil {
		addr := Address{}
		if v.Check(a.FullAddress != nil && strings.TrimSpace(*a.FullAddress) != "" && runes(*a.FullAddress) <= MaxFullAddress,
			"address.fullAddress", fmt.Sprintf("is required, at most %d characters", MaxFullAddress)) {
			addr.FullAddress = *a.FullAddress
		}
		if v.Check(a.Lat != nil && *a.Lat >= -90 && *a.Lat <= 90, "address.lat", "is required, between -90 and 90") {
			addr.Lat = *a.Lat
		}
		if v.Check(a.Lng != nil && *a.Lng >= -180 && *a.Lng <= 180, "address.lng", "is required, between -180 and 180") {
			addr.Lng = *a.Lng
		}
		e.Address = &addr
	}

	// Tags.
	if v.Check(len(in.Tags) <= MaxTags, "tags", fmt.Sprintf("at most %d tags", MaxTags)) {
		seen := map[string]bool{}
		for _, t := range in.Tags {
			t = strings.TrimSpace(t)
			if !v.Check(t != "" && runes(t) <= MaxTagLength, "tags", fmt.Sprintf("each tag must be 1 to %d characters", MaxTagLength)) {
				break
			}
			k := strings.ToLower(t)
			if !v.Check(!seen[k], "tags", "tags must be distinct") {
				break
			}
			seen[k] = true
			e.Tags = append(e.Tags, t)
		}
	}

	// Participants.
	if v.Check(len(in.Participants) <= MaxParticipants, "participants", fmt.Sprintf("at most %d participants", MaxParticipants)) {
		for i, p := range in.Participants {
			f := fmt.Sprintf("participants[%d]", i)
			v.Check(p.ObjectID != "" || p.UPN != "" || p.Email != "", f, "needs an objectId, a upn or an email")
			v.Check(p.ObjectID == "" || teamspro.IsGUID(p.ObjectID), f+".objectId", "must be a GUID")
			v.Check(p.UPN == "" || plainAddress(p.UPN), f+".upn", "must look like user@domain")
			v.Check(p.Email == "" || plainAddress(p.Email), f+".email", "must be an e-mail address")
			v.Check(runes(p.Name) <= MaxName, f+".name", fmt.Sprintf("must be at most %d characters", MaxName))
			if p.ObjectID != "" {
				p.ObjectID = teamspro.NormalizeGUID(p.ObjectID)
			}
			e.Participants = append(e.Participants, p)
		}
	}

	// Recurrence.
	mode := in.Mode()
	switch mode {
	case NotRepeat, Workweek, DailyMode, WeeklyMode, MonthlyMode, YearlyMode, Custom:
	default:
		v.Add("modeRecurrence", "must be one of NotRepeat, Workweek, Daily, Weekly, Monthly, Yearly, Custom")
	}
	e.Mode = mode
	var given Rule
	givenOK := false
	if in.RRule != nil {
		rr := *in.RRule
		if f := modeFreq(mode); f != "" && !rr.isRFC && rr.badRaw == "" && rr.Freq == "" {
			rr.Freq = string(f) // the shortcut supplies the frequency
		}
		given, givenOK = rr.rule(v, in.AllDay)
		if !rr.isRFC && rr.Tzid != "" {
			v.Check(rr.Tzid == in.TimeZone, "rrule.tzid", "must equal timeZone")
		}
	}
	switch mode {
	case NotRepeat:
		v.Check(in.RRule == nil, "rrule", "must be absent when modeRecurrence is NotRepeat")
	case Custom:
		if v.Check(in.RRule != nil, "rrule", "is required when modeRecurrence is Custom") && givenOK {
			r := given
			e.Rule = &r
		}
	default:
		if timesOK && loc != nil {
			r, known := ModeRule(mode, e.localStart(loc))
			if givenOK && known {
				r = refine(mode, r, given, v)
			}
			e.Rule = &r
		}
	}
	if e.Rule != nil {
		r := e.Rule.contractForm()
		e.Rule = &r
	}
	if e.Rule != nil && timesOK && loc != nil {
		if !e.Rule.Until.IsZero() {
			ok := !e.Rule.Until.Before(e.Start)
			if e.AllDay {
				ok = !dayIn(e.Rule.Until, loc).Before(e.StartDay)
			}
			v.Check(ok, "rrule.until", "must not be before startDate")
		}
		if v.Len() == 0 {
			// RFC 5545 leaves a series whose DTSTART the rule does not
			// select undefined (some clients show DTSTART, others not), so
			// the start must be an occurrence.
			if first, ok := e.firstOccurrence(); !ok {
				v.Add("rrule", "the rule produces no occurrence")
			} else if !first.Equal(e.Start) {
				v.Add("startDate", "must be a day and time the recurrence rule selects")
			}
		}
	}
	return e, v
}

// localStart is the first occurrence's start as a wall-clock time in loc
// (midnight of StartDay for all-day events).
func (e Event) localStart(loc *time.Location) time.Time {
	if e.AllDay {
		return e.StartDay.In(loc)
	}
	return e.Start.In(loc)
}

func parseDay(s string, loc *time.Location) (Date, bool) {
	if d, err := ParseDate(s); err == nil {
		return d, true
	}
	t, err := parseInstant(s)
	if err != nil || loc == nil {
		return Date{}, err == nil
	}
	return dayIn(t, loc), true
}

// plainAddress accepts a bare address (user@domain), without display name.
func plainAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == "" && len(s) <= 254
}

// JSON returns e in the contract's shape.
func (e Event) JSON() EventJSON {
	j := EventJSON{ID: e.ID, CalendarID: e.CalendarID, Title: e.Title, Description: e.Description,
		StartDate: e.Start.UTC().Format(time.RFC3339), EndDate: e.End.UTC().Format(time.RFC3339),
		Color: e.Color, AllDay: e.AllDay, ResourceID: e.ResourceID, ResourceName: e.ResourceName,
		ModeRecurrence: string(e.Mode), TimeZone: e.TimeZone, Tags: e.Tags, Participants: e.Participants,
		ETag: e.ETag, Deleted: e.Deleted}
	if j.ModeRecurrence == "" {
		j.ModeRecurrence = string(NotRepeat)
	}
	d := e.Duration().Milliseconds()
	j.Duration = &d
	if e.AllDay {
		j.StartDay, j.EndDay = e.StartDay.String(), e.EndDay.String()
	}
	if e.Rule != nil {
		j.RRule = ruleJSON(*e.Rule, e.Start, e.TimeZone)
	}
	if a := e.Address; a != nil {
		fa, lat, lng := a.FullAddress, a.Lat, a.Lng
		j.Address = &AddressJSON{FullAddress: &fa, Lat: &lat, Lng: &lng}
	}
	return j
}

// Mode is the recurrence mode in asks for: modeRecurrence as sent, or, when
// absent, NotRepeat, or Custom when an rrule came alone. The document states
// this default; events and reservations both record it.
func (in EventInput) Mode() RecurrenceMode {
	switch {
	case in.ModeRecurrence != "":
		return RecurrenceMode(in.ModeRecurrence)
	case in.RRule != nil:
		return Custom
	default:
		return NotRepeat
	}
}
