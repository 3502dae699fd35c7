package tables

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/teamspro"
)

// TableMarks holds the processing marks of notification messages.
const TableMarks = "marks"

// MarkStore keeps notify's processing marks: partition "<tenant>|m" (or
// "none|m" for a message whose envelope could not be read), row
// "<messageId>|<part>". Put maps straight onto Table Storage's conditional
// writes: Add when the mark is new (409 if another delivery made it first),
// UpdateReplace with If-Match otherwise (412 if it changed); both are ECONFLICT
// to the Processor, which then backs off and lets the host retry.
type MarkStore struct{ c *Client }

var _ notify.Marks = (*MarkStore)(nil)

// NewMarkStore returns the mark store of c.
func NewMarkStore(c *Client) *MarkStore { return &MarkStore{c: c} }

func markKeys(k notify.MarkKey) (string, string) {
	tenant := k.TenantID
	if tenant == "" {
		tenant = "none"
	}
	return tenant + "|m", k.MessageID + "|" + k.Part
}

type markEntity struct {
	PartitionKey string    `json:"PartitionKey"`
	RowKey       string    `json:"RowKey"`
	State        string    `json:"State"`
	Attempts     int       `json:"Attempts"`
	Reason       string    `json:"Reason"`
	Holder       int64     `json:"Holder,string"`
	Updated      time.Time `json:"Updated"`
}

// Get returns the mark under k.
func (s *MarkStore) Get(ctx context.Context, k notify.MarkKey) (notify.Mark, error) {
	pk, rk := markKeys(k)
	if err := checkKey(pk, rk); err != nil {
		return notify.Mark{}, err
	}
	resp, err := s.c.getEntity(ctx, TableMarks, pk, rk)
	if err != nil {
		return notify.Mark{}, translate(err, "get mark")
	}
	var e markEntity
	if err := json.Unmarshal(resp.Value, &e); err != nil {
		return notify.Mark{}, teamspro.Wrap(teamspro.EINTERNAL, err, "decode mark")
	}
	return notify.Mark{State: notify.MarkState(e.State), Attempts: e.Attempts, Reason: e.Reason, Holder: e.Holder, Updated: e.Updated, ETag: string(resp.ETag)}, nil
}

// Put stores m under k if the stored mark is still the one m.ETag names.
func (s *MarkStore) Put(ctx context.Context, k notify.MarkKey, m notify.Mark) (string, error) {
	pk, rk := markKeys(k)
	if err := checkKey(pk, rk); err != nil {
		return "", err
	}
	// Updated is typed Edm.DateTime so that the purge can filter on it.
	b, err := json.Marshal(map[string]any{
		"PartitionKey": pk, "RowKey": rk, "State": string(m.State), "Attempts": m.Attempts, "Reason": m.Reason,
		"Holder": strconv.FormatInt(m.Holder, 10), "Holder@odata.type": "Edm.Int64",
		"Updated": m.Updated.UTC().Format(time.RFC3339Nano), "Updated@odata.type": "Edm.DateTime",
	})
	if err != nil {
		return "", teamspro.Wrap(teamspro.EINTERNAL, err, "encode mark")
	}
	var etag azcore.ETag
	if m.ETag == "" {
		resp, err := s.c.table(TableMarks).AddEntity(ctx, b, nil)
		if err != nil {
			return "", conflictOnRace(translate(err, "add mark"))
		}
		etag = resp.ETag
	} else {
		e := azcore.ETag(m.ETag)
		resp, err := s.c.table(TableMarks).UpdateEntity(ctx, b, &aztables.UpdateEntityOptions{IfMatch: &e, UpdateMode: aztables.UpdateModeReplace})
		if err != nil {
			return "", conflictOnRace(translate(err, "update mark"))
		}
		etag = resp.ETag
	}
	return string(etag), nil
}

// conflictOnRace reports a lost race (the mark was made or changed by another
// delivery, or vanished) as ECONFLICT, the one code the Processor expects.
func conflictOnRace(err error) error {
	switch teamspro.ErrorCode(err) {
	case teamspro.EPRECONDITION, teamspro.ENOTFOUND:
		return teamspro.Wrap(teamspro.ECONFLICT, err, "The mark changed.")
	}
	return err
}

// PurgeBefore deletes the marks last written before cutoff, in every tenant:
// once a message can no longer be redelivered (the queue's time to live), its
// marks have done their work.
func (s *MarkStore) PurgeBefore(ctx context.Context, cutoff time.Time) (int, error) {
	filter := "Updated lt datetime'" + cutoff.UTC().Format("2006-01-02T15:04:05Z") + "'"
	pager := s.c.table(TableMarks).NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter, Select: to("PartitionKey,RowKey")})
	n := 0
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return n, translate(err, "list old marks")
		}
		for _, raw := range page.Entities {
			r, err := decodeRow(raw, nil)
			if err != nil {
				return n, err
			}
			if err := s.c.deleteIfPresent(ctx, TableMarks, r.PartitionKey, r.RowKey, "delete mark"); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}
