// Package ttlcache remembers values per tenant for a short time. The tab and
// room caches use it: both save a storage round trip on a hot path, and both
// must forget a tenant's values the moment this instance changes them.
package ttlcache

import (
	"sync"
	"time"
)

// Cache maps (tenant, key) to values that expire after a TTL. It is safe for
// concurrent use. Values are returned as stored: callers that hand them out
// copy them.
type Cache[V any] struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	tenants map[string]map[string]entry[V]
	size    int
	// gen counts forgets: a load that began before one must not remember
	// what it read, which may predate the write that caused the forget.
	gen uint64
}

type entry[V any] struct {
	v       V
	expires time.Time
}

// New returns a cache whose values live ttl, holding at most max of them
// (10,000 when max <= 0). now defaults to time.Now.
func New[V any](ttl time.Duration, max int, now func() time.Time) *Cache[V] {
	if now == nil {
		now = time.Now
	}
	if max <= 0 {
		max = 10000
	}
	return &Cache[V]{ttl: ttl, max: max, now: now, tenants: map[string]map[string]entry[V]{}}
}

// Load returns the value remembered for (tenant, key) while it is fresh;
// otherwise it calls load and remembers what load returns, unless load fails
// or a Forget happened while it ran. hit says whether load was spared.
func (c *Cache[V]) Load(tenant, key string, load func() (V, error)) (v V, hit bool, err error) {
	return c.LoadIf(tenant, key, nil, load)
}

// LoadIf is Load where a fresh remembered value also has to satisfy valid
// (when not nil) to be returned; one that does not is replaced by what load
// returns. The room directory checks this way that the value it remembers
// was read under the version storage holds now.
func (c *Cache[V]) LoadIf(tenant, key string, valid func(V) bool, load func() (V, error)) (v V, hit bool, err error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.tenants[tenant][key]
	gen := c.gen
	c.mu.Unlock()
	if ok && now.Before(e.expires) && (valid == nil || valid(e.v)) {
		return e.v, true, nil
	}
	if v, err = load(); err != nil {
		return v, false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen == c.gen {
		c.put(tenant, key, entry[V]{v: v, expires: now.Add(c.ttl)})
	}
	return v, false, nil
}

func (c *Cache[V]) put(tenant, key string, e entry[V]) {
	if c.size >= c.max {
		c.evict()
	}
	m := c.tenants[tenant]
	if m == nil {
		m = map[string]entry[V]{}
		c.tenants[tenant] = m
	}
	if _, ok := m[key]; !ok {
		c.size++
	}
	m[key] = e
}

// evict drops expired entries, or everything when none has expired: a full
// cache is rare (max distinct keys within one TTL), and it is only an
// optimisation.
func (c *Cache[V]) evict() {
	now := c.now()
	for tenant, m := range c.tenants {
		for key, e := range m {
			if !now.Before(e.expires) {
				delete(m, key)
				c.size--
			}
		}
		if len(m) == 0 {
			delete(c.tenants, tenant)
		}
	}
	if c.size >= c.max {
		c.tenants, c.size = map[string]map[string]entry[V]{}, 0
	}
}

// ForgetTenant drops every value of the tenant, and keeps loads already
// running from remembering theirs.
func (c *Cache[V]) ForgetTenant(tenant string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.size -= len(c.tenants[tenant])
	delete(c.tenants, tenant)
}

// ForgetAll drops every value.
func (c *Cache[V]) ForgetAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.tenants, c.size = map[string]map[string]entry[V]{}, 0
}

// Len returns how many values are remembered, expired ones included.
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}
