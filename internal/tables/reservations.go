package tables

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/teamspro"
)

// ReservationStore keeps reservations in the bookings table. The key layout is
// what makes double booking impossible:
//
//	partition "<tenant>|d|<YYYY-MM-DD>"  (a day, in each room's own time zone)
//	  row "ledger|<roomId>"   the room's held slots that day, with a version
//	  row "res|<id>"          a reservation starting that day
//	partition "<tenant>|i"
//	  row "<id>"              the reservation's index: its day, and a copy for
//	                          the calendar, organizer and room listings
//
// A reservation and its room's ledger of that day share a partition, so they
// are written in one transactional batch: [Add reservation, UpdateReplace
// ledger If-Match <etag read>] (or Add ledger when the room has none that
// day). Two concurrent bookings of one room and day read the same ledger
// ETag; the batch of the first commits, the second fails whole with 412 and
// re-reads, now seeing the first slot. A batch that fails stores nothing, so
// a reservation never exists without its slot in the ledger. Reservations
// crossing the room's local midnight are refused by the rules (one day, one
// ledger); buffers are checked within the day.
//
// The index row is written after the batch; the day row is the truth, the
// index only finds it. Check-in deadlines live in their own table (see Due).
type ReservationStore struct {
	c *Client
	// Retries bounds the re-reads after a lost race on a ledger.
	Retries int
}

var _ booking.ReservationStore = (*ReservationStore)(nil)

// NewReservationStore returns the reservation store of c.
func NewReservationStore(c *Client) *ReservationStore {
	return &ReservationStore{c: c, Retries: 64}
}

func dayPK(tenantID, day string) string { return tenantID + "|d|" + day }
func idxPK(tenantID string) string      { return tenantID + "|i" }
func ledgerRow(roomID string) string    { return "ledger|" + roomID }
func resRow(id string) string           { return "res|" + id }

// stamp is the fixed-width UTC form of times in filterable columns: it sorts
// as a string, so range filters need no typed literal.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

type ledger struct {
	Slots []booking.Slot `json:"slots"`
}

// readLedger returns a room's ledger of one day and its storage ETag ("" when
// the room has none that day yet).
func (s *ReservationStore) readLedger(ctx context.Context, pk, roomID string) (ledger, string, error) {
	var l ledger
	rw, err := s.c.getRow(ctx, TableBookings, pk, ledgerRow(roomID), &l)
	switch teamspro.ErrorCode(err) {
	case "":
		return l, rw.ETag, nil
	case teamspro.ENOTFOUND:
		return ledger{}, "", nil
	}
	return ledger{}, "", err
}

// ledgerAction writes l back: replace guarded by etag, or add when new.
func ledgerAction(pk, roomID string, l ledger, etag string) (aztables.TransactionAction, error) {
	e, err := encodeRow(pk, ledgerRow(roomID), l, 0, map[string]any{"RoomID": roomID, "Slots": len(l.Slots), "Busy": busyColumn(l.Slots)})
	if err != nil {
		return aztables.TransactionAction{}, err
	}
	if etag == "" {
		return action(aztables.TransactionTypeAdd, e, ""), nil
	}
	return action(aztables.TransactionTypeUpdateReplace, e, etag), nil
}

func resEntity(pk string, r *booking.Reservation, version int64) ([]byte, error) {
	return encodeRow(pk, resRow(r.ID), r, version, map[string]any{"RoomID": r.RoomID, "Status": r.Status})
}

// lostRace reports whether a batch failed because another writer got there
// first (stale ETag, or a ledger added meanwhile): re-read and try again.
func lostRace(err error) bool {
	c := teamspro.ErrorCode(err)
	return c == teamspro.EPRECONDITION || c == teamspro.ECONFLICT
}

// backoff waits a little, more after each lost race, with jitter so that the
// losers of one race do not collide again in lockstep.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(1+rand.IntN(4*min(attempt+1, 10))) * time.Millisecond
	select {
	case <-ctx.Done():
		return translate(ctx.Err(), "booking")
	case <-time.After(d):
		return nil
	}
}

func busy() error {
	return teamspro.Errorf(teamspro.EUNAVAILABLE, "The room is too busy right now; try again.")
}

