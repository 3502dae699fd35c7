package calendar

import (
	"context"
	"slices"
	"time"

	"github.com/teamspro/functions/internal/ttlcache"
)

// ExternalCache is an ExternalStore that remembers, for a short time, each
// calendar's external calendars with their copies. Every view of a calendar
// shows them, so without it every view made a fourth storage query beside
// its three, even for the many calendars that have no external calendar.
//
// The trade-off is the tab cache's: a change made through this instance (an
// external calendar added, removed or fetched, an organization purged)
// forgets the tenant's entries at once; another instance shows a change for
// up to TTL late. A copy is fetched again every few hours, and a new external
// calendar's first copy arrives after its first fetch, so a few seconds more
// change little of what a view shows. ListExternals (the owners' settings)
// always reads storage.
type ExternalCache struct {
	ExternalStore
	copies *ttlcache.Cache[[]ExternalWithCopy] // tenant, calendar id -> copies
}

// NewExternalCache wraps s. ttl <= 0 returns s itself: no caching. max bounds
// the number of remembered calendars.
func NewExternalCache(s ExternalStore, ttl time.Duration, max int, now func() time.Time) ExternalStore {
	if ttl <= 0 {
		return s
	}
	return &ExternalCache{ExternalStore: s, copies: ttlcache.New[[]ExternalWithCopy](ttl, max, now)}
}

// Copies returns the remembered external calendars of the calendar while
// they are fresh, else reads them. Callers get their own slice; the copies in
// it are shared and read only, as the store's own are.
func (c *ExternalCache) Copies(ctx context.Context, tenantID, calendarID string) ([]ExternalWithCopy, error) {
	xs, _, err := c.copies.Load(tenantID, calendarID, func() ([]ExternalWithCopy, error) {
		return c.ExternalStore.Copies(ctx, tenantID, calendarID)
	})
	return slices.Clone(xs), err
}

// ForgetTenant drops every remembered calendar of the tenant; the
// organization purge calls it, as does every write below.
func (c *ExternalCache) ForgetTenant(tenantID string) { c.copies.ForgetTenant(tenantID) }

// AddExternal forgets the tenant's calendars and adds x.
func (c *ExternalCache) AddExternal(ctx context.Context, x *External) error {
	defer c.ForgetTenant(x.TenantID)
	return c.ExternalStore.AddExternal(ctx, x)
}

// SaveFetch forgets the tenant's calendars and records the fetch.
func (c *ExternalCache) SaveFetch(ctx context.Context, x External, cp *ExternalCopy) error {
	defer c.ForgetTenant(x.TenantID)
	return c.ExternalStore.SaveFetch(ctx, x, cp)
}

// DeleteExternal forgets the tenant's calendars and removes the external
// calendar.
func (c *ExternalCache) DeleteExternal(ctx context.Context, tenantID, calendarID, id string) error {
	defer c.ForgetTenant(tenantID)
	return c.ExternalStore.DeleteExternal(ctx, tenantID, calendarID, id)
}
