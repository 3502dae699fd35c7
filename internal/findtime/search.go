package findtime

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/teamspro"
)

// Limits of a search: they bound its cost (participants × days).
const (
	MaxParticipants = 20
	MaxWindow       = 31 * 24 * time.Hour
	MaxDuration     = 12 * time.Hour
	MinDuration     = 5 * time.Minute
	MaxSlots        = 20
	DefaultSlots    = 5
	// Step is the grid of suggested starts, on the request zone's wall clock.
	Step = 15 * time.Minute
	// MaxBusyShown bounds the intervals an explanation lists per person.
	MaxBusyShown = 50
)

// Hours are daily local working hours, "HH:MM" each ("24:00" allowed as end).
type Hours struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// RoomNeeds asks for a room: at least this capacity, every equipment tag,
// in this building and on this floor (case-insensitive; empty: any).
type RoomNeeds struct {
	Capacity  int      `json:"capacity"`
	Equipment []string `json:"equipment"`
	Building  string   `json:"building"`
	Floor     string   `json:"floor"`
}

// Request is one search.
type Request struct {
	// Participants are users of the organization by Entra object id or UPN;
	// the caller is always one of them, added when not named.
	Participants    []string `json:"participants"`
	DurationMinutes int      `json:"durationMinutes"`
	// From and To bound the window (To exclusive), in TimeZone's wall clock
	// for the working hours and days.
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	TimeZone string    `json:"timeZone"`
	// WorkingHours limit each day (optional: the whole day).
	WorkingHours *Hours `json:"workingHours,omitempty"`
	// Days limits the weekdays, 0 = Sunday (optional: every day).
	Days []int `json:"days,omitempty"`
	// Room, when set, asks for a room free at the same time.
	Room *RoomNeeds `json:"room,omitempty"`
	// Max is how many slots to answer (default 5, at most 20).
	Max int `json:"max,omitempty"`
	// CalendarID, when set, is a booking tab: rooms are then those it offers.
	CalendarID string `json:"calendarId,omitempty"`
}

// Validate reports every invalid field at once.
func (r *Request) Validate() error {
	var v teamspro.Validation
	if v.Check(len(r.Participants) <= MaxParticipants, "participants", fmt.Sprintf("at most %d", MaxParticipants)) {
		for _, p := range r.Participants {
			p = strings.TrimSpace(p)
			if !v.Check(teamspro.IsGUID(p) || (strings.Contains(p, "@") && len(p) <= 254 && !strings.ContainsAny(p, " /\\#?")), "participants", "entries are Entra object ids or user principal names") {
				break
			}
		}
	}
	d := time.Duration(r.DurationMinutes) * time.Minute
	v.Check(d >= MinDuration && d <= MaxDuration, "durationMinutes", "must be 5 to 720")
	v.Check(!r.From.IsZero(), "from", "is required (RFC 3339)")
	v.Check(!r.To.IsZero(), "to", "is required (RFC 3339)")
	if !r.From.IsZero() && !r.To.IsZero() {
		if v.Check(r.To.After(r.From), "to", "must be after from") {
			v.Check(r.To.Sub(r.From) <= MaxWindow, "to", "the window is at most 31 days")
		}
	}
	if loc, err := time.LoadLocation(r.TimeZone); err != nil || r.TimeZone == "" || r.TimeZone == "Local" || loc == nil {
		v.Add("timeZone", "is required: an IANA time zone name")
	}
	if h := r.WorkingHours; h != nil {
		s, okS := minutesOf(h.Start)
		e, okE := minutesOf(h.End)
		if v.Check(okS && okE && h.Start != "24:00", "workingHours", "start and end are HH:MM") {
			v.Check(s < e, "workingHours", "start must be before end")
		}
	}
	for _, d := range r.Days {
		if !v.Check(d >= 0 && d <= 6, "days", "days are 0 (Sunday) to 6 (Saturday)") {
			break
		}
	}
	if n := r.Room; n != nil {
		v.Check(n.Capacity >= 0 && n.Capacity <= 100000, "room.capacity", "must be 0 to 100000")
		v.Check(len(n.Equipment) <= 20, "room.equipment", "at most 20 tags")
		v.Check(len(n.Building) <= 100, "room.building", "at most 100 characters")
		v.Check(len(n.Floor) <= 50, "room.floor", "at most 50 characters")
	}
	v.Check(r.Max >= 0 && r.Max <= MaxSlots, "max", "must be 1 to 20")
	return v.Err()
}

