package tables

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/teamspro"
)

// Writes that span partitions are small sagas. Table Storage is atomic only
// within one partition's batch, so every booking or change that touches more
// than one partition works like this:
//
//  1. A pointer row is written first, in the cross-tenant bookingintents table
//     (partition "open", row "<tenant>|<key>|<op>"), stamped with the time. It
//     only says "look here": the repair timer reads the pointers older than
//     the grace period instead of scanning every tenant's data.
//  2. The intent row "intent|<key>" is written in the home partition of the
//     change (the reservation's current day), in the same batch as the
//     change's first step there. It records the reservation before and after
//     (with the UTC days whose ledgers hold its slot), the state (placing,
//     committed, aborting) and the messages to publish once done. Its key is
//     the reservation id, so it is also a lock: a second change of the same
//     reservation cannot add its own intent until the first is finished, and
//     finishes it first.
//  3. While placing, the slots in other days' ledgers and the row at a new
//     home are taken, each a guarded batch of its partition; a taken slot
//     (slot_taken) turns the intent to aborting, which undoes exactly what it
//     placed.
//  4. The commit is one batch in the home partition: the intent marked
//     committed (with, for a change within its day, the row and the home
//     ledger). From then on the change is decided, and everything left is
//     idempotent roll-forward: the index row (never written back to an older
//     version), the check-in deadline, the slots left behind in other days,
//     and the old row of a move, removed with the intent in one last batch.
//  5. The pointer is deleted.
//
// Each step can be run again, by anyone, any number of times: the request
// runs them at once; when storage fails in the middle, the request answers
// 503 and the same instance retries in the background for a while; a change
// that meets the intent finishes it first; and the repair timer finishes (a
// committed intent) or undoes (an intent still placing, whose request is long
// gone) whatever is older than the grace period. A booking writes its index
// rows and deadlines before its slots, so that a reservation holding a slot
// can always be found and cancelled; a booking that never committed has them
// removed again, by its request or by the repair (its pointer lists them).
//
// The intent is also where the transactional outbox rides. The batch that
// commits a change (the commit of step 4, or the one batch of a change or
// booking within its day) also adds the change's outgoing record, row
// "out|<op>" of the home partition, so the record exists if and only if the
// change happened. The request answers without waiting for it; the
// notifier announces it afterwards and deletes it (DoneOutgoing). While it
// is there the pointer stays too, so that the repair finds the record of an
// instance that died first and hands it to the notifier (Repair's relay),
// whose messages take ids derived from the op: announcing it twice publishes
// the same messages, which the mail processor sends once.

// TableIntents is the cross-tenant table of pointers to unfinished changes.
const TableIntents = "bookingintents"

const (
	kindBook   = "book"
	kindChange = "change"
	kindPurge  = "purge"

	statePlacing   = "placing"
	stateCommitted = "committed"
	stateAborting  = "aborting"

	pointerPK = "open"
)

// intent is an unfinished write of one or more reservations.
type intent struct {
	Op     string `json:"op"`
	Key    string `json:"key"`
	Kind   string `json:"kind"`
	Tenant string `json:"tenant"`
	// Home is the UTC day whose partition holds the intent row.
	Home   string        `json:"home"`
	State  string        `json:"state"`
	Buffer time.Duration `json:"buffer"`
	// Prev is the reservation before a change; nil for a booking.
	Prev *rec `json:"prev,omitempty"`
	// Next are the reservations after: the one changed, or every one booked.
	Next []rec `json:"next"`
	// Skip books the free ones of a series and refuses the others; Skipped
	// lists the refused ids once committed.
	Skip    bool     `json:"skip,omitempty"`
	Skipped []string `json:"skipped,omitempty"`
	// IndexETag is the index row's storage ETag read by the change.
	IndexETag string `json:"indexETag,omitempty"`
	// Out says that the commit wrote the change's outgoing record: the
	// pointer then stays until the record is announced.
	Out     bool      `json:"out,omitempty"`
	Created time.Time `json:"created"`

	// record, set by the request, gives the body of the outgoing record;
	// out is the record its commit wrote.
	record booking.Recorder
	out    *booking.Outgoing
	// oneBatch marks a one-day booking, which has no intent row: its busy
	// rows are written only once its batch committed. busyEarly says that
	// a booking's busy rows were written before its reservations were
	// placed (see Book).
	oneBatch, busyEarly bool
}

