package functions

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/holiday"
	"github.com/teamspro/functions/internal/teamspro"
)

// roomRoutes are the organization-wide rooms: read by every user, managed by
// tenant admins and, for their room, by its managers.
func (s *Server) roomRoutes() []Route {
	return []Route{
		{"rooms", "GET", "/api/rooms", User, s.handleListRooms},
		{"rooms", "POST", "/api/rooms", Admin, s.handleCreateRoom},
		{"rooms-import", "POST", "/api/rooms/import", Admin, s.handleImportRooms},
		{"rooms-export", "GET", "/api/rooms/export", Admin, s.handleExportRooms},
		{"rooms-availability", "GET", "/api/rooms/availability", User, s.handleAvailability},
		{"room", "GET", "/api/rooms/{roomId}", User, s.handleGetRoom},
		{"room", "PUT", "/api/rooms/{roomId}", User, s.handlePutRoom},
		{"room", "PATCH", "/api/rooms/{roomId}", User, s.handlePatchRoom},
		{"room", "DELETE", "/api/rooms/{roomId}", Admin, s.handleDeleteRoom},
		{"room-schedule", "GET", "/api/rooms/{roomId}/schedule", User, s.handleRoomSchedule},
	}
}

func writeRoom(w http.ResponseWriter, status int, r *booking.Room) error {
	w.Header().Set("ETag", r.ETag)
	return writeJSON(w, status, r)
}

// handleListRooms lists the tenant's rooms, a page at a time, by id.
func (s *Server) handleListRooms(w http.ResponseWriter, r *http.Request) error {
	p, err := readPage(r)
	if err != nil {
		return err
	}
	rooms, err := s.RoomAdmin.List(r.Context(), principal(r))
	if err != nil {
		return err
	}
	return writePage(w, r, p, rooms, roomKey)
}

func roomKey(r *booking.Room) string { return r.ID }

// reservationKey orders reservations by start, then id.
func reservationKey(r *booking.Reservation) string { return timeKey(r.Start) + " " + r.ID }

// roomCreate is the body of POST /api/rooms: a room input with an optional id.
type roomCreate struct {
	ID string `json:"id"`
	booking.RoomInput
}

func (s *Server) handleCreateRoom(w http.ResponseWriter, r *http.Request) error {
	var in roomCreate
	if err := decode(r, s.MaxBodyBytes, &in); err != nil {
		return err
	}
	room, err := s.RoomAdmin.Create(r.Context(), principal(r), in.ID, in.RoomInput)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/rooms/"+room.ID)
	return writeRoom(w, http.StatusCreated, room)
}

func (s *Server) handleGetRoom(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "roomId")
	if err != nil {
		return err
	}
	room, err := s.RoomAdmin.Get(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	return writeRoom(w, http.StatusOK, room)
}

// handlePutRoom replaces a room's fields.
func (s *Server) handlePutRoom(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "roomId")
	if err != nil {
		return err
	}
	room, err := s.RoomAdmin.Replace(r.Context(), principal(r), id, r.Header.Get("If-Match"), s.body(r))
	if err != nil {
		return err
	}
	return writeRoom(w, http.StatusOK, room)
}

// handlePatchRoom changes the fields present in the body and keeps the others.
func (s *Server) handlePatchRoom(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "roomId")
	if err != nil {
		return err
	}
	room, err := s.RoomAdmin.Patch(r.Context(), principal(r), id, r.Header.Get("If-Match"), s.body(r))
	if err != nil {
		return err
	}
	return writeRoom(w, http.StatusOK, room)
}

