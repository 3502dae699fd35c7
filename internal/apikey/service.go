package apikey

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/teamspro"
)

// Tabs finds the tab owning a calendar, whose owners may make keys for it.
// tab.Store is one.
type Tabs interface {
	ByCalendar(ctx context.Context, tenantID, calendarID string) (*tab.Tab, error)
}

// Service makes, lists, revokes and checks keys.
type Service struct {
	keys Store
	tabs Tabs
	now  teamspro.Clock
}

// NewService returns a Service over keys and tabs, on the clock now
// (default time.Now).
func NewService(keys Store, tabs Tabs, now teamspro.Clock) (*Service, error) {
	if keys == nil || tabs == nil {
		return nil, errors.New("apikey: key and tab stores are required")
	}
	if now == nil {
		now = time.Now
	}
	return &Service{keys: keys, tabs: tabs, now: now}, nil
}

// Create makes a key for calendars p owns (tenant admins: any calendar of
// the tenant) and returns it with its secret, which is never shown again.
// EINVALID for invalid input; EFORBIDDEN for a calendar p does not own;
// ENOTFOUND for one that does not exist.
func (s *Service) Create(ctx context.Context, p teamspro.Principal, in Input) (*Key, string, error) {
	if err := in.Validate(); err != nil {
		return nil, "", err
	}
	slices.Sort(in.CalendarIDs)
	in.CalendarIDs = slices.Compact(in.CalendarIDs)
	for _, id := range in.CalendarIDs {
		t, err := s.tabs.ByCalendar(ctx, p.TenantID, id)
		if err != nil {
			return nil, "", err
		}
		if !t.IsOwner(p) {
			return nil, "", teamspro.Errorf(teamspro.EFORBIDDEN, "Only owners of calendar %s and tenant admins may create keys for it.", id)
		}
	}
	secret, hash, err := New()
	if err != nil {
		return nil, "", teamspro.Wrap(teamspro.EINTERNAL, err, "make key")
	}
	k := &Key{TenantID: p.TenantID, ID: uuid.NewString(), Name: in.Name, CalendarIDs: in.CalendarIDs,
		CreatedBy: p.ObjectID, CreatedAt: s.now().UTC(), Hash: hash}
	if err := s.keys.Create(ctx, k); err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

// List returns the tenant's keys to admins, their own to others.
func (s *Service) List(ctx context.Context, p teamspro.Principal) ([]*Key, error) {
	keys, err := s.keys.List(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	if !p.Admin {
		keys = slices.DeleteFunc(keys, func(k *Key) bool { return k.CreatedBy != p.ObjectID })
	}
	return keys, nil
}

// Revoke revokes a key, for its creator and tenant admins (EFORBIDDEN for
// anyone else); ENOTFOUND if there is none.
func (s *Service) Revoke(ctx context.Context, p teamspro.Principal, keyID string) error {
	k, err := s.keys.Get(ctx, p.TenantID, keyID)
	if err != nil {
		return err
	}
	if !p.Admin && k.CreatedBy != p.ObjectID {
		return teamspro.Errorf(teamspro.EFORBIDDEN, "Only the key's creator and tenant admins may revoke it.")
	}
	return s.keys.Revoke(ctx, p.TenantID, keyID)
}

// Authenticate turns a secret into a principal acting for the key's tenant
// and calendars; EUNAUTHORIZED for a secret that is no current key. A
// malformed secret costs no storage read.
func (s *Service) Authenticate(ctx context.Context, secret string) (teamspro.Principal, error) {
	if !WellFormed(secret) {
		return teamspro.Principal{}, teamspro.Errorf(teamspro.EUNAUTHORIZED, "The API key is not valid.")
	}
	k, err := s.keys.ByHash(ctx, Hash(secret))
	if err != nil {
		return teamspro.Principal{}, err
	}
	return teamspro.Principal{TenantID: k.TenantID, APIKeyID: k.ID, CalendarIDs: k.CalendarIDs, Name: k.Name}, nil
}
