package tables

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/teamspro"
)

// TableExternals holds the external calendars of calendar tabs and the last
// good copy of each.
const TableExternals = "externalcals"

// ExternalStore keeps external calendars: partition "<tenant>|<calendar>",
// one row per slot ("slot|1" to "slot|3"), so that a calendar can never hold
// more than calendar.MaxExternals: two owners adding at once race for a
// slot, and the loser takes the next free one or is refused. The row
// carries the calendar's settings and status in Doc (with its id in ExtID,
// for lookups) and the kept copy as gzipped JSON in parts Z0... (encodeBig):
// a copy replaces the whole row, so an old copy's parts never outlive it,
// and a failed fetch merges only Doc, so the copy stays.
//
// Every view reads its calendar's copies: the store remembers the copies it
// decoded, by row and version, so that a view costs one query of the rows'
// small columns and decodes nothing while the copies stay as they are; a
// copy changed on any instance has a new version and is read again.
type ExternalStore struct {
	c *Client

	mu     sync.Mutex
	copies map[string]cachedCopy // by PartitionKey|RowKey
	size   int                   // events and exceptions remembered
}

type cachedCopy struct {
	id      string
	version int64
	copy    calendar.ExternalCopy
}

// maxCachedItems bounds what the store remembers (events and exceptions of
// all copies): beyond it, it forgets everything and starts again.
const maxCachedItems = 100_000

var _ calendar.ExternalStore = (*ExternalStore)(nil)

// NewExternalStore returns the external calendar store of c.
func NewExternalStore(c *Client) *ExternalStore {
	return &ExternalStore{c: c, copies: map[string]cachedCopy{}}
}

func (s *ExternalStore) cached(key, id string, version int64) (calendar.ExternalCopy, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.copies[key]
	if !ok || c.id != id || c.version != version {
		return calendar.ExternalCopy{}, false
	}
	return c.copy, true
}

func (s *ExternalStore) remember(key, id string, version int64, c calendar.ExternalCopy) {
	n := len(c.Events) + len(c.Exceptions)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.copies[key]; ok {
		s.size -= len(old.copy.Events) + len(old.copy.Exceptions)
	}
	if s.size+n > maxCachedItems {
		s.copies, s.size = map[string]cachedCopy{}, 0
	}
	s.copies[key] = cachedCopy{id: id, version: version, copy: c}
	s.size += n
}

func slotRow(n int) string { return "slot|" + strconv.Itoa(n) }

// externalDoc is the stored form of an External (its copy apart).
type externalDoc = calendar.External

// metaColumns are what a listing without copies reads.
var metaColumns = "PartitionKey,RowKey,Doc,Version"

func (s *ExternalStore) list(ctx context.Context, filter string, withCopy bool, fn func(calendar.External, []byte) error) error {
	opts := &aztables.ListEntitiesOptions{}
	if filter != "" {
		opts.Filter = &filter
	}
	if !withCopy {
		opts.Select = &metaColumns
	}
	pager := s.c.table(TableExternals).NewListEntitiesPager(opts)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return translate(err, "list external calendars")
		}
		for _, e := range page.Entities {
			var x externalDoc
			if _, err := decodeRow(e, &x); err != nil {
				return err
			}
			if err := fn(x, e); err != nil {
				return err
			}
		}
	}
	return nil
}

// ListExternals returns a calendar's external calendars in the order they
// were added, without their copies: one query of one partition.
func (s *ExternalStore) ListExternals(ctx context.Context, tenantID, calendarID string) ([]calendar.External, error) {
	pk := calPK(tenantID, calendarID)
	if err := checkKey(pk); err != nil {
		return nil, err
	}
	out := []calendar.External{}
	err := s.list(ctx, eq("PartitionKey", pk), false, func(x calendar.External, _ []byte) error {
		out = append(out, x)
		return nil
	})
	sortExternals(out)
	return out, err
}

