package tables

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/findtime"
	"github.com/teamspro/functions/internal/teamspro"
)

// The backfill of what was stored before a feature that reads it. Each
// feature that needs old rows brought in step is a step of one mechanism
// (backfillSteps), done organization after organization with the same
// markers, progress row and budget:
//
//   - events and reservations: the busy index (below);
//   - status: the Status column of the reservation index rows, which
//     ReservationStore.Pending queries (see statuses).
//
// The busy index's steps. The index is fed by the change streams of
// events and reservations (see BusyStore), so what was stored before it
// existed counts only once it next changes. The backfill walks each
// organization's events and reservations once and hands every one to the
// same projection the live feeders use: EventChanged for an event (the
// relay's own call), and reservationRows through BusyStore.apply for a
// reservation (what the roll-forward writes). Its rows are therefore exactly
// the live feeders' rows, and Verify checks them like any other.
//
// Progress is kept per organization in a marker row of its source partition
//
//	partition "<tenant>|src"  row "backfill|v1"
//
// (the step under way, the last item each step did, and the reservations
// written but not yet confirmed), replaced under If-Match after every chunk,
// so that a crash or a storage failure loses at most one chunk, which is done
// again (every step is idempotent), and two timers running at once do not
// both advance it: the one that loses the race stops for this run. The
// organizations are taken one after another from the tabs table (whose
// partition is the tenant id: one query of one row finds the next), and a
// cross-tenant row records the last one finished and, at the end, that all
// are:
//
//	partition "backfill"      row "v1"
//
// so that once done, a run costs one point read. Both record the last step
// they went through (Through), so that a step added later is done alone by
// the organizations through the earlier ones. No request path reads any of
// it.
//
// Concurrency with live writes. An event is safe by construction:
// EventChanged recomputes the rows from the event as stored and guards them
// with the source row's ETag, however many run at once. A reservation's rows
// have no such guard (the roll-forward writes them unconditionally, its
// changes being serialised by the intent), so the backfill must never leave
// the rows of a version that a live change has already replaced. For a chunk
// of reservations it:
//
//  1. lists the organization's open operations (the intent pointers, written
//     before an operation's first step and deleted after its last);
//  2. reads each reservation as stored; one that an open operation names is
//     left for later (its operation is under way and projects itself, or
//     aborts and leaves the stored state, which a later run writes);
//  3. records in the marker which rows it is about to write (so that a
//     crash never leaves rows nobody knows of), then writes them;
//  4. lists the open operations again and reads each reservation again.
//     Unchanged, with no operation met either time, the reservation was
//     stored before the write and any later change projects itself after
//     it (a change becomes visible in storage before its roll-forward
//     writes its rows, and its pointer outlives that write): the written
//     rows stand. Otherwise the reservation stays in the marker with the
//     rows written, and the next run rewrites it from the state then
//     stored, deleting what that state does not keep.
//
// The cost is a few reads per reservation and one batch per person and
// chunk, spread over as many runs as the budget asks: bounded work per run.
type BusyBackfill struct {
	c    *Client
	busy *BusyStore
	res  *ReservationStore
	// Chunk is how many reservations are written between two marker
	// updates (and how many events).
	Chunk int
	// Now stamps the markers.
	Now func() time.Time
}

var _ findtime.Backfill = (*BusyBackfill)(nil)

// NewBusyBackfill returns the backfill of c's busy index.
func NewBusyBackfill(c *Client) *BusyBackfill {
	res := NewReservationStore(c)
	return &BusyBackfill{c: c, busy: res.busy, res: res, Chunk: 25, Now: time.Now}
}

const (
	backfillRow       = "backfill|v1"
	backfillGlobalPK  = "backfill"
	backfillGlobalRow = "v1"

	phaseEvents       = "events"
	phaseReservations = "reservations"
	phaseStatus       = "status"
	phaseDone         = "done"
)