func (in *intent) skipped(id string) bool {
	for _, s := range in.Skipped {
		if s == id {
			return true
		}
	}
	return false
}

// encodeBig stores v as gzipped JSON spread over string properties Z0, Z1,
// ... (one property holds at most 64 KiB; an intent of a 500-occurrence
// series is larger). Table Storage counts a string's characters as two
// bytes, and an entity holds at most 1 MiB: 16 parts of 30,000 characters
// (960,000 bytes) leave room for the other columns. Beyond that it returns
// ETOOLARGE.
func encodeBig(pk, rk string, v any, cols map[string]any) ([]byte, error) {
	if err := checkKey(pk, rk); err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, teamspro.Wrap(teamspro.EINTERNAL, err, "encode %s/%s", pk, rk)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	s := base64.StdEncoding.EncodeToString(buf.Bytes())
	m := map[string]any{"PartitionKey": pk, "RowKey": rk}
	for k, v := range cols {
		m[k] = v
	}
	const chunk = 30000
	for i := 0; len(s) > 0; i++ {
		if i >= maxBigParts {
			return nil, teamspro.Errorf(teamspro.ETOOLARGE, "The record is too large to store.")
		}
		n := min(chunk, len(s))
		m[fmt.Sprintf("Z%d", i)] = s[:n]
		s = s[n:]
	}
	return json.Marshal(m)
}

// maxBigParts bounds the parts of encodeBig (see there).
const maxBigParts = 16

func decodeBig(value []byte, v any) error {
	var m map[string]any
	if err := json.Unmarshal(value, &m); err != nil {
		return teamspro.Wrap(teamspro.EINTERNAL, err, "decode entity")
	}
	var sb strings.Builder
	for i := 0; ; i++ {
		p, ok := m[fmt.Sprintf("Z%d", i)].(string)
		if !ok {
			break
		}
		sb.WriteString(p)
	}
	raw, err := base64.StdEncoding.DecodeString(sb.String())
	if err != nil {
		return teamspro.Wrap(teamspro.EINTERNAL, err, "decode intent")
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return teamspro.Wrap(teamspro.EINTERNAL, err, "decode intent")
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return teamspro.Wrap(teamspro.EINTERNAL, err, "decode intent")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return teamspro.Wrap(teamspro.EINTERNAL, err, "decode intent")
	}
	return nil
}

func (s *ReservationStore) intentEntity(in *intent) ([]byte, error) {
	return encodeBig(dayPK(in.Tenant, in.Home), intentRow(in.Key), in, map[string]any{"Op": in.Op, "State": in.State})
}

// loadIntent reads the intent row of key in day; nil when there is none.
func (s *ReservationStore) loadIntent(ctx context.Context, tenantID, day, key string) (*intent, error) {
	resp, err := s.c.table(TableBookings).GetEntity(ctx, dayPK(tenantID, day), intentRow(key), nil)
	if err != nil {
		if err = translate(err, "get intent"); teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
			return nil, nil
		}
		return nil, err
	}
	var in intent
	if err := decodeBig(resp.Value, &in); err != nil {
		return nil, err
	}
	for i := range in.Next {
		in.Next[i].R.TenantID = in.Tenant
		in.Next[i].R.Day = booking.DayOf(in.Next[i].R.Start)
	}
	if in.Prev != nil {
		in.Prev.R.TenantID = in.Tenant
		in.Prev.R.Day = booking.DayOf(in.Prev.R.Start)
	}
	return &in, nil
}

