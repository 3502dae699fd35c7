package tables

import (
	"context"
	"encoding/json"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
)

// TableOutbox holds messages that could not be queued when their change was made.
const TableOutbox = "outbox"

// OutboxStore keeps messages waiting to be queued again: partition
// "<tenant>|out", row the message id, the encoded envelope in Doc. Re-queuing
// is safe to repeat: the message id is the envelope's, and the notify
// function drops a second delivery of an id it has processed.
type OutboxStore struct{ c *Client }

// NewOutboxStore returns the outbox of c.
func NewOutboxStore(c *Client) *OutboxStore { return &OutboxStore{c: c} }

// Add keeps one encoded message of the tenant.
func (s *OutboxStore) Add(ctx context.Context, tenantID, messageID string, body []byte) error {
	b, err := encodeRow(tenantID+"|out", messageID, json.RawMessage(body), 0, map[string]any{"Pending": true})
	if err != nil {
		return err
	}
	_, err = s.c.table(TableOutbox).UpsertEntity(ctx, b, nil)
	return translate(err, "add to outbox")
}

// Each calls fn with every waiting message, all tenants, and deletes those for
// which fn returns nil. It stops at the first error of fn (the queue is still
// down: the rest waits for the next run).
func (s *OutboxStore) Each(ctx context.Context, fn func(body []byte) error) (int, error) {
	filter := "Pending eq true"
	pager := s.c.table(TableOutbox).NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter})
	n := 0
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return n, translate(err, "list outbox")
		}
		for _, e := range page.Entities {
			var body json.RawMessage
			r, err := decodeRow(e, &body)
			if err != nil {
				return n, err
			}
			if err := fn(body); err != nil {
				return n, err
			}
			if err := s.c.deleteIfPresent(ctx, TableOutbox, r.PartitionKey, r.RowKey, "delete from outbox"); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}
