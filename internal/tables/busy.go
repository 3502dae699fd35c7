package tables

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/findtime"
	"github.com/teamspro/functions/internal/teamspro"
	"golang.org/x/sync/errgroup"
)

// TableBusy is the per-person busy index that "find a time" reads.
const TableBusy = "busy"

// BusyStore keeps the busy index: for each person of an organization and
// each UTC day, what takes their time, so that a search for five people
// over a week reads five partitions' ranges instead of every calendar and
// every reservation of the organization.
//
//	partition "<tenant>|<person key>"   the person: an object id, or "upn:<address>"
//	                                    for items that name them by address only
//	  row "d|<YYYY-MM-DD>|e|<calendarId>|<eventId>"   a single event touching that UTC day
//	  row "d|<YYYY-MM-DD>|r|<reservationId>"          a holding reservation touching that day
//	  row "s|<last UTC day or 9999-12-31>|e|<calendarId>|<seriesId>"
//	                                    a calendar series with its exceptions as they concern
//	                                    the person, expanded by the reader (an open-ended
//	                                    series has no last day to write rows up to)
//	partition "<tenant>|src"
//	  row "e|<calendarId>|<eventId>"    which rows the index holds for that event
//
// Day rows carry the item's intervals in a Busy column (Unix seconds,
// "<start>,<end>;..."), its title and its calendar; an item spanning several
// days has a row in each. Series rows are keyed by their last day, so a
// window reads the series not ended before it (a range), not every series
// the person ever had.
//
// The index is a projection, and advisory: a search reads it, a booking
// never trusts it (the ledger batch decides). It is kept in step from the
// stores' change streams, each at least once and idempotent:
//
//   - Calendar events: every event change is stored in one batch with its
//     outbox record, and the relay that announces the record (the instance
//     after its answer, or the flush-outbox timer for a dead one) calls
//     EventChanged before it deletes it. EventChanged recomputes the event's
//     rows from the event as stored now (never from the change's copy), so
//     records relayed twice, late or out of order all end in the same rows.
//     The source row lists what was written; it is widened to old ∪ new
//     before the person rows are touched and narrowed after, under If-Match,
//     so that a crash or a concurrent relay never orphans a row: the loser of
//     a race recomputes and writes again, taking the rows it wrote as its
//     own to rewrite or delete (the winner may have narrowed the list before
//     the loser's writes landed). One window is left: a relay that dies
//     between such late writes and its retry leaves them until the event's
//     next change.
//   - Reservations: a change's rows are written from the change's copies
//     of the reservation before and after: the rows of the "before" that
//     the "after" does not keep are deleted, the others replaced. A booking
//     under an intent (a series, several days) writes them before its
//     reservations are placed, so no later change of one can come first
//     (an undo removes them; skipped occurrences lose theirs when it rolls
//     forward); a one-day booking right after its batch, before anyone
//     knows it; a change in its roll-forward (the request, a takeover, the
//     instance's retries, the repair timer: ReservationStore.finish), which
//     may run after a later change of the same reservation, so it then
//     reads the reservation again and, if it moved on, rewrites the rows
//     from what is stored (projectRecs). The index being advisory, its
//     write never changes how a change settles (the reservation outbox's
//     record and pointer): a failed write is retried by the instance in the
//     background for a while, always from what is stored (retryBusy); a
//     process dying in that window leaves the reservation's rows stale
//     until its next change. The fault matrix checks the index with every
//     other invariant (ReservationStore.Verify).
//
// Written alongside the change instead, in the request, the index would add
// a partition write per participant to every event change's answer and
// still need this repair path for a crash in between; fed by the change
// streams, it costs the answer nothing for events, and a reservation one
// batch per person in its roll-forward.
type BusyStore struct {
	c      *Client
	events *EventStore
}

var _ findtime.Index = (*BusyStore)(nil)

// NewBusyStore returns the busy index of c.
func NewBusyStore(c *Client) *BusyStore { return &BusyStore{c: c, events: NewEventStore(c)} }

const openEnded = "9999-12-31"