// addIntent adds the intent row in its home partition, with extra (the touch
// of the reservation row a change starts from) in the same batch.
func (s *ReservationStore) addIntent(ctx context.Context, in *intent, extra func() (aztables.TransactionAction, error)) error {
	e, err := s.intentEntity(in)
	if err != nil {
		return err
	}
	actions := []aztables.TransactionAction{action(aztables.TransactionTypeAdd, e, "")}
	if extra != nil {
		a, err := extra()
		if err != nil {
			return err
		}
		actions = append(actions, a)
	}
	return s.c.submit(ctx, TableBookings, actions)
}

// pointer is the row of the bookingintents table that leads the repair to an
// intent: where it is, and (for a booking) what to remove if it never
// committed.
type pointer struct {
	Op     string    `json:"op"`
	Kind   string    `json:"kind"`
	Tenant string    `json:"tenant"`
	Home   string    `json:"home"`
	Key    string    `json:"key"`
	Items  []item    `json:"items,omitempty"`
	At     time.Time `json:"at"`
}

type item struct {
	ID        string     `json:"id"`
	Day       string     `json:"day"`
	CheckInBy *time.Time `json:"checkInBy,omitempty"`
}

func pointerRow(tenantID, key, op string) string { return tenantID + "|" + key + "|" + op }

func (s *ReservationStore) putPointer(ctx context.Context, in *intent) error {
	if in.Op == "" {
		in.Op = uuid.NewString()
	}
	p := pointer{Op: in.Op, Kind: in.Kind, Tenant: in.Tenant, Home: in.Home, Key: in.Key, At: in.Created}
	if in.Kind == kindBook {
		for _, n := range in.Next {
			p.Items = append(p.Items, item{ID: n.R.ID, Day: n.R.Day, CheckInBy: n.R.CheckInBy})
		}
	}
	e, err := encodeBig(pointerPK, pointerRow(in.Tenant, in.Key, in.Op), p, map[string]any{"At": stamp(in.Created), "TenantId": in.Tenant})
	if err != nil {
		return err
	}
	_, err = s.c.table(TableIntents).UpsertEntity(ctx, e, nil)
	return translate(err, "record intent")
}

// dropPointer deletes the operation's pointer; a failure only leaves work for
// the repair, which finds nothing to do and deletes it.
func (s *ReservationStore) dropPointer(ctx context.Context, in *intent) {
	_, _ = s.c.table(TableIntents).DeleteEntity(ctx, pointerPK, pointerRow(in.Tenant, in.Key, in.Op), nil)
}

// dropPointerIfOther is dropPointer for a change that did not get to record
// its intent (it met another's).
func (s *ReservationStore) dropPointerIfOther(ctx context.Context, in *intent) {
	s.dropPointer(ctx, in)
}

// errAfterCommit wraps a failure after the commit point: the change is made
// and will be finished by the background retry or the repair.
type errAfterCommit struct{ err error }

func (e errAfterCommit) Error() string { return e.err.Error() }

// run drives an intent from its current state to its end: placing, then the
// commit, then the roll-forward; or, when a slot is taken, the undo. It
// returns the refused reservations and, for a conflict, their ECONFLICT.
func (s *ReservationStore) run(ctx context.Context, in *intent) (map[string]error, error) {
	var refused map[string]error
	if in.State == statePlacing {
		var err error
		refused, err = s.place(ctx, in)
		if teamspro.ErrorCode(err) == teamspro.ECONFLICT {
			in.State = stateAborting
			if aerr := s.abort(ctx, in); aerr != nil {
				return refused, aerr
			}
			return refused, err
		}
		if err != nil {
			return refused, err
		}
		if err := s.commit(ctx, in); err != nil {
			if teamspro.ErrorCode(err) == teamspro.ECONFLICT {
				in.State = stateAborting
				if aerr := s.abort(ctx, in); aerr != nil {
					return refused, aerr
				}
			}
			return refused, err
		}
	}
	if in.State == stateAborting {
		return refused, s.abort(ctx, in)
	}
	if err := s.finish(ctx, in); err != nil {
		return refused, errAfterCommit{err}
	}
	return refused, nil
}

// errStaleRow: an older row of the reservation sits where the new one goes,
// left by a move away from that day whose intent is not finished yet.
var errStaleRow = errors.New("stale reservation row")

