package tab

import (
	"context"
	"sync"
	"time"
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
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	tenants map[string]map[string]cached // tenant -> calendar id -> tab
	size    int
	// gen counts forgets: a read that began before one must not remember
	// what it read, which may predate the write that caused the forget.
	gen uint64
}

type cached struct {
	tab     *Tab
	expires time.Time
}

// NewCache wraps s. ttl <= 0 returns s itself: no caching. max bounds the
// number of remembered calendars.
func NewCache(s Store, ttl time.Duration, max int, now func() time.Time) Store {
	if ttl <= 0 {
		return s
	}
	if now == nil {
		now = time.Now
	}
	if max <= 0 {
		max = 10000
	}
	return &Cache{Store: s, ttl: ttl, max: max, now: now, tenants: map[string]map[string]cached{}}
}

// ByCalendar returns the remembered tab while it is fresh, else reads it. A
// missing tab is never remembered: one created elsewhere shows up at once.
func (c *Cache) ByCalendar(ctx context.Context, tenantID, calendarID string) (*Tab, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.tenants[tenantID][calendarID]
	gen := c.gen
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.tab.Clone(), nil
	}
	t, err := c.Store.ByCalendar(ctx, tenantID, calendarID)
	if err != nil {
		return nil, err
	}
	c.remember(gen, tenantID, calendarID, t.Clone(), now.Add(c.ttl))
	return t, nil
}

func (c *Cache) remember(gen uint64, tenantID, calendarID string, t *Tab, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.size >= c.max {
		c.evict()
	}
	m := c.tenants[tenantID]
	if m == nil {
		m = map[string]cached{}
		c.tenants[tenantID] = m
	}
	if _, ok := m[calendarID]; !ok {
		c.size++
	}
	m[calendarID] = cached{tab: t, expires: expires}
}

// evict drops expired entries, or everything when none has expired: the
// cache is an optimisation, and a full one is rare (max distinct calendars
// within one TTL).
func (c *Cache) evict() {
	now := c.now()
	for tid, m := range c.tenants {
		for cid, e := range m {
			if !now.Before(e.expires) {
				delete(m, cid)
				c.size--
			}
		}
		if len(m) == 0 {
			delete(c.tenants, tid)
		}
	}
	if c.size >= c.max {
		c.tenants, c.size = map[string]map[string]cached{}, 0
	}
}

// ForgetTenant drops every remembered tab of the tenant; the organization
// purge calls it, as does every tab write below.
func (c *Cache) ForgetTenant(tenantID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.size -= len(c.tenants[tenantID])
	delete(c.tenants, tenantID)
}

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
	defer func() {
		c.mu.Lock()
		c.gen++
		c.tenants, c.size = map[string]map[string]cached{}, 0
		c.mu.Unlock()
	}()
	return c.Store.PurgeDeleted(ctx, cutoff)
}
