package tables

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/teamspro"
)

// TableEvents holds Calendar Pro events, their exceptions and tombstones.
const TableEvents = "events"

// EventStore keeps calendar events in the events table with the layout that
// calendar.Store recommends (see its doc comment for the reasons):
//
//	partition "<tenant>|<calendarId>"      one per calendar
//	  row "e|<id>"                          the event, authoritative; its Version is the ETag
//	  row "s|<startUTC>|<id>"               a single event shorter than 7 days, by start
//	  row "l|<id>"                          a single event of 7 days or more
//	  row "r|<id>"                          a recurring series
//	  row "x|<seriesId>|<originalStartUTC>" an exception of one occurrence
//	  row "d|<inverted deletedAt>|<id>"     the tombstone of a soft-deleted event
//	partition "<tenant>|<calendarId>"
//	  row "feed"                            the hash of the calendar's ICS feed token
//	partition "feedhash" in the apikeys table
//	  row "<sha256>"                        the token's calendar (TenantId column)
//
// The "s|", "l|" and "r|" rows are projections carrying a full copy of the
// event, so a view reads them and nothing else: every write of an event is
// one batch in its partition (the "e|" row guarded by the storage ETag read
// just before, plus its projection and tombstone), so a projection never
// disagrees with its event. The tombstone key inverts the deletion time so
// that the range reads the most recently deleted first.
type EventStore struct {
	c *Client
}

var _ calendar.Store = (*EventStore)(nil)

// NewEventStore returns the event store of c.
func NewEventStore(c *Client) *EventStore {
	return &EventStore{c: c}
}

// longEvent is the duration from which a single event leaves the "s|" range
// for the "l|" one: the "s|" range of a window starts this much (plus a day)
// before it, to reach the events that began earlier and last into it.
const longEvent = 7 * 24 * time.Hour

func calPK(tenantID, calendarID string) string { return tenantID + "|" + calendarID }
func eventRow(id string) string                { return "e|" + id }
func startRow(t time.Time, id string) string {
	return "s|" + t.UTC().Format("20060102T150405Z") + "|" + id
}
func longRow(id string) string   { return "l|" + id }
func seriesRow(id string) string { return "r|" + id }
func exceptionRow(seriesID string, orig time.Time) string {
	return "x|" + seriesID + "|" + orig.UTC().Format("20060102T150405Z")
}

// tombRow keys a tombstone by 9999999999 minus the deletion's Unix second,
// so an ascending range lists the most recent deletions first.
func tombRow(at time.Time, id string) string { return tombPrefix(at) + id }
func tombPrefix(at time.Time) string {
	return fmt.Sprintf("d|%010d|", 9999999999-at.UTC().Unix())
}

// projectionRow is where the view finds e.
func projectionRow(e calendar.Event) string {
	switch {
	case e.Rule != nil:
		return seriesRow(e.ID)
	case e.Duration() >= longEvent:
		return longRow(e.ID)
	}
	return startRow(e.Start, e.ID)
}

// eventDoc is the stored form of an event. It is calendar.Event with JSON
// names, its dates as strings (the zero Date has no JSON form) and its rule
// as the domain struct, so reading needs no re-validation.
type eventDoc struct {
	ID           string                 `json:"id"`
	Title        string                 `json:"title"`
	Description  string                 `json:"description,omitempty"`
	Color        string                 `json:"color,omitempty"`
	AllDay       bool                   `json:"allDay,omitempty"`
	Start        time.Time              `json:"start"`
	End          time.Time              `json:"end"`
	StartDay     string                 `json:"startDay,omitempty"`
	EndDay       string                 `json:"endDay,omitempty"`
	TimeZone     string                 `json:"timeZone"`
	Mode         string                 `json:"mode,omitempty"`
	Rule         *calendar.Rule         `json:"rule,omitempty"`
	ResourceID   string                 `json:"resourceId,omitempty"`
	ResourceName string                 `json:"resourceName,omitempty"`
	Address      *calendar.Address      `json:"address,omitempty"`
	Tags         []string               `json:"tags,omitempty"`
	Participants []calendar.Participant `json:"participants,omitempty"`
	Sequence     int                    `json:"sequence,omitempty"`
	CreatedBy    string                 `json:"createdBy,omitempty"`
	CreatedAt    time.Time              `json:"createdAt,omitzero"`
	UpdatedAt    time.Time              `json:"updatedAt,omitzero"`
	DeletedAt    time.Time              `json:"deletedAt,omitzero"`
}