// place takes every slot and row the intent needs outside its commit batch.
func (s *ReservationStore) place(ctx context.Context, in *intent) (map[string]error, error) {
	refused := map[string]error{}
	for i := range in.Next {
		n := &in.Next[i]
		if in.skipped(n.R.ID) {
			continue
		}
		var err error
		for attempt := 0; attempt < 8; attempt++ {
			err = s.placeOne(ctx, in, n)
			if !errors.Is(err, errStaleRow) {
				break
			}
			if err = s.takeOver(ctx, in.Tenant, n.R.Day, n.R.ID); err != nil {
				break
			}
			err = errStaleRow
		}
		if errors.Is(err, errStaleRow) {
			err = busy()
		}
		if teamspro.ErrorCode(err) == teamspro.ECONFLICT {
			refused[n.R.ID] = err
			if in.Kind == kindBook {
				// Every occurrence is tried, so that a refusal lists all
				// the taken ones; without Skip, the run then aborts.
				if err := s.unplace(ctx, in, n); err != nil {
					return refused, err
				}
				in.Skipped = append(in.Skipped, n.R.ID)
				continue
			}
			return refused, err
		}
		if err != nil {
			return refused, err
		}
	}
	if len(in.Skipped) == len(in.Next) || (len(refused) > 0 && !in.Skip) {
		for _, err := range refused {
			return refused, err
		}
	}
	return refused, nil
}

func (s *ReservationStore) placeOne(ctx context.Context, in *intent, n *rec) error {
	for _, d := range n.Days {
		if d == n.R.Day || sameSlot(in.Prev, n, d) {
			continue
		}
		var edit slotEdit
		edit.addSlot(n.R.RoomID, n.slot())
		if err := s.commitDay(ctx, in.Tenant, d, nil, edit, in.Buffer, nil); err != nil {
			return err
		}
	}
	if in.Prev != nil && n.R.Day == in.Home {
		return nil // a change within its day writes its row in the commit
	}
	var edit slotEdit
	if n.holdsOn(n.R.Day) {
		edit.addSlot(n.R.RoomID, n.slot())
	}
	err := s.commitDay(ctx, in.Tenant, n.R.Day, func() ([]aztables.TransactionAction, error) {
		e, err := resEntity(dayPK(in.Tenant, n.R.Day), n)
		return []aztables.TransactionAction{action(aztables.TransactionTypeAdd, e, "")}, err
	}, edit, in.Buffer, func() error {
		cur, _, err := s.readRes(ctx, in.Tenant, n.R.Day, n.R.ID)
		switch {
		case teamspro.ErrorCode(err) == teamspro.ENOTFOUND:
			return nil
		case err != nil:
			return errGuard{err}
		case cur.Version >= n.Version:
			return errGuard{nil} // placed already
		default:
			return errGuard{errStaleRow}
		}
	})
	var g errGuard
	if errors.As(err, &g) {
		return g.err
	}
	return err
}

// commit is the decisive batch in the home partition.
func (s *ReservationStore) commit(ctx context.Context, in *intent) error {
	outAct, err := s.outgoing(in)
	if err != nil {
		return err
	}
	done := *in
	done.State = stateCommitted
	var edit slotEdit
	inDay := in.Prev != nil && in.Next[0].R.Day == in.Home
	if inDay {
		prev, next := in.Prev, &in.Next[0]
		if prev.holdsOn(in.Home) && !sameSlot(prev, next, in.Home) {
			edit.dropSlot(prev.R.RoomID, prev.slot())
		}
		if next.holdsOn(in.Home) && !sameSlot(prev, next, in.Home) {
			edit.addSlot(next.R.RoomID, next.slot())
		}
	}
	err = s.commitDay(ctx, in.Tenant, in.Home, func() ([]aztables.TransactionAction, error) {
		ie, err := s.intentEntity(&done)
		if err != nil {
			return nil, err
		}
		actions := []aztables.TransactionAction{action(aztables.TransactionTypeUpdateReplace, ie, "*")}
		if inDay {
			e, err := resEntity(dayPK(in.Tenant, in.Home), &in.Next[0])
			if err != nil {
				return nil, err
			}
			actions = append(actions, action(aztables.TransactionTypeUpdateReplace, e, "*"))
		}
		return append(actions, outAct...), nil
	}, edit, in.Buffer, func() error {
		cur, err := s.loadIntent(ctx, in.Tenant, in.Home, in.Key)
		switch {
		case err != nil:
			return errGuard{err}
		case cur == nil || cur.Op != in.Op:
			return errGuard{teamspro.Errorf(teamspro.EUNAVAILABLE, "The change was undone meanwhile; try again.")}
		case cur.State == stateCommitted:
			return errGuard{nil}
		}
		return nil
	})
	var g errGuard
	if errors.As(err, &g) {
		err = g.err
	}
	if err == nil {
		in.State = stateCommitted
	}
	return err
}