// handleDeleteRoom deletes a room that holds no future reservation. A room
// with future reservations is refused (409, reason has_future_reservations):
// deactivate it instead (PATCH {"active": false}), which keeps its
// reservations and takes no new ones.
func (s *Server) handleDeleteRoom(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "roomId")
	if err != nil {
		return err
	}
	if err := s.RoomAdmin.Delete(r.Context(), principal(r), id, r.Header.Get("If-Match")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// queryTime reads a window bound from the query ("" when absent): an RFC 3339
// date-time, or a date (2027-03-01), which means the start of that day in
// loc, the zone of what is listed (the tab's, the room's; UTC for lists that
// span zones). A "to" date is exclusive like any "to": from=2027-03-01 and
// to=2027-04-01 is the month of March.
func queryTime(r *http.Request, name string, loc *time.Location, v *teamspro.Validation) time.Time {
	return v.TimeOrDate(name, r.URL.Query().Get(name), loc)
}

func (s *Server) handleRoomSchedule(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "roomId")
	if err != nil {
		return err
	}
	p, err := readPage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	rs, err := s.RoomAdmin.Schedule(r.Context(), principal(r), id, q.Get("from"), q.Get("to"))
	if err != nil {
		return err
	}
	return writePage(w, r, p, rs, reservationKey)
}

