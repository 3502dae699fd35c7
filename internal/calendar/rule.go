package calendar

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/teambition/rrule-go"

	"github.com/teamspro/functions/internal/teamspro"
)

// Frequency is the FREQ of a recurrence rule. Only the frequencies a calendar
// event can sensibly use are accepted: an event repeating every hour, minute
// or second is a mistake, and such rules would make expansion costly.
type Frequency string

// The accepted frequencies, spelled as in RFC 5545 and rrule.js.
const (
	Yearly  Frequency = "YEARLY"
	Monthly Frequency = "MONTHLY"
	Weekly  Frequency = "WEEKLY"
	Daily   Frequency = "DAILY"
)

var freqs = map[Frequency]rrule.Frequency{Yearly: rrule.YEARLY, Monthly: rrule.MONTHLY, Weekly: rrule.WEEKLY, Daily: rrule.DAILY}

// Weekday numbers days the way rrule.js and rrule-go do (0 is Monday, 6 is
// Sunday), so that the zero value is Monday, the default week start.
type Weekday int

// The days of the week.
const (
	Monday Weekday = iota
	Tuesday
	Wednesday
	Thursday
	Friday
	Saturday
	Sunday
)

var weekdayNames = [...]string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
var weekdayCodes = [...]string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}

// String returns the contract's name of the day ("Monday").
func (d Weekday) String() string {
	if d < 0 || int(d) >= len(weekdayNames) {
		return fmt.Sprintf("Weekday(%d)", int(d))
	}
	return weekdayNames[d]
}

// WeekdayOf converts a Go weekday.
func WeekdayOf(w time.Weekday) Weekday { return Weekday((int(w) + 6) % 7) }

// WeekdayNum is a BYDAY entry: a day, optionally the Nth of the period
// (N=-1 with Friday is "the last Friday"). N is only meaningful for monthly
// and yearly rules.
type WeekdayNum struct {
	Day Weekday
	N   int
}

func (w WeekdayNum) rfc() string {
	if w.N == 0 {
		return weekdayCodes[w.Day]
	}
	return strconv.Itoa(w.N) + weekdayCodes[w.Day]
}

// Rule is a validated RFC 5545 recurrence rule, the domain form of both the
// contract's rrule.js object and an RRULE string. The rule's DTSTART is not
// part of it: it is always the start of the event it belongs to, and its time
// zone is the event's zone, so that expansion happens in local time.
type Rule struct {
	Freq     Frequency
	Interval int // >= 1
	// Count and Until end the rule; at most one is set. Until is an instant:
	// timed occurrences starting after it are excluded; for all-day events the
	// date Until designates in the event's zone is the last possible date.
	Count      int
	Until      time.Time
	Wkst       Weekday
	ByWeekday  []WeekdayNum
	ByMonth    []int
	ByMonthDay []int
	ByYearDay  []int
	ByWeekNo   []int
	BySetPos   []int
	ByHour     []int
	ByMinute   []int
	BySecond   []int
}

// Limits on rules, so that a stored rule can always be expanded cheaply.
const (
	MaxRuleCount    = 10000 // COUNT
	MaxRuleInterval = 1000  // INTERVAL
	maxRuleList     = 366   // entries in any BYxxx list
	maxRuleString   = 1000  // characters of an RRULE string
)

// String returns the rule as an RFC 5545 RRULE value (without "RRULE:"),
// UNTIL as a UTC date-time. Event.RRule formats UNTIL as a DATE for all-day
// events, as RFC 5545 requires when DTSTART is a DATE.
func (r Rule) String() string { return r.format("") }