// take writes r into its day partition with its slot: the guarded batch.
// resAction builds the reservation's own action.
func (s *ReservationStore) take(ctx context.Context, r *booking.Reservation, buffer time.Duration, version int64) error {
	pk := dayPK(r.TenantID, r.Day)
	for attempt := 0; attempt < s.Retries; attempt++ {
		l, etag, err := s.readLedger(ctx, pk, r.RoomID)
		if err != nil {
			return err
		}
		if attempt > 0 && slices.ContainsFunc(l.Slots, func(sl booking.Slot) bool { return sl.ID == r.ID }) {
			// An earlier attempt committed though its answer was lost (the
			// transport retried it): the slot is ours, and so is the row.
			r.ETag = ETagOf(version)
			return nil
		}
		if c, ok := booking.Conflict(l.Slots, r.ID, r.Start, r.End, buffer); ok {
			return booking.SlotTaken(r.RoomID, c)
		}
		l.Slots = append(l.Slots, booking.Slot{ID: r.ID, Start: r.Start, End: r.End})
		la, err := ledgerAction(pk, r.RoomID, l, etag)
		if err != nil {
			return err
		}
		e, err := resEntity(pk, r, version)
		if err != nil {
			return err
		}
		err = s.c.submit(ctx, TableBookings, []aztables.TransactionAction{action(aztables.TransactionTypeAdd, e, ""), la})
		if err == nil {
			r.ETag = ETagOf(version)
			return nil
		}
		if !lostRace(err) {
			return err
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
	return busy()
}

// Book stores a new reservation and takes its slot in one guarded batch, then
// indexes it; if the index cannot be written the booking is undone.
func (s *ReservationStore) Book(ctx context.Context, r *booking.Reservation, buffer time.Duration) error {
	if err := checkKey(r.TenantID, r.ID, r.RoomID, r.Day); err != nil {
		return err
	}
	if err := s.take(ctx, r, buffer, 1); err != nil {
		return err
	}
	err := s.index(ctx, r, 1, "")
	if err == nil {
		err = s.due(ctx, r)
	}
	if err != nil {
		_ = s.Remove(context.WithoutCancel(ctx), r)
		return err
	}
	return nil
}

// index writes the reservation's index row at version. With etag set it
// replaces the row read at that ETag; when that loses a race, the newer of the
// two versions wins.
func (s *ReservationStore) index(ctx context.Context, r *booking.Reservation, version int64, etag string) error {
	e, err := encodeRow(idxPK(r.TenantID), r.ID, r, version, map[string]any{
		"Day": r.Day, "RoomID": r.RoomID, "CalendarID": r.CalendarID, "Organizer": r.Organizer,
		"Start": stamp(r.Start), "End": stamp(r.End), "Held": booking.Holds(r.Status),
	})
	if err != nil {
		return err
	}
	t := s.c.table(TableBookings)
	for attempt := 0; attempt < s.Retries; attempt++ {
		var err error
		if etag == "" {
			_, err = t.UpsertEntity(ctx, e, &aztables.UpsertEntityOptions{UpdateMode: aztables.UpdateModeReplace})
			if version == 1 {
				return translate(err, "index reservation")
			}
		} else {
			_, err = t.UpdateEntity(ctx, e, &aztables.UpdateEntityOptions{UpdateMode: aztables.UpdateModeReplace, IfMatch: etagPtr(etag)})
		}
		if err == nil {
			return nil
		}
		if err = translate(err, "index reservation"); !lostRace(err) && teamspro.ErrorCode(err) != teamspro.ENOTFOUND {
			return err
		}
		cur, rerr := s.c.getRow(ctx, TableBookings, idxPK(r.TenantID), r.ID, nil)
		switch {
		case teamspro.ErrorCode(rerr) == teamspro.ENOTFOUND:
			etag = ""
		case rerr != nil:
			return rerr
		case cur.Version >= version:
			return nil // a newer change indexed itself
		default:
			etag = cur.ETag
		}
	}
	return busy()
}

// due records r's check-in deadline for the release timer.
func (s *ReservationStore) due(ctx context.Context, r *booking.Reservation) error {
	if r.CheckInBy == nil || !booking.Holds(r.Status) {
		return nil
	}
	at := *r.CheckInBy
	// TenantId lets an organization's purge find its deadlines in this
	// cross-tenant table.
	e, err := encodeRow(duePK(at), dueRow(at, r.TenantID, r.ID), nil, 0, map[string]any{"TenantId": r.TenantID})
	if err != nil {
		return err
	}
	_, err = s.c.table(TableDue).UpsertEntity(ctx, e, nil)
	return translate(err, "record check-in deadline")
}

type indexed struct {
	day    string
	row    row
	record booking.Reservation
}

func (s *ReservationStore) readIndex(ctx context.Context, tenantID, id string) (indexed, error) {
	if err := checkKey(tenantID, id); err != nil {
		return indexed{}, err
	}
	resp, err := s.c.table(TableBookings).GetEntity(ctx, idxPK(tenantID), id, nil)
	if err != nil {
		if err = translate(err, "get reservation index"); teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
			return indexed{}, teamspro.Errorf(teamspro.ENOTFOUND, "The reservation does not exist.")
		}
		return indexed{}, err
	}
	var ix indexed
	if ix.row, err = decodeRow(resp.Value, &ix.record); err != nil {
		return indexed{}, err
	}
	ix.row.ETag = string(resp.ETag)
	var cols struct {
		Day string `json:"Day"`
	}
	if err := json.Unmarshal(resp.Value, &cols); err != nil || cols.Day == "" {
		return indexed{}, teamspro.Wrap(teamspro.EINTERNAL, err, "reservation index without a day")
	}
	ix.day = cols.Day
	ix.record.Day = cols.Day
	return ix, nil
}

func etagPtr(s string) *azcore.ETag {
	e := azcore.ETag(s)
	return &e
}

// locate returns the reservation's day row: its index gives the day. A move
// to another day rewrites the index last, so a row missing from the indexed
// day is looked up again after a moment before it is reported gone.
func (s *ReservationStore) locate(ctx context.Context, tenantID, id string) (*booking.Reservation, row, indexed, error) {
	for attempt := 0; ; attempt++ {
		ix, err := s.readIndex(ctx, tenantID, id)
		if err != nil {
			return nil, row{}, indexed{}, err
		}
		var r booking.Reservation
		rw, err := s.c.getRow(ctx, TableBookings, dayPK(tenantID, ix.day), resRow(id), &r)
		if err == nil {
			r.TenantID, r.Day, r.ETag = tenantID, ix.day, ETagOf(rw.Version)
			return &r, rw, ix, nil
		}
		if teamspro.ErrorCode(err) != teamspro.ENOTFOUND || attempt >= 3 {
			if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
				return nil, row{}, indexed{}, teamspro.Errorf(teamspro.ENOTFOUND, "The reservation does not exist.")
			}
			return nil, row{}, indexed{}, err
		}
		if err := backoff(ctx, attempt+4); err != nil {
			return nil, row{}, indexed{}, err
		}
	}
}

