package tables

import (
	"context"
	"encoding/json"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/teamspro/functions/internal/teamspro"
)

// The organization's data is every entity whose partition key is its tenant id
// or starts with "<tenant id>|" (the layout rule of this package), plus the
// rows it has in the two cross-tenant places, both marked with a TenantId
// column: its API key hash rows (the "hash" partition) and its check-in
// deadlines (the bookingdue table). Export and purge walk exactly that, table
// by table; the export leaves out the key hashes and deadlines, which are
// derived from the rest and mean nothing outside this deployment.

// tenantFilter selects a tenant's partitions: "<tid>" and "<tid>|...".
func tenantFilter(tenantID string) string {
	return "(" + eq("PartitionKey", tenantID) + ") or (" + prefixRange("PartitionKey", tenantID+"|") + ")"
}

// Tables returns every table of the product, without prefix.
func (c *Client) Tables() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.names...)
}

// ExportTenant calls emit for every entity of the tenant, table by table, page
// by page, so that an export streams instead of holding the data in memory.
func (c *Client) ExportTenant(ctx context.Context, tenantID string, emit func(table string, entity map[string]any) error) error {
	if !teamspro.IsGUID(tenantID) {
		return teamspro.Errorf(teamspro.EINVALID, "Not a tenant id.")
	}
	return c.eachTenantEntity(ctx, tenantID, func(table string, raw []byte) error {
		if table == TableDue {
			return nil
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return teamspro.Wrap(teamspro.EINTERNAL, err, "decode entity")
		}
		for k := range m {
			if len(k) > 6 && k[:6] == "odata." {
				delete(m, k)
			}
		}
		if table == TableAPIKeys && m["PartitionKey"] == hashPartition {
			return nil // secrets' hashes are not the organization's data to take away
		}
		if table == TableRooms && m["RowKey"] == dirRow {
			return nil // the room directory's version only tells caches it changed
		}
		return emit(table, m)
	})
}

func (c *Client) eachTenantEntity(ctx context.Context, tenantID string, fn func(table string, raw []byte) error) error {
	for _, table := range c.Tables() {
		filters := []string{tenantFilter(tenantID)}
		switch table {
		case TableAPIKeys:
			filters = append(filters, eq("PartitionKey", hashPartition)+" and "+eq("TenantId", tenantID))
		case TableDue:
			// Deadlines are few and short-lived; the scan reads only their keys.
			filters = []string{eq("TenantId", tenantID)}
		}
		for _, f := range filters {
			f := f
			pager := c.table(table).NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &f})
			for pager.More() {
				page, err := pager.NextPage(ctx)
				if err != nil {
					return translate(err, "list "+table)
				}
				for _, e := range page.Entities {
					if err := fn(table, e); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// PurgeTenant deletes every entity of the tenant in every table and returns
// how many, by table. It first records its intent (a pointer row of the
// bookingintents table), so that a purge stopped halfway, by storage or a
// dead instance, is completed by the repair timer rather than leaving
// reservations without their index or ledgers without their reservations.
// It is idempotent: run again after a failure, it deletes what is left.
// Deletes go in batches of up to 100 per partition.
func (c *Client) PurgeTenant(ctx context.Context, tenantID string) (map[string]int, error) {
	if !teamspro.IsGUID(tenantID) {
		return nil, teamspro.Errorf(teamspro.EINVALID, "Not a tenant id.")
	}
	c.Register(TableIntents)
	now := time.Now().UTC()
	e, err := encodeBig(pointerPK, pointerRow(tenantID, purgeKey, "purge"), pointer{Op: "purge", Kind: kindPurge, Tenant: tenantID, Key: purgeKey, At: now},
		map[string]any{"At": stamp(now), "TenantId": tenantID})
	if err != nil {
		return nil, err
	}
	if _, err := c.table(TableIntents).UpsertEntity(ctx, e, nil); err != nil {
		return nil, translate(err, "record purge")
	}
	counts, err := c.purgeTenant(ctx, tenantID)
	if err != nil {
		return counts, err
	}
	return counts, c.deleteIfPresent(ctx, TableIntents, pointerPK, pointerRow(tenantID, purgeKey, "purge"), "forget purge")
}

func (c *Client) purgeTenant(ctx context.Context, tenantID string) (map[string]int, error) {
	type key struct{ table, pk string }
	pending := map[key][]string{}
	counts := map[string]int{}
	flush := func(k key) error {
		rks := pending[k]
		if len(rks) == 0 {
			return nil
		}
		actions := make([]aztables.TransactionAction, 0, len(rks))
		for _, rk := range rks {
			b, _ := json.Marshal(map[string]string{"PartitionKey": k.pk, "RowKey": rk})
			actions = append(actions, action(aztables.TransactionTypeDelete, b, "*"))
		}
		err := c.submit(ctx, k.table, actions)
		if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
			// One of them went meanwhile, which fails the whole batch: delete
			// one by one, each missing one being already done.
			for _, rk := range rks {
				if err := c.deleteIfPresent(ctx, k.table, k.pk, rk, "purge"); err != nil {
					return err
				}
			}
			err = nil
		}
		if err != nil {
			return err
		}
		counts[k.table] += len(rks)
		delete(pending, k)
		return nil
	}
	err := c.eachTenantEntity(ctx, tenantID, func(table string, raw []byte) error {
		r, err := decodeRow(raw, nil)
		if err != nil {
			return err
		}
		k := key{table, r.PartitionKey}
		pending[k] = append(pending[k], r.RowKey)
		if len(pending[k]) == 100 {
			return flush(k)
		}
		return nil
	})
	if err != nil {
		return counts, err
	}
	for k := range pending {
		if err := flush(k); err != nil {
			return counts, err
		}
	}
	return counts, c.purgeLast(ctx, tenantID)
}

// purgeLast deletes, once more at the end of a purge, the one row a reader
// may write while the purge runs: the room directory version that a list of
// rooms written before versions existed records (RoomStore.
// RecordDirectoryVersion). Left behind, it would stand for a directory the
// purge has since emptied.
func (c *Client) purgeLast(ctx context.Context, tenantID string) error {
	return c.deleteIfPresent(ctx, TableRooms, tenantID, dirRow, "purge")
}

// CountTenant counts every stored entity of the tenant, the cross-tenant rows
// included: what a purge must bring to zero.
func (c *Client) CountTenant(ctx context.Context, tenantID string) (int, error) {
	n := 0
	err := c.eachTenantEntity(ctx, tenantID, func(string, []byte) error { n++; return nil })
	return n, err
}
