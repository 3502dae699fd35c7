package tables

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/teamspro/functions/internal/teamspro"
)

// Reading a page of entities through aztables costs three JSON passes before
// the adapter sees a value: the SDK decodes the page into one map per entity,
// encodes each map back to JSON, and the adapter decodes that again (and then
// the Doc inside it). On the read paths users wait for (free-room search,
// month view, list rooms) that was most of the handler's CPU and allocations.
// listEntities keeps aztables for everything else (signing, retries, paging by
// continuation headers) and takes the page's body straight from the pipeline:
// the rawPages policy below hands the payload of a marked query to its caller
// and gives the SDK an empty body, which it decodes as an empty page. The page
// is then decoded once, into the typed struct of the path.

// pageKey marks a request whose 200 payload the caller decodes itself.
type pageKey struct{}

// pageSink receives the payload of one marked request.
type pageSink struct{ body []byte }

// rawPages is the pipeline policy that diverts the payload of marked requests.
// It runs per call, after the retries, so it sees the final answer only;
// errors and other requests pass through untouched.
type rawPages struct{}

func (rawPages) Do(req *policy.Request) (*http.Response, error) {
	res, err := req.Next()
	sink, ok := req.Raw().Context().Value(pageKey{}).(*pageSink)
	if err != nil || !ok || res.StatusCode != http.StatusOK {
		return res, err
	}
	body, err := runtime.Payload(res) // already read by the pipeline: no copy
	if err != nil {
		return res, err
	}
	sink.body = body
	res.Body = http.NoBody
	res.ContentLength = 0
	return res, nil
}

// getEntity reads one entity like aztables' GetEntity, with the entity's
// JSON as the service sent it in Value: the SDK's decode into a map and
// encode back are skipped (see rawPages).
func (c *Client) getEntity(ctx context.Context, table, pk, rk string) (aztables.GetEntityResponse, error) {
	sink := &pageSink{}
	resp, err := c.table(table).GetEntity(context.WithValue(ctx, pageKey{}, sink), pk, rk, nil)
	if err == nil && len(sink.body) > 0 {
		resp.Value = sink.body
	}
	return resp, err
}

// page is the OData JSON of one page of a query.
type page[T any] struct {
	Value []T `json:"value"`
}

// listEntities runs a query of table and decodes every page once into T,
// calling each with the page's entities in order; each returns false to stop.
// opts.Select should name only the properties T reads.
func listEntities[T any](ctx context.Context, c *Client, table string, opts *aztables.ListEntitiesOptions, op string, each func([]T) (bool, error)) error {
	sink := &pageSink{}
	ctx = context.WithValue(ctx, pageKey{}, sink)
	pager := c.table(table).NewListEntitiesPager(opts)
	for pager.More() {
		sink.body = nil
		if _, err := pager.NextPage(ctx); err != nil {
			return translate(err, op)
		}
		var p page[T]
		if len(sink.body) > 0 {
			if err := json.Unmarshal(sink.body, &p); err != nil {
				return teamspro.Wrap(teamspro.EINTERNAL, err, "decode %s", op)
			}
		}
		more, err := each(p.Value)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// edmInt64 decodes an Edm.Int64 property: OData JSON carries it as a string
// ("3"), a few writers as a number.
type edmInt64 int64

func (n *edmInt64) UnmarshalJSON(b []byte) error {
	if len(b) >= 2 && b[0] == '"' {
		b = b[1 : len(b)-1]
	}
	if string(b) == "null" {
		return nil
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return err
	}
	*n = edmInt64(v)
	return nil
}

// docRow is the shape of a versioned entity as the read paths select it:
// $select=RowKey,Doc,Version.
type docRow struct {
	RowKey  string   `json:"RowKey"`
	Doc     string   `json:"Doc"`
	Version edmInt64 `json:"Version"`
}

// taggedRow is a docRow with its storage ETag, for the reads that a guarded
// write follows.
type taggedRow struct {
	docRow
	ETag string `json:"odata.etag"`
}

// docSelect is the $select of a docRow.
const docSelect = "RowKey,Doc,Version"

// decodeDoc unmarshals a row's Doc into v.
func decodeDoc(pk string, r *docRow, v any) error {
	if r.Doc == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(r.Doc), v); err != nil {
		return teamspro.Wrap(teamspro.EINTERNAL, err, "decode %s/%s", pk, r.RowKey)
	}
	return nil
}