// backfillStep is one step of an organization's backfill: run does up to n
// items of it from the marker on, records its progress in the marker (the
// caller saves it), and calls advance when the step has nothing left. more
// is false when the run should stop here.
type backfillStep struct {
	phase string
	run   func(b *BusyBackfill, ctx context.Context, m *marker, n int) (done int, more bool, err error)
}

// backfillSteps are the steps in the order an organization goes through
// them. A step added later is appended: the markers and the progress row
// record the last step they finished (Through), so an organization (and the
// walk over them) that finished the earlier steps goes on with the new one
// alone, and nothing is done twice.
// (A function, not a variable: the steps refer back to it through advance.)
func backfillSteps() []backfillStep {
	return []backfillStep{
		{phaseEvents, (*BusyBackfill).events},
		{phaseReservations, (*BusyBackfill).reservations},
		{phaseStatus, (*BusyBackfill).statuses},
	}
}

// lastStep is the phase of the last step.
func lastStep() string { return backfillSteps()[len(backfillSteps())-1].phase }

// legacyThrough is the last step of markers and progress rows written
// before they recorded one: the busy index's two steps.
const legacyThrough = phaseReservations

// stepAfter returns the phase that follows the step named phase (phaseDone
// after the last).
func stepAfter(phase string) string {
	for i, st := range backfillSteps() {
		if st.phase == phase && i+1 < len(backfillSteps()) {
			return backfillSteps()[i+1].phase
		}
	}
	return phaseDone
}

// stepIndex is the position of the step named phase (len(backfillSteps())
// for phaseDone, -1 for none).
func stepIndex(phase string) int {
	if phase == phaseDone {
		return len(backfillSteps())
	}
	return slices.IndexFunc(backfillSteps(), func(st backfillStep) bool { return st.phase == phase })
}

// advance moves m to the step after its current one, or marks it done.
func (b *BusyBackfill) advance(m *marker) {
	m.doc.Phase = stepAfter(m.doc.Phase)
	if m.doc.Phase == phaseDone {
		m.doc.Through, m.doc.Finished = lastStep(), b.Now().UTC()
	}
}

// backfillDoc is an organization's marker.
type backfillDoc struct {
	Phase string `json:"phase"`
	// EventPK and EventRK are the last event done (its partition and row).
	EventPK string `json:"eventPK,omitempty"`
	EventRK string `json:"eventRK,omitempty"`
	// After is the last reservation id taken from the index.
	After string `json:"after,omitempty"`
	// Pending are reservations taken whose rows are not confirmed yet.
	Pending []pendingRes `json:"pending,omitempty"`
	// StatusAfter is the last index row the status step went through.
	StatusAfter string `json:"statusAfter,omitempty"`
	// Through is, once Phase is done, the last step done then ("":
	// legacyThrough).
	Through string `json:"through,omitempty"`
	// Stamped counts the index rows the status step gave a Status.
	Stamped int `json:"stamped,omitempty"`
	// Events and Reservations count what was done.
	Events       int       `json:"events"`
	Reservations int       `json:"reservations"`
	Started      time.Time `json:"started"`
	Finished     time.Time `json:"finished,omitzero"`
}

// pendingRes is a reservation of the backfill with the rows the backfill may
// have written for it ([partition, row]).
type pendingRes struct {
	ID    string      `json:"id"`
	Day   string      `json:"day"`
	Wrote [][2]string `json:"wrote,omitempty"`
}

// globalDoc is the cross-tenant progress.
type globalDoc struct {
	// Last is the last organization finished, in tenant id order.
	Last string `json:"last,omitempty"`
	Done bool   `json:"done,omitempty"`
	// Through is the last step of the walk recorded here ("":
	// legacyThrough); a walk for fewer steps than there are starts over.
	Through string `json:"through,omitempty"`
}

// covers reports whether the walk recorded in g is the one of every step.
func (g globalDoc) covers() bool { return g.Through == lastStep() }