func docOf(e calendar.Event) eventDoc {
	d := eventDoc{ID: e.ID, Title: e.Title, Description: e.Description, Color: e.Color, AllDay: e.AllDay,
		Start: e.Start.UTC(), End: e.End.UTC(), TimeZone: e.TimeZone, Mode: string(e.Mode), Rule: e.Rule,
		ResourceID: e.ResourceID, ResourceName: e.ResourceName, Address: e.Address, Tags: e.Tags,
		Participants: e.Participants, Sequence: e.Sequence, CreatedBy: e.CreatedBy,
		CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC()}
	if e.AllDay {
		d.StartDay, d.EndDay = e.StartDay.String(), e.EndDay.String()
	}
	if e.Deleted {
		d.DeletedAt = e.DeletedAt.UTC()
	}
	return d
}

func (d eventDoc) event(calendarID string, version int64) calendar.Event {
	e := calendar.Event{ID: d.ID, CalendarID: calendarID, Title: d.Title, Description: d.Description,
		Color: d.Color, AllDay: d.AllDay, Start: d.Start.UTC(), End: d.End.UTC(), TimeZone: d.TimeZone,
		Mode: calendar.RecurrenceMode(d.Mode), Rule: d.Rule, ResourceID: d.ResourceID, ResourceName: d.ResourceName,
		Address: d.Address, Tags: d.Tags, Participants: d.Participants, Sequence: d.Sequence,
		CreatedBy: d.CreatedBy, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
		ETag: ETagOf(version), Deleted: !d.DeletedAt.IsZero(), DeletedAt: d.DeletedAt}
	if d.AllDay {
		e.StartDay, _ = calendar.ParseDate(d.StartDay)
		e.EndDay, _ = calendar.ParseDate(d.EndDay)
	}
	return e
}

// exceptionDoc is the stored form of an exception.
type exceptionDoc struct {
	SeriesID      string    `json:"seriesId"`
	OriginalStart time.Time `json:"originalStart"`
	Cancelled     bool      `json:"cancelled,omitempty"`
	Override      *eventDoc `json:"override,omitempty"`
}

func exceptionDocOf(x calendar.Exception) exceptionDoc {
	d := exceptionDoc{SeriesID: x.SeriesID, OriginalStart: x.OriginalStart.UTC(), Cancelled: x.Cancelled}
	if x.Override != nil && !x.Cancelled {
		o := docOf(*x.Override)
		d.Override = &o
	}
	return d
}

func (d exceptionDoc) exception(calendarID string, version int64) calendar.Exception {
	x := calendar.Exception{SeriesID: d.SeriesID, OriginalStart: d.OriginalStart.UTC(), Cancelled: d.Cancelled, ETag: ETagOf(version)}
	if d.Override != nil {
		o := d.Override.event(calendarID, version)
		o.ID, o.Rule = d.SeriesID, nil
		x.Override = &o
	}
	return x
}

func checkEvent(tenantID string, e calendar.Event) error {
	if err := checkKey(tenantID, e.CalendarID, e.ID); err != nil {
		return err
	}
	if !teamspro.ValidID(e.ID) || !teamspro.ValidID(e.CalendarID) {
		return teamspro.Errorf(teamspro.EINVALID, "The event or calendar id is not valid.")
	}
	return nil
}

func notFound() error { return teamspro.Errorf(teamspro.ENOTFOUND, "The event does not exist.") }

// read returns the "e|" row of an event, deleted or not, with its storage ETag.
func (s *EventStore) read(ctx context.Context, tenantID, calendarID, id string) (calendar.Event, row, error) {
	if err := checkKey(tenantID, calendarID, id); err != nil {
		return calendar.Event{}, row{}, err
	}
	var d eventDoc
	r, err := s.c.getRow(ctx, TableEvents, calPK(tenantID, calendarID), eventRow(id), &d)
	if err != nil {
		if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
			return calendar.Event{}, row{}, notFound()
		}
		return calendar.Event{}, row{}, err
	}
	return d.event(calendarID, r.Version), r, nil
}

// readLive is read for events that are not deleted.
func (s *EventStore) readLive(ctx context.Context, tenantID, calendarID, id string) (calendar.Event, row, error) {
	e, r, err := s.read(ctx, tenantID, calendarID, id)
	if err == nil && e.Deleted {
		return calendar.Event{}, row{}, notFound()
	}
	return e, r, err
}

// Get returns a live event.
func (s *EventStore) Get(ctx context.Context, tenantID, calendarID, eventID string) (calendar.Event, error) {
	e, _, err := s.readLive(ctx, tenantID, calendarID, eventID)
	return e, err
}

func eventCols(e calendar.Event) map[string]any {
	return map[string]any{"Start": stamp(e.Start), "End": stamp(e.End), "Recurring": e.Rule != nil, "Deleted": e.Deleted}
}