func busyPK(tenantID, key string) string { return tenantID + "|" + key }
func busySrcPK(tenantID string) string   { return tenantID + "|src" }
func eventSrc(calendarID, id string) string {
	return "e|" + calendarID + "|" + id
}
func resSrc(id string) string { return "r|" + id }

// busyDayRow is a day row as the reader selects it.
type busyDayRow struct {
	RowKey string `json:"RowKey"`
	Busy   string `json:"Busy"`
	Title  string `json:"Title"`
	Cal    string `json:"Cal"`
	Doc    string `json:"Doc"`
}

// seriesDoc is a series row's document: the series and its exceptions as
// they concern the person, with only what expansion and titles need.
type seriesDoc struct {
	Series     eventDoc       `json:"series"`
	Exceptions []exceptionDoc `json:"exceptions,omitempty"`
}

// Entries reads key's day rows for the UTC days of [from, to) and its
// series not ended before from: two range queries of its partition, run
// concurrently.
func (b *BusyStore) Entries(ctx context.Context, tenantID, key string, from, until time.Time) (findtime.Entries, error) {
	pk := busyPK(tenantID, key)
	if err := checkKey(pk); err != nil {
		return findtime.Entries{}, err
	}
	var (
		out        findtime.Entries
		wg         sync.WaitGroup
		dErr, sErr error
	)
	first, last := booking.DayOf(from), booking.DayOf(until.Add(-time.Nanosecond))
	wg.Add(2)
	go func() {
		defer wg.Done()
		f := eq("PartitionKey", pk) + " and RowKey ge " + quote("d|"+first+"|") + " and RowKey lt " + quote("d|"+last+"|~")
		dErr = listEntities(ctx, b.c, TableBusy, &aztables.ListEntitiesOptions{Filter: &f, Select: to("RowKey,Busy,Title,Cal")}, "list busy days",
			func(rows []busyDayRow) (bool, error) {
				for _, r := range rows {
					kind, id := findtime.KindEvent, ""
					rest := r.RowKey[len("d|YYYY-MM-DD|"):]
					switch {
					case strings.HasPrefix(rest, "r|"):
						kind, id = findtime.KindReservation, strings.TrimPrefix(rest, "r|")
					default:
						id = rest[strings.LastIndexByte(rest, '|')+1:]
					}
					slots, _ := parseBusy(nil, withIDs(r.Busy))
					for _, s := range slots {
						out.Busy = append(out.Busy, findtime.Busy{Start: s.Start, End: s.End, Kind: kind, CalendarID: r.Cal, ItemID: id, Title: r.Title})
					}
				}
				return true, nil
			})
	}()
	var series []findtime.Series
	go func() {
		defer wg.Done()
		f := eq("PartitionKey", pk) + " and RowKey ge " + quote("s|"+first+"|") + " and RowKey lt " + quote("s|~")
		sErr = listEntities(ctx, b.c, TableBusy, &aztables.ListEntitiesOptions{Filter: &f, Select: to("RowKey,Cal,Doc")}, "list busy series",
			func(rows []busyDayRow) (bool, error) {
				for _, r := range rows {
					var d seriesDoc
					if err := json.Unmarshal([]byte(r.Doc), &d); err != nil {
						return false, teamspro.Wrap(teamspro.EINTERNAL, err, "decode busy series %s", r.RowKey)
					}
					se := findtime.Series{CalendarID: r.Cal, Event: d.Series.event(r.Cal, 1)}
					for _, x := range d.Exceptions {
						se.Exceptions = append(se.Exceptions, x.exception(r.Cal, 1))
					}
					series = append(series, se)
				}
				return true, nil
			})
	}()
	wg.Wait()
	if err := errors.Join(dErr, sErr); err != nil {
		return findtime.Entries{}, err
	}
	out.Series = series
	return out, nil
}

// withIDs turns "<s>,<e>;<s>,<e>" into the ledger's "<s>,<e>,x;..." form,
// so that one parser reads both.
func withIDs(busy string) string {
	if busy == "" {
		return ""
	}
	return strings.ReplaceAll(busy, ";", ",x;") + ",x"
}

