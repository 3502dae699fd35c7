package functions

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/holiday"
	"github.com/teamspro/functions/internal/teamspro"
)

// roomDataRoutes are the public holidays a tab shows and the rooms'
// utilisation report.
func (s *Server) roomDataRoutes() []Route {
	return []Route{
		{"tab-holidays", "GET", "/api/tabs/{tabId}/holidays", User, s.handleTabHolidays},
		{"holidays-countries", "GET", "/api/holidays/countries", User, s.handleHolidayCountries},
		{"rooms-utilisation", "GET", "/api/rooms/utilisation", User, s.handleUtilisation},
	}
}

// holidayItem is a public holiday as a view shows it: a whole day, marked as
// a holiday and read-only, so that a client never offers to edit it.
type holidayItem struct {
	holiday.Holiday
	Kind     string `json:"kind"` // always "holiday"
	AllDay   bool   `json:"allDay"`
	ReadOnly bool   `json:"readOnly"`
	Country  string `json:"country"`
	Region   string `json:"region,omitempty"`
}

// maxHolidayDays bounds a holiday window (two years: a year view and its
// neighbours).
const maxHolidayDays = 2 * 366

// handleTabHolidays answers the public holidays of the tab's place
// (settings.holidays) in [from, to): dates, or date-times read as dates in
// the tab's zone. A tab without the setting answers an empty list.
func (s *Server) handleTabHolidays(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "tabId")
	if err != nil {
		return err
	}
	pr, err := readPage(r)
	if err != nil {
		return err
	}
	t, err := s.Settings.Get(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	loc := teamspro.ZoneOf(t.Settings.TimeZone)
	var v teamspro.Validation
	from, to := queryTime(r, "from", loc, &v), queryTime(r, "to", loc, &v)
	if v.Len() == 0 {
		v.Check(!from.IsZero(), "from", "is required: a date (YYYY-MM-DD) or an RFC 3339 date-time")
		v.Check(!to.IsZero(), "to", "is required: a date (YYYY-MM-DD) or an RFC 3339 date-time, exclusive")
	}
	if v.Len() == 0 {
		v.Check(to.After(from), "to", "must be after from")
		v.Check(to.Sub(from) <= maxHolidayDays*24*time.Hour, "to", "the window is at most 732 days")
	}
	if err := v.Err(); err != nil {
		return err
	}
	items := []holidayItem{}
	if p := t.Settings.Holidays; p != nil {
		// to is exclusive: the last date is that of the instant before it.
		for _, h := range holiday.Between(*p, from.In(loc), to.Add(-time.Nanosecond).In(loc)) {
			items = append(items, holidayItem{Holiday: h, Kind: "holiday", AllDay: true, ReadOnly: true, Country: p.Country, Region: p.Region})
		}
	}
	return writePage(w, r, pr, items, func(h holidayItem) string { return h.Date + " " + h.Name })
}

// handleHolidayCountries lists the countries and regions a holiday setting
// may name, for the settings pages.
func (s *Server) handleHolidayCountries(w http.ResponseWriter, r *http.Request) error {
	pr, err := readPage(r)
	if err != nil {
		return err
	}
	return writePage(w, r, pr, holiday.Countries(), func(c holiday.Country) string { return c.Code })
}

// handleUtilisation answers the utilisation report of the rooms the caller
// manages (every room for tenant admins) as JSON or, with format=csv or an
// Accept that prefers text/csv, as CSV.
func (s *Server) handleUtilisation(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	uq := booking.UtilisationQuery{From: q.Get("from"), To: q.Get("to"), Building: q.Get("building"), Floor: q.Get("floor")}
	for _, v := range q["room"] {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				uq.Rooms = append(uq.Rooms, id)
			}
		}
	}
	csvOut, err := wantsCSV(r)
	if err != nil {
		return err
	}
	rep, err := s.Booking.Utilisation(r.Context(), principal(r), uq)
	if err != nil {
		return err
	}
	if !csvOut {
		return writeJSON(w, http.StatusOK, rep)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="utilisation-%s-%s.csv"`, rep.From, rep.To))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Add("Vary", "Accept")
	_, err = w.Write(utilisationCSV(rep))
	return err
}

// wantsCSV reads the answer's format: the format parameter (json or csv)
// when given, else the Accept header (text/csv preferred to JSON).
func wantsCSV(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "csv":
		return true, nil
	case "json":
		return false, nil
	case "":
	default:
		e := teamspro.Errorf(teamspro.EINVALID, "The format %q is not known.", f)
		e.Fields = []teamspro.FieldError{{Field: "format", Reason: "must be json or csv"}}
		return false, e
	}
	best, bestQ := "", -1.0
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		qv := 1.0
		if s, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(s, 64); err == nil {
				qv = f
			}
		}
		if (mt == "text/csv" || mt == "application/json") && qv > bestQ {
			best, bestQ = mt, qv
		}
	}
	return best == "text/csv" && bestQ > 0, nil
}

// utilisationColumns are the columns of the CSV report: one row per room,
// per building and floor, and the total (scope room, building, floor,
// total).
var utilisationColumns = []string{"scope", "building", "floor", "roomId", "roomName", "from", "to", "openHours", "bookedHours",
	"utilisation", "reservations", "released", "noShowRate", "busiestHours"}

// utilisationCSV writes a report as CSV, formula-like cells neutralized
// (room and building names are set by managers, the file is opened by
// admins in spreadsheets). Busiest hours are "Mon 09:00 (3.5 h)", separated
// by ';'.
func utilisationCSV(rep *booking.UtilisationReport) []byte {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write(utilisationColumns)
	row := func(scope, building, floor, id, name string, f *booking.Figures) {
		hours := make([]string, len(f.BusiestHours))
		for i, h := range f.BusiestHours {
			hours[i] = fmt.Sprintf("%s %02d:00 (%s h)", time.Weekday(h.Weekday).String()[:3], h.Hour, num(h.BookedHours))
		}
		_ = cw.Write(neutralizeCells([]string{scope, building, floor, id, name, rep.From, rep.To, num(f.OpenHours), num(f.BookedHours),
			num(f.Utilisation), strconv.Itoa(f.Reservations), strconv.Itoa(f.Released), num(f.NoShowRate), strings.Join(hours, ";")}))
	}
	for i := range rep.Rooms {
		ru := &rep.Rooms[i]
		row("room", ru.Building, ru.Floor, ru.RoomID, ru.Name, &ru.Figures)
	}
	for i := range rep.Groups {
		g := &rep.Groups[i]
		scope := "building"
		if g.Floor != "" {
			scope = "floor"
		}
		row(scope, g.Building, g.Floor, "", "", &g.Figures)
	}
	row("total", "", "", "", "", &rep.Total)
	cw.Flush()
	return buf.Bytes()
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