// Get returns a reservation as stored in its day partition.
func (s *ReservationStore) Get(ctx context.Context, tenantID, id string) (*booking.Reservation, error) {
	r, _, _, err := s.locate(ctx, tenantID, id)
	return r, err
}

func removeSlot(slots []booking.Slot, id string) []booking.Slot {
	return slices.DeleteFunc(slots, func(s booking.Slot) bool { return s.ID == id })
}

// Change reads, changes and stores a reservation with its slot. Within one
// day partition the reservation (guarded by its ETag) and the ledgers it
// leaves and enters (guarded by theirs) are one batch. A move to another day
// books the new day first (the same guarded batch as Book), then removes the
// old row and slot (guarded); if the old row changed meanwhile, the new
// booking is undone and the change refused with EPRECONDITION. The slot is
// thus held at every moment by at least one ledger, never by none.
func (s *ReservationStore) Change(ctx context.Context, tenantID, id, ifMatch string, buffer time.Duration, fn func(*booking.Reservation) error) (*booking.Reservation, error) {
	for attempt := 0; attempt < s.Retries; attempt++ {
		cur, curRow, ix, err := s.locate(ctx, tenantID, id)
		if err != nil {
			return nil, err
		}
		if err := checkIfMatch(ifMatch, curRow.Version); err != nil {
			return nil, err
		}
		next := *cur
		if err := fn(&next); err != nil {
			return nil, err
		}
		next.TenantID, next.ID = tenantID, id
		if next.Day == "" {
			next.Day = cur.Day
		}
		version := curRow.Version + 1
		if err := checkKey(next.Day, next.RoomID); err != nil {
			return nil, err
		}
		if next.Day != cur.Day {
			err = s.moveDay(ctx, cur, curRow, &next, buffer, version)
		} else {
			err = s.changeInDay(ctx, cur, curRow, &next, buffer, version)
		}
		if errIsRetry(err) || teamspro.ErrorCode(err) == teamspro.EPRECONDITION {
			if err := backoff(ctx, attempt); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		next.ETag = ETagOf(version)
		if err := s.index(ctx, &next, version, ix.row.ETag); err != nil {
			return nil, err
		}
		if next.CheckInBy != nil && (cur.CheckInBy == nil || !cur.CheckInBy.Equal(*next.CheckInBy)) {
			if err := s.due(ctx, &next); err != nil {
				return nil, err
			}
		}
		return &next, nil
	}
	return nil, busy()
}

// errRetry marks a lost race inside a change that must start over.
var errRetry = teamspro.Errorf(teamspro.EUNAVAILABLE, "retry")

func errIsRetry(err error) bool { return err == errRetry }

func (s *ReservationStore) changeInDay(ctx context.Context, cur *booking.Reservation, curRow row, next *booking.Reservation, buffer time.Duration, version int64) error {
	pk := dayPK(cur.TenantID, cur.Day)
	type led struct {
		l    ledger
		etag string
	}
	ledgers := map[string]*led{}
	get := func(roomID string) (*led, error) {
		if l, ok := ledgers[roomID]; ok {
			return l, nil
		}
		l, etag, err := s.readLedger(ctx, pk, roomID)
		if err != nil {
			return nil, err
		}
		ledgers[roomID] = &led{l, etag}
		return ledgers[roomID], nil
	}
	if booking.Holds(cur.Status) {
		l, err := get(cur.RoomID)
		if err != nil {
			return err
		}
		l.l.Slots = removeSlot(l.l.Slots, cur.ID)
	}
	if booking.Holds(next.Status) {
		l, err := get(next.RoomID)
		if err != nil {
			return err
		}
		if c, ok := booking.Conflict(l.l.Slots, next.ID, next.Start, next.End, buffer); ok {
			return booking.SlotTaken(next.RoomID, c)
		}
		l.l.Slots = append(l.l.Slots, booking.Slot{ID: next.ID, Start: next.Start, End: next.End})
	}
	e, err := resEntity(pk, next, version)
	if err != nil {
		return err
	}
	actions := []aztables.TransactionAction{action(aztables.TransactionTypeUpdateReplace, e, curRow.ETag)}
	for roomID, l := range ledgers {
		la, err := ledgerAction(pk, roomID, l.l, l.etag)
		if err != nil {
			return err
		}
		actions = append(actions, la)
	}
	err = s.c.submit(ctx, TableBookings, actions)
	if lostRace(err) {
		return errRetry
	}
	return err
}

func (s *ReservationStore) moveDay(ctx context.Context, cur *booking.Reservation, curRow row, next *booking.Reservation, buffer time.Duration, version int64) error {
	if err := s.take(ctx, next, buffer, version); err != nil {
		return err
	}
	pk := dayPK(cur.TenantID, cur.Day)
	for attempt := 0; attempt < s.Retries; attempt++ {
		l, etag, err := s.readLedger(ctx, pk, cur.RoomID)
		if err != nil {
			break
		}
		l.Slots = removeSlot(l.Slots, cur.ID)
		del, _ := encodeRow(pk, resRow(cur.ID), nil, 0, nil)
		actions := []aztables.TransactionAction{action(aztables.TransactionTypeDelete, del, curRow.ETag)}
		if etag != "" {
			la, _ := ledgerAction(pk, cur.RoomID, l, etag)
			actions = append(actions, la)
		}
		err = s.c.submit(ctx, TableBookings, actions)
		if err == nil {
			return nil
		}
		if !lostRace(err) {
			break
		}
		// Who changed: the reservation (give up) or only the ledger (retry)?
		now, rerr := s.c.getRow(ctx, TableBookings, pk, resRow(cur.ID), nil)
		if rerr != nil || now.ETag != curRow.ETag {
			break
		}
		if err := backoff(ctx, attempt); err != nil {
			break
		}
	}
	// The old day could not be released: undo the new booking.
	_ = s.removeAt(context.WithoutCancel(ctx), next.TenantID, next.Day, next.RoomID, next.ID)
	return teamspro.Errorf(teamspro.EPRECONDITION, "The reservation was changed meanwhile; read it again.")
}

// removeAt deletes a reservation row and its slot from one day partition.
func (s *ReservationStore) removeAt(ctx context.Context, tenantID, day, roomID, id string) error {
	pk := dayPK(tenantID, day)
	for attempt := 0; attempt < s.Retries; attempt++ {
		rw, err := s.c.getRow(ctx, TableBookings, pk, resRow(id), nil)
		if err != nil {
			return err
		}
		l, etag, err := s.readLedger(ctx, pk, roomID)
		if err != nil {
			return err
		}
		del, _ := encodeRow(pk, resRow(id), nil, 0, nil)
		actions := []aztables.TransactionAction{action(aztables.TransactionTypeDelete, del, rw.ETag)}
		if etag != "" {
			l.Slots = removeSlot(l.Slots, id)
			la, _ := ledgerAction(pk, roomID, l, etag)
			actions = append(actions, la)
		}
		err = s.c.submit(ctx, TableBookings, actions)
		if err == nil || !lostRace(err) {
			return err
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
	return busy()
}

// Remove deletes a reservation, its slot and its index row: the compensation
// of a booking that cannot stand (a series booked in part, an unindexed one).
func (s *ReservationStore) Remove(ctx context.Context, r *booking.Reservation) error {
	if err := s.removeAt(ctx, r.TenantID, r.Day, r.RoomID, r.ID); err != nil && teamspro.ErrorCode(err) != teamspro.ENOTFOUND {
		return err
	}
	_, err := s.c.table(TableBookings).DeleteEntity(ctx, idxPK(r.TenantID), r.ID, nil)
	if err = translate(err, "unindex reservation"); teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
		return nil
	}
	return err
}

func (s *ReservationStore) query(ctx context.Context, filter string, each func(rw row, r *booking.Reservation)) error {
	pager := s.c.table(TableBookings).NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return translate(err, "list reservations")
		}
		for _, e := range page.Entities {
			var r booking.Reservation
			rw, err := decodeRow(e, &r)
			if err != nil {
				return err
			}
			r.ETag = ETagOf(rw.Version)
			each(rw, &r)
		}
	}
	return nil
}