// Backfill does up to budget items of backfill work (an event, a
// reservation, or a step from one organization to the next), organization
// after organization, and reports how far it got. Safe to run concurrently
// with itself and with every live change.
func (b *BusyBackfill) Backfill(ctx context.Context, budget int) (findtime.BackfillReport, error) {
	var rep findtime.BackfillReport
	var g globalDoc
	r, err := b.c.getRow(ctx, TableBusy, backfillGlobalPK, backfillGlobalRow, &g)
	etag := r.ETag
	switch {
	case teamspro.ErrorCode(err) == teamspro.ENOTFOUND:
		etag = ""
	case err != nil:
		return rep, err
	case g.Done && g.covers():
		rep.Done = true
		return rep, nil
	}
	if !g.covers() {
		// A walk of earlier steps only (or none yet): start over with
		// every step; organizations that did the earlier ones go on
		// from their markers.
		g = globalDoc{Through: lastStep()}
	}
	for budget > 0 {
		tenantID, err := b.nextTenant(ctx, g.Last)
		if err != nil {
			return rep, err
		}
		budget--
		if tenantID == "" {
			g.Done = true
		} else {
			tr, err := b.Tenant(ctx, tenantID, budget)
			rep.Items += tr.Items
			budget -= tr.Items
			if err != nil || !tr.Done {
				return rep, err
			}
			rep.Tenants++
			g.Last = tenantID
		}
		if etag, err = b.putGlobal(ctx, g, etag); err != nil {
			if teamspro.ErrorCode(err) == teamspro.ECONFLICT {
				return rep, nil // another run is ahead: it goes on
			}
			return rep, err
		}
		if g.Done {
			rep.Done = true
			return rep, nil
		}
	}
	return rep, nil
}

// nextTenant returns the first organization after after that has tabs ("":
// none). The tabs table's partition is the tenant id, so this is one query
// answering one row.
func (b *BusyBackfill) nextTenant(ctx context.Context, after string) (string, error) {
	f := "PartitionKey gt " + quote(after)
	var next string
	err := listEntities(ctx, b.c, TableTabs, &aztables.ListEntitiesOptions{Filter: &f, Select: to("PartitionKey"), Top: to(int32(1))}, "list organizations",
		func(rows []struct{ PartitionKey string }) (bool, error) {
			if len(rows) > 0 {
				next = rows[0].PartitionKey
			}
			// A page may come back empty with a continuation (Azure does
			// so across partition ranges): only a row, or the end, answers.
			return next == "", nil
		})
	if next != "" && !teamspro.IsGUID(next) {
		// Not a tenant's partition: step past it.
		return b.nextTenant(ctx, next)
	}
	return next, err
}

func (b *BusyBackfill) putGlobal(ctx context.Context, g globalDoc, etag string) (string, error) {
	e, err := encodeRow(backfillGlobalPK, backfillGlobalRow, g, 0, nil)
	if err != nil {
		return "", err
	}
	return b.put(ctx, e, etag, "backfill progress")
}

// put adds e (etag "") or replaces it if unchanged; ECONFLICT on a race.
func (b *BusyBackfill) put(ctx context.Context, e []byte, etag, what string) (string, error) {
	t := b.c.table(TableBusy)
	if etag == "" {
		resp, err := t.AddEntity(ctx, e, nil)
		if err != nil {
			if statusOf(err) == 409 || hasCode(err, "EntityAlreadyExists") {
				return "", teamspro.Errorf(teamspro.ECONFLICT, "The %s was written meanwhile.", what)
			}
			return "", translate(err, "add "+what)
		}
		return string(resp.ETag), nil
	}
	resp, err := t.UpdateEntity(ctx, e, &aztables.UpdateEntityOptions{IfMatch: to(azETag(etag)), UpdateMode: aztables.UpdateModeReplace})
	if err != nil {
		if statusOf(err) == 412 || statusOf(err) == 404 {
			return "", teamspro.Errorf(teamspro.ECONFLICT, "The %s was written meanwhile.", what)
		}
		return "", translate(err, "replace "+what)
	}
	return string(resp.ETag), nil
}