// intervalsColumn writes intervals as "<start>,<end>;...".
func intervalsColumn(iv [][2]time.Time) string {
	var sb strings.Builder
	for i, v := range iv {
		if i > 0 {
			sb.WriteByte(';')
		}
		writeUnix(&sb, v[0])
		sb.WriteByte(',')
		writeUnix(&sb, v[1])
	}
	return sb.String()
}

// busyRowSet is the rows the index should hold for one item: partition ->
// row key -> entity columns.
type busyRowSet map[string]map[string]map[string]any

func (s busyRowSet) put(pk, rk string, cols map[string]any) {
	if s[pk] == nil {
		s[pk] = map[string]map[string]any{}
	}
	s[pk][rk] = cols
}

// merge adds the rows of o.
func (s busyRowSet) merge(o busyRowSet) {
	for pk, rows := range o {
		for rk, cols := range rows {
			s.put(pk, rk, cols)
		}
	}
}

// utcDays returns the UTC dates that [start, end) touches.
func utcDays(start, end time.Time) []string {
	if !end.After(start) {
		end = start.Add(time.Second)
	}
	return booking.LedgerDays(start, end, 0)
}

// dayRows adds, for every person key, a row per UTC day of [start, end).
func (s busyRowSet) dayRows(tenantID string, keys []string, src, calendarID, title string, start, end time.Time) {
	cols := map[string]any{"Busy": intervalsColumn([][2]time.Time{{start, end}}), "Title": title, "Cal": calendarID}
	for _, k := range keys {
		for _, d := range utcDays(start, end) {
			s.put(busyPK(tenantID, k), "d|"+d+"|"+src, cols)
		}
	}
}

