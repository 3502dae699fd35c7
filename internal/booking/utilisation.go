package booking

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// Usage is a reservation as a utilisation report reads it: its room, its
// interval and its status (every status: a released one is a no-show).
type Usage struct {
	ID     string
	RoomID string
	Status string
	Start  time.Time
	End    time.Time
}

// MaxReportDays bounds a utilisation period: the store reads one partition
// per UTC day.
const MaxReportDays = 92

// UtilisationQuery asks for the utilisation of rooms over a period of whole
// days: From and To are dates (YYYY-MM-DD, To exclusive), read in each room's
// own zone, so that "March" is March on every room's wall clock. Rooms
// narrows to those ids; Building and Floor to those rooms (case-insensitive).
type UtilisationQuery struct {
	From, To        string
	Rooms           []string
	Building, Floor string
}

// Figures are the utilisation figures of a room, a group of rooms or all of
// them over a period.
type Figures struct {
	// OpenHours is how long the rooms were bookable: each local day the room
	// takes reservations (its days, not a holiday it closes on), for its
	// hours (the whole day without).
	OpenHours float64 `json:"openHours"`
	// BookedHours is the part of OpenHours that reservations holding their
	// room (confirmed or pending) covered.
	BookedHours float64 `json:"bookedHours"`
	// Utilisation is BookedHours / OpenHours (0 without open hours).
	Utilisation float64 `json:"utilisation"`
	// Reservations counts those starting in the period that were to take
	// place (confirmed, pending, or released: not cancelled or declined).
	Reservations int `json:"reservations"`
	// Released counts those of Reservations released as no-shows by the
	// check-in timer; NoShowRate is Released / Reservations.
	Released   int     `json:"released"`
	NoShowRate float64 `json:"noShowRate"`
	// BusiestHours are the (at most five) hours of the week with the most
	// booked hours, in each room's local time, busiest first.
	BusiestHours []WeekHour `json:"busiestHours"`

	week [7][24]float64
}

// WeekHour is one hour of the week: weekday 0 is Sunday, hour 0..23 local.
type WeekHour struct {
	Weekday     int     `json:"weekday"`
	Hour        int     `json:"hour"`
	BookedHours float64 `json:"bookedHours"`
}

// RoomUsage is one room's figures.
type RoomUsage struct {
	RoomID   string `json:"roomId"`
	Name     string `json:"name"`
	Building string `json:"building,omitempty"`
	Floor    string `json:"floor,omitempty"`
	Figures
}

// GroupUsage is a building's figures (Floor empty) or a floor's.
type GroupUsage struct {
	Building string `json:"building"`
	Floor    string `json:"floor,omitempty"`
	Rooms    int    `json:"rooms"`
	Figures
}

// UtilisationReport is the answer of a utilisation query.
type UtilisationReport struct {
	From   string       `json:"from"`
	To     string       `json:"to"`
	Rooms  []RoomUsage  `json:"rooms"`
	Groups []GroupUsage `json:"groups"`
	Total  Figures      `json:"total"`
	// Week is Total's booked hours per weekday (0 = Sunday) and local hour,
	// for a chart of the week.
	Week [7][24]float64 `json:"week"`
}

// Validate checks the period: two dates, To after From, at most
// MaxReportDays apart.
func (q *UtilisationQuery) Validate() error {
	var v teamspro.Validation
	f, ef := time.Parse(time.DateOnly, q.From)
	t, et := time.Parse(time.DateOnly, q.To)
	v.Check(ef == nil, "from", "is required: a date (YYYY-MM-DD)")
	v.Check(et == nil, "to", "is required: a date (YYYY-MM-DD), exclusive")
	if ef == nil && et == nil {
		v.Check(t.After(f), "to", "must be after from")
		v.Check(t.Sub(f) <= MaxReportDays*24*time.Hour, "to", "the period is at most 92 days")
	}
	for _, id := range q.Rooms {
		if !v.Check(teamspro.ValidID(id), "room", "room ids are letters, digits and . _ : @ -") {
			break
		}
	}
	return v.Err()
}