// marker is an organization's marker as read, with its storage ETag.
type marker struct {
	tenantID string
	doc      backfillDoc
	etag     string
}

func (b *BusyBackfill) save(ctx context.Context, m *marker) error {
	e, err := encodeBig(busySrcPK(m.tenantID), backfillRow, m.doc, map[string]any{"Phase": m.doc.Phase})
	if err != nil {
		return err
	}
	m.etag, err = b.put(ctx, e, m.etag, "backfill marker")
	return err
}

// Tenant does up to budget items of one organization's backfill. Done is
// true once the organization is complete; false when the budget ran out,
// when a reservation waits for an operation under way, or when another run
// took the marker meanwhile.
func (b *BusyBackfill) Tenant(ctx context.Context, tenantID string, budget int) (findtime.BackfillReport, error) {
	var rep findtime.BackfillReport
	if !teamspro.IsGUID(tenantID) {
		return rep, teamspro.Errorf(teamspro.EINVALID, "Not a tenant id.")
	}
	// An organization being purged is left alone: the backfill would only
	// write what the purge is deleting.
	if open, err := b.openOperations(ctx, tenantID); err != nil || open[purgeKey] {
		return rep, err
	}
	m := &marker{tenantID: tenantID}
	resp, err := b.c.getEntity(ctx, TableBusy, busySrcPK(tenantID), backfillRow)
	switch {
	case err == nil:
		if err := decodeBig(resp.Value, &m.doc); err != nil {
			return rep, err
		}
		m.etag = string(resp.ETag)
		if m.doc.Phase == phaseDone && m.doc.Through != lastStep() {
			// Done before a later step existed: that step next.
			m.doc.Phase = cmp.Or(m.doc.Through, legacyThrough)
			b.advance(m)
		}
	case teamspro.ErrorCode(translate(err, "get backfill marker")) == teamspro.ENOTFOUND:
		m.doc = backfillDoc{Phase: phaseEvents, Started: b.Now().UTC()}
	default:
		return rep, translate(err, "get backfill marker")
	}
	for budget > 0 && m.doc.Phase != phaseDone {
		i := stepIndex(m.doc.Phase)
		if i < 0 {
			return rep, teamspro.Errorf(teamspro.EINTERNAL, "Unknown backfill phase %q.", m.doc.Phase)
		}
		n, more, err := backfillSteps()[i].run(b, ctx, m, min(budget, b.Chunk))
		rep.Items += n
		budget -= max(n, 1)
		if teamspro.ErrorCode(err) == teamspro.ECONFLICT {
			return rep, nil // another run took the marker: it goes on
		}
		if err != nil || !more {
			return rep, err
		}
	}
	rep.Done = m.doc.Phase == phaseDone
	return rep, nil
}

