// Package apikey is the integration keys of a tenant: what the original
// products' Power Platform connector sends as Ocp-Apim-Subscription-Key. A key
// acts for its tenant on the connector routes of the calendars it names, and
// nothing else. Keys are shown once, at creation; only their SHA-256 is stored,
// so a leaked table never leaks a usable key.
package apikey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// Key is an API key's stored record (never the secret itself).
type Key struct {
	TenantID    string    `json:"-"`
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	CalendarIDs []string  `json:"calendarIds"`
	CreatedBy   string    `json:"createdBy"`
	CreatedAt   time.Time `json:"createdAt"`
	Hash        string    `json:"-"`
}

// Prefix marks our keys so that secret scanners and people recognise them.
const Prefix = "tpk_"

// New makes a key's secret and its hash. 32 random bytes make it unguessable.
func New() (secret, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	secret = Prefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, Hash(secret), nil
}

// Hash is what is stored and looked up: a SHA-256 of the whole secret. A fast
// hash is right here: the secret has 256 bits of entropy, so there is nothing
// to slow down guessing for, and lookups stay one point read.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// WellFormed reports whether s can be one of our keys, so that garbage never
// costs a storage read.
func WellFormed(s string) bool {
	return strings.HasPrefix(s, Prefix) && len(s) == len(Prefix)+43
}

// Input is what a client sends to create a key.
type Input struct {
	Name        string   `json:"name"`
	CalendarIDs []string `json:"calendarIds"`
}

// Validate reports every invalid field.
func (in *Input) Validate() error {
	var v teamspro.Validation
	v.Check(len(strings.TrimSpace(in.Name)) >= 1 && len(in.Name) <= 100, "name", "1 to 100 characters")
	v.Check(len(in.CalendarIDs) >= 1 && len(in.CalendarIDs) <= 50, "calendarIds", "1 to 50 calendar ids")
	for _, c := range in.CalendarIDs {
		if !v.Check(teamspro.ValidID(c), "calendarIds", "calendar ids are letters, digits and . _ : @ -") {
			break
		}
	}
	return v.Err()
}

// Store keeps keys.
type Store interface {
	// Create stores k (with its Hash set). ECONFLICT on a duplicate id.
	Create(ctx context.Context, k *Key) error
	// ByHash finds a key by the hash of its secret; EUNAUTHORIZED if none.
	ByHash(ctx context.Context, hash string) (*Key, error)
	// List returns the tenant's keys.
	List(ctx context.Context, tenantID string) ([]*Key, error)
	// Get returns one key of the tenant; ENOTFOUND otherwise.
	Get(ctx context.Context, tenantID, id string) (*Key, error)
	// Revoke deletes a key so that it stops working at once; ENOTFOUND if gone.
	Revoke(ctx context.Context, tenantID, id string) error
}