// eventActions returns the batch actions that store e at version: its "e|"
// row (replace guarded by storageETag, or add when "") and its projection.
func eventActions(tenantID string, e calendar.Event, version int64, storageETag string) ([]aztables.TransactionAction, error) {
	pk := calPK(tenantID, e.CalendarID)
	doc := docOf(e)
	main, err := encodeRow(pk, eventRow(e.ID), doc, version, eventCols(e))
	if err != nil {
		return nil, err
	}
	acts := []aztables.TransactionAction{action(aztables.TransactionTypeAdd, main, "")}
	if storageETag != "" {
		acts[0] = action(aztables.TransactionTypeUpdateReplace, main, storageETag)
	}
	if !e.Deleted {
		proj, err := encodeRow(pk, projectionRow(e), doc, version, eventCols(e))
		if err != nil {
			return nil, err
		}
		acts = append(acts, action(aztables.TransactionTypeInsertReplace, proj, ""))
	}
	return acts, nil
}

func deleteAction(pk, rk, ifMatch string) aztables.TransactionAction {
	b, _ := encodeRow(pk, rk, nil, 0, nil)
	if ifMatch == "" {
		ifMatch = "*"
	}
	return action(aztables.TransactionTypeDelete, b, ifMatch)
}

// Create stores a new event and its projection in one batch.
func (s *EventStore) Create(ctx context.Context, tenantID string, e calendar.Event, out ...calendar.Outgoing) (calendar.Event, error) {
	if err := checkEvent(tenantID, e); err != nil {
		return calendar.Event{}, err
	}
	e.Deleted, e.DeletedAt = false, time.Time{}
	acts, err := eventActions(tenantID, e, 1, "")
	if err != nil {
		return calendar.Event{}, err
	}
	if acts, err = withOutgoing(acts, tenantID, e.CalendarID, out); err != nil {
		return calendar.Event{}, err
	}
	if err := s.c.submitOwn(ctx, TableEvents, acts); err != nil {
		if teamspro.ErrorCode(err) == teamspro.ECONFLICT {
			return calendar.Event{}, teamspro.Errorf(teamspro.ECONFLICT, "An event with id %q already exists.", e.ID)
		}
		return calendar.Event{}, err
	}
	e.ETag = ETagOf(1)
	return e, nil
}

// maxBatch is Table Storage's limit of actions in one transaction.
const maxBatch = 100

// Update replaces a live event, moves its projection and deletes the dropped
// exceptions, in one batch guarded by the ETag read. Dropped exceptions that
// do not fit in the batch (more than about 95) are deleted right after it:
// they are already orphans (their occurrence no longer exists), which
// expansion ignores, so a failure there leaves nothing visible.
func (s *EventStore) Update(ctx context.Context, tenantID string, e calendar.Event, ifMatch string, drop []calendar.Exception, out ...calendar.Outgoing) (calendar.Event, error) {
	if err := checkEvent(tenantID, e); err != nil {
		return calendar.Event{}, err
	}
	cur, r, err := s.readLive(ctx, tenantID, e.CalendarID, e.ID)
	if err != nil {
		return calendar.Event{}, err
	}
	if err := checkIfMatch(ifMatch, r.Version); err != nil {
		return calendar.Event{}, err
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt, e.CreatedBy = cur.CreatedAt, cur.CreatedBy
	}
	e.Deleted, e.DeletedAt = false, time.Time{}
	pk := calPK(tenantID, e.CalendarID)
	acts, err := eventActions(tenantID, e, r.Version+1, r.ETag)
	if err != nil {
		return calendar.Event{}, err
	}
	if old := projectionRow(cur); old != projectionRow(e) {
		acts = append(acts, deleteAction(pk, old, "*"))
	}
	if acts, err = withOutgoing(acts, tenantID, e.CalendarID, out); err != nil {
		return calendar.Event{}, err
	}
	var rest []aztables.TransactionAction
	seen := map[string]bool{}
	for _, x := range drop {
		rk := exceptionRow(e.ID, x.OriginalStart)
		if x.SeriesID != e.ID || seen[rk] {
			continue
		}
		seen[rk] = true
		if len(acts) < maxBatch {
			acts = append(acts, deleteAction(pk, rk, "*"))
		} else {
			rest = append(rest, deleteAction(pk, rk, "*"))
		}
	}
	if err := s.submitTolerant(ctx, acts); err != nil {
		return calendar.Event{}, err
	}
	s.submitEach(ctx, rest)
	e.ETag = ETagOf(r.Version + 1)
	return e, nil
}

// submitTolerant submits a batch whose deletes of exceptions may find them
// gone already (a concurrent edit): such a batch fails whole with 404, so it
// is retried without them once the main row is known to be unchanged.
func (s *EventStore) submitTolerant(ctx context.Context, acts []aztables.TransactionAction) error {
	err := s.c.submitOwn(ctx, TableEvents, acts)
	if teamspro.ErrorCode(err) != teamspro.ENOTFOUND {
		return err
	}
	// Keep the writes and the deletes of projections (always present), and
	// delete the exceptions one by one afterwards.
	var core, later []aztables.TransactionAction
	for _, a := range acts {
		if a.ActionType == aztables.TransactionTypeDelete && strings.Contains(string(a.Entity), `"RowKey":"x|`) {
			later = append(later, a)
		} else {
			core = append(core, a)
		}
	}
	if len(later) == 0 {
		return err
	}
	if err := s.c.submit(ctx, TableEvents, core); err != nil {
		return err
	}
	s.submitEach(ctx, later)
	return nil
}

