package tables

import (
	"context"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/teamspro/functions/internal/apikey"
	"github.com/teamspro/functions/internal/teamspro"
)

// TableAPIKeys holds integration keys.
const TableAPIKeys = "apikeys"

// APIKeyStore keeps keys in two partitions: "<tenant>" with rows "key|<id>"
// (listing a tenant's keys) and "hash" with rows "<sha256>" (finding a key
// from the secret a request carries, in one point read). The two cannot be one
// batch, so creation writes the tenant row first and revocation deletes the
// hash row first: a key never works without being listed.
type APIKeyStore struct{ c *Client }

var _ apikey.Store = (*APIKeyStore)(nil)

// NewAPIKeyStore returns the key store of c.
func NewAPIKeyStore(c *Client) *APIKeyStore { return &APIKeyStore{c: c} }

const hashPartition = "hash"

func keyRow(id string) string { return "key|" + id }

// Create stores both rows of a key.
func (s *APIKeyStore) Create(ctx context.Context, k *apikey.Key) error {
	cols := map[string]any{"Hash": k.Hash}
	b, err := encodeRow(k.TenantID, keyRow(k.ID), k, 1, cols)
	if err != nil {
		return err
	}
	if err := s.c.addOwn(ctx, TableAPIKeys, b, "add key"); err != nil {
		return err
	}
	h, err := encodeRow(hashPartition, k.Hash, k, 1, map[string]any{"TenantId": k.TenantID})
	if err != nil {
		return err
	}
	if err := s.c.addOwn(ctx, TableAPIKeys, h, "add key hash"); err != nil {
		_, _ = s.c.table(TableAPIKeys).DeleteEntity(context.WithoutCancel(ctx), k.TenantID, keyRow(k.ID), nil)
		return err
	}
	return nil
}

// ByHash finds a key from its hash.
func (s *APIKeyStore) ByHash(ctx context.Context, hash string) (*apikey.Key, error) {
	var k apikey.Key
	var tenant struct {
		TenantID string `json:"TenantId"`
	}
	resp, err := s.c.getEntity(ctx, TableAPIKeys, hashPartition, hash)
	if err != nil {
		err = translate(err, "get key")
		if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
			return nil, teamspro.Errorf(teamspro.EUNAUTHORIZED, "The API key is not valid.")
		}
		return nil, err
	}
	if _, err := decodeRow(resp.Value, &k); err != nil {
		return nil, err
	}
	if err := decodeInto(resp.Value, &tenant); err != nil {
		return nil, err
	}
	k.TenantID, k.Hash = tenant.TenantID, hash
	return &k, nil
}

// List returns the tenant's keys.
func (s *APIKeyStore) List(ctx context.Context, tenantID string) ([]*apikey.Key, error) {
	if err := checkKey(tenantID); err != nil {
		return nil, err
	}
	filter := eq("PartitionKey", tenantID) + " and " + prefixRange("RowKey", "key|")
	pager := s.c.table(TableAPIKeys).NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter})
	out := []*apikey.Key{}
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, translate(err, "list keys")
		}
		for _, e := range page.Entities {
			var k apikey.Key
			if _, err := decodeRow(e, &k); err != nil {
				return nil, err
			}
			k.TenantID = tenantID
			out = append(out, &k)
		}
	}
	return out, nil
}

// Get returns one key of the tenant.
func (s *APIKeyStore) Get(ctx context.Context, tenantID, id string) (*apikey.Key, error) {
	var k apikey.Key
	var cols struct {
		Hash string `json:"Hash"`
	}
	if err := checkKey(id); err != nil {
		return nil, err
	}
	resp, err := s.c.getEntity(ctx, TableAPIKeys, tenantID, keyRow(id))
	if err != nil {
		return nil, translate(err, "get key")
	}
	if _, err := decodeRow(resp.Value, &k); err != nil {
		return nil, err
	}
	_ = decodeInto(resp.Value, &cols)
	k.TenantID, k.Hash = tenantID, cols.Hash
	return &k, nil
}

// Revoke deletes the hash row (the key stops working), then the listing row.
func (s *APIKeyStore) Revoke(ctx context.Context, tenantID, id string) error {
	k, err := s.Get(ctx, tenantID, id)
	if err != nil {
		return err
	}
	if err := s.c.deleteIfPresent(ctx, TableAPIKeys, hashPartition, k.Hash, "delete key hash"); err != nil {
		return err
	}
	return s.c.removeOwn(ctx, func(ctx context.Context) error {
		_, err := s.c.table(TableAPIKeys).DeleteEntity(ctx, tenantID, keyRow(id), nil)
		return translate(err, "delete key")
	})
}
