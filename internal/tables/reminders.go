package tables

import (
	"context"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/teamspro/functions/internal/teamspro"
)

// TableReminders holds the sequence numbers of scheduled reminder messages.
const TableReminders = "reminders"

// ReminderStore keeps, per event or reservation, the sequence numbers of its
// scheduled reminders, so that moving or deleting it can cancel them: partition
// "<tenant>|rem" (an organization's purge finds them), row "<key>" (for
// example "event|<calendarId>|<eventId>").
type ReminderStore struct{ c *Client }

// NewReminderStore returns the reminder store of c.
func NewReminderStore(c *Client) *ReminderStore { return &ReminderStore{c: c} }

func remPK(tenantID string) string { return tenantID + "|rem" }

// Get returns the sequence numbers scheduled for key (none when there are none).
func (s *ReminderStore) Get(ctx context.Context, tenantID, key string) ([]int64, error) {
	var seqs []int64
	_, err := s.c.getRow(ctx, TableReminders, remPK(tenantID), key, &seqs)
	if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
		return nil, nil
	}
	return seqs, err
}

// Put records the sequence numbers now scheduled for key; none deletes the row.
func (s *ReminderStore) Put(ctx context.Context, tenantID, key string, seqs []int64) error {
	if len(seqs) == 0 {
		if err := checkKey(remPK(tenantID), key); err != nil {
			return err
		}
		return s.c.deleteIfPresent(ctx, TableReminders, remPK(tenantID), key, "delete reminders")
	}
	b, err := encodeRow(remPK(tenantID), key, seqs, 0, nil)
	if err != nil {
		return err
	}
	_, err = s.c.table(TableReminders).UpsertEntity(ctx, b, &aztables.UpsertEntityOptions{UpdateMode: aztables.UpdateModeReplace})
	return translate(err, "put reminders")
}

// All returns every sequence number scheduled for the tenant, for the purge of
// an organization's data.
func (s *ReminderStore) All(ctx context.Context, tenantID string) ([]int64, error) {
	filter := eq("PartitionKey", remPK(tenantID))
	pager := s.c.table(TableReminders).NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter})
	var all []int64
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, translate(err, "list reminders")
		}
		for _, e := range page.Entities {
			var seqs []int64
			if _, err := decodeRow(e, &seqs); err != nil {
				return nil, err
			}
			all = append(all, seqs...)
		}
	}
	return all, nil
}
