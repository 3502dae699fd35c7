package tab

import (
	"context"
	"time"

	"github.com/teamspro/functions/internal/ttlcache"
)

// Cache is a Store that remembers, for a short time, which tab owns a
// calendar. Every event and reservation request starts with that lookup (the
// tab carries the permissions), so remembering it makes reading an event one
// storage round trip instead of two.
//
// The trade-off is freshness across instances: a change made through this
// instance (update, delete, restore, purge) forgets the tenant's entries at
// once, but another instance of the function app may act on the old
// permissions for up to TTL. A sign-in token outlives that by far (an hour),
// so a short TTL adds little to how long a removed member keeps access.
// Only ByCalendar is cached; Get serves the read-modify-write of the tab
// itself and always reads storage.
type Cache struct {
	Store
	tabs *ttlcache.Cache[*Tab] // tenant, calendar id -> tab
}

// NewCache wraps s. ttl <= 0 returns s itself: no caching. max bounds the
// number of remembered calendars.
func NewCache(s Store, ttl time.Duration, max int, now func() time.Time) Store {
	if ttl <= 0 {
		return s
	}
	return &Cache{Store: s, tabs: ttlcache.New[*Tab](ttl, max, now)}
}

// ByCalendar returns the remembered tab while it is fresh, else reads it. A
// missing tab is never remembered: one created elsewhere shows up at once.
// Callers get copies.
func (c *Cache) ByCalendar(ctx context.Context, tenantID, calendarID string) (*Tab, error) {
	t, _, err := c.tabs.Load(tenantID, calendarID, func() (*Tab, error) {
		return c.Store.ByCalendar(ctx, tenantID, calendarID)
	})
	return t.Clone(), err
}

// ForgetTenant drops every remembered tab of the tenant; the organization
// purge calls it, as does every tab write below.
func (c *Cache) ForgetTenant(tenantID string) { c.tabs.ForgetTenant(tenantID) }

// Create forgets the tenant's tabs and creates t.
func (c *Cache) Create(ctx context.Context, t *Tab) error {
	defer c.ForgetTenant(t.TenantID)
	return c.Store.Create(ctx, t)
}

// Update forgets the tenant's tabs and updates t.
func (c *Cache) Update(ctx context.Context, t *Tab, ifMatch string) error {
	defer c.ForgetTenant(t.TenantID)
	return c.Store.Update(ctx, t, ifMatch)
}

// Delete forgets the tenant's tabs and deletes the tab.
func (c *Cache) Delete(ctx context.Context, tenantID, tabID, ifMatch string, at time.Time) error {
	defer c.ForgetTenant(tenantID)
	return c.Store.Delete(ctx, tenantID, tabID, ifMatch, at)
}

// Restore forgets the tenant's tabs and restores the tab.
func (c *Cache) Restore(ctx context.Context, tenantID, tabID string) (*Tab, error) {
	defer c.ForgetTenant(tenantID)
	return c.Store.Restore(ctx, tenantID, tabID)
}

// PurgeDeleted forgets every tab and purges.
func (c *Cache) PurgeDeleted(ctx context.Context, cutoff time.Time) (int, error) {
	defer c.tabs.ForgetAll()
	return c.Store.PurgeDeleted(ctx, cutoff)
}