// submitEach runs actions one batch each, ignoring those already done: the
// clean-up of rows nothing reads any more.
func (s *EventStore) submitEach(ctx context.Context, acts []aztables.TransactionAction) {
	for _, a := range acts {
		_ = s.c.submit(ctx, TableEvents, []aztables.TransactionAction{a})
	}
}

// ReplaceSeries stores a split in one batch: the shortened series (guarded
// by the ETag read), the new series, and the exceptions moved to it. Moved
// exceptions beyond what one batch holds are added to the new series before
// the batch (rows of a series that does not exist yet are never read) and
// removed from the old one after it (past its new end, they are orphans).
func (s *EventStore) ReplaceSeries(ctx context.Context, tenantID string, sp calendar.Split, ifMatch string, out ...calendar.Outgoing) (calendar.Split, error) {
	b, a := sp.Before, sp.After
	if err := checkEvent(tenantID, b); err != nil {
		return calendar.Split{}, err
	}
	a.CalendarID = b.CalendarID
	if err := checkEvent(tenantID, a); err != nil {
		return calendar.Split{}, err
	}
	cur, r, err := s.readLive(ctx, tenantID, b.CalendarID, b.ID)
	if err != nil {
		return calendar.Split{}, err
	}
	if err := checkIfMatch(ifMatch, r.Version); err != nil {
		return calendar.Split{}, err
	}
	if b.CreatedAt.IsZero() {
		b.CreatedAt, b.CreatedBy = cur.CreatedAt, cur.CreatedBy
	}
	pk := calPK(tenantID, b.CalendarID)
	acts, err := eventActions(tenantID, b, r.Version+1, r.ETag)
	if err != nil {
		return calendar.Split{}, err
	}
	if old := projectionRow(cur); old != projectionRow(b) {
		acts = append(acts, deleteAction(pk, old, "*"))
	}
	after, err := eventActions(tenantID, a, 1, "")
	if err != nil {
		return calendar.Split{}, err
	}
	acts = append(acts, after...)
	if acts, err = withOutgoing(acts, tenantID, b.CalendarID, out); err != nil {
		return calendar.Split{}, err
	}
	var early, late []aztables.TransactionAction
	for i, x := range sp.AfterExceptions {
		x.SeriesID = a.ID
		sp.AfterExceptions[i].SeriesID = a.ID
		e, err := encodeRow(pk, exceptionRow(a.ID, x.OriginalStart), exceptionDocOf(x), 1, map[string]any{"SeriesID": a.ID})
		if err != nil {
			return calendar.Split{}, err
		}
		add := action(aztables.TransactionTypeInsertReplace, e, "")
		del := deleteAction(pk, exceptionRow(b.ID, x.OriginalStart), "*")
		if len(acts)+2 <= maxBatch {
			acts = append(acts, add, del)
		} else {
			early, late = append(early, add), append(late, del)
		}
		sp.AfterExceptions[i].ETag = ETagOf(1)
	}
	for _, act := range early {
		if err := s.c.submit(ctx, TableEvents, []aztables.TransactionAction{act}); err != nil {
			return calendar.Split{}, err
		}
	}
	if err := s.submitTolerant(ctx, acts); err != nil {
		if teamspro.ErrorCode(err) == teamspro.ECONFLICT {
			return calendar.Split{}, teamspro.Errorf(teamspro.ECONFLICT, "An event with id %q already exists.", a.ID)
		}
		return calendar.Split{}, err
	}
	s.submitEach(ctx, late)
	b.ETag, a.ETag = ETagOf(r.Version+1), ETagOf(1)
	sp.Before, sp.After = b, a
	return sp, nil
}