// Schedule returns a room's reservations on the given days: one query per day.
func (s *ReservationStore) Schedule(ctx context.Context, tenantID, roomID string, days []string) ([]*booking.Reservation, error) {
	if err := checkKey(append([]string{tenantID, roomID}, days...)...); err != nil {
		return nil, err
	}
	out := []*booking.Reservation{}
	for _, d := range days {
		f := eq("PartitionKey", dayPK(tenantID, d)) + " and " + prefixRange("RowKey", "res|") + " and " + eq("RoomID", roomID)
		err := s.query(ctx, f, func(_ row, r *booking.Reservation) {
			r.TenantID, r.Day = tenantID, d
			out = append(out, r)
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Busy returns every room's held slots on the given days: one query per day
// over the day's ledger rows, whatever the number of rooms, reading their
// compact Busy column (see busyColumn) and the document only without it.
func (s *ReservationStore) Busy(ctx context.Context, tenantID string, days []string) (map[string][]booking.Slot, error) {
	if err := checkKey(append([]string{tenantID}, days...)...); err != nil {
		return nil, err
	}
	out := map[string][]booking.Slot{}
	for _, d := range days {
		pk := dayPK(tenantID, d)
		f := eq("PartitionKey", pk) + " and " + prefixRange("RowKey", "ledger|")
		opts := &aztables.ListEntitiesOptions{Filter: &f, Select: to("RowKey,Busy,Doc")}
		err := listEntities(ctx, s.c, TableBookings, opts, "list ledgers", func(rows []busyRow) (bool, error) {
			for i := range rows {
				room := strings.TrimPrefix(rows[i].RowKey, "ledger|")
				slots, ok := parseBusy(out[room], rows[i].Busy)
				if !ok || rows[i].Busy == "" {
					var l ledger
					if err := decodeDoc(pk, &docRow{RowKey: rows[i].RowKey, Doc: rows[i].Doc}, &l); err != nil {
						return false, err
					}
					slots = append(out[room], l.Slots...)
				}
				out[room] = slots
			}
			return true, nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// busyRow is a ledger as the search selects it.
type busyRow struct {
	RowKey string `json:"RowKey"`
	Busy   string `json:"Busy"`
	Doc    string `json:"Doc"`
}

func (s *ReservationStore) fromIndex(ctx context.Context, tenantID, filter string) ([]*booking.Reservation, error) {
	out := []*booking.Reservation{}
	err := s.query(ctx, eq("PartitionKey", idxPK(tenantID))+" and "+filter, func(rw row, r *booking.Reservation) {
		r.TenantID = tenantID
		out = append(out, r)
	})
	slices.SortFunc(out, func(a, b *booking.Reservation) int { return a.Start.Compare(b.Start) })
	return out, err
}

// ByCalendar returns the reservations made through a booking calendar that
// start in [from, to): one query of the tenant's index partition.
func (s *ReservationStore) ByCalendar(ctx context.Context, tenantID, calendarID string, from, to time.Time) ([]*booking.Reservation, error) {
	if err := checkKey(tenantID, calendarID); err != nil {
		return nil, err
	}
	return s.fromIndex(ctx, tenantID, eq("CalendarID", calendarID)+" and Start ge "+quote(stamp(from))+" and Start lt "+quote(stamp(to)))
}

// ByOrganizer returns a user's reservations overlapping [from, to).
func (s *ReservationStore) ByOrganizer(ctx context.Context, tenantID, objectID string, from, to time.Time) ([]*booking.Reservation, error) {
	if err := checkKey(tenantID, objectID); err != nil {
		return nil, err
	}
	return s.fromIndex(ctx, tenantID, eq("Organizer", objectID)+" and End gt "+quote(stamp(from))+" and Start lt "+quote(stamp(to)))
}

// FutureOfRoom counts a room's holding reservations that end after now.
func (s *ReservationStore) FutureOfRoom(ctx context.Context, tenantID, roomID string, now time.Time) (int, error) {
	if err := checkKey(tenantID, roomID); err != nil {
		return 0, err
	}
	rs, err := s.fromIndex(ctx, tenantID, eq("RoomID", roomID)+" and Held eq true and End gt "+quote(stamp(now)))
	return len(rs), err
}

// Check-in deadlines are kept apart, in the bookingdue table, one partition
// per hour ("due|YYYY-MM-DDTHH", UTC) and one row per deadline
// ("<unix seconds>|<tenant>|<id>"). This is the one place where a partition
// does not start with a tenant: the release timer serves every tenant, and
// this layout lets it read just the hours since its last run, up to the
// present second, instead of scanning reservations. A row holds no data, only
// the keys, and is deleted once handled.
func duePK(t time.Time) string { return "due|" + t.UTC().Format("2006-01-02T15") }
func dueRow(t time.Time, tenantID, id string) string {
	return strconv.FormatInt(t.Unix(), 10) + "|" + tenantID + "|" + id
}

// Due returns the deadlines in [from, to): one query per hour of the window.
func (s *ReservationStore) Due(ctx context.Context, from, until time.Time) ([]booking.Due, error) {
	var out []booking.Due
	for h := from.UTC().Truncate(time.Hour); h.Before(until); h = h.Add(time.Hour) {
		f := eq("PartitionKey", duePK(h)) + " and RowKey ge " + quote(strconv.FormatInt(from.Unix(), 10)) + " and RowKey lt " + quote(strconv.FormatInt(until.Unix(), 10))
		pager := s.c.table(TableDue).NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &f, Select: to("PartitionKey,RowKey")})
		for pager.More() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				return nil, translate(err, "list check-in deadlines")
			}
			for _, e := range page.Entities {
				rw, err := decodeRow(e, nil)
				if err != nil {
					return nil, err
				}
				parts := strings.SplitN(rw.RowKey, "|", 3)
				if len(parts) != 3 {
					continue
				}
				sec, err := strconv.ParseInt(parts[0], 10, 64)
				if err != nil {
					continue
				}
				out = append(out, booking.Due{TenantID: parts[1], ReservationID: parts[2], At: time.Unix(sec, 0).UTC(), Key: rw.PartitionKey + "\x00" + rw.RowKey})
			}
		}
	}
	return out, nil
}

// DoneDue deletes a handled deadline; a missing one is not an error.
func (s *ReservationStore) DoneDue(ctx context.Context, d booking.Due) error {
	pk, rk, ok := strings.Cut(d.Key, "\x00")
	if !ok {
		pk, rk = duePK(d.At), dueRow(d.At, d.TenantID, d.ReservationID)
	}
	_, err := s.c.table(TableDue).DeleteEntity(ctx, pk, rk, nil)
	if err = translate(err, "forget check-in deadline"); teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
		return nil
	}
	return err
}
