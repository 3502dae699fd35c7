package tables

import (
	"context"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/teamspro"
)

// TabStore keeps tabs in the tabs table. Partition = tenant id. Each tab is two
// rows written together in one batch: "tab|<tabId>" and "cal|<calendarId>", the
// second a copy that lets the events API find a calendar's tab (and its
// permissions) in one point read. Both rows carry the same version.
type TabStore struct{ c *Client }

var _ tab.Store = (*TabStore)(nil)

// NewTabStore returns the tab store of c.
func NewTabStore(c *Client) *TabStore { return &TabStore{c: c} }

func tabRow(id string) string { return "tab|" + id }
func calRow(id string) string { return "cal|" + id }

func (s *TabStore) read(ctx context.Context, tenantID, rk string) (*tab.Tab, row, error) {
	var t tab.Tab
	r, err := s.c.getRow(ctx, TableTabs, tenantID, rk, &t)
	if err != nil {
		return nil, row{}, err
	}
	t.TenantID = tenantID
	t.ETag = ETagOf(r.Version)
	return &t, r, nil
}

func live(t *tab.Tab, r row, err error) (*tab.Tab, row, error) {
	if err == nil && !t.DeletedAt.IsZero() {
		return nil, row{}, teamspro.Errorf(teamspro.ENOTFOUND, "Not found.")
	}
	return t, r, err
}

// Get returns a live tab.
func (s *TabStore) Get(ctx context.Context, tenantID, tabID string) (*tab.Tab, error) {
	if err := checkKey(tabID); err != nil {
		return nil, err
	}
	t, _, err := live(s.read(ctx, tenantID, tabRow(tabID)))
	return t, err
}

// ByCalendar returns the live tab owning calendarID, in one point read.
func (s *TabStore) ByCalendar(ctx context.Context, tenantID, calendarID string) (*tab.Tab, error) {
	if err := checkKey(calendarID); err != nil {
		return nil, err
	}
	t, _, err := live(s.read(ctx, tenantID, calRow(calendarID)))
	return t, err
}

// write stores both rows of t at version in one batch. With storageETag set the
// tab row is replaced only if unchanged since it was read; otherwise both rows
// are added and fail with ECONFLICT if the ids are taken. A retry's 409 or 412
// that repeats this very batch, applied but its answer lost, is success
// (submitOwn).
func (s *TabStore) write(ctx context.Context, t *tab.Tab, version int64, storageETag string) error {
	cols := map[string]any{"Kind": string(t.Kind), "Deleted": !t.DeletedAt.IsZero()}
	main, err := encodeRow(t.TenantID, tabRow(t.ID), t, version, cols)
	if err != nil {
		return err
	}
	index, err := encodeRow(t.TenantID, calRow(t.CalendarID), t, version, cols)
	if err != nil {
		return err
	}
	actions := []aztables.TransactionAction{
		action(aztables.TransactionTypeAdd, main, ""),
		action(aztables.TransactionTypeAdd, index, ""),
	}
	if storageETag != "" {
		actions[0] = action(aztables.TransactionTypeUpdateReplace, main, storageETag)
		actions[1] = action(aztables.TransactionTypeInsertReplace, index, "")
	}
	if err := s.c.submitOwn(ctx, TableTabs, actions); err != nil {
		return err
	}
	t.ETag = ETagOf(version)
	return nil
}

// Create stores a new tab with its calendar index.
func (s *TabStore) Create(ctx context.Context, t *tab.Tab) error {
	err := s.write(ctx, t, 1, "")
	if teamspro.ErrorCode(err) == teamspro.ECONFLICT {
		return teamspro.Errorf(teamspro.ECONFLICT, "A tab with id %q already exists.", t.ID)
	}
	return err
}

// Update replaces a live tab if ifMatch matches its version.
func (s *TabStore) Update(ctx context.Context, t *tab.Tab, ifMatch string) error {
	cur, r, err := live(s.read(ctx, t.TenantID, tabRow(t.ID)))
	if err != nil {
		return err
	}
	if err := checkIfMatch(ifMatch, r.Version); err != nil {
		return err
	}
	t.CalendarID, t.Kind, t.CreatedAt, t.CreatedBy = cur.CalendarID, cur.Kind, cur.CreatedAt, cur.CreatedBy
	return s.write(ctx, t, r.Version+1, r.ETag)
}

// Delete soft-deletes a live tab.
func (s *TabStore) Delete(ctx context.Context, tenantID, tabID, ifMatch string, at time.Time) error {
	cur, r, err := live(s.read(ctx, tenantID, tabRow(tabID)))
	if err != nil {
		return err
	}
	if err := checkIfMatch(ifMatch, r.Version); err != nil {
		return err
	}
	cur.DeletedAt = at.UTC()
	return s.write(ctx, cur, r.Version+1, r.ETag)
}

// Restore brings back a soft-deleted tab.
func (s *TabStore) Restore(ctx context.Context, tenantID, tabID string) (*tab.Tab, error) {
	cur, r, err := s.read(ctx, tenantID, tabRow(tabID))
	if err != nil {
		return nil, err
	}
	if cur.DeletedAt.IsZero() {
		return nil, teamspro.Errorf(teamspro.ENOTFOUND, "The tab is not deleted.")
	}
	cur.DeletedAt = time.Time{}
	if err := s.write(ctx, cur, r.Version+1, r.ETag); err != nil {
		return nil, err
	}
	return cur, nil
}

// PurgeDeleted scans the deleted tab rows of every tenant (the Deleted column
// keeps the scan to them) and removes those deleted before cutoff, both rows in
// one batch guarded by the tab row's ETag so that a concurrent restore wins.
func (s *TabStore) PurgeDeleted(ctx context.Context, cutoff time.Time) (int, error) {
	filter := "Deleted eq true and " + prefixRange("RowKey", "tab|")
	pager := s.c.table(TableTabs).NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter})
	n := 0
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return n, translate(err, "list deleted tabs")
		}
		for _, e := range page.Entities {
			var t tab.Tab
			r, err := decodeRow(e, &t)
			if err != nil {
				return n, err
			}
			if t.DeletedAt.IsZero() || !t.DeletedAt.Before(cutoff) {
				continue
			}
			main, _ := encodeRow(r.PartitionKey, r.RowKey, nil, 0, nil)
			index, _ := encodeRow(r.PartitionKey, calRow(t.CalendarID), nil, 0, nil)
			err = s.c.submit(ctx, TableTabs, []aztables.TransactionAction{
				action(aztables.TransactionTypeDelete, main, r.ETag),
				action(aztables.TransactionTypeDelete, index, "*"),
			})
			switch teamspro.ErrorCode(err) {
			case "":
				n++
			case teamspro.EPRECONDITION, teamspro.ENOTFOUND:
				// restored or purged by another run meanwhile
			default:
				return n, err
			}
		}
	}
	return n, nil
}