func (r Rule) format(until string) string {
	parts := []string{"FREQ=" + string(r.Freq)}
	if r.Interval > 1 {
		parts = append(parts, "INTERVAL="+strconv.Itoa(r.Interval))
	}
	if r.Count > 0 {
		parts = append(parts, "COUNT="+strconv.Itoa(r.Count))
	}
	if !r.Until.IsZero() {
		if until == "" {
			until = r.Until.UTC().Format("20060102T150405Z")
		}
		parts = append(parts, "UNTIL="+until)
	}
	ints := func(name string, l []int) {
		if len(l) == 0 {
			return
		}
		s := make([]string, len(l))
		for i, n := range l {
			s[i] = strconv.Itoa(n)
		}
		parts = append(parts, name+"="+strings.Join(s, ","))
	}
	ints("BYMONTH", r.ByMonth)
	ints("BYWEEKNO", r.ByWeekNo)
	ints("BYYEARDAY", r.ByYearDay)
	ints("BYMONTHDAY", r.ByMonthDay)
	if len(r.ByWeekday) > 0 {
		s := make([]string, len(r.ByWeekday))
		for i, w := range r.ByWeekday {
			s[i] = w.rfc()
		}
		parts = append(parts, "BYDAY="+strings.Join(s, ","))
	}
	ints("BYHOUR", r.ByHour)
	ints("BYMINUTE", r.ByMinute)
	ints("BYSECOND", r.BySecond)
	ints("BYSETPOS", r.BySetPos)
	if r.Wkst != Monday {
		parts = append(parts, "WKST="+weekdayCodes[r.Wkst])
	}
	return strings.Join(parts, ";")
}

// ParseRRule parses an RFC 5545 RRULE value, with or without the "RRULE:"
// prefix. A floating or DATE UNTIL is read as UTC. It returns EINVALID, with
// the field "rrule", for anything malformed or outside the limits that Rule
// validation enforces (frequencies, ranges, COUNT with UNTIL, ...).
func ParseRRule(s string) (Rule, error) {
	r, err := parseRRule(s)
	if err != nil {
		return Rule{}, &teamspro.Error{Code: teamspro.EINVALID, Message: "The recurrence rule is invalid.",
			Fields: []teamspro.FieldError{{Field: "rrule", Reason: err.Error()}}}
	}
	var v teamspro.Validation
	r.check(&v, "rrule", false)
	if err := v.Err(); err != nil {
		return Rule{}, err
	}
	return r, nil
}

