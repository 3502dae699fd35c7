package tab

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// memStore is a Store over a map that counts ByCalendar reads; block, when
// set, holds a read until it is closed.
type memStore struct {
	mu    sync.Mutex
	tabs  map[string]*Tab // tenant|calendar
	reads int
	block chan struct{}
}

func newMemStore(tabs ...*Tab) *memStore {
	m := &memStore{tabs: map[string]*Tab{}}
	for _, t := range tabs {
		m.tabs[t.TenantID+"|"+t.CalendarID] = t.Clone()
	}
	return m
}

func (m *memStore) ByCalendar(_ context.Context, tenantID, calendarID string) (*Tab, error) {
	m.mu.Lock()
	m.reads++
	t, ok := m.tabs[tenantID+"|"+calendarID]
	block := m.block
	m.mu.Unlock()
	if block != nil {
		<-block
	}
	if !ok {
		return nil, teamspro.Errorf(teamspro.ENOTFOUND, "no tab")
	}
	return t.Clone(), nil
}

func (m *memStore) Get(context.Context, string, string) (*Tab, error) {
	return nil, teamspro.Errorf(teamspro.ENOTFOUND, "no tab")
}
func (m *memStore) Create(_ context.Context, t *Tab) error {
	return m.Update(context.Background(), t, "")
}
func (m *memStore) Update(_ context.Context, t *Tab, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tabs[t.TenantID+"|"+t.CalendarID] = t.Clone()
	return nil
}
func (m *memStore) Delete(context.Context, string, string, string, time.Time) error { return nil }
func (m *memStore) Restore(context.Context, string, string) (*Tab, error)           { return nil, nil }
func (m *memStore) PurgeDeleted(context.Context, time.Time) (int, error)            { return 0, nil }

func (m *memStore) readCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.reads
	m.reads = 0
	return n
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newCached(t *testing.T, m *memStore, max int) (*Cache, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	c, ok := NewCache(m, 15*time.Second, max, clk.now).(*Cache)
	if !ok {
		t.Fatal("NewCache with a TTL did not return a *Cache")
	}
	return c, clk
}

func mustByCalendar(t *testing.T, s Store, tenant, cal string) *Tab {
	t.Helper()
	tb, err := s.ByCalendar(context.Background(), tenant, cal)
	if err != nil {
		t.Fatalf("ByCalendar(%s, %s): %v", tenant, cal, err)
	}
	return tb
}

func TestCacheRemembersForTTL(t *testing.T) {
	t.Parallel()
	m := newMemStore(&Tab{TenantID: "a", CalendarID: "cal", Settings: Settings{Owners: []string{"o1"}}})
	c, clk := newCached(t, m, 0)

	mustByCalendar(t, c, "a", "cal")
	mustByCalendar(t, c, "a", "cal")
	if got := m.readCount(); got != 1 {
		t.Errorf("two reads within the TTL: got %d storage reads, want 1", got)
	}
	clk.add(15 * time.Second)
	mustByCalendar(t, c, "a", "cal")
	if got := m.readCount(); got != 1 {
		t.Errorf("read at the TTL: got %d storage reads, want 1", got)
	}
}

func TestCacheReturnsCopies(t *testing.T) {
	t.Parallel()
	m := newMemStore(&Tab{TenantID: "a", CalendarID: "cal", Settings: Settings{Owners: []string{"o1"}, BusinessHours: &Hours{Start: "08:00", End: "18:00"}}})
	c, _ := newCached(t, m, 0)
	first := mustByCalendar(t, c, "a", "cal")
	first.Settings.Owners[0] = "intruder"
	first.Settings.BusinessHours.Start = "00:00"
	again := mustByCalendar(t, c, "a", "cal")
	if got := again.Settings.Owners[0]; got != "o1" {
		t.Errorf("got owner %q after a caller changed its copy, want o1", got)
	}
	if got := again.Settings.BusinessHours.Start; got != "08:00" {
		t.Errorf("got business hours start %q after a caller changed its copy, want 08:00", got)
	}
}

func TestCacheForgetsOnWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	writes := []struct {
		name  string
		write func(c *Cache) error
	}{
		{"create", func(c *Cache) error { return c.Create(ctx, &Tab{TenantID: "a", CalendarID: "other"}) }},
		{"update", func(c *Cache) error {
			return c.Update(ctx, &Tab{TenantID: "a", CalendarID: "cal", Settings: Settings{Owners: []string{"o2"}}}, "")
		}},
		{"delete", func(c *Cache) error { return c.Delete(ctx, "a", "tab", "", time.Time{}) }},
		{"restore", func(c *Cache) error { _, err := c.Restore(ctx, "a", "tab"); return err }},
		{"purge deleted", func(c *Cache) error { _, err := c.PurgeDeleted(ctx, time.Time{}); return err }},
		{"forget tenant", func(c *Cache) error { c.ForgetTenant("a"); return nil }},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			m := newMemStore(&Tab{TenantID: "a", CalendarID: "cal"}, &Tab{TenantID: "b", CalendarID: "cal"})
			c, _ := newCached(t, m, 0)
			mustByCalendar(t, c, "a", "cal")
			mustByCalendar(t, c, "b", "cal")
			m.readCount()
			if err := w.write(c); err != nil {
				t.Fatal(err)
			}
			mustByCalendar(t, c, "a", "cal")
			if got := m.readCount(); got != 1 {
				t.Errorf("read after %s: got %d storage reads, want 1", w.name, got)
			}
		})
	}

	t.Run("other tenants stay remembered", func(t *testing.T) {
		t.Parallel()
		m := newMemStore(&Tab{TenantID: "a", CalendarID: "cal"}, &Tab{TenantID: "b", CalendarID: "cal"})
		c, _ := newCached(t, m, 0)
		mustByCalendar(t, c, "b", "cal")
		m.readCount()
		if err := c.Update(ctx, &Tab{TenantID: "a", CalendarID: "cal"}, ""); err != nil {
			t.Fatal(err)
		}
		mustByCalendar(t, c, "b", "cal")
		if got := m.readCount(); got != 0 {
			t.Errorf("read of another tenant after an update: got %d storage reads, want 0", got)
		}
	})
}

func TestCacheUpdateSeenAtOnce(t *testing.T) {
	t.Parallel()
	m := newMemStore(&Tab{TenantID: "a", CalendarID: "cal", Settings: Settings{Owners: []string{"o1"}}})
	c, _ := newCached(t, m, 0)
	mustByCalendar(t, c, "a", "cal")
	if err := c.Update(context.Background(), &Tab{TenantID: "a", CalendarID: "cal", Settings: Settings{Owners: []string{"o2"}}}, ""); err != nil {
		t.Fatal(err)
	}
	if got := mustByCalendar(t, c, "a", "cal").Settings.Owners; len(got) != 1 || got[0] != "o2" {
		t.Errorf("got owners %v right after the update, want [o2]", got)
	}
}

// TestCacheReadDuringWrite: a read that began before a write must not
// remember the tab it read, which may be the one the write replaced.
func TestCacheReadDuringWrite(t *testing.T) {
	t.Parallel()
	m := newMemStore(&Tab{TenantID: "a", CalendarID: "cal", Settings: Settings{Owners: []string{"old"}}})
	c, _ := newCached(t, m, 0)
	m.block = make(chan struct{})
	done := make(chan *Tab)
	go func() {
		tb, _ := c.ByCalendar(context.Background(), "a", "cal")
		done <- tb
	}()
	for {
		m.mu.Lock()
		started := m.reads > 0
		m.mu.Unlock()
		if started {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := c.Update(context.Background(), &Tab{TenantID: "a", CalendarID: "cal", Settings: Settings{Owners: []string{"new"}}}, ""); err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	close(m.block)
	m.block = nil
	m.mu.Unlock()
	<-done
	if got := mustByCalendar(t, c, "a", "cal").Settings.Owners; got[0] != "new" {
		t.Errorf("got owners %v after the in-flight read finished, want [new]", got)
	}
}

func TestCacheNotFoundNotRemembered(t *testing.T) {
	t.Parallel()
	m := newMemStore()
	c, _ := newCached(t, m, 0)
	if _, err := c.ByCalendar(context.Background(), "a", "cal"); teamspro.ErrorCode(err) != teamspro.ENOTFOUND {
		t.Fatalf("got %v, want not found", err)
	}
	// Created through another instance: this one must see it at once.
	_ = m.Update(context.Background(), &Tab{TenantID: "a", CalendarID: "cal"}, "")
	mustByCalendar(t, c, "a", "cal")
}

func TestCacheBounded(t *testing.T) {
	t.Parallel()
	m := newMemStore(&Tab{TenantID: "a", CalendarID: "c1"}, &Tab{TenantID: "a", CalendarID: "c2"}, &Tab{TenantID: "b", CalendarID: "c3"})
	c, _ := newCached(t, m, 2)
	for _, k := range [][2]string{{"a", "c1"}, {"a", "c2"}, {"b", "c3"}, {"a", "c1"}} {
		mustByCalendar(t, c, k[0], k[1])
		if got := c.tabs.Len(); got > 2 {
			t.Fatalf("after %v: got %d remembered tabs, want at most 2", k, got)
		}
	}
}

func TestNewCacheWithoutTTL(t *testing.T) {
	t.Parallel()
	m := newMemStore()
	if got := NewCache(m, 0, 0, nil); got != Store(m) {
		t.Errorf("got %T, want the store itself when the TTL is zero", got)
	}
}