func sortExternals(xs []calendar.External) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j].CreatedAt.Before(xs[j-1].CreatedAt); j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

// Copies returns a calendar's external calendars with their copies: one
// query of the rows' small columns, and a read of each row whose copy this
// instance has not decoded at its current version.
func (s *ExternalStore) Copies(ctx context.Context, tenantID, calendarID string) ([]calendar.ExternalWithCopy, error) {
	pk := calPK(tenantID, calendarID)
	if err := checkKey(pk); err != nil {
		return nil, err
	}
	var out []calendar.ExternalWithCopy
	err := s.list(ctx, eq("PartitionKey", pk), false, func(x calendar.External, raw []byte) error {
		w := calendar.ExternalWithCopy{External: x}
		if x.LastSuccess.IsZero() {
			out = append(out, w)
			return nil
		}
		r, err := decodeRow(raw, nil)
		if err != nil {
			return err
		}
		key := pk + "|" + r.RowKey
		if c, ok := s.cached(key, x.ID, r.Version); ok {
			w.Copy = c
			out = append(out, w)
			return nil
		}
		resp, err := s.c.getEntity(ctx, TableExternals, pk, r.RowKey)
		if err != nil {
			return translate(err, "get external calendar")
		}
		full, err := decodeRow(resp.Value, nil)
		if err != nil {
			return err
		}
		if err := decodeBig(resp.Value, &w.Copy); err != nil {
			return err
		}
		s.remember(key, x.ID, full.Version, w.Copy)
		out = append(out, w)
		return nil
	})
	sortExternalCopies(out)
	return out, err
}

func sortExternalCopies(xs []calendar.ExternalWithCopy) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j].CreatedAt.Before(xs[j-1].CreatedAt); j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

// AddExternal stores x in the first free slot of its calendar.
func (s *ExternalStore) AddExternal(ctx context.Context, x *calendar.External) error {
	pk := calPK(x.TenantID, x.CalendarID)
	for attempt := 0; attempt < calendar.MaxExternals+1; attempt++ {
		used := map[string]bool{}
		err := s.list(ctx, eq("PartitionKey", pk), false, func(_ calendar.External, raw []byte) error {
			var r row
			if err := json.Unmarshal(raw, &r); err != nil {
				return teamspro.Wrap(teamspro.EINTERNAL, err, "decode external calendar")
			}
			used[r.RowKey] = true
			return nil
		})
		if err != nil {
			return err
		}
		slot := ""
		for n := 1; n <= calendar.MaxExternals; n++ {
			if !used[slotRow(n)] {
				slot = slotRow(n)
				break
			}
		}
		if slot == "" {
			e := teamspro.Errorf(teamspro.ECONFLICT, "A calendar shows at most %d external calendars; remove one first.", calendar.MaxExternals)
			e.Detail = "too_many_externals"
			return e
		}
		b, err := encodeRow(pk, slot, x, 1, map[string]any{"ExtID": x.ID})
		if err != nil {
			return err
		}
		err = s.c.addOwn(ctx, TableExternals, b, "add external calendar")
		if teamspro.ErrorCode(err) == teamspro.ECONFLICT {
			continue // another owner took the slot meanwhile
		}
		return err
	}
	return teamspro.Errorf(teamspro.EUNAVAILABLE, "The calendar is busy; try again.")
}

// find returns the row of the calendar's external calendar id.
func (s *ExternalStore) find(ctx context.Context, tenantID, calendarID, id string) (calendar.External, row, error) {
	pk := calPK(tenantID, calendarID)
	if err := checkKey(pk, id); err != nil {
		return calendar.External{}, row{}, err
	}
	var (
		found calendar.External
		r     row
		ok    bool
	)
	err := s.list(ctx, eq("PartitionKey", pk)+" and "+eq("ExtID", id), false, func(x calendar.External, raw []byte) error {
		var err error
		r, err = decodeRow(raw, nil) // with the storage ETag (odata.etag)
		found, ok = x, true
		return err
	})
	if err != nil {
		return calendar.External{}, row{}, err
	}
	if !ok {
		return calendar.External{}, row{}, teamspro.Errorf(teamspro.ENOTFOUND, "The external calendar does not exist.")
	}
	return found, r, nil
}