// events hands up to n events after the marker's to EventChanged, then
// records them done. more is false when the run should stop here.
func (b *BusyBackfill) events(ctx context.Context, m *marker, n int) (int, bool, error) {
	type key struct{ PartitionKey, RowKey string }
	var todo []key
	list := func(f string) error {
		return listEntities(ctx, b.c, TableEvents, &aztables.ListEntitiesOptions{Filter: &f, Select: to("PartitionKey,RowKey"), Top: to(int32(n))}, "list events",
			func(rows []key) (bool, error) {
				for _, r := range rows {
					if len(todo) < n {
						todo = append(todo, r)
					}
				}
				return len(todo) < n, nil
			})
	}
	tenant := m.tenantID
	events := " and RowKey ge 'e|' and RowKey lt 'e|~'"
	if m.doc.EventPK != "" {
		// The rest of the partition of the last event done, then the
		// partitions after it: two plain range queries.
		if err := list(eq("PartitionKey", m.doc.EventPK) + " and RowKey gt " + quote(m.doc.EventRK) + " and RowKey lt 'e|~'"); err != nil {
			return 0, false, err
		}
	}
	if len(todo) < n {
		from := "PartitionKey ge " + quote(tenant+"|")
		if m.doc.EventPK != "" {
			from = "PartitionKey gt " + quote(m.doc.EventPK)
		}
		if err := list(from + " and PartitionKey lt " + quote(tenant+"|~") + events); err != nil {
			return 0, false, err
		}
	}
	for _, k := range todo {
		calendarID := strings.TrimPrefix(k.PartitionKey, tenant+"|")
		if err := b.busy.EventChanged(ctx, tenant, calendarID, strings.TrimPrefix(k.RowKey, "e|")); err != nil {
			return 0, false, err
		}
	}
	if len(todo) > 0 {
		last := todo[len(todo)-1]
		m.doc.EventPK, m.doc.EventRK = last.PartitionKey, last.RowKey
		m.doc.Events += len(todo)
	}
	if len(todo) < n {
		b.advance(m)
	}
	if err := b.save(ctx, m); err != nil {
		return len(todo), false, err
	}
	return len(todo), true, nil
}

// reservations takes up to n reservations (those pending first, then the
// next ones of the index) through the steps described at BusyBackfill. more
// is false when the run should stop here: a reservation waits for an
// operation under way.
func (b *BusyBackfill) reservations(ctx context.Context, m *marker, n int) (int, bool, error) {
	tenant := m.tenantID
	items := append([]pendingRes(nil), m.doc.Pending...)
	if len(items) < n {
		f := eq("PartitionKey", idxPK(tenant)) + " and RowKey gt " + quote(m.doc.After)
		err := listEntities(ctx, b.c, TableBookings, &aztables.ListEntitiesOptions{Filter: &f, Select: to("RowKey,Day"), Top: to(int32(n - len(items)))}, "list reservations",
			func(rows []struct{ RowKey, Day string }) (bool, error) {
				for _, r := range rows {
					if len(items) < n {
						items = append(items, pendingRes{ID: r.RowKey, Day: r.Day})
						m.doc.After = r.RowKey
					}
				}
				return len(items) < n, nil
			})
		if err != nil {
			return 0, false, err
		}
	}
	if len(items) == 0 {
		b.advance(m)
		return 0, true, b.save(ctx, m)
	}
	// 1-2: what is open, then what is stored.
	open, err := b.openOperations(ctx, tenant)
	if err != nil {
		return 0, false, err
	}
	type taken struct {
		p    pendingRes
		x    *rec // nil: no such reservation (any more)
		wait bool
	}
	ts := make([]taken, len(items))
	for i, it := range items {
		x, err := b.current(ctx, tenant, it.ID, it.Day)
		if err != nil {
			return 0, false, err
		}
		ts[i] = taken{p: it, x: x, wait: open.names(it.ID, x)}
	}
	// 3: the rows about to be written are recorded first.
	old, want := busyRowSet{}, busyRowSet{}
	m.doc.Pending = nil
	for i := range ts {
		t := &ts[i]
		if t.wait {
			m.doc.Pending = append(m.doc.Pending, t.p)
			continue
		}
		rows := busyRowSet{}
		if t.x != nil {
			rows = reservationRows(tenant, &t.x.R)
		}
		wrote := busyRowSet{}
		for _, r := range t.p.Wrote {
			old.put(r[0], r[1], nil)
			wrote.put(r[0], r[1], nil)
		}
		for pk, rs := range rows {
			for rk, cols := range rs {
				want.put(pk, rk, cols)
				wrote.put(pk, rk, nil)
			}
		}
		day := t.p.Day
		if t.x != nil {
			day = t.x.R.Day
		}
		m.doc.Pending = append(m.doc.Pending, pendingRes{ID: t.p.ID, Day: day, Wrote: docOfSet(wrote).Rows})
	}
	if err := b.save(ctx, m); err != nil {
		return 0, false, err
	}
	if err := b.busy.apply(ctx, old, want); err != nil {
		return 0, false, err
	}
	// 4: what is open now, and whether each reservation stayed as read.
	again, err := b.openOperations(ctx, tenant)
	if err != nil {
		return 0, false, err
	}
	m.doc.Pending = nil
	done := 0
	for i := range ts {
		t := &ts[i]
		if t.wait {
			m.doc.Pending = append(m.doc.Pending, t.p)
			continue
		}
		x, err := b.current(ctx, tenant, t.p.ID, dayOr(t.x, t.p.Day))
		if err != nil {
			return 0, false, err
		}
		if !again.names(t.p.ID, t.x) && !again.names(t.p.ID, x) && sameVersion(t.x, x) {
			done++
			continue
		}
		var wrote [][2]string
		if t.x != nil {
			wrote = docOfSet(reservationRows(tenant, &t.x.R)).Rows
		}
		m.doc.Pending = append(m.doc.Pending, pendingRes{ID: t.p.ID, Day: dayOr(x, dayOr(t.x, t.p.Day)), Wrote: wrote})
	}
	m.doc.Reservations += done
	sort.Slice(m.doc.Pending, func(i, j int) bool { return m.doc.Pending[i].ID < m.doc.Pending[j].ID })
	if err := b.save(ctx, m); err != nil {
		return len(items), false, err
	}
	// Waiting reservations end this run: their operations finish meanwhile.
	return len(items), len(m.doc.Pending) == 0, nil
}

