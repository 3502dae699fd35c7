package tables

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/teamspro/functions/internal/directory"
	"github.com/teamspro/functions/internal/teamspro"
)

// DirectoryStore keeps tenants and profiles in the directory table: partition =
// tenant id; row "tenant" is the organization, rows "user|<oid>" its users. One
// partition per tenant lets a sign-in refresh both in one atomic batch.
type DirectoryStore struct{ c *Client }

var _ directory.Store = (*DirectoryStore)(nil)

// NewDirectoryStore returns the directory store of c.
func NewDirectoryStore(c *Client) *DirectoryStore { return &DirectoryStore{c: c} }

const tenantRow = "tenant"

func userRow(oid string) string { return "user|" + oid }

// upnRow keys a UPN's pointer to the user who last signed in with it
// (written in the sign-in's batch), so that a search by UPN is a point read.
func upnRow(upn string) string {
	if upn = strings.ToLower(strings.TrimSpace(upn)); upn == "" {
		return ""
	}
	return "upn|" + upn
}

type profileEntity struct {
	PartitionKey string    `json:"PartitionKey"`
	RowKey       string    `json:"RowKey"`
	ObjectID     string    `json:"ObjectId"`
	UPN          string    `json:"Upn"`
	Name         string    `json:"Name"`
	FirstSeen    time.Time `json:"FirstSeen"`
	LastSignIn   time.Time `json:"LastSignIn"`
}

// SignIn reads the profile to keep its first-seen time, then writes the profile
// and the tenant's activity in one batch: two round trips per sign-in.
func (s *DirectoryStore) SignIn(ctx context.Context, p directory.Profile) (directory.Profile, error) {
	if err := checkKey(p.TenantID, p.ObjectID); err != nil {
		return directory.Profile{}, err
	}
	now := p.LastSignIn.UTC()
	p.FirstSeen = now
	old, err := s.Profile(ctx, p.TenantID, p.ObjectID)
	userAction := aztables.TransactionTypeAdd
	switch {
	case err == nil:
		p.FirstSeen = old.FirstSeen
		userAction = aztables.TransactionTypeInsertReplace
	case teamspro.ErrorCode(err) != teamspro.ENOTFOUND:
		return directory.Profile{}, err
	}
	user, err := json.Marshal(profileEntity{p.TenantID, userRow(p.ObjectID), p.ObjectID, p.UPN, p.Name, p.FirstSeen, now})
	if err != nil {
		return directory.Profile{}, teamspro.Wrap(teamspro.EINTERNAL, err, "encode profile")
	}
	// Merge keeps the tenant's FirstSeen once set: it is only written on the
	// first sign-in of the tenant's first user, below.
	tenantCols := map[string]any{"PartitionKey": p.TenantID, "RowKey": tenantRow, "LastActivity": now}
	if userAction == aztables.TransactionTypeAdd {
		if _, err := s.tenant(ctx, p.TenantID); teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
			tenantCols["FirstSeen"] = now
		}
	}
	tenant, _ := json.Marshal(tenantCols)
	acts := []aztables.TransactionAction{
		action(userAction, user, ""),
		action(aztables.TransactionTypeInsertMerge, tenant, ""),
	}
	if rk := upnRow(p.UPN); rk != "" && checkKey(p.TenantID, rk) == nil {
		b, _ := json.Marshal(map[string]any{"PartitionKey": p.TenantID, "RowKey": rk, "ObjectId": p.ObjectID})
		acts = append(acts, action(aztables.TransactionTypeInsertReplace, b, ""))
	}
	err = s.c.submit(ctx, TableDirectory, acts)
	if teamspro.ErrorCode(err) == teamspro.ECONFLICT {
		// Two first sign-ins of one user raced; the other one created the
		// profile, so this one is a refresh.
		return s.SignIn(ctx, p)
	}
	if err != nil {
		return directory.Profile{}, err
	}
	p.LastSignIn = now
	return p, nil
}

// Profile returns one user's profile.
func (s *DirectoryStore) Profile(ctx context.Context, tenantID, objectID string) (directory.Profile, error) {
	if err := checkKey(tenantID, objectID); err != nil {
		return directory.Profile{}, err
	}
	resp, err := s.c.getEntity(ctx, TableDirectory, tenantID, userRow(objectID))
	if err != nil {
		return directory.Profile{}, translate(err, "get profile")
	}
	var e profileEntity
	if err := json.Unmarshal(resp.Value, &e); err != nil {
		return directory.Profile{}, teamspro.Wrap(teamspro.EINTERNAL, err, "decode profile")
	}
	return directory.Profile{TenantID: tenantID, ObjectID: e.ObjectID, UPN: e.UPN, Name: e.Name, FirstSeen: e.FirstSeen, LastSignIn: e.LastSignIn}, nil
}

func (s *DirectoryStore) tenant(ctx context.Context, tenantID string) (directory.Tenant, error) {
	resp, err := s.c.getEntity(ctx, TableDirectory, tenantID, tenantRow)
	if err != nil {
		return directory.Tenant{}, translate(err, "get tenant")
	}
	var e struct{ FirstSeen, LastActivity time.Time }
	if err := json.Unmarshal(resp.Value, &e); err != nil {
		return directory.Tenant{}, teamspro.Wrap(teamspro.EINTERNAL, err, "decode tenant")
	}
	return directory.Tenant{ID: tenantID, FirstSeen: e.FirstSeen, LastActivity: e.LastActivity}, nil
}

// Tenant returns an organization's record; ENOTFOUND if none of its users signed in.
func (s *DirectoryStore) Tenant(ctx context.Context, tenantID string) (directory.Tenant, error) {
	if err := checkKey(tenantID); err != nil {
		return directory.Tenant{}, err
	}
	return s.tenant(ctx, tenantID)
}

// ByUPN returns the user who last signed in with upn (case-insensitive): two
// point reads, the UPN's pointer and the profile, which must still carry that
// UPN (a user renamed since leaves a stale pointer, which finds nobody).
func (s *DirectoryStore) ByUPN(ctx context.Context, tenantID, upn string) (directory.Profile, error) {
	rk := upnRow(upn)
	if err := checkKey(tenantID, rk); err != nil || rk == "" {
		return directory.Profile{}, teamspro.Errorf(teamspro.ENOTFOUND, "No user signed in with that name.")
	}
	resp, err := s.c.getEntity(ctx, TableDirectory, tenantID, rk)
	if err != nil {
		return directory.Profile{}, translate(err, "get upn")
	}
	var e struct {
		ObjectID string `json:"ObjectId"`
	}
	if err := json.Unmarshal(resp.Value, &e); err != nil {
		return directory.Profile{}, teamspro.Wrap(teamspro.EINTERNAL, err, "decode upn")
	}
	p, err := s.Profile(ctx, tenantID, e.ObjectID)
	if err != nil {
		return directory.Profile{}, err
	}
	if !strings.EqualFold(p.UPN, strings.TrimSpace(upn)) {
		return directory.Profile{}, teamspro.Errorf(teamspro.ENOTFOUND, "No user signed in with that name.")
	}
	return p, nil
}