// minutesOf parses "HH:MM" (00:00 to 24:00) into minutes after midnight.
func minutesOf(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	var h, m int
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

// RoomChoice is a room free for a slot.
type RoomChoice struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Capacity int    `json:"capacity"`
	Building string `json:"building,omitempty"`
	Floor    string `json:"floor,omitempty"`
}

// Slot is a suggested time: every participant free, and, when a room was
// asked, the rooms free then (smallest first, at most 5).
type Slot struct {
	Start time.Time    `json:"start"`
	End   time.Time    `json:"end"`
	Rooms []RoomChoice `json:"rooms,omitempty"`
}

// Why an answer is empty (an explanation's reason, not a problem's).
const (
	WhyNoTimeInWindow   = "no_time_in_window" // no working time left in the window
	WhyParticipantsBusy = "participants_busy" // never all free together
	WhyNoRoom           = "no_room"           // all free, but no room then
	WhyNoRoomMatches    = "no_matching_room"  // no room meets the needs at all
)

// ReasonParticipantBusy is the reason of Book's 409 when a participant is
// taken now.
const ReasonParticipantBusy = "participant_busy"

const maxRoomsPerSlot = 5

// BusyShown is one blocking interval of a participant in an explanation.
// Title is set only when the caller can read the item's calendar (or the
// item is the caller's own).
type BusyShown struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Kind  string    `json:"kind"`
	Title string    `json:"title,omitempty"`
}

// ParticipantBusy is who is busy when, for an explanation.
type ParticipantBusy struct {
	Person
	Busy []BusyShown `json:"busy"`
}

// Explanation says why nothing fits: the reason, and per participant the
// intervals that block them within the searched hours.
type Explanation struct {
	Why          string            `json:"reason"`
	Says         string            `json:"detail"`
	Participants []ParticipantBusy `json:"participants"`
	// MatchingRooms is how many rooms meet the needs (when a room was asked).
	MatchingRooms *int `json:"matchingRooms,omitempty"`
}

// Answer is the outcome of a search.
type Answer struct {
	Slots        []Slot       `json:"slots"`
	Participants []Person     `json:"participants"`
	Explanation  *Explanation `json:"explanation,omitempty"`
}

// Service finds times and books them.
type Service struct {
	Index  Index
	People People
	Rooms  Rooms
	Booker Booker
	Tabs   Tabs
	Now    teamspro.Clock
}

// NewService checks its dependencies: the busy index, the directory, the
// rooms (booking.Service), the booking tabs (booking.Calendars) and the tabs
// that decide whether a title may be shown.
func NewService(idx Index, people People, rooms Rooms, booker Booker, tabs Tabs, now teamspro.Clock) (*Service, error) {
	if idx == nil || people == nil || rooms == nil || booker == nil || tabs == nil {
		return nil, errors.New("findtime: index, people, rooms, booker and tabs are required")
	}
	if now == nil {
		now = time.Now
	}
	return &Service{Index: idx, People: people, Rooms: rooms, Booker: booker, Tabs: tabs, Now: now}, nil
}

// options narrow a search beyond the request: the rooms of a booking tab.
type options struct {
	onlyRooms []string
}

// optionsOf reads the booking tab a request names (ENOTFOUND for an unknown
// one), for the rooms it offers.
func (s *Service) optionsOf(ctx context.Context, p teamspro.Principal, calendarID string) (options, error) {
	if calendarID == "" {
		return options{}, nil
	}
	t, err := s.Booker.Tab(ctx, p, calendarID)
	if err != nil {
		var e *teamspro.Error
		if errors.As(err, &e) && len(e.Fields) > 0 {
			e.Fields = []teamspro.FieldError{{Field: "calendarId", Reason: e.Fields[0].Reason}}
		}
		return options{}, err
	}
	return options{onlyRooms: t.Settings.Rooms}, nil
}