// PutException creates or replaces one occurrence's exception.
func (s *EventStore) PutException(ctx context.Context, tenantID, calendarID string, x calendar.Exception, ifMatch string, out ...calendar.Outgoing) (calendar.Exception, error) {
	series, _, err := s.readLive(ctx, tenantID, calendarID, x.SeriesID)
	if err != nil {
		return calendar.Exception{}, err
	}
	if series.Rule == nil {
		return calendar.Exception{}, teamspro.Errorf(teamspro.EINVALID, "The event is not recurring.")
	}
	pk, rk := calPK(tenantID, calendarID), exceptionRow(x.SeriesID, x.OriginalStart)
	cur, err := s.c.getRow(ctx, TableEvents, pk, rk, nil)
	exists := true
	switch teamspro.ErrorCode(err) {
	case "":
	case teamspro.ENOTFOUND:
		exists = false
	default:
		return calendar.Exception{}, err
	}
	if ifMatch != "" {
		if !exists {
			return calendar.Exception{}, teamspro.Errorf(teamspro.EPRECONDITION, "The occurrence has no change to match If-Match.")
		}
		if err := checkIfMatch(ifMatch, cur.Version); err != nil {
			return calendar.Exception{}, err
		}
	}
	version := cur.Version + 1
	e, err := encodeRow(pk, rk, exceptionDocOf(x), version, map[string]any{"SeriesID": x.SeriesID, "Cancelled": x.Cancelled})
	if err != nil {
		return calendar.Exception{}, err
	}
	act := action(aztables.TransactionTypeAdd, e, "")
	if exists {
		act = action(aztables.TransactionTypeUpdateReplace, e, cur.ETag)
	}
	acts, err := withOutgoing([]aztables.TransactionAction{act}, tenantID, calendarID, out)
	if err != nil {
		return calendar.Exception{}, err
	}
	if err := s.c.submitOwn(ctx, TableEvents, acts); err != nil {
		if c := teamspro.ErrorCode(err); c == teamspro.ECONFLICT || c == teamspro.ENOTFOUND {
			return calendar.Exception{}, teamspro.Errorf(teamspro.EPRECONDITION, "The occurrence was changed meanwhile; read it again.")
		}
		return calendar.Exception{}, err
	}
	return exceptionDocOf(x).exception(calendarID, version), nil
}

// DeleteException removes an exception.
func (s *EventStore) DeleteException(ctx context.Context, tenantID, calendarID, seriesID string, originalStart time.Time) error {
	if err := checkKey(tenantID, calendarID, seriesID); err != nil {
		return err
	}
	err := s.c.removeOwn(ctx, func(ctx context.Context) error {
		return s.c.submit(ctx, TableEvents, []aztables.TransactionAction{deleteAction(calPK(tenantID, calendarID), exceptionRow(seriesID, originalStart), "*")})
	})
	if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
		return teamspro.Errorf(teamspro.ENOTFOUND, "The occurrence has no change.")
	}
	return err
}

// Exceptions returns the exceptions of one series: one range query.
func (s *EventStore) Exceptions(ctx context.Context, tenantID, calendarID, seriesID string) ([]calendar.Exception, error) {
	if err := checkKey(tenantID, calendarID, seriesID); err != nil {
		return nil, err
	}
	var out []calendar.Exception
	err := s.query(ctx, calPK(tenantID, calendarID), "x|"+seriesID+"|", "x|"+seriesID+"|~", 0, func(r *docRow) (bool, error) {
		var d exceptionDoc
		if err := decodeDoc(calPK(tenantID, calendarID), r, &d); err != nil {
			return false, err
		}
		out = append(out, d.exception(calendarID, int64(r.Version)))
		return true, nil
	})
	return out, err
}

// query reads the rows of one partition whose RowKey is in [from, to),
// calling fn for each until it returns false. top > 0 asks pages that size.
// Each page is decoded once, selecting only the key, the document and the
// version (see listEntities).
func (s *EventStore) query(ctx context.Context, pk, from, to string, top int32, fn func(r *docRow) (bool, error)) error {
	filter := eq("PartitionKey", pk) + " and RowKey ge " + quote(from) + " and RowKey lt " + quote(to)
	sel := docSelect
	opts := &aztables.ListEntitiesOptions{Filter: &filter, Select: &sel}
	if top > 0 {
		opts.Top = &top
	}
	return listEntities(ctx, s.c, TableEvents, opts, "list events", func(rows []docRow) (bool, error) {
		for i := range rows {
			more, err := fn(&rows[i])
			if err != nil || !more {
				return more, err
			}
		}
		return true, nil
	})
}

