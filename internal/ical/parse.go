package ical

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	goical "github.com/emersion/go-ical"

	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/teamspro"
)

// MaxParsedItems bounds what one external calendar may hold (events,
// series and exceptions together): beyond it the rest is left out and
// Parsed.Skipped says how many.
const MaxParsedItems = 5000

// Parsed is an external calendar read by Parse. Its Skipped counts the
// components left out: a rule the recurrence engine does not accept
// (hourly, say), a missing start, past MaxParsedItems.
type Parsed struct {
	calendar.ExternalCopy
	// ApproximatedZones lists the TZIDs that neither named an IANA zone nor
	// led to one, and whose VTIMEZONE (if any) no POSIX rule can say: their
	// times were read in UTC.
	ApproximatedZones []string
}

// Parse reads a published iCalendar document (RFC 5545) into events in
// their own zones, for the product's recurrence engine: a VEVENT with an
// RRULE becomes a series, its EXDATEs cancellations, and the VEVENTs with
// the same UID and a RECURRENCE-ID the overrides of its occurrences. Times
// with a TZID are read in the zone it names; a TZID that is not an IANA
// name is resolved through its VTIMEZONE. Event ids are derived from the
// UID, so the same document always gives the same ids. It returns EINVALID
// when the document is not iCalendar.
func Parse(data []byte) (Parsed, error) {
	cal, err := goical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		return Parsed{}, teamspro.Wrap(teamspro.EINVALID, err, "The document is not an iCalendar file.")
	}
	p := &parser{zones: map[string]*goical.Component{}, resolved: map[string]string{}}
	for _, c := range cal.Children {
		if c.Name == goical.CompTimezone {
			if id := c.Props.Get(goical.PropTimezoneID); id != nil {
				p.zones[id.Value] = c
			}
		}
	}
	p.floating = "UTC"
	if x := cal.Props.Get("X-WR-TIMEZONE"); x != nil {
		p.floating = p.zone(x.Value)
	}
	var masters []*goical.Component
	var overrides []*goical.Component
	for _, c := range cal.Children {
		if c.Name != goical.CompEvent {
			continue
		}
		if c.Props.Get(goical.PropRecurrenceID) != nil {
			overrides = append(overrides, c)
		} else {
			masters = append(masters, c)
		}
	}
	var out Parsed
	series := map[string]calendar.Event{} // by UID
	room := func() bool {
		if len(out.Events)+len(out.Exceptions) >= MaxParsedItems {
			out.Skipped++
			return false
		}
		return true
	}
	for _, c := range masters {
		e, uid, ok := p.event(c, "")
		if !ok || isCancelled(c) {
			out.Skipped += btoi(!ok)
			continue
		}
		if !room() {
			continue
		}
		if e.Rule != nil {
			series[uid] = e
			xs, bad := p.exdates(c, e)
			out.Skipped += bad
			for _, x := range xs {
				if room() {
					out.Exceptions = append(out.Exceptions, x)
				}
			}
		}
		out.Events = append(out.Events, e)
	}
	for _, c := range overrides {
		uid := text(c, goical.PropUID)
		rid, err := p.when(c.Props.Get(goical.PropRecurrenceID))
		if err != nil {
			out.Skipped++
			continue
		}
		s, ok := series[uid]
		if !ok {
			// An instance without its series (a feed of changes only):
			// shown as the single event it is.
			e, _, ok := p.event(c, rid.t.UTC().Format(time.RFC3339))
			if ok && !isCancelled(c) && room() {
				out.Events = append(out.Events, e)
			} else if !ok {
				out.Skipped++
			}
			continue
		}
		x := calendar.Exception{SeriesID: s.ID, OriginalStart: originalStart(s, rid)}
		if isCancelled(c) {
			x.Cancelled = true
		} else {
			o, _, ok := p.event(c, "")
			if !ok {
				out.Skipped++
				continue
			}
			o.ID, o.Rule, o.Mode = s.ID, nil, calendar.NotRepeat
			x.Override = &o
		}
		if room() {
			out.Exceptions = append(out.Exceptions, x)
		}
	}
	for id := range p.approximated {
		out.ApproximatedZones = append(out.ApproximatedZones, id)
	}
	if out.Events == nil {
		out.Events = []calendar.Event{}
	}
	return out, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