// peopleOf returns the index keys of an item's organizer and participants.
func peopleOf(organizer string, ps []calendar.Participant) []string {
	var keys []string
	add := func(k string) {
		if k != "" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	add(findtime.KeyOf(organizer, ""))
	for _, p := range ps {
		add(findtime.KeyOf(p.ObjectID, firstOf(p.UPN, p.Email)))
	}
	return keys
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// reservationRows are the rows of a reservation: none unless it holds its
// room.
func reservationRows(tenantID string, r *booking.Reservation) busyRowSet {
	out := busyRowSet{}
	if r == nil || !booking.Holds(r.Status) {
		return out
	}
	out.dayRows(tenantID, peopleOf(r.Organizer, r.Participants), resSrc(r.ID), r.CalendarID, r.Title, r.Start, r.End)
	return out
}

// reservationChanged brings the index in step with a committed change of
// reservations: prev is the one changed (nil for a booking), next every
// reservation as it now is. Rows of prev that next does not keep are
// deleted, the others replaced. Idempotent: the roll-forward may run it
// again.
func (b *BusyStore) reservationChanged(ctx context.Context, tenantID string, prev *booking.Reservation, next []*booking.Reservation) error {
	want := busyRowSet{}
	for _, r := range next {
		want.merge(reservationRows(tenantID, r))
	}
	return b.apply(ctx, reservationRows(tenantID, prev), want)
}

// apply writes want and deletes what old has and want does not: one batch
// per partition and 100 rows.
func (b *BusyStore) apply(ctx context.Context, old, want busyRowSet) error {
	pks := map[string]bool{}
	for pk := range old {
		pks[pk] = true
	}
	for pk := range want {
		pks[pk] = true
	}
	for pk := range pks {
		var puts, dels []aztables.TransactionAction
		rks := make([]string, 0, len(want[pk]))
		for rk := range want[pk] {
			rks = append(rks, rk)
		}
		sort.Strings(rks)
		for _, rk := range rks {
			e, err := encodeRow(pk, rk, nil, 0, want[pk][rk])
			if err != nil {
				return err
			}
			puts = append(puts, action(aztables.TransactionTypeInsertReplace, e, ""))
		}
		for rk := range old[pk] {
			if _, keep := want[pk][rk]; keep {
				continue
			}
			e, err := encodeRow(pk, rk, nil, 0, nil)
			if err != nil {
				return err
			}
			dels = append(dels, action(aztables.TransactionTypeDelete, e, "*"))
		}
		for len(puts) > 0 {
			n := min(len(puts), maxBatch)
			if err := b.c.submit(ctx, TableBusy, puts[:n]); err != nil {
				return err
			}
			puts = puts[n:]
		}
		if err := b.deleteAll(ctx, dels); err != nil {
			return err
		}
	}
	return nil
}

// deleteAll deletes rows by batches of 100; a batch failing because a row is
// gone already (a replay) is done row by row, a missing row being done.
func (b *BusyStore) deleteAll(ctx context.Context, dels []aztables.TransactionAction) error {
	for len(dels) > 0 {
		n := min(len(dels), maxBatch)
		err := b.c.submit(ctx, TableBusy, dels[:n])
		if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
			for _, a := range dels[:n] {
				if err := b.c.submit(ctx, TableBusy, []aztables.TransactionAction{a}); err != nil && teamspro.ErrorCode(err) != teamspro.ENOTFOUND {
					return err
				}
			}
			err = nil
		}
		if err != nil {
			return err
		}
		dels = dels[n:]
	}
	return nil
}

// srcDoc is a source row's document: the rows the index holds for it, and,
// once they are all written, the digest of their contents (empty while a
// sync is under way), so that a relay finding the index in step already
// writes nothing.
type srcDoc struct {
	Rows [][2]string `json:"rows"` // [partition, row]
	Hash string      `json:"hash,omitempty"`
}

// digest is a fingerprint of the rows s calls for, contents included.
func (s busyRowSet) digest() string {
	d := docOfSet(s)
	h := sha256.New()
	for _, r := range d.Rows {
		b, _ := json.Marshal(s[r[0]][r[1]]) // map keys are sorted: stable
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00", r[0], r[1], b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (d srcDoc) set() busyRowSet {
	out := busyRowSet{}
	for _, r := range d.Rows {
		out.put(r[0], r[1], nil)
	}
	return out
}

func docOfSet(s busyRowSet) srcDoc {
	d := srcDoc{Rows: [][2]string{}}
	for pk, rows := range s {
		for rk := range rows {
			d.Rows = append(d.Rows, [2]string{pk, rk})
		}
	}
	sort.Slice(d.Rows, func(i, j int) bool {
		return d.Rows[i][0] < d.Rows[j][0] || (d.Rows[i][0] == d.Rows[j][0] && d.Rows[i][1] < d.Rows[j][1])
	})
	return d
}

// eventRows are the rows the index should hold for a calendar event as
// stored (ok false: gone or deleted, so none).
func eventRows(tenantID string, e calendar.Event, xs []calendar.Exception) (busyRowSet, error) {
	out := busyRowSet{}
	src := eventSrc(e.CalendarID, e.ID)
	people := peopleOf(e.CreatedBy, e.Participants)
	if !e.Recurring() {
		out.dayRows(tenantID, people, src, e.CalendarID, e.Title, e.Start, e.End)
		return out, nil
	}
	last := openEnded
	if !e.Rule.Until.IsZero() {
		last = booking.DayOf(e.Rule.Until.Add(e.Duration() + 24*time.Hour))
	}
	slim := func(ev calendar.Event) eventDoc {
		d := docOf(ev)
		d.Description, d.Address, d.Tags, d.Participants, d.ResourceName = "", nil, nil, nil, ""
		return d
	}
	for _, k := range people {
		d := seriesDoc{Series: slim(e)}
		for _, x := range xs {
			xd := exceptionDoc{SeriesID: x.SeriesID, OriginalStart: x.OriginalStart.UTC(), Cancelled: x.Cancelled}
			if x.Override != nil && !x.Cancelled {
				if !slices.Contains(peopleOf(e.CreatedBy, x.Override.Participants), k) {
					xd.Cancelled = true // no longer this person's occurrence
				} else {
					o := slim(*x.Override)
					xd.Override = &o
				}
			}
			d.Exceptions = append(d.Exceptions, xd)
		}
		doc, err := json.Marshal(d)
		if err != nil {
			return nil, teamspro.Wrap(teamspro.EINTERNAL, err, "encode busy series")
		}
		out.put(busyPK(tenantID, k), "s|"+last+"|"+src, map[string]any{"Doc": string(doc), "Cal": e.CalendarID, "Title": e.Title})
	}
	// An override may also bring in someone the series does not name.
	for _, x := range xs {
		if x.Override == nil || x.Cancelled {
			continue
		}
		for _, k := range peopleOf("", x.Override.Participants) {
			if !slices.Contains(people, k) {
				out.dayRows(tenantID, []string{k}, src+"|"+x.OriginalStart.UTC().Format("20060102T150405Z"), e.CalendarID, x.Override.Title, x.Override.Start, x.Override.End)
			}
		}
	}
	return out, nil
}

// EventChanged brings the index in step with the calendar event (or series)
// as stored now: its rows are recomputed from it and its exceptions, the
// rows it no longer has are deleted. A deleted or missing event has none.
// Safe to run any number of times, concurrently too (see BusyStore).
func (b *BusyStore) EventChanged(ctx context.Context, tenantID, calendarID, eventID string) error {
	src := eventSrc(calendarID, eventID)
	if err := checkKey(busySrcPK(tenantID), src); err != nil {
		return err
	}
	wrote := busyRowSet{}
	for i := range 16 {
		if err := b.syncEvent(ctx, tenantID, calendarID, eventID, src, wrote); !errors.Is(err, errRaced) {
			return err
		}
		// Jittered backoff: the winner of the race finishes meanwhile, and
		// this relay then finds the index in step (its digest) at once.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(rand.Int64N(int64(10*time.Millisecond) << min(i, 4)))):
		}
	}
	return teamspro.Errorf(teamspro.EUNAVAILABLE, "The busy index of an event is changed by too many at once.")
}

var errRaced = errors.New("busy index: source row changed meanwhile")

// syncEvent is one attempt of EventChanged. wrote holds the rows earlier
// attempts wrote and could not confirm (they lost the race at the narrowing):
// another sync may have moved on from them meanwhile, so they are treated as
// held (rewritten or deleted) and the index is not taken as in step by its
// digest alone; the rows this attempt writes are added to it.
func (b *BusyStore) syncEvent(ctx context.Context, tenantID, calendarID, eventID, src string, wrote busyRowSet) error {
	t := b.c.table(TableBusy)
	var old srcDoc
	r, err := b.c.getRow(ctx, TableBusy, busySrcPK(tenantID), src, &old)
	etag := r.ETag
	if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
		etag, err = "", nil
	}
	if err != nil {
		return err
	}
	want := busyRowSet{}
	e, err := b.events.Get(ctx, tenantID, calendarID, eventID)
	switch {
	case teamspro.ErrorCode(err) == teamspro.ENOTFOUND:
	case err != nil:
		return err
	case !e.Deleted:
		var xs []calendar.Exception
		if e.Recurring() {
			if xs, err = b.events.Exceptions(ctx, tenantID, calendarID, eventID); err != nil {
				return err
			}
		}
		if want, err = eventRows(tenantID, e, xs); err != nil {
			return err
		}
	}
	wantDigest := want.digest()
	if len(wrote) == 0 && ((etag != "" && old.Hash == wantDigest) || (etag == "" && len(want) == 0)) {
		return nil // in step already: a relay of a change another relay did
	}
	oldSet := old.set()
	union := old.set()
	for pk, rows := range wrote {
		for rk := range rows {
			oldSet.put(pk, rk, nil)
			union.put(pk, rk, nil)
		}
	}
	for pk, rows := range want {
		for rk := range rows {
			union.put(pk, rk, nil)
		}
	}
	// Widen first: whatever is about to be written is listed before it is
	// (and the digest cleared: the rows are being written).
	if len(docOfSet(union).Rows) != len(old.Rows) || etag == "" || old.Hash != "" {
		if etag, err = b.putSource(ctx, tenantID, src, docOfSet(union), etag); err != nil {
			return err
		}
	}
	for pk, rows := range want {
		for rk := range rows {
			wrote.put(pk, rk, nil)
		}
	}
	if err := b.apply(ctx, oldSet, want); err != nil {
		return err
	}
	// Narrow last, under If-Match: a concurrent sync that widened meanwhile
	// makes this one start again from the event as it is then, with the rows
	// it just wrote among those to rewrite or delete: the other sync may
	// have finished between this one's widening and its writes, and would
	// otherwise leave them behind as in step.
	if len(want) == 0 {
		_, err := t.DeleteEntity(ctx, busySrcPK(tenantID), src, &aztables.DeleteEntityOptions{IfMatch: to(azETag(etag))})
		switch {
		case err == nil, hasCode(err, "ResourceNotFound"), hasCode(err, "EntityNotFound"):
			return nil
		case statusOf(err) == 412:
			return errRaced
		}
		return translate(err, "delete busy source")
	}
	done := docOfSet(want)
	done.Hash = wantDigest
	_, err = b.putSource(ctx, tenantID, src, done, etag)
	return err
}