// ListWindow reads what a view of [from, to) needs with three range
// queries of the calendar's partition, run concurrently: the "s|" rows
// from 8 days before the window to a day after it, the whole "l|" and "r|"
// rows (one range, nothing sorts between them), and the whole "x|" rows.
func (s *EventStore) ListWindow(ctx context.Context, tenantID, calendarID string, from, to time.Time) (calendar.Window, error) {
	if err := checkKey(tenantID, calendarID); err != nil {
		return calendar.Window{}, err
	}
	var v teamspro.Validation
	if v.Check(!from.IsZero() && !to.IsZero() && to.After(from), "to", "must be after from") {
		v.Check(to.Sub(from) <= calendar.MaxWindow, "to", fmt.Sprintf("the window may span at most %d days", int(calendar.MaxWindow.Hours()/24)))
	}
	if err := v.Err(); err != nil {
		return calendar.Window{}, err
	}
	pk := calPK(tenantID, calendarID)
	var (
		wg            sync.WaitGroup
		singles, rest []calendar.Event
		exceptions    []calendar.Exception
		errs          [3]error
	)
	events := func(dst *[]calendar.Event, keep func(calendar.Event) bool) func(r *docRow) (bool, error) {
		return func(r *docRow) (bool, error) {
			var d eventDoc
			if err := decodeDoc(pk, r, &d); err != nil {
				return false, err
			}
			if e := d.event(calendarID, int64(r.Version)); keep(e) {
				*dst = append(*dst, e)
			}
			return true, nil
		}
	}
	wg.Add(3)
	go func() {
		defer wg.Done()
		lo, hi := from.Add(-longEvent-24*time.Hour), to.Add(24*time.Hour)
		errs[0] = s.query(ctx, pk, startRow(lo, ""), startRow(hi, ""), 0, events(&singles, func(calendar.Event) bool { return true }))
	}()
	go func() {
		defer wg.Done()
		// A series whose UNTIL, plus an occurrence's length and the widest
		// gap between zones, ends before the window has nothing in it.
		errs[1] = s.query(ctx, pk, "l|", "r|~", 0, events(&rest, func(e calendar.Event) bool {
			if e.Rule != nil && !e.Rule.Until.IsZero() {
				return !e.Rule.Until.Add(e.Duration() + 48*time.Hour).Before(from)
			}
			if e.Rule == nil {
				return e.Start.Before(to.Add(24*time.Hour)) && e.End.After(from.Add(-24*time.Hour))
			}
			return e.Start.Before(to.Add(24 * time.Hour))
		}))
	}()
	go func() {
		defer wg.Done()
		errs[2] = s.query(ctx, pk, "x|", "x|~", 0, func(r *docRow) (bool, error) {
			var d exceptionDoc
			if err := decodeDoc(pk, r, &d); err != nil {
				return false, err
			}
			exceptions = append(exceptions, d.exception(calendarID, int64(r.Version)))
			return true, nil
		})
	}()
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return calendar.Window{}, err
		}
	}
	return calendar.Window{Events: append(singles, rest...), Exceptions: exceptions}, nil
}

// Delete soft-deletes a live event: its "e|" row is marked deleted, its
// projection removed and its tombstone added, in one batch. A series' exceptions
// stay, so that a restore brings them back.
func (s *EventStore) Delete(ctx context.Context, tenantID, calendarID, eventID, ifMatch string, at time.Time, out ...calendar.Outgoing) error {
	cur, r, err := s.readLive(ctx, tenantID, calendarID, eventID)
	if err != nil {
		return err
	}
	if err := checkIfMatch(ifMatch, r.Version); err != nil {
		return err
	}
	pk := calPK(tenantID, calendarID)
	cur.Deleted, cur.DeletedAt = true, at.UTC().Truncate(time.Second)
	cur.Sequence++ // the CANCEL invitees get; a restore's REQUEST is newer still
	acts, err := eventActions(tenantID, cur, r.Version+1, r.ETag)
	if err != nil {
		return err
	}
	tomb, err := encodeRow(pk, tombRow(cur.DeletedAt, eventID), docOf(cur), r.Version+1, map[string]any{"EventID": eventID})
	if err != nil {
		return err
	}
	acts = append(acts, deleteAction(pk, projectionRow(cur), "*"), action(aztables.TransactionTypeInsertReplace, tomb, ""))
	if acts, err = withOutgoing(acts, tenantID, calendarID, out); err != nil {
		return err
	}
	return s.c.submitOwn(ctx, TableEvents, acts)
}

// Restore undeletes an event: the reverse batch of Delete.
func (s *EventStore) Restore(ctx context.Context, tenantID, calendarID, eventID string, out ...calendar.Outgoing) (calendar.Event, error) {
	cur, r, err := s.read(ctx, tenantID, calendarID, eventID)
	if err != nil {
		return calendar.Event{}, err
	}
	if !cur.Deleted {
		return calendar.Event{}, teamspro.Errorf(teamspro.ENOTFOUND, "The event is not deleted.")
	}
	deletedAt := cur.DeletedAt
	cur.Deleted, cur.DeletedAt = false, time.Time{}
	cur.Sequence++ // newer than the CANCEL its deletion sent
	acts, err := eventActions(tenantID, cur, r.Version+1, r.ETag)
	if err != nil {
		return calendar.Event{}, err
	}
	acts = append(acts, deleteAction(calPK(tenantID, calendarID), tombRow(deletedAt, eventID), "*"))
	if acts, err = withOutgoing(acts, tenantID, calendarID, out); err != nil {
		return calendar.Event{}, err
	}
	if err := s.c.submitOwn(ctx, TableEvents, acts); err != nil {
		if c := teamspro.ErrorCode(err); c == teamspro.ENOTFOUND || c == teamspro.EPRECONDITION {
			return calendar.Event{}, teamspro.Errorf(teamspro.ENOTFOUND, "The event was restored or purged meanwhile.")
		}
		return calendar.Event{}, err
	}
	cur.ETag = ETagOf(r.Version + 1)
	return cur, nil
}

