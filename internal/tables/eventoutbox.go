package tables

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/teamspro"
)

// The transactional outbox of calendar changes. A change's Outgoing records
// are rows "u|{id}" (unannounced) of the calendar's partition, added to the
// batch that makes the change, so they exist if and only if it happened. The
// prefix sorts outside every range a view reads ("l|" to "r|~", "s|", "x|").
// The relay deletes a record once it is announced; the rows of a process
// that died first are found by Outgoing, a range query over the "u|" rows of
// every partition (as the purge of old deletions reads "d|"), run by a timer.

const outgoingPrefix = "u|"

func outgoingRow(id string) string { return outgoingPrefix + id }

type outgoingDoc struct {
	Body []byte    `json:"body"`
	At   time.Time `json:"at"`
}

// withOutgoing appends the rows of out to a batch of the calendar's
// partition. A batch holds at most maxBatch actions: the change's own rows
// come first and stay; a change with too many records for its batch is
// refused rather than half announced.
func withOutgoing(acts []aztables.TransactionAction, tenantID, calendarID string, out []calendar.Outgoing) ([]aztables.TransactionAction, error) {
	if len(acts)+len(out) > maxBatch {
		return nil, teamspro.Errorf(teamspro.EINTERNAL, "A change of %d rows cannot take %d outgoing records in its batch.", len(acts), len(out))
	}
	pk := calPK(tenantID, calendarID)
	for _, o := range out {
		e, err := encodeRow(pk, outgoingRow(o.ID), outgoingDoc{Body: o.Body, At: o.At.UTC()}, 1,
			map[string]any{"TenantId": tenantID, "CalendarId": calendarID})
		if err != nil {
			return nil, err
		}
		acts = append(acts, action(aztables.TransactionTypeAdd, e, ""))
	}
	return acts, nil
}

// Outgoing returns the outgoing records of every tenant's calendars recorded
// before before: those no relay announced yet (its process died, or storage
// failed before it could delete them).
func (s *EventStore) Outgoing(ctx context.Context, before time.Time) ([]calendar.Outgoing, error) {
	filter := "RowKey ge " + quote(outgoingPrefix) + " and RowKey lt " + quote(outgoingPrefix+"~")
	pager := s.c.table(TableEvents).NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter})
	var out []calendar.Outgoing
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return out, translate(err, "list outgoing records")
		}
		for _, raw := range page.Entities {
			var doc outgoingDoc
			r, err := decodeRow(raw, &doc)
			if err != nil {
				return out, err
			}
			var cols struct {
				TenantID   string `json:"TenantId"`
				CalendarID string `json:"CalendarId"`
			}
			if err := json.Unmarshal(raw, &cols); err != nil {
				return out, teamspro.Wrap(teamspro.EINTERNAL, err, "decode outgoing record")
			}
			if !doc.At.Before(before) {
				continue
			}
			out = append(out, calendar.Outgoing{TenantID: cols.TenantID, CalendarID: cols.CalendarID,
				ID: strings.TrimPrefix(r.RowKey, outgoingPrefix), Body: doc.Body, At: doc.At})
		}
	}
	return out, nil
}

// DoneOutgoing deletes an announced record; one already deleted is done too.
func (s *EventStore) DoneOutgoing(ctx context.Context, o calendar.Outgoing) error {
	err := s.c.submit(ctx, TableEvents, []aztables.TransactionAction{deleteAction(calPK(o.TenantID, o.CalendarID), outgoingRow(o.ID), "*")})
	if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
		return nil
	}
	return err
}