// putSource writes a source row: added when etag is "", else replaced if
// unchanged. A race answers errRaced.
func (b *BusyStore) putSource(ctx context.Context, tenantID, src string, d srcDoc, etag string) (string, error) {
	e, err := encodeRow(busySrcPK(tenantID), src, d, 0, nil)
	if err != nil {
		return "", err
	}
	t := b.c.table(TableBusy)
	if etag == "" {
		resp, err := t.AddEntity(ctx, e, nil)
		if err != nil {
			if statusOf(err) == 409 || hasCode(err, "EntityAlreadyExists") {
				return "", errRaced
			}
			return "", translate(err, "add busy source")
		}
		return string(resp.ETag), nil
	}
	resp, err := t.UpdateEntity(ctx, e, &aztables.UpdateEntityOptions{IfMatch: to(azETag(etag)), UpdateMode: aztables.UpdateModeReplace})
	if err != nil {
		if statusOf(err) == 412 || statusOf(err) == 404 {
			return "", errRaced
		}
		return "", translate(err, "replace busy source")
	}
	return string(resp.ETag), nil
}

// project brings the busy index in step with a committed intent, in its
// roll-forward (before the intent is deleted, so a crash leaves the intent
// for the repair to run this again): a booking's reservations, or a
// change's before and after. A booking whose rows were written before its
// placing (busyEarly) only drops those of the occurrences it skipped; a
// roll-forward that cannot know (the repair, a takeover, the instance's
// background completion: the intent read back from storage) writes them
// with the check.
func (s *ReservationStore) project(ctx context.Context, in *intent, prev, next *rec) {
	switch in.Kind {
	case kindBook:
		var placed, skipped []*rec
		for i := range in.Next {
			if in.skipped(in.Next[i].R.ID) {
				skipped = append(skipped, &in.Next[i])
			} else {
				placed = append(placed, &in.Next[i])
			}
		}
		if !in.busyEarly {
			s.projectRecs(ctx, in.Tenant, nil, placed, true)
		}
		if len(skipped) > 0 {
			// Never stored, so nothing can bring their rows back.
			rs := recReservations(skipped)
			if known, _ := busyOf(in.Tenant, nil, rs); s.busy.apply(ctx, known, busyRowSet{}) != nil {
				s.retryBusy(ctx, in.Tenant, nil, rs)
			}
		}
	case kindChange:
		s.projectRecs(ctx, in.Tenant, &prev.R, []*rec{next}, true)
	}
}