// Compiled at first use, not at start (cold start).
var rfcPart = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Z]+=[A-Za-z0-9+\-,:]+$`) })

func parseRRule(s string) (Rule, error) {
	if len(s) > maxRuleString {
		return Rule{}, fmt.Errorf("longer than %d characters", maxRuleString)
	}
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "RRULE:"), "rrule:")
	s = strings.ToUpper(s)
	if s == "" {
		return Rule{}, fmt.Errorf("empty rule")
	}
	seen := map[string]bool{}
	for _, p := range strings.Split(s, ";") {
		if !rfcPart().MatchString(p) {
			return Rule{}, fmt.Errorf("malformed part %q", p)
		}
		name := p[:strings.IndexByte(p, '=')]
		if seen[name] {
			return Rule{}, fmt.Errorf("%s given twice", name)
		}
		seen[name] = true
		if name == "DTSTART" || name == "BYEASTER" {
			return Rule{}, fmt.Errorf("%s is not supported in a rule", name)
		}
	}
	o, err := rrule.StrToROption(s)
	if err != nil {
		return Rule{}, err
	}
	f := Frequency(o.Freq.String())
	if _, ok := freqs[f]; !ok {
		return Rule{}, fmt.Errorf("frequency %s is not supported", f)
	}
	r := Rule{Freq: f, Interval: o.Interval, Count: o.Count, Until: o.Until,
		ByMonth: o.Bymonth, ByMonthDay: o.Bymonthday, ByYearDay: o.Byyearday, ByWeekNo: o.Byweekno,
		BySetPos: o.Bysetpos, ByHour: o.Byhour, ByMinute: o.Byminute, BySecond: o.Bysecond}
	if seen["INTERVAL"] && o.Interval < 1 {
		return Rule{}, fmt.Errorf("INTERVAL must be at least 1")
	}
	if seen["COUNT"] && o.Count < 1 {
		return Rule{}, fmt.Errorf("COUNT must be at least 1")
	}
	if r.Interval == 0 {
		r.Interval = 1
	}
	if seen["WKST"] {
		if o.Wkst.N() != 0 {
			return Rule{}, fmt.Errorf("WKST takes a plain day")
		}
		r.Wkst = Weekday(o.Wkst.Day())
	}
	for _, w := range o.Byweekday {
		r.ByWeekday = append(r.ByWeekday, WeekdayNum{Day: Weekday(w.Day()), N: w.N()})
	}
	return r, nil
}

// check records every broken constraint of r under field (for example
// "rrule.bymonthday"). allDay forbids time parts.
func (r Rule) check(v *teamspro.Validation, field string, allDay bool) {
	f := func(name string) string { return field + "." + name }
	if _, ok := freqs[r.Freq]; !ok {
		v.Add(f("freq"), "must be one of YEARLY, MONTHLY, WEEKLY, DAILY")
	}
	v.Check(r.Interval >= 1 && r.Interval <= MaxRuleInterval, f("interval"), fmt.Sprintf("must be between 1 and %d", MaxRuleInterval))
	v.Check(r.Count >= 0 && r.Count <= MaxRuleCount, f("count"), fmt.Sprintf("must be between 1 and %d", MaxRuleCount))
	v.Check(r.Count == 0 || r.Until.IsZero(), f("until"), "count and until cannot both be set")
	v.Check(r.Wkst >= Monday && r.Wkst <= Sunday, f("wkst"), "must be a day of the week")
	list := func(name string, l []int, lo, hi int, signed bool) {
		if len(l) > maxRuleList {
			v.Add(f(name), fmt.Sprintf("has more than %d entries", maxRuleList))
			return
		}
		for _, n := range l {
			ok := n >= lo && n <= hi
			if signed {
				ok = ok || n <= -lo && n >= -hi
			}
			if !ok {
				if signed {
					v.Add(f(name), fmt.Sprintf("entries must be between %d and %d or between %d and %d", lo, hi, -hi, -lo))
				} else {
					v.Add(f(name), fmt.Sprintf("entries must be between %d and %d", lo, hi))
				}
				return
			}
		}
	}
	list("bymonth", r.ByMonth, 1, 12, false)
	list("bymonthday", r.ByMonthDay, 1, 31, true)
	list("byyearday", r.ByYearDay, 1, 366, true)
	list("byweekno", r.ByWeekNo, 1, 53, true)
	list("bysetpos", r.BySetPos, 1, 366, true)
	list("byhour", r.ByHour, 0, 23, false)
	list("byminute", r.ByMinute, 0, 59, false)
	list("bysecond", r.BySecond, 0, 59, false)
	if len(r.ByWeekday) > 7*53 {
		v.Add(f("byweekday"), "has too many entries")
	}
	for _, w := range r.ByWeekday {
		if w.Day < Monday || w.Day > Sunday {
			v.Add(f("byweekday"), "entries must be days of the week")
			break
		}
		if w.N != 0 {
			if r.Freq != Monthly && r.Freq != Yearly {
				v.Add(f("byweekday"), "an nth day (n) is only allowed in monthly and yearly rules")
				break
			}
			if r.Freq == Yearly && len(r.ByWeekNo) > 0 {
				v.Add(f("byweekday"), "an nth day (n) cannot be combined with byweekno")
				break
			}
			if w.N < -53 || w.N > 53 || (r.Freq == Monthly && (w.N < -5 || w.N > 5)) {
				v.Add(f("byweekday"), "n is out of range")
				break
			}
		}
	}
	// RFC 5545 3.3.10: which parts each frequency accepts.
	v.Check(len(r.ByWeekNo) == 0 || r.Freq == Yearly, f("byweekno"), "is only allowed in yearly rules")
	v.Check(len(r.ByYearDay) == 0 || r.Freq == Yearly, f("byyearday"), "is only allowed in yearly rules")
	v.Check(len(r.ByMonthDay) == 0 || r.Freq != Weekly, f("bymonthday"), "is not allowed in weekly rules")
	v.Check(len(r.BySetPos) == 0 || len(r.ByWeekday)+len(r.ByMonthDay)+len(r.ByYearDay)+len(r.ByWeekNo)+len(r.ByMonth)+len(r.ByHour)+len(r.ByMinute)+len(r.BySecond) > 0,
		f("bysetpos"), "needs another by-rule to select from")
	if allDay {
		v.Check(len(r.ByHour)+len(r.ByMinute)+len(r.BySecond) == 0, f("byhour"), "an all-day event cannot repeat within a day")
	} else if n := max(1, len(r.ByHour)) * max(1, len(r.ByMinute)) * max(1, len(r.BySecond)); n > 24 {
		v.Add(f("byhour"), "a rule may not produce more than 24 occurrences a day")
	}
}

// ropt builds the rrule-go options of r for a series starting at dtstart.
// dtstart must be in the series' own location: rrule-go computes every
// occurrence as a wall-clock time in that location, which is what keeps a
// 09:00 Europe/Paris meeting at 09:00 across daylight-saving changes.
func (r Rule) ropt(dtstart time.Time) rrule.ROption {
	o := rrule.ROption{Freq: freqs[r.Freq], Dtstart: dtstart, Interval: r.Interval, Count: r.Count, Until: r.Until,
		Bysetpos: r.BySetPos, Bymonth: r.ByMonth, Bymonthday: r.ByMonthDay, Byyearday: r.ByYearDay,
		Byweekno: r.ByWeekNo, Byhour: r.ByHour, Byminute: r.ByMinute, Bysecond: r.BySecond}
	days := []rrule.Weekday{rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU}
	o.Wkst = days[r.Wkst]
	for _, w := range r.ByWeekday {
		o.Byweekday = append(o.Byweekday, days[w.Day].Nth(w.N))
	}
	return o
}

// RecurrenceMode is the contract's modeRecurrence: shortcuts the Teams tab
// offers, and Custom for a rule given in full.
type RecurrenceMode string

// The recurrence modes of the contract (OptionRecurrence).
const (
	NotRepeat   RecurrenceMode = "NotRepeat"
	Workweek    RecurrenceMode = "Workweek"
	DailyMode   RecurrenceMode = "Daily"
	WeeklyMode  RecurrenceMode = "Weekly"
	MonthlyMode RecurrenceMode = "Monthly"
	YearlyMode  RecurrenceMode = "Yearly"
	Custom      RecurrenceMode = "Custom"
)

// ModeRule returns the rule a shortcut mode stands for, for a series whose
// first occurrence starts at local (a time in the event's zone, or the
// all-day date at midnight): Workweek is weekly Monday to Friday, Weekly is
// weekly on local's weekday, Monthly is monthly on local's day of the month
// (so a series started on the 31st skips shorter months, as RFC 5545
// requires: no occurrence is moved to the 30th), Yearly is yearly on local's
// month and day (a 29 February series occurs in leap years only). It
// reports false for NotRepeat, Custom and unknown modes.
func ModeRule(mode RecurrenceMode, local time.Time) (Rule, bool) {
	switch mode {
	case Workweek:
		return Rule{Freq: Weekly, Interval: 1, ByWeekday: []WeekdayNum{{Day: Monday}, {Day: Tuesday}, {Day: Wednesday}, {Day: Thursday}, {Day: Friday}}}, true
	case DailyMode:
		return Rule{Freq: Daily, Interval: 1}, true
	case WeeklyMode:
		return Rule{Freq: Weekly, Interval: 1, ByWeekday: []WeekdayNum{{Day: WeekdayOf(local.Weekday())}}}, true
	case MonthlyMode:
		return Rule{Freq: Monthly, Interval: 1, ByMonthDay: []int{local.Day()}}, true
	case YearlyMode:
		return Rule{Freq: Yearly, Interval: 1, ByMonth: []int{int(local.Month())}, ByMonthDay: []int{local.Day()}}, true
	}
	return Rule{}, false
}

// modeFreq is the frequency a shortcut mode stands for ("" for NotRepeat,
// Custom and unknown modes).
func modeFreq(mode RecurrenceMode) Frequency {
	switch mode {
	case Workweek, WeeklyMode:
		return Weekly
	case DailyMode:
		return Daily
	case MonthlyMode:
		return Monthly
	case YearlyMode:
		return Yearly
	}
	return ""
}

// hasByParts reports whether r says which days or times it selects.
func (r Rule) hasByParts() bool {
	return len(r.ByWeekday)+len(r.ByMonth)+len(r.ByMonthDay)+len(r.ByYearDay)+len(r.ByWeekNo)+
		len(r.BySetPos)+len(r.ByHour)+len(r.ByMinute)+len(r.BySecond) > 0
}

// refine combines a shortcut mode's rule with the rule sent beside it, as
// rrule.js users expect: the shortcut gives the frequency and, only when the
// rule selects nothing itself, the days derived from the start; the rule's
// interval, ends, week start and by-parts refine it. A rule of another
// frequency, or a Workweek rule on a weekend day, is a field error rather
// than a silent choice of one over the other.
func refine(mode RecurrenceMode, base, given Rule, v *teamspro.Validation) Rule {
	if given.Freq != base.Freq {
		v.Add("rrule.freq", fmt.Sprintf("must be %s with modeRecurrence %s (or send modeRecurrence Custom)", base.Freq, mode))
		return base
	}
	out := base
	out.Interval, out.Count, out.Until, out.Wkst = given.Interval, given.Count, given.Until, given.Wkst
	if !given.hasByParts() {
		return out
	}
	if mode == Workweek {
		for _, w := range given.ByWeekday {
			if w.Day > Friday || w.N != 0 {
				v.Add("rrule.byweekday", "with modeRecurrence Workweek, only plain days from Monday to Friday (or send modeRecurrence Custom)")
				return base
			}
		}
		if len(given.ByWeekday) == 0 {
			given.ByWeekday = base.ByWeekday
		}
	}
	out.ByWeekday, out.ByMonth, out.ByMonthDay, out.ByYearDay, out.ByWeekNo = given.ByWeekday, given.ByMonth, given.ByMonthDay, given.ByYearDay, given.ByWeekNo
	out.BySetPos, out.ByHour, out.ByMinute, out.BySecond = given.BySetPos, given.ByHour, given.ByMinute, given.BySecond
	return out
}

// contractForm returns r with an nth weekday ("the last Friday", BYDAY=-1FR)
// written as the contract's schema can say it: byweekday names plus
// bysetpos (BYDAY=FR;BYSETPOS=-1). The two select the same days whenever the
// set the position counts in holds one weekday of one month (or of the
// year): a single nth weekday, no other day selector, at most one month,
// and at most one time a day. Other rules are returned unchanged (an nth
// weekday they need stays the rrule.js object {"weekday","n"}).
func (r Rule) contractForm() Rule {
	if len(r.ByWeekday) != 1 || r.ByWeekday[0].N == 0 || len(r.BySetPos) > 0 ||
		len(r.ByMonthDay)+len(r.ByYearDay)+len(r.ByWeekNo) > 0 || len(r.ByMonth) > 1 ||
		len(r.ByHour) > 1 || len(r.ByMinute) > 1 || len(r.BySecond) > 1 ||
		(r.Freq != Monthly && r.Freq != Yearly) {
		return r
	}
	out := r
	out.BySetPos = []int{r.ByWeekday[0].N}
	out.ByWeekday = []WeekdayNum{{Day: r.ByWeekday[0].Day}}
	return out
}

// WeekdayJSON is one entry of the contract's byweekday (and wkst). The
// contract spells days by name ("Friday"); we also accept what rrule.js and
// RFC 5545 produce: "FR", "-1FR", a number 0..6 (0 is Monday) and the
// rrule.js object {"weekday":4,"n":-1} for "the last Friday". Plain days are
// written back by name, nth days as the object.
type WeekdayJSON struct {
	Day Weekday
	N   int
	bad string // why the value was rejected, reported by validation
}

var nthDay = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([+-]?[0-9]{1,2})?([A-Z]{2})$`) })