// finish rolls a committed intent forward and deletes it.
func (s *ReservationStore) finish(ctx context.Context, in *intent) error {
	var moved bool
	var prev, next *rec
	switch in.Kind {
	case kindBook:
		for _, n := range in.Next {
			if !in.skipped(n.R.ID) {
				continue
			}
			if err := s.unindex(ctx, in.Tenant, n.R.ID, 1); err != nil {
				return err
			}
			if err := s.undue(ctx, &n.R); err != nil {
				return err
			}
		}
	case kindChange:
		prev, next = in.Prev, &in.Next[0]
		moved = next.R.Day != in.Home
		if err := s.index(ctx, &next.R, next.Version, in.IndexETag); err != nil {
			return err
		}
		if next.R.CheckInBy != nil && booking.Holds(next.R.Status) && (prev.R.CheckInBy == nil || !prev.R.CheckInBy.Equal(*next.R.CheckInBy)) {
			if err := s.due(ctx, &next.R); err != nil {
				return err
			}
		}
		for _, d := range prev.Days {
			if d == in.Home || sameSlot(prev, next, d) {
				continue
			}
			var edit slotEdit
			edit.dropSlot(prev.R.RoomID, prev.slot())
			if err := s.commitDay(ctx, in.Tenant, d, nil, edit, 0, nil); err != nil {
				return err
			}
		}
	}
	s.project(ctx, in, prev, next)
	var edit slotEdit
	if moved && prev.holdsOn(in.Home) && !sameSlot(prev, next, in.Home) {
		edit.dropSlot(prev.R.RoomID, prev.slot())
	}
	err := s.commitDay(ctx, in.Tenant, in.Home, func() ([]aztables.TransactionAction, error) {
		pk := dayPK(in.Tenant, in.Home)
		del, _ := encodeRow(pk, intentRow(in.Key), nil, 0, nil)
		actions := []aztables.TransactionAction{action(aztables.TransactionTypeDelete, del, "*")}
		if moved {
			old, _ := encodeRow(pk, resRow(prev.R.ID), nil, 0, nil)
			actions = append(actions, action(aztables.TransactionTypeDelete, old, "*"))
		}
		return actions, nil
	}, edit, 0, func() error {
		cur, err := s.loadIntent(ctx, in.Tenant, in.Home, in.Key)
		if err != nil {
			return errGuard{err}
		}
		if cur == nil || cur.Op != in.Op {
			return errGuard{nil} // finished already
		}
		return nil
	})
	var g errGuard
	if errors.As(err, &g) {
		err = g.err
	}
	if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
		err = nil // the intent (or the old row) is gone: finished already
	}
	if err != nil {
		return err
	}
	if !in.Out {
		s.dropPointer(ctx, in)
	}
	return nil
}

// abort undoes everything an intent placed, and deletes it.
func (s *ReservationStore) abort(ctx context.Context, in *intent) error {
	for i := len(in.Next) - 1; i >= 0; i-- {
		if err := s.unplace(ctx, in, &in.Next[i]); err != nil {
			return err
		}
	}
	if in.Kind == kindBook {
		for _, n := range in.Next {
			if err := s.unindex(ctx, in.Tenant, n.R.ID, 1); err != nil {
				return err
			}
			if err := s.undue(ctx, &n.R); err != nil {
				return err
			}
		}
		if !in.oneBatch {
			if err := s.dropEarlyBusy(ctx, in); err != nil {
				return err
			}
		}
	}
	if err := s.c.deleteIfPresent(ctx, TableBookings, dayPK(in.Tenant, in.Home), intentRow(in.Key), "delete intent"); err != nil {
		return err
	}
	s.dropPointer(ctx, in)
	return nil
}