func recReservations(recs []*rec) []*booking.Reservation {
	rs := make([]*booking.Reservation, len(recs))
	for i := range recs {
		rs[i] = &recs[i].R
	}
	return rs
}

// projectRecs writes the busy rows of a committed change of reservations
// from the change's own copies (prev: the one changed, before; nil for a
// booking; next: the reservations as the change left them). The index is
// advisory, so its write never changes how a change settles (its outbox
// record, its pointer): a failed write is retried in the background
// (retryBusy).
//
// The copies are current only while no later change of the reservations has
// committed, and a roll-forward can run late: the instance's background
// completion after the request gave up, a takeover by another request, the
// repair. A cancellation whose rows were written first would have its
// booking's busy time brought back. So, with check, once the rows are
// written the reservations are read again (a point read each, 16 at a
// time): if one has moved on, the rows are rewritten from what is stored
// (retryBusy), whichever write landed last. A one-day booking's own write,
// right after its batch and before its answer, goes unchecked: nobody has
// its id yet, and only a listing in the milliseconds between the batch and
// this write could have shown it to somebody who then changed it. That
// window is left open so that the most frequent write pays no extra read; a
// retry of that write is checked. A booking under an intent needs no check
// either: it wrote its rows before placing (see Book).
func (s *ReservationStore) projectRecs(ctx context.Context, tenantID string, prev *booking.Reservation, next []*rec, check bool) {
	rs := recReservations(next)
	if s.busy.reservationChanged(ctx, tenantID, prev, rs) == nil && (!check || s.current(ctx, tenantID, next)) {
		return
	}
	s.retryBusy(ctx, tenantID, prev, rs)
}