// UnmarshalJSON never fails: a bad value is kept and reported by Validate
// with the other field errors.
func (w *WeekdayJSON) UnmarshalJSON(b []byte) error {
	*w = WeekdayJSON{}
	var s string
	var n int
	var obj struct {
		Weekday *int `json:"weekday"`
		N       int  `json:"n"`
	}
	switch {
	case json.Unmarshal(b, &s) == nil:
		for i, name := range weekdayNames {
			if strings.EqualFold(s, name) {
				w.Day = Weekday(i)
				return nil
			}
		}
		m := nthDay().FindStringSubmatch(strings.ToUpper(s))
		if m != nil {
			for i, c := range weekdayCodes {
				if c == m[2] {
					w.Day = Weekday(i)
					if m[1] != "" {
						w.N, _ = strconv.Atoi(m[1])
						if w.N == 0 {
							w.bad = "n cannot be 0"
						}
					}
					return nil
				}
			}
		}
		w.bad = fmt.Sprintf("%q is not a day of the week", s)
	case json.Unmarshal(b, &n) == nil:
		w.Day = Weekday(n)
		if n < 0 || n > 6 {
			w.bad = "a day number must be between 0 (Monday) and 6 (Sunday)"
		}
	case strictUnmarshal(b, &obj) == nil && obj.Weekday != nil:
		w.Day, w.N = Weekday(*obj.Weekday), obj.N
		if *obj.Weekday < 0 || *obj.Weekday > 6 {
			w.bad = "weekday must be between 0 (Monday) and 6 (Sunday)"
		}
	default:
		w.bad = "must be a day name or {\"weekday\":0..6,\"n\":nth}"
	}
	return nil
}