// Find answers the earliest slots of req where every participant (the caller
// included) is free and, when req.Room is set, a room meeting the needs is
// free and bookable by the caller. When nothing fits, Explanation says why
// and who is busy when. EINVALID for a bad request or an unknown participant.
func (s *Service) Find(ctx context.Context, p teamspro.Principal, req *Request) (*Answer, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	opt, err := s.optionsOf(ctx, p, req.CalendarID)
	if err != nil {
		return nil, err
	}
	people, err := s.resolve(ctx, p, req.Participants)
	if err != nil {
		return nil, err
	}
	sr, err := s.search(ctx, p, req, people, opt)
	if err != nil {
		return nil, err
	}
	return sr.answer(ctx, s, p), nil
}

// resolve turns the request's object ids and UPNs into people, the caller
// first. An object id nobody signed in with is still a person (events may
// name them); a UPN must be known, or carried as an address key only.
func (s *Service) resolve(ctx context.Context, p teamspro.Principal, ids []string) ([]Person, error) {
	if !p.IsUser() {
		return nil, teamspro.Errorf(teamspro.EFORBIDDEN, "Find a time is for signed-in users.")
	}
	named := []string{teamspro.NormalizeGUID(p.ObjectID)}
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if teamspro.IsGUID(id) {
			id = teamspro.NormalizeGUID(id)
		} else {
			id = strings.ToLower(id)
		}
		if !slices.Contains(named, id) {
			named = append(named, id)
		}
	}
	out := make([]Person, len(named))
	errs := make([]error, len(named))
	var wg sync.WaitGroup
	for i, id := range named {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if teamspro.IsGUID(id) {
				out[i] = Person{ObjectID: id}
				prof, err := s.People.Profile(ctx, p.TenantID, id)
				switch {
				case err == nil:
					out[i].UPN, out[i].Name = prof.UPN, prof.Name
				case teamspro.ErrorCode(err) != teamspro.ENOTFOUND:
					errs[i] = err
				}
				return
			}
			out[i] = Person{UPN: id}
			prof, err := s.People.ByUPN(ctx, p.TenantID, id)
			switch {
			case err == nil:
				out[i] = Person{ObjectID: prof.ObjectID, UPN: prof.UPN, Name: prof.Name}
			case teamspro.ErrorCode(err) != teamspro.ENOTFOUND:
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	// Two names of one person (an object id and their UPN) are one person.
	var dedup []Person
	for _, pr := range out {
		if !slices.ContainsFunc(dedup, func(q Person) bool {
			return (pr.ObjectID != "" && q.ObjectID == pr.ObjectID) || (pr.UPN != "" && strings.EqualFold(q.UPN, pr.UPN))
		}) {
			dedup = append(dedup, pr)
		}
	}
	if dedup[0].Name == "" {
		dedup[0].Name, dedup[0].UPN = p.Name, firstNonEmpty(dedup[0].UPN, p.UPN)
	}
	return dedup, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// searched is a search's state: the people and their busy intervals, the
// working periods of the window, and the slots found.
type searched struct {
	req     *Request
	people  []Person
	busy    [][]Busy // per person, sorted by start
	periods [][2]time.Time
	slots   []Slot
	// freeTimes counts the candidate starts when every person was free, so
	// that an empty answer tells "nobody free together" from "no room".
	freeTimes int
	matching  int
	roomAsked bool
}

// search reads the index and the rooms and walks the candidate starts.
func (s *Service) search(ctx context.Context, p teamspro.Principal, req *Request, people []Person, opt options) (*searched, error) {
	loc, _ := time.LoadLocation(req.TimeZone)
	now := s.Now()
	from, to := req.From, req.To
	sr := &searched{req: req, people: people, roomAsked: req.Room != nil}
	sr.periods = workingPeriods(from, to, loc, req.WorkingHours, req.Days, now)
	if len(sr.periods) == 0 {
		return sr, nil
	}
	span0, span1 := sr.periods[0][0], sr.periods[len(sr.periods)-1][1]

	var (
		wg    sync.WaitGroup
		snap  *booking.Snapshot
		rerr  error
		busy  = make([][]Busy, len(people))
		berrs = make([]error, len(people))
	)
	if req.Room != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := booking.Filter{Capacity: req.Room.Capacity, Equipment: req.Room.Equipment, Building: req.Room.Building, Floor: req.Room.Floor}
			snap, rerr = s.Rooms.Snapshot(ctx, p.TenantID, span0, span1, f, opt.onlyRooms)
		}()
	}
	for i, pr := range people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			busy[i], berrs[i] = s.busyOf(ctx, p.TenantID, pr, span0, span1)
		}()
	}
	wg.Wait()
	if err := errors.Join(append(berrs, rerr)...); err != nil {
		return nil, err
	}
	sr.busy = busy
	if snap != nil {
		sr.matching = len(snap.Rooms)
	}
	max := req.Max
	if max == 0 {
		max = DefaultSlots
	}
	length := time.Duration(req.DurationMinutes) * time.Minute
	all := mergeAll(busy)
	for _, per := range sr.periods {
		for _, gap := range freeGaps(all, per[0], per[1]) {
			for st := gridUp(gap[0], loc); !st.Add(length).After(gap[1]); st = nextGrid(st, loc) {
				sr.freeTimes++
				slot := Slot{Start: st.UTC(), End: st.Add(length).UTC()}
				if snap != nil {
					free := snap.Free(p, slot.Start, slot.End, now)
					if len(free) == 0 {
						continue
					}
					for _, r := range free[:min(len(free), maxRoomsPerSlot)] {
						slot.Rooms = append(slot.Rooms, RoomChoice{ID: r.ID, Name: r.Name, Capacity: r.Capacity, Building: r.Building, Floor: r.Floor})
					}
				}
				sr.slots = append(sr.slots, slot)
				if len(sr.slots) == max {
					return sr, nil
				}
			}
		}
	}
	return sr, nil
}