// unplace removes what place put for n: its row at a new home (if no later
// change took it over) and its slots in other days.
func (s *ReservationStore) unplace(ctx context.Context, in *intent, n *rec) error {
	ownRow := in.Prev == nil || n.R.Day != in.Home
	if ownRow {
		for attempt := 0; ; attempt++ {
			cur, etag, err := s.readRes(ctx, in.Tenant, n.R.Day, n.R.ID)
			if err != nil && teamspro.ErrorCode(err) != teamspro.ENOTFOUND {
				return err
			}
			if err == nil && cur.Version != n.Version {
				if cur.Version > n.Version {
					return nil // changed since: it is no longer this intent's to undo
				}
				break // an older row (a move's origin), not ours
			}
			var edit slotEdit
			if n.holdsOn(n.R.Day) && !sameSlot(in.Prev, n, n.R.Day) {
				edit.dropSlot(n.R.RoomID, n.slot())
			}
			var fixed func() ([]aztables.TransactionAction, error)
			if err == nil {
				fixed = func() ([]aztables.TransactionAction, error) {
					del, _ := encodeRow(dayPK(in.Tenant, n.R.Day), resRow(n.R.ID), nil, 0, nil)
					return []aztables.TransactionAction{action(aztables.TransactionTypeDelete, del, etag)}, nil
				}
			}
			err = s.commitDay(ctx, in.Tenant, n.R.Day, fixed, edit, 0, func() error {
				if _, now, err := s.readRes(ctx, in.Tenant, n.R.Day, n.R.ID); (err == nil && now != etag) || (err != nil && fixed != nil) {
					return errGuard{errRetry}
				}
				return nil
			})
			var g errGuard
			if errors.As(err, &g) && g.err == errRetry && attempt < s.Retries {
				continue
			}
			if err != nil {
				return err
			}
			break
		}
	}
	for _, d := range n.Days {
		if (ownRow && d == n.R.Day) || sameSlot(in.Prev, n, d) {
			continue
		}
		var edit slotEdit
		edit.dropSlot(n.R.RoomID, n.slot())
		if err := s.commitDay(ctx, in.Tenant, d, nil, edit, 0, nil); err != nil {
			return err
		}
	}
	return nil
}

// takeOver finishes another's intent met on the reservation id in day: a
// committed one at once (finishing is safe to repeat), one still placing
// only once it is older than the grace period (then its request is over and
// it is undone); a young one is left to its request (EUNAVAILABLE if it
// stays).
func (s *ReservationStore) takeOver(ctx context.Context, tenantID, day, id string) error {
	in, err := s.loadIntent(ctx, tenantID, day, id)
	if err != nil || in == nil {
		return err
	}
	switch {
	case in.State == stateCommitted:
		return s.finish(ctx, in)
	case s.Now().Sub(in.Created) > s.Grace:
		in.State = stateAborting
		return s.abort(ctx, in)
	}
	return nil
}

