// Package directory keeps who has signed in: one record per organization (Entra
// tenant) and one profile per user, refreshed at every sign-in. Nothing else about
// a user is stored; nothing from Teams conversations or files is ever read.
package directory

import (
	"context"
	"time"
)

// Tenant is an organization that uses the product.
type Tenant struct {
	ID           string    `json:"id"`
	FirstSeen    time.Time `json:"firstSeen"`
	LastActivity time.Time `json:"lastActivity"`
}

// Profile is a user as last seen at sign-in.
type Profile struct {
	TenantID   string    `json:"tenantId"`
	ObjectID   string    `json:"objectId"`
	UPN        string    `json:"upn,omitempty"`
	Name       string    `json:"displayName,omitempty"`
	FirstSeen  time.Time `json:"firstSeen"`
	LastSignIn time.Time `json:"lastSignIn"`
}

// Store keeps tenants and profiles.
type Store interface {
	// SignIn creates or refreshes the profile and the tenant's record in one
	// atomic write and returns the stored profile. Returns EUNAVAILABLE when
	// storage cannot be reached.
	SignIn(ctx context.Context, p Profile) (Profile, error)
	// Profile returns one user's profile; ENOTFOUND if that user of that tenant
	// never signed in.
	Profile(ctx context.Context, tenantID, objectID string) (Profile, error)
	// ByUPN returns the user who last signed in with a user principal name
	// (case-insensitive); ENOTFOUND if nobody did.
	ByUPN(ctx context.Context, tenantID, upn string) (Profile, error)
}