// Utilisation reports the utilisation of the rooms p may see (tenant admins
// every room, room managers the rooms they manage: EFORBIDDEN for anyone
// else) over q's period. ENOTFOUND for an asked room that does not exist,
// EFORBIDDEN for one p does not manage.
//
// Its storage cost is one query per UTC day of the period (plus one day
// before it, whose reservations may reach into it) and the room directory:
// it reads the reservation rows homed in those day partitions and nothing
// else, never the tenant's reservation index, so it grows with the days
// asked and the reservations made in them, not with the tenant's history.
// See ReservationStore.Usage.
func (s *Service) Utilisation(ctx context.Context, p teamspro.Principal, q UtilisationQuery) (*UtilisationReport, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	all, _, err := s.roomDirectory(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	for _, id := range q.Rooms {
		i := slices.IndexFunc(all, func(r *Room) bool { return r.ID == id })
		if i < 0 {
			return nil, teamspro.Errorf(teamspro.ENOTFOUND, "There is no room %s.", id)
		}
		if !all[i].Manages(p) {
			return nil, teamspro.Errorf(teamspro.EFORBIDDEN, "Only tenant admins and the room's managers see the utilisation of %s.", all[i].Name)
		}
	}
	var rooms []*Room
	managesAny := p.Admin // an admin of a tenant without rooms gets an empty report
	for _, r := range all {
		if !r.Manages(p) {
			continue
		}
		managesAny = true
		if (len(q.Rooms) > 0 && !slices.Contains(q.Rooms, r.ID)) || (q.Building != "" && !strings.EqualFold(r.Building, q.Building)) ||
			(q.Floor != "" && !strings.EqualFold(r.Floor, q.Floor)) {
			continue
		}
		rooms = append(rooms, r)
	}
	if !managesAny {
		return nil, teamspro.Errorf(teamspro.EFORBIDDEN, "Only tenant admins and room managers see room utilisation.")
	}
	ids := make([]string, len(rooms))
	var first, last time.Time
	for i, r := range rooms {
		ids[i] = r.ID
		from, to := periodIn(q, r.Location())
		if first.IsZero() || from.Before(first) {
			first = from
		}
		if to.After(last) {
			last = to
		}
	}
	var usage []Usage
	if len(rooms) > 0 {
		// A reservation ends by its room's local midnight, so one that
		// reaches into the period started at most a day before it.
		days := Days(first.Add(-24*time.Hour), last, time.UTC)
		if usage, err = s.Reservations.Usage(ctx, p.TenantID, days, ids); err != nil {
			return nil, err
		}
	}
	return Utilise(rooms, usage, q.From, q.To), nil
}

// periodIn returns the period of q on the wall clock of loc.
func periodIn(q UtilisationQuery, loc *time.Location) (time.Time, time.Time) {
	f, _ := time.ParseInLocation(time.DateOnly, q.From, loc)
	t, _ := time.ParseInLocation(time.DateOnly, q.To, loc)
	return f, t
}

// Utilise computes the utilisation of rooms from their reservations over the
// dates [from, to) (YYYY-MM-DD, valid), each room on its own wall clock. It
// reads nothing: the figures follow from its arguments alone.
func Utilise(rooms []*Room, usage []Usage, from, to string) *UtilisationReport {
	byRoom := map[string][]Usage{}
	for _, u := range usage {
		byRoom[u.RoomID] = append(byRoom[u.RoomID], u)
	}
	rep := &UtilisationReport{From: from, To: to, Rooms: []RoomUsage{}, Groups: []GroupUsage{}}
	groups := map[[2]string]*GroupUsage{}
	group := func(building, floor string) *GroupUsage {
		k := [2]string{building, floor}
		if g, ok := groups[k]; ok {
			return g
		}
		g := &GroupUsage{Building: building, Floor: floor}
		groups[k] = g
		return g
	}
	for _, r := range rooms {
		ru := RoomUsage{RoomID: r.ID, Name: r.Name, Building: r.Building, Floor: r.Floor}
		ru.Figures = roomFigures(r, byRoom[r.ID], from, to)
		rep.Rooms = append(rep.Rooms, ru)
		targets := []*Figures{&rep.Total}
		if r.Building != "" || r.Floor != "" {
			b := group(r.Building, "")
			b.Rooms++
			targets = append(targets, &b.Figures)
			if r.Floor != "" {
				f := group(r.Building, r.Floor)
				f.Rooms++
				targets = append(targets, &f.Figures)
			}
		}
		for _, t := range targets {
			t.add(&ru.Figures)
		}
	}
	for _, g := range groups {
		g.finish()
		rep.Groups = append(rep.Groups, *g)
	}
	slices.SortFunc(rep.Groups, func(a, b GroupUsage) int {
		return cmp.Or(cmp.Compare(a.Building, b.Building), cmp.Compare(a.Floor, b.Floor))
	})
	rep.Total.finish()
	rep.Week = rep.Total.week
	for i := range rep.Week {
		for h := range rep.Week[i] {
			rep.Week[i][h] = round2(rep.Week[i][h])
		}
	}
	return rep
}

// roomFigures computes one room's figures.
func roomFigures(r *Room, usage []Usage, from, to string) Figures {
	var f Figures
	loc := r.Location()
	start, end := periodIn(UtilisationQuery{From: from, To: to}, loc)
	open := openWindows(r, start, end)
	for _, w := range open {
		f.OpenHours += w[1].Sub(w[0]).Hours()
	}
	for _, u := range usage {
		if !u.Start.Before(start) && u.Start.Before(end) && (Holds(u.Status) || u.Status == StatusReleased) {
			f.Reservations++
			if u.Status == StatusReleased {
				f.Released++
			}
		}
		if !Holds(u.Status) {
			continue
		}
		for _, w := range open {
			s, e := maxTime(u.Start, w[0]), minTime(u.End, w[1])
			if s.Before(e) {
				f.BookedHours += e.Sub(s).Hours()
				spread(&f.week, s.In(loc), e.In(loc))
			}
		}
	}
	f.finish()
	return f
}

// openWindows returns the intervals the room was bookable in [start, end):
// for each local day it takes reservations (its weekdays; not a public
// holiday when it closes on them), its hours, or the whole day.
func openWindows(r *Room, start, end time.Time) [][2]time.Time {
	var out [][2]time.Time
	for d := start; d.Before(end); d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, d.Location()) {
		if len(r.Days) > 0 && !slices.Contains(r.Days, int(d.Weekday())) {
			continue
		}
		if _, closed := r.HolidayOn(d); closed && r.Rules.ClosedOnHolidays {
			continue
		}
		next := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, d.Location())
		ws, we := d, next
		if h := r.Hours; h != nil {
			ws, we = atClock(d, h.Start), atClock(d, h.End)
		}
		if ws.Before(we) {
			out = append(out, [2]time.Time{ws, we})
		}
	}
	return out
}

