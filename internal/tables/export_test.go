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