// handleAvailability is the free-room search: the active rooms matching the
// filters that are free for the whole window.
func (s *Server) handleAvailability(w http.ResponseWriter, r *http.Request) error {
	p, err := readPage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var v teamspro.Validation
	from, to := queryTime(r, "from", time.UTC, &v), queryTime(r, "to", time.UTC, &v)
	f := booking.Filter{Building: q.Get("building"), Floor: q.Get("floor")}
	if c := q.Get("capacity"); c != "" {
		n, err := strconv.Atoi(c)
		v.Check(err == nil && n >= 0, "capacity", "must be a non-negative integer")
		f.Capacity = n
	}
	for _, e := range q["equipment"] {
		for _, t := range strings.Split(e, ",") {
			if t = strings.TrimSpace(t); t != "" {
				f.Equipment = append(f.Equipment, t)
			}
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	rooms, err := s.Booking.Available(r.Context(), principal(r).TenantID, from, to, f)
	if err != nil {
		return err
	}
	return writePage(w, r, p, rooms, roomKey)
}

// csvColumns are the columns of the rooms CSV, in export order. Lists are
// separated by ';'.
var csvColumns = []string{"id", "name", "email", "capacity", "building", "floor", "equipment", "accessible", "timeZone", "photoUrl",
	"hoursStart", "hoursEnd", "days", "minMinutes", "maxMinutes", "maxDaysAhead", "minNoticeMinutes", "cancelNoticeMinutes",
	"bufferMinutes", "requiresApproval", "checkInRequired", "releaseAfterMinutes", "bookableBy", "managers", "active",
	"holidayCountry", "holidayRegion", "closedOnHolidays"}

// maxImportRows bounds one import.
const maxImportRows = 5000

// rowError is one problem of one CSV row (row 1 is the header).
type rowError struct {
	Row    int    `json:"row"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// handleImportRooms creates or replaces the rooms of a CSV file, all or none:
// every row is validated first and any error answers 400 with the list of
// rows and fields at fault, having written nothing.
func (s *Server) handleImportRooms(w http.ResponseWriter, r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "text/csv" && mt != "application/csv") {
		return teamspro.Errorf(teamspro.EUNSUPPORTEDMEDIA, "The body must be text/csv.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 8<<20))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return teamspro.Errorf(teamspro.ETOOLARGE, "The CSV is larger than %d bytes.", mbe.Limit)
		}
		return teamspro.Wrap(teamspro.EINVALID, err, "The body could not be read.")
	}
	p := principal(r)
	rooms, errs := parseRoomsCSV(body, s.Now().UTC())
	if len(errs) > 0 {
		e := teamspro.Errorf(teamspro.EINVALID, "%d problems in the CSV; nothing was imported.", len(errs))
		e.Detail = "invalid_rows"
		for _, re := range errs[:min(len(errs), 100)] {
			e.Fields = append(e.Fields, teamspro.FieldError{Field: fmt.Sprintf("row %d: %s", re.Row, re.Field), Reason: re.Reason})
		}
		e.Extra = map[string]any{"rows": errs}
		return e
	}
	created, updated, err := s.RoomAdmin.Import(r.Context(), p, rooms)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]int{"created": created, "updated": updated})
}

func parseRoomsCSV(body []byte, now time.Time) ([]*booking.Room, []rowError) {
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))))
	cr.FieldsPerRecord = -1
	records, err := cr.ReadAll()
	if err != nil {
		line := 0
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			line = pe.Line
		}
		return nil, []rowError{{Row: line, Field: "", Reason: "not valid CSV: " + err.Error()}}
	}
	if len(records) < 2 {
		return nil, []rowError{{Row: 1, Field: "", Reason: "the CSV needs a header row and at least one room"}}
	}
	if len(records)-1 > maxImportRows {
		return nil, []rowError{{Row: maxImportRows + 2, Field: "", Reason: fmt.Sprintf("at most %d rooms per import", maxImportRows)}}
	}
	col := map[string]int{}
	var errs []rowError
	for i, h := range records[0] {
		h = strings.TrimSpace(h)
		if !slices.Contains(csvColumns, h) {
			errs = append(errs, rowError{1, h, "unknown column"})
		}
		col[h] = i
	}
	for _, req := range []string{"id", "name", "timeZone"} {
		if _, ok := col[req]; !ok {
			errs = append(errs, rowError{1, req, "required column is missing"})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	seen := map[string]int{}
	var rooms []*booking.Room
	for i, rec := range records[1:] {
		line := i + 2
		get := func(name string) string {
			if j, ok := col[name]; ok && j < len(rec) {
				return unneutralize(strings.TrimSpace(rec[j]))
			}
			return ""
		}
		var rowErrs []rowError
		bad := func(field, reason string) { rowErrs = append(rowErrs, rowError{line, field, reason}) }
		num := func(name string) int {
			v := get(name)
			if v == "" {
				return 0
			}
			n, err := strconv.Atoi(v)
			if err != nil {
				bad(name, "must be an integer")
			}
			return n
		}
		flag := func(name string) bool {
			v := get(name)
			if v == "" {
				return false
			}
			b, err := strconv.ParseBool(v)
			if err != nil {
				bad(name, "must be true or false")
			}
			return b
		}
		list := func(name string) []string {
			var out []string
			for _, x := range strings.Split(get(name), ";") {
				if x = strings.TrimSpace(x); x != "" {
					out = append(out, x)
				}
			}
			return out
		}
		id := get("id")
		if !teamspro.ValidID(id) {
			bad("id", "is required: letters, digits and . _ : @ - only")
		} else if prev, dup := seen[id]; dup {
			bad("id", fmt.Sprintf("duplicates row %d", prev))
		}
		seen[id] = line
		in := booking.RoomInput{
			Name: get("name"), Email: get("email"), Capacity: num("capacity"), Building: get("building"), Floor: get("floor"),
			Equipment: list("equipment"), Accessible: flag("accessible"), TimeZone: get("timeZone"), PhotoURL: get("photoUrl"),
			Managers: list("managers"),
			Rules: booking.Rules{
				MinMinutes: num("minMinutes"), MaxMinutes: num("maxMinutes"), MaxDaysAhead: num("maxDaysAhead"),
				MinNoticeMinutes: num("minNoticeMinutes"), CancelNoticeMinutes: num("cancelNoticeMinutes"), BufferMinutes: num("bufferMinutes"),
				RequiresApproval: flag("requiresApproval"), CheckInRequired: flag("checkInRequired"), ReleaseAfterMinutes: num("releaseAfterMinutes"),
				BookableBy: list("bookableBy"), ClosedOnHolidays: flag("closedOnHolidays"),
			},
		}
		if c, rg := get("holidayCountry"), get("holidayRegion"); c != "" || rg != "" {
			in.Holidays = &holiday.Place{Country: c, Region: rg}
		}
		if hs, he := get("hoursStart"), get("hoursEnd"); hs != "" || he != "" {
			in.Hours = &booking.Hours{Start: hs, End: he}
		}
		for _, d := range list("days") {
			n, err := strconv.Atoi(d)
			if err != nil {
				bad("days", "days are 0 (Sunday) to 6 (Saturday), separated by ;")
				break
			}
			in.Days = append(in.Days, n)
		}
		if get("active") != "" {
			a := flag("active")
			in.Active = &a
		}
		if err := in.Validate(); err != nil {
			var te *teamspro.Error
			if errors.As(err, &te) {
				for _, f := range te.Fields {
					bad(f.Field, f.Reason)
				}
			}
		}
		if len(rowErrs) > 0 {
			errs = append(errs, rowErrs...)
			continue
		}
		in.Normalize()
		rooms = append(rooms, &booking.Room{ID: id, RoomInput: in, CreatedAt: now, UpdatedAt: now})
	}
	return rooms, errs
}

// formulaStart lists the first characters that make a spreadsheet read a
// cell as a formula (CSV injection): managers name rooms, admins open the
// export.
const formulaStart = "=+-@\t\r"

// neutralizeCells prefixes every cell that a spreadsheet would read as a
// formula with an apostrophe, which spreadsheets show as text; the import
// takes it off again, so export then import changes nothing.
func neutralizeCells(cells []string) []string {
	for i, c := range cells {
		if c != "" && strings.ContainsRune(formulaStart, rune(c[0])) {
			cells[i] = "'" + c
		}
	}
	return cells
}

// unneutralize undoes neutralizeCells on an imported cell.
func unneutralize(c string) string {
	if len(c) > 1 && c[0] == '\'' && strings.ContainsRune(formulaStart, rune(c[1])) {
		return c[1:]
	}
	return c
}

// handleExportRooms answers the tenant's rooms as CSV, in the import's format,
// with formula-like cells neutralized, written row by row.
func (s *Server) handleExportRooms(w http.ResponseWriter, r *http.Request) error {
	rooms, err := s.RoomAdmin.List(r.Context(), principal(r))
	if err != nil {
		return err
	}
	a := newAnswer(w, http.StatusOK, "text/csv; charset=utf-8")
	a.Header().Set("Content-Disposition", `attachment; filename="rooms.csv"`)
	cw := csv.NewWriter(a)
	_ = cw.Write(csvColumns)
	for _, rm := range rooms {
		hs, he := "", ""
		if rm.Hours != nil {
			hs, he = rm.Hours.Start, rm.Hours.End
		}
		days := make([]string, len(rm.Days))
		for i, d := range rm.Days {
			days[i] = strconv.Itoa(d)
		}
		rl := rm.Rules
		hc, hr := "", ""
		if rm.Holidays != nil {
			hc, hr = rm.Holidays.Country, rm.Holidays.Region
		}
		_ = cw.Write(neutralizeCells([]string{rm.ID, rm.Name, rm.Email, strconv.Itoa(rm.Capacity), rm.Building, rm.Floor, strings.Join(rm.Equipment, ";"),
			strconv.FormatBool(rm.Accessible), rm.TimeZone, rm.PhotoURL, hs, he, strings.Join(days, ";"),
			strconv.Itoa(rl.MinMinutes), strconv.Itoa(rl.MaxMinutes), strconv.Itoa(rl.MaxDaysAhead), strconv.Itoa(rl.MinNoticeMinutes),
			strconv.Itoa(rl.CancelNoticeMinutes), strconv.Itoa(rl.BufferMinutes), strconv.FormatBool(rl.RequiresApproval),
			strconv.FormatBool(rl.CheckInRequired), strconv.Itoa(rl.ReleaseAfterMinutes), strings.Join(rl.BookableBy, ";"),
			strings.Join(rm.Managers, ";"), strconv.FormatBool(rm.IsActive()), hc, hr, strconv.FormatBool(rl.ClosedOnHolidays)}))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		a.release()
		return err
	}
	return a.Close()
}