// GetExternal returns one external calendar, without its copy.
func (s *ExternalStore) GetExternal(ctx context.Context, tenantID, calendarID, id string) (calendar.External, error) {
	x, _, err := s.find(ctx, tenantID, calendarID, id)
	return x, err
}

// SaveFetch records a fetch (see calendar.ExternalStore). It writes only
// over the row it read (If-Match), so a calendar removed meanwhile stays
// removed and a newer settings change is not overwritten.
func (s *ExternalStore) SaveFetch(ctx context.Context, x calendar.External, c *calendar.ExternalCopy) error {
	_, r, err := s.find(ctx, x.TenantID, x.CalendarID, x.ID)
	if err != nil {
		return err
	}
	pk := calPK(x.TenantID, x.CalendarID)
	etag := azcore.ETag(r.ETag)
	cols := map[string]any{"ExtID": x.ID}
	if c != nil {
		doc, err := json.Marshal(x)
		if err != nil {
			return teamspro.Wrap(teamspro.EINTERNAL, err, "encode external calendar")
		}
		cols["Doc"] = string(doc)
		cols["Version"] = strconv.FormatInt(r.Version+1, 10)
		cols["Version@odata.type"] = "Edm.Int64"
		b, err := encodeBig(pk, r.RowKey, c, cols)
		if err != nil {
			if teamspro.ErrorCode(err) == teamspro.ETOOLARGE {
				return teamspro.Errorf(teamspro.ETOOLARGE, "The calendar holds too much to keep (more than about %d KB compressed).", maxBigParts*30000*3/4/1000)
			}
			return err
		}
		_, err = s.c.table(TableExternals).UpdateEntity(ctx, b, &aztables.UpdateEntityOptions{IfMatch: &etag, UpdateMode: aztables.UpdateModeReplace})
		return translateSave(err)
	}
	b, err := encodeRow(pk, r.RowKey, x, r.Version+1, cols)
	if err != nil {
		return err
	}
	_, err = s.c.table(TableExternals).UpdateEntity(ctx, b, &aztables.UpdateEntityOptions{IfMatch: &etag, UpdateMode: aztables.UpdateModeMerge})
	return translateSave(err)
}

func translateSave(err error) error {
	err = translate(err, "save external calendar")
	if teamspro.ErrorCode(err) == teamspro.EPRECONDITION {
		return teamspro.Wrap(teamspro.ECONFLICT, err, "The external calendar changed while it was fetched; refresh it again.")
	}
	return err
}

// DeleteExternal removes an external calendar and its copy (one row).
func (s *ExternalStore) DeleteExternal(ctx context.Context, tenantID, calendarID, id string) error {
	_, r, err := s.find(ctx, tenantID, calendarID, id)
	if err != nil {
		return err
	}
	etag := azcore.ETag(r.ETag)
	err = s.c.removeOwn(ctx, func(ctx context.Context) error {
		_, err := s.c.table(TableExternals).DeleteEntity(ctx, calPK(tenantID, calendarID), r.RowKey, &aztables.DeleteEntityOptions{IfMatch: &etag})
		return translate(err, "delete external calendar")
	})
	if teamspro.ErrorCode(err) == teamspro.EPRECONDITION {
		return teamspro.Wrap(teamspro.ECONFLICT, err, "The external calendar is being refreshed; try again.")
	}
	return err
}

// AllExternals calls fn for every external calendar of every tenant (the
// refresh timer), reading no copy. The table holds at most three rows per
// calendar tab.
func (s *ExternalStore) AllExternals(ctx context.Context, fn func(calendar.External) error) error {
	return s.list(ctx, "", false, func(x calendar.External, _ []byte) error { return fn(x) })
}