// ListDeleted pages through the tombstones, most recently deleted first. The
// token is the last row key returned, so a page is one range query that
// starts after it.
func (s *EventStore) ListDeleted(ctx context.Context, tenantID, calendarID string, page calendar.Page) ([]calendar.Event, string, error) {
	if err := checkKey(tenantID, calendarID); err != nil {
		return nil, "", err
	}
	limit := page.Limit
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	from := "d|"
	if page.Token != "" {
		b, err := base64.RawURLEncoding.DecodeString(page.Token)
		if err != nil || !strings.HasPrefix(string(b), "d|") || checkKey(string(b)) != nil {
			return nil, "", teamspro.Errorf(teamspro.EINVALID, "The page token is not valid.")
		}
		from = string(b) + " " // the first key after it: ids hold no character below "-"
	}
	out := []calendar.Event{}
	next, last := "", ""
	err := s.query(ctx, calPK(tenantID, calendarID), from, "d|~", int32(limit+1), func(r *docRow) (bool, error) {
		if len(out) == limit {
			next = base64.RawURLEncoding.EncodeToString([]byte(last))
			return false, nil
		}
		var d eventDoc
		if err := decodeDoc(calPK(tenantID, calendarID), r, &d); err != nil {
			return false, err
		}
		out = append(out, d.event(calendarID, int64(r.Version)))
		last = r.RowKey
		return true, nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// PurgeDeleted removes the tenant's events deleted before olderThan: one
// query over the tenant's calendar partitions for the tombstones in range.
func (s *EventStore) PurgeDeleted(ctx context.Context, tenantID string, olderThan time.Time) (int, error) {
	if !teamspro.IsGUID(tenantID) && checkKey(tenantID) != nil {
		return 0, teamspro.Errorf(teamspro.EINVALID, "Not a tenant id.")
	}
	return s.purge(ctx, prefixRange("PartitionKey", tenantID+"|")+" and ", olderThan)
}

// PurgeAllDeleted is PurgeDeleted for every tenant at once, for the daily
// timer. Its query filters on RowKey alone, which the service answers by
// reading the table; once a day that is the price of not keeping a
// cross-tenant index that every delete would have to write outside its
// partition's batch.
func (s *EventStore) PurgeAllDeleted(ctx context.Context, olderThan time.Time) (int, error) {
	return s.purge(ctx, "", olderThan)
}

func (s *EventStore) purge(ctx context.Context, scope string, olderThan time.Time) (int, error) {
	// Tombstones of deletions before olderThan have an inverted key above
	// that of olderThan.
	filter := scope + "RowKey ge " + quote(tombPrefix(olderThan.Add(-time.Second))) + " and RowKey lt " + quote("d|~")
	pager := s.c.table(TableEvents).NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter})
	type tomb struct{ pk, rk, etag, id string }
	var tombs []tomb
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return 0, translate(err, "list deleted events")
		}
		for _, raw := range page.Entities {
			var cols struct {
				EventID string `json:"EventID"`
			}
			r, err := decodeRow(raw, nil)
			if err != nil {
				return 0, err
			}
			if err := decodeInto(raw, &cols); err != nil {
				return 0, err
			}
			tombs = append(tombs, tomb{r.PartitionKey, r.RowKey, r.ETag, cols.EventID})
		}
	}
	n := 0
	for _, t := range tombs {
		if t.id == "" {
			continue
		}
		// The tombstone, guarded by its ETag, goes with the event: a restore
		// meanwhile removed it, and then this batch fails and keeps the event.
		acts := []aztables.TransactionAction{deleteAction(t.pk, t.rk, t.etag), deleteAction(t.pk, eventRow(t.id), "*")}
		var xs []string
		err := s.query(ctx, t.pk, "x|"+t.id+"|", "x|"+t.id+"|~", 0, func(r *docRow) (bool, error) {
			xs = append(xs, r.RowKey)
			return true, nil
		})
		if err != nil {
			return n, err
		}
		var rest []aztables.TransactionAction
		for _, rk := range xs {
			if len(acts) < maxBatch {
				acts = append(acts, deleteAction(t.pk, rk, "*"))
			} else {
				rest = append(rest, deleteAction(t.pk, rk, "*"))
			}
		}
		err = s.c.submit(ctx, TableEvents, acts)
		switch teamspro.ErrorCode(err) {
		case "":
			n++
			s.submitEach(ctx, rest)
		case teamspro.EPRECONDITION, teamspro.ENOTFOUND:
			// restored, or purged by another run, meanwhile
		default:
			return n, err
		}
	}
	return n, nil
}

