package tables

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/teamspro"
)

// ReservationStore keeps reservations in the bookings table. The key layout is
// what makes double booking impossible:
//
//	partition "<tenant>|d|<YYYY-MM-DD>"  (a UTC day)
//	  row "ledger|<roomId>"   the room's held slots touching that day
//	  row "res|<id>"          a reservation starting that day (its home)
//	  row "intent|<key>"      an unfinished change homed here (see intents.go)
//	partition "<tenant>|i"
//	  row "<id>"              the reservation's index: its day, and a copy for
//	                          the calendar, organizer and room listings
//
// Days are UTC days, not the room's local days: nothing a user can change (a
// room's zone, buffer or hours) moves a reservation to another ledger. A
// reservation's slot is recorded in the ledger of every UTC day its interval,
// widened by the room's buffer, touches (booking.LedgerDays), so two
// reservations closer than the buffer always meet in at least one ledger.
//
// A ledger and the reservations homed in its day share a partition, so the
// common booking is one transactional batch: [Add reservation, UpdateReplace
// ledger If-Match <etag read>] (or Add ledger when the room has none that
// day). Two concurrent bookings of one room and day read the same ledger
// ETag; the batch of the first commits, the second fails whole and re-reads,
// now seeing the first slot. Every write that spans partitions (a slot
// across UTC midnight, a series, a move to another day, the index row) runs
// under an intent: see intents.go.
type ReservationStore struct {
	c *Client
	// Retries bounds the re-reads after a lost race on a ledger.
	Retries int
	// Grace is how old an unfinished change must be before a request that
	// meets it, or the repair, takes it over: its own request is then
	// certainly over.
	Grace time.Duration
	// Now is the clock of intents and pointers.
	Now func() time.Time
	// Background bounds how long a failed request's change is retried by
	// its instance before it is left to the repair.
	Background time.Duration
	// BackgroundWait is the longest pause between two background attempts.
	BackgroundWait time.Duration

	bg sync.WaitGroup
	// busy is the per-person busy index, kept in step by the roll-forward.
	busy *BusyStore
	// stamped remembers the rooms ("<tenant>|<room>") and organizations
	// ("<tenant>") whose index rows Pending may query by Status (see
	// Pending).
	stamped sync.Map
}

var _ booking.ReservationStore = (*ReservationStore)(nil)

// NewReservationStore returns the reservation store of c.
func NewReservationStore(c *Client) *ReservationStore {
	c.Register(TableIntents)
	return &ReservationStore{c: c, busy: NewBusyStore(c), Retries: 64, Grace: 2 * time.Minute, Now: time.Now, Background: time.Minute, BackgroundWait: 5 * time.Second}
}

func dayPK(tenantID, day string) string { return tenantID + "|d|" + day }
func idxPK(tenantID string) string      { return tenantID + "|i" }
func ledgerRow(roomID string) string    { return "ledger|" + roomID }
func resRow(id string) string           { return "res|" + id }
func intentRow(key string) string       { return "intent|" + key }

// stamp is the fixed-width UTC form of times in filterable columns: it sorts
// as a string, so range filters need no typed literal.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

type ledger struct {
	Slots []booking.Slot `json:"slots"`
}

// rec is a reservation as stored: the record, its version, and the UTC days
// whose ledgers hold its slot (none when it holds nothing).
type rec struct {
	R       booking.Reservation `json:"r"`
	Version int64               `json:"v"`
	Days    []string            `json:"d,omitempty"`
}

func (x *rec) slot() booking.Slot { return booking.Slot{ID: x.R.ID, Start: x.R.Start, End: x.R.End} }

// holdsOn reports whether x's slot is in the ledger of day.
func (x *rec) holdsOn(day string) bool { return x != nil && slices.Contains(x.Days, day) }

// sameSlot reports whether a and b hold the identical slot in the same room's
// ledger of day: a change that keeps it must neither drop nor re-add it.
func sameSlot(a, b *rec, day string) bool {
	return a != nil && b != nil && a.holdsOn(day) && b.holdsOn(day) && a.R.RoomID == b.R.RoomID && slotEq(a.slot(), b.slot())
}

func slotEq(a, b booking.Slot) bool {
	return a.ID == b.ID && a.Start.Equal(b.Start) && a.End.Equal(b.End)
}