// dropEarlyBusy deletes, when a booking is undone, the busy rows it wrote
// before placing (see Book). A reservation changed while it was being placed
// stays (unplace leaves it to that change, and the undo its index row), and
// that change may have written its rows before these were deleted: so the
// reservations are looked up once the rows are gone (16 at a time; one
// index read each for those undone), and any still stored gets its rows
// back from what is stored.
func (s *ReservationStore) dropEarlyBusy(ctx context.Context, in *intent) error {
	all := make([]*rec, len(in.Next))
	for i := range in.Next {
		all[i] = &in.Next[i]
	}
	known, _ := busyOf(in.Tenant, nil, recReservations(all))
	if err := s.busy.apply(ctx, known, busyRowSet{}); err != nil {
		return err
	}
	var mu sync.Mutex
	var kept []*booking.Reservation
	err := eachConcurrently(ctx, all, func(ctx context.Context, x *rec) error {
		_, _, _, err := s.locate(ctx, in.Tenant, x.R.ID) // moved, perhaps: through its index
		switch {
		case teamspro.ErrorCode(err) == teamspro.ENOTFOUND:
			return nil
		case err != nil:
			return err
		}
		mu.Lock()
		kept = append(kept, &x.R)
		mu.Unlock()
		return nil
	})
	if err != nil || len(kept) == 0 {
		return err
	}
	known, ids := busyOf(in.Tenant, nil, kept)
	return s.settleBusy(ctx, in.Tenant, known, ids)
}

// current reports whether every reservation of recs is stored as the
// version recs holds (false when one cannot be read).
func (s *ReservationStore) current(ctx context.Context, tenantID string, recs []*rec) bool {
	return eachConcurrently(ctx, recs, func(ctx context.Context, x *rec) error {
		cur, _, err := s.readRes(ctx, tenantID, x.R.Day, x.R.ID)
		if err == nil && cur.Version != x.Version {
			err = errRaced
		}
		return err
	}) == nil
}

// eachConcurrently calls fn for every rec, 16 at a time (a series' reads
// cost a few round trips to the answer, not one each), and returns the
// first error; the others' context is then cancelled.
func eachConcurrently(ctx context.Context, recs []*rec, fn func(context.Context, *rec) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for _, x := range recs {
		g.Go(func() error { return fn(gctx, x) })
	}
	return g.Wait()
}

// verifyReservations compares the reservation rows of the tenant's busy
// index with those its holding reservations call for: every row present with
// their interval, and no row left for a reservation that holds nothing. The
// invariant checker (ReservationStore.Verify) runs it, so the fault tests
// prove the index in step after storage failing at every point of every
// reservation write.
func (b *BusyStore) verifyReservations(ctx context.Context, tenantID string, holding []*booking.Reservation) ([]string, error) {
	want := map[string]string{}
	for _, r := range holding {
		for pk, rows := range reservationRows(tenantID, r) {
			for rk, cols := range rows {
				want[pk+"/"+rk] = cols["Busy"].(string)
			}
		}
	}
	var problems []string
	f := "PartitionKey ge " + quote(tenantID+"|") + " and PartitionKey lt " + quote(tenantID+"|~") +
		" and RowKey ge 'd|' and RowKey lt 'd|~'"
	err := listEntities(ctx, b.c, TableBusy, &aztables.ListEntitiesOptions{Filter: &f, Select: to("PartitionKey,RowKey,Busy")}, "list busy rows",
		func(rows []struct{ PartitionKey, RowKey, Busy string }) (bool, error) {
			for _, r := range rows {
				if !strings.Contains(r.RowKey[min(len(r.RowKey), len("d|YYYY-MM-DD")):], "|r|") {
					continue // an event's row
				}
				k := r.PartitionKey + "/" + r.RowKey
				w, ok := want[k]
				switch {
				case !ok:
					problems = append(problems, "busy row "+k+" has no holding reservation")
				case w != r.Busy:
					problems = append(problems, "busy row "+k+" says "+r.Busy+", the reservation "+w)
				}
				delete(want, k)
			}
			return true, nil
		})
	for k := range want {
		problems = append(problems, "busy row "+k+" is missing")
	}
	return problems, err
}