// busyOf reads a person's index entries under each of their keys and
// returns their busy intervals overlapping [from, to), series expanded,
// sorted by start, each item once.
func (s *Service) busyOf(ctx context.Context, tenantID string, pr Person, from, to time.Time) ([]Busy, error) {
	keys := pr.keys()
	ents := make([]Entries, len(keys))
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ents[i], errs[i] = s.Index.Entries(ctx, tenantID, k, from, to)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []Busy
	add := func(b Busy) {
		if !b.Start.Before(to) || !b.End.After(from) {
			return
		}
		k := b.Kind + "|" + b.ItemID + "|" + b.Start.UTC().Format(time.RFC3339)
		if seen[k] {
			return
		}
		seen[k] = true
		out = append(out, b)
	}
	for _, e := range ents {
		for _, b := range e.Busy {
			add(b)
		}
		for _, se := range e.Series {
			occ, err := calendar.Occurrences(se.Event, se.Exceptions, from, to)
			if err != nil {
				// A series too dense to expand over the window blocks the
				// whole window rather than being silently ignored.
				add(Busy{Start: from, End: to, Kind: KindEvent, CalendarID: se.CalendarID, ItemID: se.Event.ID, Title: se.Event.Title})
				continue
			}
			for _, o := range occ {
				add(Busy{Start: o.Start, End: o.End, Kind: KindEvent, CalendarID: se.CalendarID, ItemID: se.Event.ID, Title: o.Title})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}

// workingPeriods returns the parts of [from, to) within the working hours
// of the allowed weekdays, on the wall clock of loc, from now on.
func workingPeriods(from, to time.Time, loc *time.Location, h *Hours, days []int, now time.Time) [][2]time.Time {
	if now.After(from) {
		from = now
	}
	var out [][2]time.Time
	l := from.In(loc)
	for d := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc); d.Before(to); d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc) {
		if len(days) > 0 && !slices.Contains(days, int(d.Weekday())) {
			continue
		}
		s, e := d, time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
		if h != nil {
			sm, _ := minutesOf(h.Start)
			em, _ := minutesOf(h.End)
			s = time.Date(d.Year(), d.Month(), d.Day(), sm/60, sm%60, 0, 0, loc)
			if em < 24*60 {
				e = time.Date(d.Year(), d.Month(), d.Day(), em/60, em%60, 0, 0, loc)
			}
		}
		if s.Before(from) {
			s = from
		}
		if e.After(to) {
			e = to
		}
		if s.Before(e) {
			out = append(out, [2]time.Time{s, e})
		}
	}
	return out
}

// mergeAll returns the union of every person's busy intervals, sorted and
// merged.
func mergeAll(per [][]Busy) [][2]time.Time {
	var all [][2]time.Time
	for _, bs := range per {
		for _, b := range bs {
			all = append(all, [2]time.Time{b.Start, b.End})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i][0].Before(all[j][0]) })
	var out [][2]time.Time
	for _, iv := range all {
		if n := len(out); n > 0 && !iv[0].After(out[n-1][1]) {
			if iv[1].After(out[n-1][1]) {
				out[n-1][1] = iv[1]
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

// freeGaps returns the parts of [from, to) that no interval of merged covers.
// Intervals are half-open: a meeting may start when another ends.
func freeGaps(merged [][2]time.Time, from, to time.Time) [][2]time.Time {
	var out [][2]time.Time
	cur := from
	for _, iv := range merged {
		if !iv[1].After(cur) {
			continue
		}
		if !iv[0].Before(to) {
			break
		}
		if iv[0].After(cur) {
			out = append(out, [2]time.Time{cur, iv[0]})
		}
		cur = iv[1]
	}
	if cur.Before(to) {
		out = append(out, [2]time.Time{cur, to})
	}
	return out
}

// gridUp returns the first start of the Step grid of loc's wall clock at or
// after t: suggestions start at :00, :15, :30 and :45 where the person is.
func gridUp(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	mid := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	m := l.Sub(mid)
	g := mid.Add((m + Step - 1) / Step * Step)
	if g.Before(t) { // a DST change inside the day
		g = g.Add(Step)
	}
	return g
}

func nextGrid(t time.Time, loc *time.Location) time.Time { return gridUp(t.Add(time.Second), loc) }

// answer turns a search into its answer, with an explanation when empty.
func (sr *searched) answer(ctx context.Context, s *Service, p teamspro.Principal) *Answer {
	a := &Answer{Slots: sr.slots, Participants: sr.people}
	if a.Slots == nil {
		a.Slots = []Slot{}
	}
	if len(sr.slots) > 0 {
		return a
	}
	a.Explanation = sr.explain(ctx, s, p)
	return a
}

// explain says why nothing fits. Titles of items whose calendar the caller
// cannot read are left out: an explanation shows when people are busy, not
// what they do, unless the caller could see it anyway.
func (sr *searched) explain(ctx context.Context, s *Service, p teamspro.Principal) *Explanation {
	why, says := WhyParticipantsBusy, "The participants are never all free together for that long in the window."
	switch {
	case len(sr.periods) == 0:
		why, says = WhyNoTimeInWindow, "The window has no working time left (it is past, or its days and hours exclude it)."
	case sr.roomAsked && sr.matching == 0:
		why, says = WhyNoRoomMatches, "No active room you may book meets the room needs."
	case sr.freeTimes > 0:
		why, says = WhyNoRoom, fmt.Sprintf("Everyone is free %d times, but no matching room is free and bookable then.", sr.freeTimes)
	}
	e := &Explanation{Why: why, Says: says, Participants: []ParticipantBusy{}}
	if sr.roomAsked {
		n := sr.matching
		e.MatchingRooms = &n
	}
	readable := map[string]bool{}
	for i, pr := range sr.people {
		pb := ParticipantBusy{Person: pr, Busy: []BusyShown{}}
		var busy []Busy
		if i < len(sr.busy) { // not read when the window has no working time
			busy = sr.busy[i]
		}
		for _, b := range busy {
			if !inPeriods(b, sr.periods) {
				continue
			}
			shown := BusyShown{Start: b.Start.UTC(), End: b.End.UTC(), Kind: b.Kind}
			ok, known := readable[b.CalendarID]
			if !known {
				ok = b.CalendarID != "" && s.readable(ctx, p, b.CalendarID)
				readable[b.CalendarID] = ok
			}
			if ok || pr.same(p) {
				shown.Title = b.Title
			}
			pb.Busy = append(pb.Busy, shown)
			if len(pb.Busy) == MaxBusyShown {
				break
			}
		}
		e.Participants = append(e.Participants, pb)
	}
	return e
}

func inPeriods(b Busy, periods [][2]time.Time) bool {
	for _, per := range periods {
		if b.Start.Before(per[1]) && b.End.After(per[0]) {
			return true
		}
	}
	return false
}