type parser struct {
	zones        map[string]*goical.Component // VTIMEZONE by TZID
	resolved     map[string]string            // TZID -> IANA name
	approximated map[string]bool
	floating     string // the zone of floating times (X-WR-TIMEZONE, else UTC)
}

// instant is a DTSTART, DTEND, EXDATE or RECURRENCE-ID value.
type instant struct {
	t    time.Time // in zone (dates: midnight UTC)
	date bool
	zone string
}

func (p *parser) when(prop *goical.Prop) (instant, error) {
	if prop == nil {
		return instant{}, fmt.Errorf("missing")
	}
	return p.parseValue(prop, strings.TrimSpace(prop.Value))
}

func (p *parser) parseValue(prop *goical.Prop, v string) (instant, error) {
	if prop.ValueType() == goical.ValueDate || len(v) == 8 {
		t, err := time.ParseInLocation("20060102", v, time.UTC)
		return instant{t: t, date: true, zone: "UTC"}, err
	}
	if strings.HasSuffix(v, "Z") {
		t, err := time.ParseInLocation("20060102T150405Z", v, time.UTC)
		return instant{t: t, zone: "UTC"}, err
	}
	zone := p.floating
	if id := prop.Params.Get(goical.PropTimezoneID); id != "" {
		zone = p.zone(id)
	}
	loc, err := (calendar.Event{TimeZone: zone}).Location()
	if err != nil {
		return instant{}, err
	}
	t, err := time.ParseInLocation("20060102T150405", v, loc)
	return instant{t: t, zone: zone}, err
}

// zone returns the zone of a TZID: the TZID itself when it is an IANA
// name, its VTIMEZONE's X-LIC-LOCATION, or the longest IANA name that ends
// its path ("/mozilla.org/20050126_1/Europe/Paris"); failing those (a
// Windows name such as "W. Europe Standard Time"), the rule of its
// VTIMEZONE as a POSIX TZ string (calendar.PosixZone); failing that, UTC.
func (p *parser) zone(tzid string) string {
	tzid = strings.Trim(strings.TrimSpace(tzid), `"`)
	if z, ok := p.resolved[tzid]; ok {
		return z
	}
	z := p.resolve(tzid)
	p.resolved[tzid] = z
	return z
}