func newRec(r *booking.Reservation, version int64, buffer time.Duration) rec {
	r.Day = booking.DayOf(r.Start)
	x := rec{R: *r, Version: version}
	if booking.Holds(r.Status) {
		x.Days = booking.LedgerDays(r.Start, r.End, buffer)
	}
	return x
}

func resEntity(pk string, x *rec) ([]byte, error) {
	// Start and End (fixed-width UTC stamps) let the utilisation report read
	// a day's reservations without their documents (see Usage).
	return encodeRow(pk, resRow(x.R.ID), &x.R, x.Version, map[string]any{"RoomID": x.R.RoomID, "Status": x.R.Status, "Days": strings.Join(x.Days, ","),
		"Start": stamp(x.R.Start), "End": stamp(x.R.End)})
}

// readRes reads a reservation row: the record, its storage ETag.
func (s *ReservationStore) readRes(ctx context.Context, tenantID, day, id string) (*rec, string, error) {
	if err := checkKey(tenantID, day, id); err != nil {
		return nil, "", err
	}
	resp, err := s.c.table(TableBookings).GetEntity(ctx, dayPK(tenantID, day), resRow(id), nil)
	if err != nil {
		return nil, "", translate(err, "get reservation")
	}
	x, err := decodeRes(resp.Value)
	if err != nil {
		return nil, "", err
	}
	x.R.TenantID = tenantID
	return x, string(resp.ETag), nil
}

