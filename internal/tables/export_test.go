package tables

import "context"

// MarkBackfilledBeforeStatus makes the organization's backfill marker what
// the busy index's backfill left before the status step existed: done, with
// no last step recorded.
func (b *BusyBackfill) MarkBackfilledBeforeStatus(ctx context.Context, tenantID string) error {
	m := &marker{tenantID: tenantID, doc: backfillDoc{Phase: phaseDone, Started: b.Now().UTC(), Finished: b.Now().UTC()}}
	resp, err := b.c.getEntity(ctx, TableBusy, busySrcPK(tenantID), backfillRow)
	if err == nil {
		m.etag = string(resp.ETag)
	}
	return b.save(ctx, m)
}

// MarkAllBackfilledBeforeStatus makes the cross-tenant progress row what the
// busy index's backfill left at its end before the status step existed.
func (b *BusyBackfill) MarkAllBackfilledBeforeStatus(ctx context.Context) error {
	r, err := b.c.getRow(ctx, TableBusy, backfillGlobalPK, backfillGlobalRow, nil)
	if err != nil {
		return err
	}
	_, err = b.putGlobal(ctx, globalDoc{Done: true}, r.ETag)
	return err
}