// atClock returns the time hh:mm of day d ("24:00": the next midnight).
func atClock(d time.Time, hhmm string) time.Time {
	var h, m int
	if len(hhmm) == 5 {
		h, m = int(hhmm[0]-'0')*10+int(hhmm[1]-'0'), int(hhmm[3]-'0')*10+int(hhmm[4]-'0')
	}
	return time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, d.Location())
}

// spread adds [s, e) (on one wall clock) to the week's hour buckets.
func spread(week *[7][24]float64, s, e time.Time) {
	for t := s; t.Before(e); {
		next := time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, t.Location())
		if next.After(e) || !next.After(t) {
			next = e
		}
		week[t.Weekday()][t.Hour()] += next.Sub(t).Hours()
		t = next
	}
}

func (f *Figures) add(o *Figures) {
	f.OpenHours += o.OpenHours
	f.BookedHours += o.BookedHours
	f.Reservations += o.Reservations
	f.Released += o.Released
	for d := range f.week {
		for h := range f.week[d] {
			f.week[d][h] += o.week[d][h]
		}
	}
}

// finish derives the ratios and the busiest hours from the sums.
func (f *Figures) finish() {
	f.Utilisation, f.NoShowRate = 0, 0
	if f.OpenHours > 0 {
		f.Utilisation = round4(f.BookedHours / f.OpenHours)
	}
	if f.Reservations > 0 {
		f.NoShowRate = round4(float64(f.Released) / float64(f.Reservations))
	}
	f.OpenHours, f.BookedHours = round2(f.OpenHours), round2(f.BookedHours)
	f.BusiestHours = []WeekHour{}
	for d := range f.week {
		for h := range f.week[d] {
			if v := f.week[d][h]; v > 0 {
				f.BusiestHours = append(f.BusiestHours, WeekHour{Weekday: d, Hour: h, BookedHours: round2(v)})
			}
		}
	}
	slices.SortStableFunc(f.BusiestHours, func(a, b WeekHour) int { return cmp.Compare(b.BookedHours, a.BookedHours) })
	f.BusiestHours = f.BusiestHours[:min(5, len(f.BusiestHours))]
}

func round2(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }
func round4(x float64) float64 { return float64(int64(x*10000+0.5)) / 10000 }

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