func ianaName(name string) bool {
	if name == "" || name == "Local" || len(name) > calendar.MaxTimeZone || calendar.IsPosixZone(name) {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

func (p *parser) resolve(tzid string) string {
	if ianaName(tzid) {
		return tzid
	}
	vt := p.zones[tzid]
	if vt != nil {
		if x := vt.Props.Get("X-LIC-LOCATION"); x != nil && ianaName(x.Value) {
			return x.Value
		}
	}
	parts := strings.Split(strings.Trim(tzid, "/"), "/")
	for i := max(0, len(parts)-3); i < len(parts); i++ {
		if n := strings.Join(parts[i:], "/"); strings.Contains(n, "/") && ianaName(n) {
			return n
		}
	}
	if vt != nil {
		if rule, ok := posixRule(vt); ok {
			if _, err := calendar.PosixZone(rule); err == nil {
				return rule
			}
		}
	}
	if p.approximated == nil {
		p.approximated = map[string]bool{}
	}
	p.approximated[tzid] = true
	return "UTC"
}

// posixRule writes the current rule of a VTIMEZONE (its latest STANDARD and
// DAYLIGHT observances) as a POSIX TZ string: "<+0100>-1<+0200>-2,
// M3.5.0/2,M10.5.0/3" for central Europe. ok is false for what POSIX rules
// cannot say (a yearly rule on fixed dates, say).
func posixRule(vt *goical.Component) (string, bool) {
	latest := func(name string) *goical.Component {
		var best *goical.Component
		bestStart := ""
		for _, c := range vt.Children {
			if c.Name != name {
				continue
			}
			start := ""
			if d := c.Props.Get(goical.PropDateTimeStart); d != nil {
				start = d.Value
			}
			if best == nil || start > bestStart {
				best, bestStart = c, start
			}
		}
		return best
	}
	std, dst := latest("STANDARD"), latest("DAYLIGHT")
	if std == nil {
		std, dst = dst, nil
	}
	if std == nil {
		return "", false
	}
	stdOff, ok := observedOffset(std)
	if !ok {
		return "", false
	}
	rule := "<" + stdOff.abbr + ">" + stdOff.posix
	if dst == nil || dst.Props.Get(goical.PropRecurrenceRule) == nil || std.Props.Get(goical.PropRecurrenceRule) == nil {
		return rule, true // no daylight saving, or none any more
	}
	dstOff, ok := observedOffset(dst)
	if !ok {
		return "", false
	}
	on, ok1 := transition(dst)
	off, ok2 := transition(std)
	if !ok1 || !ok2 {
		return "", false
	}
	return rule + "<" + dstOff.abbr + ">" + dstOff.posix + "," + on + "," + off, true
}

type zoneOffset struct{ abbr, posix string }

// observedOffset reads an observance's TZOFFSETTO ("+0100"): its abbreviation
// and its POSIX offset, which counts west of Greenwich ("-1").
func observedOffset(c *goical.Component) (zoneOffset, bool) {
	p := c.Props.Get("TZOFFSETTO")
	if p == nil {
		return zoneOffset{}, false
	}
	v := strings.TrimSpace(p.Value)
	if len(v) != 5 && len(v) != 7 || (v[0] != '+' && v[0] != '-') {
		return zoneOffset{}, false
	}
	var h, m int
	if _, err := fmt.Sscanf(v[1:5], "%02d%02d", &h, &m); err != nil || h > 14 || m > 59 {
		return zoneOffset{}, false
	}
	sign := "-"
	if v[0] == '-' {
		sign = ""
	}
	if h == 0 && m == 0 {
		sign = ""
	}
	posix := sign + strconv.Itoa(h)
	if m != 0 {
		posix += fmt.Sprintf(":%02d", m)
	}
	return zoneOffset{abbr: v[:5], posix: posix}, true
}

// transition writes when an observance starts each year as a POSIX
// "Mm.w.d/time": its RRULE's month and nth weekday (BYDAY=-1SU, or the
// older BYMONTHDAY=8,...,14;BYDAY=SU), at its DTSTART's local time.
func transition(c *goical.Component) (string, bool) {
	rr := c.Props.Get(goical.PropRecurrenceRule)
	start := c.Props.Get(goical.PropDateTimeStart)
	if rr == nil || start == nil || len(start.Value) < 15 {
		return "", false
	}
	parts := map[string]string{}
	for _, kv := range strings.Split(strings.ToUpper(rr.Value), ";") {
		k, v, _ := strings.Cut(kv, "=")
		parts[k] = v
	}
	month, err := strconv.Atoi(parts["BYMONTH"])
	if parts["FREQ"] != "YEARLY" || err != nil || month < 1 || month > 12 || strings.Contains(parts["BYDAY"], ",") {
		return "", false
	}
	day := parts["BYDAY"]
	if len(day) < 2 {
		return "", false
	}
	wd := strings.Index("SUMOTUWETHFRSA", day[len(day)-2:])
	if wd < 0 || wd%2 != 0 {
		return "", false
	}
	week := 0
	if n := day[:len(day)-2]; n != "" {
		k, err := strconv.Atoi(strings.TrimPrefix(n, "+"))
		if err != nil || k == 0 || k < -1 || k > 5 {
			return "", false
		}
		week = k
	} else if md := parts["BYMONTHDAY"]; md != "" {
		first, err := strconv.Atoi(strings.Split(md, ",")[0])
		if err != nil {
			return "", false
		}
		week = (first-1)/7 + 1
		if first < 0 || first >= 22 && strings.Count(md, ",") == 6 && strings.HasSuffix(md, "31") {
			week = -1
		}
	} else {
		return "", false
	}
	if week == -1 || week > 5 {
		week = 5
	}
	var hh, mm, ss int
	if _, err := fmt.Sscanf(start.Value[9:15], "%02d%02d%02d", &hh, &mm, &ss); err != nil {
		return "", false
	}
	at := strconv.Itoa(hh)
	if mm != 0 || ss != 0 {
		at += fmt.Sprintf(":%02d", mm)
	}
	if ss != 0 {
		at += fmt.Sprintf(":%02d", ss)
	}
	return fmt.Sprintf("M%d.%d.%d/%s", month, week, wd/2, at), true
}

func text(c *goical.Component, name string) string {
	prop := c.Props.Get(name)
	if prop == nil {
		return ""
	}
	s, err := prop.Text()
	if err != nil {
		return prop.Value
	}
	return strings.TrimSpace(s)
}

func isCancelled(c *goical.Component) bool {
	return strings.EqualFold(text(c, goical.PropStatus), "CANCELLED")
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// eventID derives a stable id from a UID (and, for an instance without its
// series, its RECURRENCE-ID): ids must be valid keys, UIDs are anything.
func eventID(uid, instance string) string {
	h := sha256.Sum256([]byte(uid + "\x00" + instance))
	return "x" + hex.EncodeToString(h[:12])
}

// event converts one VEVENT. ok is false when it cannot be shown (no
// start, a rule the recurrence engine refuses).
func (p *parser) event(c *goical.Component, instance string) (calendar.Event, string, bool) {
	uid := text(c, goical.PropUID)
	start, err := p.when(c.Props.Get(goical.PropDateTimeStart))
	if err != nil {
		return calendar.Event{}, uid, false
	}
	if uid == "" {
		uid = "no-uid:" + text(c, goical.PropSummary) + start.t.String()
	}
	e := calendar.Event{ID: eventID(uid, instance), Title: clip(text(c, goical.PropSummary), calendar.MaxTitle),
		Description: clip(text(c, goical.PropDescription), calendar.MaxDescription), Mode: calendar.NotRepeat, TimeZone: start.zone}
	if e.Title == "" {
		e.Title = "—"
	}
	if loc := clip(text(c, goical.PropLocation), calendar.MaxFullAddress); loc != "" {
		e.Address = &calendar.Address{FullAddress: loc}
	}
	end, err := p.when(c.Props.Get(goical.PropDateTimeEnd))
	hasEnd := err == nil && end.date == start.date
	var dur time.Duration
	if d := c.Props.Get(goical.PropDuration); !hasEnd && d != nil {
		if dd, err := d.Duration(); err == nil && dd >= 0 {
			dur = dd
		}
	}
	if start.date {
		e.AllDay = true
		e.StartDay = calendar.DateOf(start.t)
		days := 1
		if hasEnd {
			days = e.StartDay.DaysUntil(calendar.DateOf(end.t))
		} else if dur > 0 {
			days = int((dur + 24*time.Hour - 1) / (24 * time.Hour))
		}
		e.EndDay = e.StartDay.AddDays(max(days, 1))
		e.Start, e.End = e.StartDay.In(time.UTC), e.EndDay.In(time.UTC)
	} else {
		e.Start = start.t.UTC().Truncate(time.Second)
		e.End = e.Start.Add(dur)
		if hasEnd && !end.t.Before(start.t) {
			e.End = end.t.UTC().Truncate(time.Second)
		}
	}
	if rr := c.Props.Get(goical.PropRecurrenceRule); rr != nil && instance == "" {
		r, err := calendar.ParseRRule(rr.Value)
		if err != nil {
			return calendar.Event{}, uid, false
		}
		e.Rule, e.Mode = &r, calendar.Custom
	}
	return e, uid, true
}

// originalStart is the key of an exception of s at the instant rid, the
// value the recurrence engine gives the occurrence: a UTC instant, or the
// midnight of the date in the series' zone for an all-day series.
func originalStart(s calendar.Event, rid instant) time.Time {
	if s.AllDay {
		loc, err := s.Location()
		if err != nil {
			loc = time.UTC
		}
		return calendar.DateOf(rid.t).In(loc).UTC()
	}
	return rid.t.UTC().Truncate(time.Second)
}

// exdates returns the cancellations of s's EXDATE properties, and how many
// values could not be read.
func (p *parser) exdates(c *goical.Component, s calendar.Event) ([]calendar.Exception, int) {
	var out []calendar.Exception
	bad := 0
	for _, prop := range c.Props.Values(goical.PropExceptionDates) {
		for _, v := range strings.Split(prop.Value, ",") {
			in, err := p.parseValue(&prop, strings.TrimSpace(v))
			if err != nil {
				bad++
				continue
			}
			out = append(out, calendar.Exception{SeriesID: s.ID, OriginalStart: originalStart(s, in), Cancelled: true})
		}
	}
	return out, bad
}