func dayOr(x *rec, day string) string {
	if x != nil {
		return x.R.Day
	}
	return day
}

func sameVersion(a, b *rec) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Version == b.Version && a.R.Day == b.R.Day
}

// current reads a reservation as stored: at day (where the index said it
// was), else wherever its index says now; nil when it does not exist.
func (b *BusyBackfill) current(ctx context.Context, tenantID, id, day string) (*rec, error) {
	x, _, err := b.res.readRes(ctx, tenantID, day, id)
	if teamspro.ErrorCode(err) != teamspro.ENOTFOUND {
		return x, err
	}
	x, _, _, err = b.res.locate(ctx, tenantID, id)
	if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
		return nil, nil
	}
	return x, err
}

// openOps are the keys of an organization's open operations.
type openOps map[string]bool

// names reports whether an open operation may concern the reservation id
// (x as stored, nil if unknown): changes are keyed by the reservation,
// series bookings by the series, and a purge of the organization concerns
// every one.
func (o openOps) names(id string, x *rec) bool {
	return o[purgeKey] || o[id] || (x != nil && x.R.SeriesID != "" && o[x.R.SeriesID])
}

// purgeKey is the key of an organization's purge among its open operations
// (see Client.PurgeTenant).
const purgeKey = "purge"

// openOperations lists the keys of the organization's intent pointers: the
// operations under way (or left for the repair).
func (b *BusyBackfill) openOperations(ctx context.Context, tenantID string) (openOps, error) {
	out := openOps{}
	f := eq("PartitionKey", pointerPK) + " and " + eq("TenantId", tenantID)
	err := listEntities(ctx, b.c, TableIntents, &aztables.ListEntitiesOptions{Filter: &f, Select: to("RowKey")}, "list open operations",
		func(rows []struct{ RowKey string }) (bool, error) {
			for _, r := range rows {
				key, _, _ := strings.Cut(strings.TrimPrefix(r.RowKey, tenantID+"|"), "|")
				out[key] = true
			}
			return true, nil
		})
	return out, err
}