func decodeRes(value []byte) (*rec, error) {
	var x rec
	rw, err := decodeRow(value, &x.R)
	if err != nil {
		return nil, err
	}
	var cols struct {
		Days string `json:"Days"`
	}
	_ = json.Unmarshal(value, &cols)
	if cols.Days != "" {
		x.Days = strings.Split(cols.Days, ",")
	}
	x.Version = rw.Version
	x.R.Day = booking.DayOf(x.R.Start)
	x.R.ETag = ETagOf(rw.Version)
	return &x, nil
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

// lostRace reports whether a batch failed because another writer got there
// first (stale ETag, or a row added meanwhile).
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

// slotEdit is what one batch does to the ledgers of its day: per room, the
// exact slots to drop and the slots to add (checked against the others).
type slotEdit struct {
	drop, add map[string][]booking.Slot
}

func (e *slotEdit) dropSlot(room string, sl booking.Slot) {
	if e.drop == nil {
		e.drop = map[string][]booking.Slot{}
	}
	e.drop[room] = append(e.drop[room], sl)
}

func (e *slotEdit) addSlot(room string, sl booking.Slot) {
	if e.add == nil {
		e.add = map[string][]booking.Slot{}
	}
	e.add[room] = append(e.add[room], sl)
}

// errGuard is returned by a recheck when one of a batch's own guards (a row's
// ETag, an intent that must not exist) failed: retrying the same batch would
// fail again.
type errGuard struct{ err error }

func (e errGuard) Error() string { return e.err.Error() }

// commitDay writes one day partition in one transactional batch: the fixed
// actions (rows, intents) plus the ledgers changed by edit, each guarded by
// the ETag read. A slot to add that comes closer than buffer to another
// reservation's slot fails with booking.SlotTaken. When the batch loses a
// race, recheck (if any) says whether a fixed guard failed (it returns the
// error to give up with) or only a ledger moved (nil: read again, retry).
func (s *ReservationStore) commitDay(ctx context.Context, tenantID, day string, fixed func() ([]aztables.TransactionAction, error), edit slotEdit, buffer time.Duration, recheck func() error) error {
	pk := dayPK(tenantID, day)
	rooms := map[string]bool{}
	for r := range edit.drop {
		rooms[r] = true
	}
	for r := range edit.add {
		rooms[r] = true
	}
	for attempt := 0; attempt < s.Retries; attempt++ {
		var actions []aztables.TransactionAction
		if fixed != nil {
			a, err := fixed()
			if err != nil {
				return err
			}
			actions = a
		}
		for room := range rooms {
			l, etag, err := s.readLedger(ctx, pk, room)
			if err != nil {
				return err
			}
			n := len(l.Slots)
			changed := false
			for _, d := range edit.drop[room] {
				l.Slots = slices.DeleteFunc(l.Slots, func(x booking.Slot) bool { return slotEq(x, d) })
			}
			changed = len(l.Slots) != n
			for _, a := range edit.add[room] {
				if slices.ContainsFunc(l.Slots, func(x booking.Slot) bool { return slotEq(x, a) }) {
					continue
				}
				if c, ok := booking.Conflict(l.Slots, a.ID, a.Start, a.End, buffer); ok {
					return booking.SlotTaken(room, c, a.Start, a.End)
				}
				l.Slots = append(l.Slots, a)
				changed = true
			}
			if !changed {
				continue
			}
			if etag == "" && len(l.Slots) == 0 {
				continue
			}
			la, err := ledgerAction(pk, room, l, etag)
			if err != nil {
				return err
			}
			actions = append(actions, la)
		}
		if len(actions) == 0 {
			return nil
		}
		err := s.c.submit(ctx, TableBookings, actions)
		if err == nil || !lostRace(err) {
			return err
		}
		if recheck != nil {
			if gerr := recheck(); gerr != nil {
				return gerr
			}
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
	return busy()
}

// index writes the reservation's index row at version. With etag set it
// replaces the row read at that ETag; when that loses a race, or the row
// exists already, the newer of the two versions wins: writing an index row is
// idempotent and never goes back in time.
func (s *ReservationStore) index(ctx context.Context, r *booking.Reservation, version int64, etag string) error {
	e, err := indexEntity(r, version)
	if err != nil {
		return err
	}
	t := s.c.table(TableBookings)
	for attempt := 0; attempt < s.Retries; attempt++ {
		var err error
		if etag == "" {
			_, err = t.AddEntity(ctx, e, nil)
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
			return nil // this version, or a newer one, is indexed
		default:
			etag = cur.ETag
		}
	}
	return busy()
}

func indexEntity(r *booking.Reservation, version int64) ([]byte, error) {
	return encodeRow(idxPK(r.TenantID), r.ID, r, version, map[string]any{
		"Day": r.Day, "RoomID": r.RoomID, "CalendarID": r.CalendarID, "Organizer": r.Organizer,
		"Start": stamp(r.Start), "End": stamp(r.End), "Held": booking.Holds(r.Status), "Status": r.Status,
	})
}

// indexAll writes the index rows of new reservations (version 1), a batch of
// up to 100 at a time; a batch that finds rows already there (a retry) falls
// back to one by one.
func (s *ReservationStore) indexAll(ctx context.Context, recs []rec) error {
	for i := 0; i < len(recs); i += 100 {
		chunk := recs[i:min(i+100, len(recs))]
		if len(chunk) == 1 {
			if err := s.index(ctx, &chunk[0].R, 1, ""); err != nil {
				return err
			}
			continue
		}
		actions := make([]aztables.TransactionAction, 0, len(chunk))
		for j := range chunk {
			e, err := indexEntity(&chunk[j].R, 1)
			if err != nil {
				return err
			}
			actions = append(actions, action(aztables.TransactionTypeAdd, e, ""))
		}
		err := s.c.submit(ctx, TableBookings, actions)
		if teamspro.ErrorCode(err) == teamspro.ECONFLICT {
			for j := range chunk {
				if err := s.index(ctx, &chunk[j].R, 1, ""); err != nil {
					return err
				}
			}
			err = nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// unindex deletes a reservation's index row if it is still at version.
func (s *ReservationStore) unindex(ctx context.Context, tenantID, id string, version int64) error {
	cur, err := s.c.getRow(ctx, TableBookings, idxPK(tenantID), id, nil)
	if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
		return nil
	}
	if err != nil || cur.Version > version {
		return err
	}
	_, err = s.c.table(TableBookings).DeleteEntity(ctx, idxPK(tenantID), id, &aztables.DeleteEntityOptions{IfMatch: etagPtr(cur.ETag)})
	if err = translate(err, "unindex reservation"); teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
		return nil
	}
	return err
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

// undue forgets r's check-in deadline, if any.
func (s *ReservationStore) undue(ctx context.Context, r *booking.Reservation) error {
	if r.CheckInBy == nil {
		return nil
	}
	return s.DoneDue(ctx, booking.Due{TenantID: r.TenantID, ReservationID: r.ID, At: *r.CheckInBy})
}

type indexed struct {
	day     string
	etag    string
	version int64
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
	rw, err := decodeRow(resp.Value, nil)
	if err != nil {
		return indexed{}, err
	}
	var cols struct {
		Day string `json:"Day"`
	}
	if err := json.Unmarshal(resp.Value, &cols); err != nil || cols.Day == "" {
		return indexed{}, teamspro.Wrap(teamspro.EINTERNAL, err, "reservation index without a day")
	}
	return indexed{day: cols.Day, etag: string(resp.ETag), version: rw.Version}, nil
}

func etagPtr(s string) *azcore.ETag {
	e := azcore.ETag(s)
	return &e
}

// locate returns the reservation's row, found through its index, with the
// row's and the index's storage ETags. The index moves to a new day only once
// the row is there, and the old row goes only after the index moved, so a
// reservation that exists is always found; a missing row means a booking not
// (or no longer) placed.
func (s *ReservationStore) locate(ctx context.Context, tenantID, id string) (*rec, string, indexed, error) {
	for attempt := 0; ; attempt++ {
		ix, err := s.readIndex(ctx, tenantID, id)
		if err != nil {
			return nil, "", indexed{}, err
		}
		x, etag, err := s.readRes(ctx, tenantID, ix.day, id)
		if err == nil {
			return x, etag, ix, nil
		}
		if teamspro.ErrorCode(err) != teamspro.ENOTFOUND || attempt >= 2 {
			if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
				return nil, "", indexed{}, teamspro.Errorf(teamspro.ENOTFOUND, "The reservation does not exist.")
			}
			return nil, "", indexed{}, err
		}
		if err := backoff(ctx, attempt+4); err != nil {
			return nil, "", indexed{}, err
		}
	}
}

// Get returns a reservation as stored in its day partition.
func (s *ReservationStore) Get(ctx context.Context, tenantID, id string) (*booking.Reservation, error) {
	x, _, _, err := s.locate(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return &x.R, nil
}

// Book stores new reservations. Their index rows and check-in deadlines are
// written first, so that a reservation is findable from the moment it holds
// a slot; then the slots. A single reservation within one UTC day is one
// batch and needs no intent: the pointer written first lets the repair remove
// its index row if the batch never committed. Anything larger runs under an
// intent (see intents.go).
func (s *ReservationStore) Book(ctx context.Context, rs []*booking.Reservation, buffer time.Duration, skipConflicts bool, record booking.Recorder) (map[string]error, *booking.Outgoing, error) {
	if len(rs) == 0 {
		return nil, nil, nil
	}
	tenantID := rs[0].TenantID
	recs := make([]rec, len(rs))
	for i, r := range rs {
		if err := checkKey(r.TenantID, r.ID, r.RoomID); err != nil {
			return nil, nil, err
		}
		recs[i] = newRec(r, 1, buffer)
		if err := checkKey(recs[i].Days...); err != nil {
			return nil, nil, err
		}
	}
	key := rs[0].ID
	if len(rs) > 1 && rs[0].SeriesID != "" {
		key = rs[0].SeriesID
	}
	in := &intent{Key: key, Tenant: tenantID, Home: recs[0].R.Day, Kind: kindBook, State: statePlacing, Buffer: buffer, Next: recs, Skip: skipConflicts, Created: s.Now().UTC(), record: record}
	if err := s.putPointer(ctx, in); err != nil {
		return nil, nil, err
	}
	if err := s.indexAll(ctx, recs); err != nil {
		return nil, nil, s.leave(ctx, in, err)
	}
	for i := range recs {
		if err := s.due(ctx, &recs[i].R); err != nil {
			return nil, nil, s.leave(ctx, in, err)
		}
	}
	finish := func(refused map[string]error, settled bool) (map[string]error, *booking.Outgoing, error) {
		for _, r := range rs {
			r.ETag = ETagOf(1)
		}
		return refused, written(in, settled), nil
	}
	if len(recs) == 1 && len(recs[0].Days) == 1 {
		in.oneBatch = true
		x := &recs[0]
		var edit slotEdit
		edit.addSlot(x.R.RoomID, x.slot())
		outAct, err := s.outgoing(in)
		if err != nil {
			return nil, nil, s.leave(ctx, in, err)
		}
		err = s.commitDay(ctx, tenantID, x.R.Day, func() ([]aztables.TransactionAction, error) {
			e, err := resEntity(dayPK(tenantID, x.R.Day), x)
			return append([]aztables.TransactionAction{action(aztables.TransactionTypeAdd, e, "")}, outAct...), err
		}, edit, buffer, func() error {
			// The row exists: an earlier attempt committed though its
			// answer was lost (the transport retried it).
			if cur, _, err := s.readRes(ctx, tenantID, x.R.Day, x.R.ID); err == nil && cur.Version >= 1 {
				return errGuard{nil}
			}
			return nil
		})
		var g errGuard
		if errors.As(err, &g) && g.err == nil {
			err = nil
		}
		switch {
		case err == nil:
			// Committed: the busy index follows (advisory: it never
			// changes how the change settles).
			s.projectRecs(ctx, tenantID, nil, []*rec{x}, false)
			if in.out == nil {
				s.dropPointer(ctx, in) // else the record's announcement does
			}
			return finish(nil, true)
		case teamspro.ErrorCode(err) == teamspro.ECONFLICT:
			in.out = nil
			in.State = stateAborting
			if aerr := s.abort(ctx, in); aerr != nil {
				return nil, nil, s.leave(ctx, in, aerr)
			}
			return nil, nil, err
		default:
			return nil, nil, s.leave(ctx, in, err)
		}
	}
	if err := s.addIntent(ctx, in, nil); err != nil {
		return nil, nil, s.leave(ctx, in, err)
	}
	// The busy rows go before the reservations exist: then no later change
	// of one can have written its rows before these (see projectRecs), and
	// the roll-forward needs no check. The intent row, written first, lets
	// an undo find them.
	in.busyEarly = s.busy.reservationChanged(ctx, tenantID, nil, rs) == nil
	refused, err := s.run(ctx, in)
	if teamspro.ErrorCode(err) == teamspro.ECONFLICT {
		return refused, nil, err
	}
	if err != nil {
		if err := s.leave(ctx, in, err); err != nil {
			return refused, nil, err
		}
		return finish(refused, false)
	}
	return finish(refused, true)
}

// Change reads, changes and stores a reservation with its slot. A change that
// stays within its day partition (the common case: cancel, check-in, a new
// time the same UTC day) is one batch: the row replaced under its ETag, the
// ledgers it leaves and enters under theirs, and an intent that finishes the
// index row and the check-in deadline. Anything else (another day, a slot in
// another day's ledger) first records its intent, then takes the new slots,
// then commits; see intents.go. One intent at a time per reservation: a
// change that meets another's unfinished intent finishes it first.
func (s *ReservationStore) Change(ctx context.Context, tenantID, id, ifMatch string, buffer time.Duration, fn func(*booking.Reservation) error, record booking.Recorder) (*booking.Reservation, *booking.Outgoing, error) {
	for attempt := 0; attempt < s.Retries; attempt++ {
		cur, curETag, ix, err := s.locate(ctx, tenantID, id)
		if err != nil {
			return nil, nil, err
		}
		if err := checkIfMatch(ifMatch, cur.Version); err != nil {
			return nil, nil, err
		}
		nextR := cur.R
		if err := fn(&nextR); err != nil {
			if errors.Is(err, booking.ErrUnchanged) {
				return &cur.R, nil, nil
			}
			return nil, nil, err
		}
		nextR.TenantID, nextR.ID = tenantID, id
		next := newRec(&nextR, cur.Version+1, buffer)
		if len(cur.Days) > 0 && len(next.Days) > 0 && next.R.RoomID == cur.R.RoomID && next.R.Start.Equal(cur.R.Start) && next.R.End.Equal(cur.R.End) {
			// Same slot (a status change, a new title): its ledgers stay
			// those it was booked with, whatever buffer the caller passes.
			next.Days = cur.Days
		}
		if err := checkKey(append([]string{next.R.RoomID}, next.Days...)...); err != nil {
			return nil, nil, err
		}
		home := cur.R.Day
		in := &intent{Key: id, Tenant: tenantID, Home: home, Kind: kindChange, State: stateCommitted, Buffer: buffer,
			Prev: cur, Next: []rec{next}, IndexETag: ix.etag, Created: s.Now().UTC(), record: record}
		simple := next.R.Day == home
		for _, d := range append(slices.Clone(cur.Days), next.Days...) {
			if d != home {
				simple = false
			}
		}
		if err := s.putPointer(ctx, in); err != nil {
			return nil, nil, err
		}
		rowGuard := func() error {
			if open, err := s.loadIntent(ctx, tenantID, home, id); err != nil {
				return errGuard{err}
			} else if open != nil {
				if open.Op == in.Op {
					return errGuard{nil} // ours: the batch committed, its answer was lost
				}
				return errGuard{errLocked}
			}
			_, etag, err := s.readRes(ctx, tenantID, home, id)
			if err != nil {
				return errGuard{err}
			}
			if etag != curETag {
				return errGuard{errRetry}
			}
			return nil
		}
		if simple {
			var edit slotEdit
			if cur.holdsOn(home) {
				edit.dropSlot(cur.R.RoomID, cur.slot())
			}
			if next.holdsOn(home) {
				edit.addSlot(next.R.RoomID, next.slot())
			}
			var outAct []aztables.TransactionAction
			if outAct, err = s.outgoing(in); err != nil {
				s.dropPointer(ctx, in)
				return nil, nil, err
			}
			err = s.commitDay(ctx, tenantID, home, func() ([]aztables.TransactionAction, error) {
				e, err := resEntity(dayPK(tenantID, home), &next)
				if err != nil {
					return nil, err
				}
				ie, err := s.intentEntity(in)
				if err != nil {
					return nil, err
				}
				return append([]aztables.TransactionAction{action(aztables.TransactionTypeUpdateReplace, e, curETag), action(aztables.TransactionTypeAdd, ie, "")}, outAct...), nil
			}, edit, buffer, rowGuard)
		} else {
			in.State = statePlacing
			err = s.addIntent(ctx, in, func() (aztables.TransactionAction, error) {
				e, err := resEntity(dayPK(tenantID, home), cur)
				return action(aztables.TransactionTypeUpdateReplace, e, curETag), err
			})
			if lostRace(err) {
				var g errGuard
				if gerr := rowGuard(); errors.As(gerr, &g) {
					err = g.err
				} else {
					err = errRetry
				}
			}
		}
		var g errGuard
		if errors.As(err, &g) {
			err = g.err
		}
		switch {
		case err == errRetry:
			s.dropPointer(ctx, in)
			if err := backoff(ctx, attempt); err != nil {
				return nil, nil, err
			}
			continue
		case err == errLocked:
			// Another change of this reservation is unfinished: finish it
			// (or wait for its request, while it is young), then start over.
			s.dropPointerIfOther(ctx, in)
			if err := s.takeOver(ctx, tenantID, home, id); err != nil {
				return nil, nil, err
			}
			if err := backoff(ctx, attempt); err != nil {
				return nil, nil, err
			}
			continue
		case teamspro.ErrorCode(err) == teamspro.ECONFLICT:
			s.dropPointer(ctx, in)
			return nil, nil, err
		case err != nil:
			return nil, nil, s.leave(ctx, in, err)
		}
		settled := true
		if _, err := s.run(ctx, in); err != nil {
			if teamspro.ErrorCode(err) == teamspro.ECONFLICT {
				return nil, nil, err
			}
			if err := s.leave(ctx, in, err); err != nil {
				return nil, nil, err
			}
			settled = false
		}
		out := in.Next[0].R
		out.ETag = ETagOf(in.Next[0].Version)
		return &out, written(in, settled), nil
	}
	return nil, nil, busy()
}

// errRetry marks a lost race inside a change that must start over; errLocked
// one that met another unfinished change of the same reservation.
var (
	errRetry  = teamspro.Errorf(teamspro.EUNAVAILABLE, "retry")
	errLocked = teamspro.Errorf(teamspro.EUNAVAILABLE, "The reservation is being changed; try again.")
)

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
	return s.c.deleteIfPresent(ctx, TableDue, pk, rk, "forget check-in deadline")
}
