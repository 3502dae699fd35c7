package tables

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/teamspro"
)

// Versioned entities carry their domain record as JSON in Doc and a version
// counter in Version. The version, not the storage ETag, is what clients see as
// the ETag: a transactional batch does not return the new storage ETags, and the
// version is known without reading the entity back. Writes are still guarded by
// the storage ETag read just before, so two writers can never both succeed
// from the same version.

// row is the common shape of a stored entity.
type row struct {
	PartitionKey string `json:"PartitionKey"`
	RowKey       string `json:"RowKey"`
	Doc          string `json:"Doc,omitempty"`
	Version      int64  `json:"-"` // decoded by decodeRow from the Edm.Int64 string
	// ETag is the storage ETag, filled on read from odata.etag.
	ETag string `json:"odata.etag,omitempty"`
}

// encodeRow marshals a row with its document and extra columns.
func encodeRow(pk, rk string, doc any, version int64, cols map[string]any) ([]byte, error) {
	if err := checkKey(pk, rk); err != nil {
		return nil, err
	}
	m := map[string]any{"PartitionKey": pk, "RowKey": rk}
	if doc != nil {
		b, err := json.Marshal(doc)
		if err != nil {
			return nil, teamspro.Wrap(teamspro.EINTERNAL, err, "encode %s/%s", pk, rk)
		}
		if len(b) > 60_000 { // one string property holds at most 64 KiB
			return nil, teamspro.Errorf(teamspro.ETOOLARGE, "The record is too large to store.")
		}
		m["Doc"] = string(b)
	}
	if version > 0 {
		m["Version"] = strconv.FormatInt(version, 10) // OData JSON carries Int64 as a string
		m["Version@odata.type"] = "Edm.Int64"
	}
	for k, v := range cols {
		m[k] = v
	}
	return json.Marshal(m)
}

// decodeRow unmarshals an entity's Doc into doc and returns the row's metadata.
func decodeRow(value []byte, doc any) (row, error) {
	var r struct {
		row
		Version json.Number `json:"Version"`
	}
	if err := json.Unmarshal(value, &r); err != nil {
		return row{}, teamspro.Wrap(teamspro.EINTERNAL, err, "decode entity")
	}
	out := r.row
	if r.Version != "" {
		if n, err := r.Version.Int64(); err == nil {
			out.Version = n
		}
	}
	if doc != nil && out.Doc != "" {
		if err := json.Unmarshal([]byte(out.Doc), doc); err != nil {
			return row{}, teamspro.Wrap(teamspro.EINTERNAL, err, "decode %s/%s", out.PartitionKey, out.RowKey)
		}
	}
	return out, nil
}

// getRow reads one entity and decodes its document into doc.
func (c *Client) getRow(ctx context.Context, table, pk, rk string, doc any) (row, error) {
	if err := checkKey(pk, rk); err != nil {
		return row{}, err
	}
	resp, err := c.getEntity(ctx, table, pk, rk)
	if err != nil {
		return row{}, translate(err, "get "+table)
	}
	r, err := decodeRow(resp.Value, doc)
	r.ETag = string(resp.ETag)
	return r, err
}

// submit runs a transactional batch (all actions in one partition) and
// translates its failure, reading the real status out of the batch body.
func (c *Client) submit(ctx context.Context, table string, actions []aztables.TransactionAction) error {
	_, err := c.table(table).SubmitTransaction(ctx, actions, nil)
	return translate(err, "batch "+table)
}

// action builds one batch action from an encoded entity.
func action(t aztables.TransactionType, entity []byte, ifMatch string) aztables.TransactionAction {
	a := aztables.TransactionAction{ActionType: t, Entity: entity}
	if ifMatch != "" {
		e := azcore.ETag(ifMatch)
		a.IfMatch = &e
	}
	return a
}

// ETagOf formats a version as the HTTP ETag clients see.
func ETagOf(version int64) string { return fmt.Sprintf(`"%d"`, version) }

// checkIfMatch compares a client's If-Match value with the current version.
// "" and "*" match anything; anything else must equal the current ETag.
func checkIfMatch(ifMatch string, version int64) error {
	if ifMatch == "" || ifMatch == "*" || ifMatch == ETagOf(version) || ifMatch == "W/"+ETagOf(version) {
		return nil
	}
	return teamspro.Errorf(teamspro.EPRECONDITION, "The item was changed since you read it (If-Match %s, current %s).", truncate(ifMatch, 40), ETagOf(version))
}

