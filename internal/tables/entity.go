package tables

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
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