// statuses is the status step: the index rows written before they carried
// the reservation's Status column (see indexEntity) get it, so that
// ReservationStore.Pending, one query on that column, finds them. It goes
// through up to n rows of the organization's index after the marker's, and
// gives each row without a Status the one of the document stored in that
// row (a row's columns are a copy of its own document, which Pending
// answers), by a merge of that one column under If-Match of the row as
// listed:
//
//   - a live change replaces the whole row, Status included, and changes its
//     ETag: the merge fails and the row is read again (a writer that
//     predates the column leaves it without one, to be stamped again);
//   - a deleted reservation's row is gone: a merge never creates a row, so
//     it stays gone;
//   - a merge whose answer was lost is met again by the next run, which
//     finds the row stamped.
//
// It never reads a stale document into a newer row, so it needs none of the
// reservations step's precautions.
func (b *BusyBackfill) statuses(ctx context.Context, m *marker, n int) (int, bool, error) {
	type indexRow struct {
		RowKey string
		Status *string
		Doc    string
		ETag   string `json:"odata.etag"`
	}
	var rows []indexRow
	f := eq("PartitionKey", idxPK(m.tenantID)) + " and RowKey gt " + quote(m.doc.StatusAfter)
	err := listEntities(ctx, b.c, TableBookings, &aztables.ListEntitiesOptions{Filter: &f, Select: to("RowKey,Status,Doc"), Top: to(int32(n))}, "list reservation index",
		func(page []indexRow) (bool, error) {
			rows = append(rows, page[:min(len(page), n-len(rows))]...)
			return len(rows) < n, nil
		})
	if err != nil {
		return 0, false, err
	}
	for _, r := range rows {
		if r.Status != nil {
			continue
		}
		stamped, err := b.stamp(ctx, m.tenantID, r.RowKey, r.Doc, r.ETag)
		if err != nil {
			return 0, false, err
		}
		if stamped {
			m.doc.Stamped++
		}
	}
	if len(rows) > 0 {
		m.doc.StatusAfter = rows[len(rows)-1].RowKey
	}
	if len(rows) < n {
		b.advance(m)
	}
	if err := b.save(ctx, m); err != nil {
		return len(rows), false, err
	}
	return len(rows), true, nil
}

// stamp gives the index row id, read with doc at etag, the Status of doc,
// reading the row again after each lost race. It reports whether it wrote;
// a row deleted meanwhile, or stamped by a live change, is left alone.
func (b *BusyBackfill) stamp(ctx context.Context, tenantID, id, doc, etag string) (bool, error) {
	t := b.c.table(TableBookings)
	for attempt := 0; ; attempt++ {
		if etag != "" {
			var r booking.Reservation
			if err := json.Unmarshal([]byte(doc), &r); err != nil {
				return false, teamspro.Wrap(teamspro.EINTERNAL, err, "decode reservation index %s", id)
			}
			e, err := encodeRow(idxPK(tenantID), id, nil, 0, map[string]any{"Status": r.Status})
			if err != nil {
				return false, err
			}
			_, err = t.UpdateEntity(ctx, e, &aztables.UpdateEntityOptions{IfMatch: to(azETag(etag)), UpdateMode: aztables.UpdateModeMerge})
			switch {
			case err == nil:
				return true, nil
			case statusOf(err) == 404:
				return false, nil
			case statusOf(err) != 412:
				return false, translate(err, "stamp reservation index")
			}
			if attempt >= 8 {
				return false, busy()
			}
		}
		resp, err := t.GetEntity(ctx, idxPK(tenantID), id, nil)
		if err != nil {
			if err = translate(err, "get reservation index"); teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
				return false, nil
			}
			return false, err
		}
		var cur struct {
			Status *string
			Doc    string
		}
		if err := decodeInto(resp.Value, &cur); err != nil {
			return false, err
		}
		if cur.Status != nil {
			return false, nil
		}
		doc, etag = cur.Doc, string(resp.ETag)
	}
}