// MarshalJSON writes a plain day by name and an nth day as an object.
func (w WeekdayJSON) MarshalJSON() ([]byte, error) {
	if w.N == 0 {
		return json.Marshal(w.Day.String())
	}
	return json.Marshal(struct {
		Weekday int `json:"weekday"`
		N       int `json:"n"`
	}{int(w.Day), w.N})
}

func strictUnmarshal(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// RecurrenceRule is the contract's rrule object, in rrule.js shape. Dates
// are RFC 3339 strings so that a bad one is reported as a field error rather
// than failing the whole decoding. Tzid is rrule.js's own field, additive
// to the contract. The whole value may also be an RFC 5545 RRULE string
// ("FREQ=WEEKLY;BYDAY=MO"), which clients of the iCalendar world prefer.
type RecurrenceRule struct {
	Freq       string        `json:"freq"`
	Dtstart    string        `json:"dtstart,omitempty"`
	Until      string        `json:"until,omitempty"`
	Count      *int          `json:"count,omitempty"`
	Interval   *int          `json:"interval,omitempty"`
	Wkst       *WeekdayJSON  `json:"wkst,omitempty"`
	Byweekday  []WeekdayJSON `json:"byweekday,omitempty"`
	Bymonth    []int         `json:"bymonth,omitempty"`
	Bysetpos   []int         `json:"bysetpos,omitempty"`
	Bymonthday []int         `json:"bymonthday,omitempty"`
	Byyearday  []int         `json:"byyearday,omitempty"`
	Byweekno   []int         `json:"byweekno,omitempty"`
	Byhour     []int         `json:"byhour,omitempty"`
	Byminute   []int         `json:"byminute,omitempty"`
	Bysecond   []int         `json:"bysecond,omitempty"`
	Tzid       string        `json:"tzid,omitempty"`

	rfc    string // set when the value was an RRULE string
	isRFC  bool
	badRaw string // why the value could not be read at all
}

type recurrenceRuleFields RecurrenceRule

// UnmarshalJSON reads the rrule.js object (unknown members rejected, as the
// API's decoder does for the rest of the body) or an RRULE string. It fails
// only on malformed JSON; content errors are left to validation.
func (rr *RecurrenceRule) UnmarshalJSON(b []byte) error {
	*rr = RecurrenceRule{}
	var s string
	if json.Unmarshal(b, &s) == nil {
		rr.rfc, rr.isRFC = s, true
		return nil
	}
	var f recurrenceRuleFields
	if err := strictUnmarshal(b, &f); err != nil {
		if !json.Valid(b) {
			return err
		}
		rr.badRaw = err.Error()
		return nil
	}
	*rr = RecurrenceRule(f)
	return nil
}

// rule converts rr to a Rule, recording problems under "rrule.*". An absent
// freq or dtstart is tolerated when the mode supplies them.
func (rr *RecurrenceRule) rule(v *teamspro.Validation, allDay bool) (Rule, bool) {
	before := v.Len()
	if rr.badRaw != "" {
		v.Add("rrule", "cannot be read: "+rr.badRaw)
		return Rule{}, false
	}
	if rr.isRFC {
		r, err := parseRRule(rr.rfc)
		if err != nil {
			v.Add("rrule", err.Error())
			return Rule{}, false
		}
		r.check(v, "rrule", allDay)
		return r, v.Len() == before
	}
	r := Rule{Freq: Frequency(strings.ToUpper(rr.Freq)), Interval: 1,
		ByMonth: rr.Bymonth, BySetPos: rr.Bysetpos, ByMonthDay: rr.Bymonthday, ByYearDay: rr.Byyearday,
		ByWeekNo: rr.Byweekno, ByHour: rr.Byhour, ByMinute: rr.Byminute, BySecond: rr.Bysecond}
	if rr.Interval != nil {
		r.Interval = *rr.Interval
	}
	if rr.Count != nil {
		r.Count = *rr.Count
		v.Check(r.Count >= 1, "rrule.count", "must be at least 1")
	}
	if rr.Until != "" {
		t, err := parseInstant(rr.Until)
		if v.Check(err == nil, "rrule.until", "must be an RFC 3339 date-time") {
			r.Until = t
		}
	}
	if rr.Dtstart != "" {
		_, err := parseInstant(rr.Dtstart)
		v.Check(err == nil, "rrule.dtstart", "must be an RFC 3339 date-time")
	}
	if rr.Wkst != nil {
		if v.Check(rr.Wkst.bad == "" && rr.Wkst.N == 0, "rrule.wkst", "must be a plain day of the week") {
			r.Wkst = rr.Wkst.Day
		}
	}
	for _, w := range rr.Byweekday {
		if w.bad != "" {
			v.Add("rrule.byweekday", w.bad)
			continue
		}
		r.ByWeekday = append(r.ByWeekday, WeekdayNum{Day: w.Day, N: w.N})
	}
	r.check(v, "rrule", allDay)
	return r, v.Len() == before
}

// parseInstant reads an RFC 3339 date-time (fractions allowed, as
// JavaScript's toISOString writes them).
func parseInstant(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, s)
}

// ruleJSON renders r in the contract's shape for a series starting at start
// in zone tz.
func ruleJSON(r Rule, start time.Time, tz string) *RecurrenceRule {
	r = r.contractForm()
	rr := &RecurrenceRule{Freq: string(r.Freq), Dtstart: start.UTC().Format(time.RFC3339), Tzid: tz,
		Bymonth: r.ByMonth, Bysetpos: r.BySetPos, Bymonthday: r.ByMonthDay, Byyearday: r.ByYearDay,
		Byweekno: r.ByWeekNo, Byhour: r.ByHour, Byminute: r.ByMinute, Bysecond: r.BySecond}
	interval := r.Interval
	rr.Interval = &interval
	if r.Count > 0 {
		c := r.Count
		rr.Count = &c
	}
	if !r.Until.IsZero() {
		rr.Until = r.Until.UTC().Format(time.RFC3339)
	}
	if r.Wkst != Monday {
		rr.Wkst = &WeekdayJSON{Day: r.Wkst}
	}
	for _, w := range r.ByWeekday {
		rr.Byweekday = append(rr.Byweekday, WeekdayJSON{Day: w.Day, N: w.N})
	}
	return rr
}