// resume brings the operation of plan to its end, whatever state storage
// holds: the intent finished or undone, or, when there is none, a booking
// that never committed cleaned away.
func (s *ReservationStore) resume(ctx context.Context, plan *pointer) error {
	if plan.Kind == kindPurge {
		_, err := s.c.purgeTenant(ctx, plan.Tenant)
		return err
	}
	in, err := s.loadIntent(ctx, plan.Tenant, plan.Home, plan.Key)
	if err != nil {
		return err
	}
	if in != nil && in.Op == plan.Op {
		if in.State == stateCommitted {
			return s.finish(ctx, in)
		}
		in.State = stateAborting
		return s.abort(ctx, in)
	}
	if plan.Kind == kindBook {
		for _, it := range plan.Items {
			x, _, err := s.readRes(ctx, plan.Tenant, it.Day, it.ID)
			if err == nil {
				// Placed (and committed, since no intent is left): what a
				// one-day booking does after its batch, the busy index.
				s.projectRecs(ctx, plan.Tenant, nil, []*rec{x}, true)
				continue
			}
			if teamspro.ErrorCode(err) != teamspro.ENOTFOUND {
				return err
			}
			if err := s.unindex(ctx, plan.Tenant, it.ID, 1); err != nil {
				return err
			}
			if it.CheckInBy != nil {
				if err := s.DoneDue(ctx, booking.Due{TenantID: plan.Tenant, ReservationID: it.ID, At: *it.CheckInBy}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// leave is what a request does when storage fails in the middle of a change:
// it answers with the error (after the commit point: as done), and the same
// instance keeps trying to bring the change to its end for a while, in the
// background; what it cannot finish, the repair does.
func (s *ReservationStore) leave(ctx context.Context, in *intent, cause error) error {
	var ac errAfterCommit
	committed := errors.As(cause, &ac)
	plan := &pointer{Op: in.Op, Kind: in.Kind, Tenant: in.Tenant, Home: in.Home, Key: in.Key}
	for _, n := range in.Next {
		plan.Items = append(plan.Items, item{ID: n.R.ID, Day: n.R.Day, CheckInBy: n.R.CheckInBy})
	}
	s.inBackground(ctx, func(bctx context.Context) error {
		if err := s.resume(bctx, plan); err != nil {
			return err
		}
		if in.out == nil {
			s.dropPointer(bctx, in)
		} // else the repair announces the record if it was stored
		return nil
	})
	if committed {
		return nil
	}
	return cause
}

// Wait waits for the background completions started by failed requests: for
// a graceful shutdown, and for tests.
func (s *ReservationStore) Wait() { s.bg.Wait() }

// Repair finishes or undoes every operation whose pointer is older than
// grace: what a dead instance, or a request that storage failed, left.
// It is idempotent and safe to run concurrently with requests and with
// itself. It returns how many operations it brought to their end.
func (s *ReservationStore) Repair(ctx context.Context, grace time.Duration, relay func(context.Context, booking.Outgoing) error) (int, error) {
	return s.repair(ctx, "", grace, relay)
}

// RepairTenant is Repair for one tenant's operations only.
func (s *ReservationStore) RepairTenant(ctx context.Context, tenantID string, grace time.Duration, relay func(context.Context, booking.Outgoing) error) (int, error) {
	if err := checkKey(tenantID); err != nil {
		return 0, err
	}
	return s.repair(ctx, tenantID, grace, relay)
}

func (s *ReservationStore) repair(ctx context.Context, tenantID string, grace time.Duration, relay func(context.Context, booking.Outgoing) error) (int, error) {
	olderThan := s.Now().Add(-grace)
	if grace <= 0 {
		olderThan = s.Now().Add(time.Second) // stamps have whole seconds
	}
	f := eq("PartitionKey", pointerPK) + " and At lt " + quote(stamp(olderThan))
	if tenantID != "" {
		f += " and " + eq("TenantId", tenantID)
	}
	pager := s.c.table(TableIntents).NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &f})
	type found struct {
		p    pointer
		rk   string
		etag string
	}
	var todo []found
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return 0, translate(err, "list intents")
		}
		for _, e := range page.Entities {
			rw, err := decodeRow(e, nil)
			if err != nil {
				return 0, err
			}
			var p pointer
			if err := decodeBig(e, &p); err != nil {
				return 0, err
			}
			todo = append(todo, found{p, rw.RowKey, rw.ETag})
		}
	}
	sort.Slice(todo, func(i, j int) bool { return todo[i].p.At.Before(todo[j].p.At) })
	n := 0
	var errs []error
	for _, f := range todo {
		if err := s.resume(ctx, &f.p); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := s.relayLeft(ctx, &f.p, relay); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := s.c.deleteIfPresent(ctx, TableIntents, pointerPK, f.rk, "delete intent pointer"); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