// retryBusy brings the busy rows of reservations in step with storage in the
// background, for up to s.Background, when a change's write of them failed
// or may have been overtaken (see projectRecs; prev is the reservation before
// the change, nil for a booking; next the reservations as the change left
// them).
//
// A retry never writes the change's copies: each attempt reads the
// reservations as stored now, writes their rows, deletes every other row it
// knows of (the change's before and after, what earlier attempts wrote), and
// then reads them again. If one changed meanwhile, that change's own write
// may have landed before this one: the attempt counts as failed and the next
// one writes the rows of what is stored then. A process dying meanwhile
// leaves the reservations' rows stale until their next change; the bookings
// themselves are whole either way.
func (s *ReservationStore) retryBusy(ctx context.Context, tenantID string, prev *booking.Reservation, next []*booking.Reservation) {
	known, ids := busyOf(tenantID, prev, next)
	s.inBackground(ctx, func(ctx context.Context) error { return s.settleBusy(ctx, tenantID, known, ids) })
}

// busyOf returns the rows of prev and next, and the ids of next.
func busyOf(tenantID string, prev *booking.Reservation, next []*booking.Reservation) (busyRowSet, []string) {
	known := reservationRows(tenantID, prev)
	ids := make([]string, len(next))
	for i, r := range next {
		known.merge(reservationRows(tenantID, r))
		ids[i] = r.ID
	}
	return known, ids
}

// settleBusy is one attempt of retryBusy: it writes the busy rows of the
// reservations ids as stored now, deletes the others of known, and reads
// the reservations again; errRaced if one changed meanwhile. What it wrote
// joins known, for the next attempt to delete if need be.
func (s *ReservationStore) settleBusy(ctx context.Context, tenantID string, known busyRowSet, ids []string) error {
	want, seen, err := s.storedBusyRows(ctx, tenantID, ids)
	if err != nil {
		return err
	}
	err = s.busy.apply(ctx, known, want)
	known.merge(want) // written, perhaps in part
	if err != nil {
		return err
	}
	_, now, err := s.storedBusyRows(ctx, tenantID, ids)
	if err != nil {
		return err
	}
	if !maps.Equal(seen, now) {
		return errRaced
	}
	return nil
}

// storedBusyRows returns the busy rows that the reservations as stored now
// call for, and their versions (0 for one that does not exist).
func (s *ReservationStore) storedBusyRows(ctx context.Context, tenantID string, ids []string) (busyRowSet, map[string]int64, error) {
	rows, versions := busyRowSet{}, make(map[string]int64, len(ids))
	for _, id := range ids {
		x, _, _, err := s.locate(ctx, tenantID, id)
		if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
			versions[id] = 0
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		versions[id] = x.Version
		rows.merge(reservationRows(tenantID, &x.R))
	}
	return rows, versions, nil
}

// inBackground keeps calling try, with a growing wait between calls, until it
// succeeds or s.Background has passed: the completion of work a request could
// not finish, detached from the request's cancellation. Wait waits for it.
func (s *ReservationStore) inBackground(ctx context.Context, try func(context.Context) error) {
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.Background)
		defer cancel()
		wait := min(100*time.Millisecond, s.BackgroundWait)
		for try(bctx) != nil {
			select {
			case <-bctx.Done():
				return
			case <-time.After(wait):
			}
			wait = min(2*wait, s.BackgroundWait)
		}
	}()
}