// decodeInto unmarshals an entity's plain columns into v.
func decodeInto(value []byte, v any) error {
	if err := json.Unmarshal(value, v); err != nil {
		return teamspro.Wrap(teamspro.EINTERNAL, err, "decode entity columns")
	}
	return nil
}

func azETag(s string) azcore.ETag { return azcore.ETag(s) }

// A write whose answer was an error may have been applied after all: storage
// answers 409 (exists) or 412 (changed) to a retry of a request whose first
// try was applied but whose answer was lost (a timeout, a dropped
// connection). Such a write stamps its row with a token of its own (WriteID,
// see stamped); when the answer is 409 or 412 and the row holds that token,
// the write is the one that was applied. For a batch, the row is its first
// action's, and a batch applies all or nothing.

// stamped returns entity (a JSON object) with a new WriteID column, and the id.
func stamped(entity []byte) ([]byte, string) {
	id := uuid.NewString()
	if len(entity) < 2 || entity[len(entity)-1] != '}' {
		return entity, ""
	}
	out := make([]byte, 0, len(entity)+len(id)+14)
	out = append(out, entity[:len(entity)-1]...)
	out = append(out, `,"WriteID":"`...)
	out = append(out, id...)
	return append(out, `"}`...), id
}

// written reports whether the row of entity holds writeID after err.
func (c *Client) written(ctx context.Context, table string, err error, entity []byte, writeID string) bool {
	if code := teamspro.ErrorCode(err); writeID == "" || (code != teamspro.ECONFLICT && code != teamspro.EPRECONDITION) {
		return false
	}
	var key struct{ PartitionKey, RowKey string }
	if json.Unmarshal(entity, &key) != nil {
		return false
	}
	res, gerr := c.table(table).GetEntity(ctx, key.PartitionKey, key.RowKey, &aztables.GetEntityOptions{
		Format: to(aztables.MetadataFormatNone),
	})
	if gerr != nil {
		return false
	}
	var got struct{ WriteID string }
	return json.Unmarshal(res.Value, &got) == nil && got.WriteID == writeID
}

// submitOwn submits a batch whose first action writes an item's row (a new
// item, or its next version), telling a retry's 409 or 412 that repeats an
// applied try apart from a real conflict.
func (c *Client) submitOwn(ctx context.Context, table string, actions []aztables.TransactionAction) error {
	actions = slices.Clone(actions)
	var id string
	actions[0].Entity, id = stamped(actions[0].Entity)
	err := c.submit(ctx, table, actions)
	if err != nil && c.written(ctx, table, err, actions[0].Entity, id) {
		return nil
	}
	return err
}

// deleteIfPresent deletes one row whatever its version; a row that is not
// there is deleted already.
func (c *Client) deleteIfPresent(ctx context.Context, table, pk, rk, op string) error {
	_, err := c.table(table).DeleteEntity(ctx, pk, rk, nil)
	if err = translate(err, op); teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
		return nil
	}
	return err
}

// removeOwn runs del, a delete (one entity, or a batch that deletes an
// item's rows), telling a retry's 404 that repeats an applied try apart from
// a row that is not there: a try that storage applied but whose answer was
// lost is repeated by the transport, and storage answers the repeat 404.
// Only a delete that storage saw more than once (its tries, counted by
// countTries) can be told so; when it was, the rows are gone, whoever
// removed them (this request's first try, or someone else in between), and
// nothing is left of what the caller asked to delete. A 404 at the first
// try stays an error.
func (c *Client) removeOwn(ctx context.Context, del func(context.Context) error) error {
	n := new(atomic.Int32)
	err := del(context.WithValue(ctx, triesKey{}, n))
	if teamspro.ErrorCode(err) == teamspro.ENOTFOUND && n.Load() > 1 {
		return nil
	}
	return err
}

// triesKey marks a request whose tries countTries counts.
type triesKey struct{}

// countTries is the pipeline policy that counts the tries of marked
// requests: it runs once per try, inside the retries.
type countTries struct{}

func (countTries) Do(req *policy.Request) (*http.Response, error) {
	if n, ok := req.Raw().Context().Value(triesKey{}).(*atomic.Int32); ok {
		n.Add(1)
	}
	return req.Next()
}

// addOwn adds an item's row, telling a retry's 409 that repeats an applied
// try apart from a real conflict.
func (c *Client) addOwn(ctx context.Context, table string, entity []byte, op string) error {
	entity, id := stamped(entity)
	_, err := c.table(table).AddEntity(ctx, entity, nil)
	if err = translate(err, op); err != nil && c.written(ctx, table, err, entity, id) {
		return nil
	}
	return err
}