// The ICS feed of a calendar is found from its secret token by the token's
// hash, in one point read of the apikeys table's shared hash partition (row
// "feed|<sha256>", with TenantId and CalendarId columns, so that an
// organization's purge removes it like its API keys' hashes), then checked
// against the calendar's own "feed" row, which names the current hash: a
// hash row left behind by an interrupted rotation never opens a feed.

const feedRow = "feed"

func feedHashRow(hash string) string { return "feed|" + hash }

type feedDoc struct {
	Hash      string    `json:"hash"`
	CreatedBy string    `json:"createdBy,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
}

// SetFeed makes hash the calendar's feed token, replacing any previous one,
// which stops working at once.
func (s *EventStore) SetFeed(ctx context.Context, tenantID, calendarID, hash, by string, at time.Time) error {
	if err := checkKey(tenantID, calendarID, hash); err != nil {
		return err
	}
	pk := calPK(tenantID, calendarID)
	var old feedDoc
	cur, err := s.c.getRow(ctx, TableEvents, pk, feedRow, &old)
	if err != nil && teamspro.ErrorCode(err) != teamspro.ENOTFOUND {
		return err
	}
	h, err := encodeRow(hashPartition, feedHashRow(hash), nil, 1, map[string]any{"TenantId": tenantID, "CalendarId": calendarID})
	if err != nil {
		return err
	}
	if err := s.c.addOwn(ctx, TableAPIKeys, h, "add feed hash"); err != nil {
		return err
	}
	f, err := encodeRow(pk, feedRow, feedDoc{Hash: hash, CreatedBy: by, CreatedAt: at.UTC()}, cur.Version+1, nil)
	if err != nil {
		return err
	}
	act := action(aztables.TransactionTypeAdd, f, "")
	if cur.ETag != "" {
		act = action(aztables.TransactionTypeUpdateReplace, f, cur.ETag)
	}
	if err := s.c.submitOwn(ctx, TableEvents, []aztables.TransactionAction{act}); err != nil {
		_, _ = s.c.table(TableAPIKeys).DeleteEntity(context.WithoutCancel(ctx), hashPartition, feedHashRow(hash), nil)
		if c := teamspro.ErrorCode(err); c == teamspro.ECONFLICT || c == teamspro.ENOTFOUND {
			return teamspro.Errorf(teamspro.EPRECONDITION, "The feed was changed meanwhile; try again.")
		}
		return err
	}
	if old.Hash != "" && old.Hash != hash {
		_, _ = s.c.table(TableAPIKeys).DeleteEntity(ctx, hashPartition, feedHashRow(old.Hash), nil)
	}
	return nil
}

// RevokeFeed removes the calendar's feed token. ENOTFOUND if it has none.
func (s *EventStore) RevokeFeed(ctx context.Context, tenantID, calendarID string) error {
	if err := checkKey(tenantID, calendarID); err != nil {
		return err
	}
	pk := calPK(tenantID, calendarID)
	var old feedDoc
	cur, err := s.c.getRow(ctx, TableEvents, pk, feedRow, &old)
	if err != nil {
		if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
			return teamspro.Errorf(teamspro.ENOTFOUND, "The calendar has no feed.")
		}
		return err
	}
	if err := s.c.removeOwn(ctx, func(ctx context.Context) error {
		return s.c.submit(ctx, TableEvents, []aztables.TransactionAction{deleteAction(pk, feedRow, cur.ETag)})
	}); err != nil {
		return err
	}
	return s.c.deleteIfPresent(ctx, TableAPIKeys, hashPartition, feedHashRow(old.Hash), "delete feed hash")
}

// FeedByHash returns the calendar whose current feed token has this hash:
// two point reads. ENOTFOUND for an unknown, rotated or revoked token.
func (s *EventStore) FeedByHash(ctx context.Context, hash string) (tenantID, calendarID string, err error) {
	gone := teamspro.Errorf(teamspro.ENOTFOUND, "No such feed.")
	if err := checkKey(hash); err != nil {
		return "", "", gone
	}
	resp, err := s.c.getEntity(ctx, TableAPIKeys, hashPartition, feedHashRow(hash))
	if err != nil {
		if err = translate(err, "get feed"); teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
			return "", "", gone
		}
		return "", "", err
	}
	var cols struct {
		TenantID   string `json:"TenantId"`
		CalendarID string `json:"CalendarId"`
	}
	if err := decodeInto(resp.Value, &cols); err != nil {
		return "", "", err
	}
	if checkKey(cols.TenantID, cols.CalendarID) != nil {
		return "", "", gone
	}
	var cur feedDoc
	if _, err := s.c.getRow(ctx, TableEvents, calPK(cols.TenantID, cols.CalendarID), feedRow, &cur); err != nil {
		if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
			return "", "", gone
		}
		return "", "", err
	}
	if cur.Hash != hash {
		return "", "", gone
	}
	return cols.TenantID, cols.CalendarID, nil
}
