package calendar

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// countingExternals is an ExternalStore over a map of calendars that counts
// Copies reads and can fail them.
type countingExternals struct {
	ExternalStore // unused methods panic
	mu            sync.Mutex
	cals          map[string][]ExternalWithCopy // tenant|calendar
	reads         int
	fail          error
}

func (m *countingExternals) Copies(_ context.Context, tenantID, calendarID string) ([]ExternalWithCopy, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	if m.fail != nil {
		return nil, m.fail
	}
	return append([]ExternalWithCopy(nil), m.cals[tenantID+"|"+calendarID]...), nil
}

func (m *countingExternals) AddExternal(_ context.Context, x *External) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := x.TenantID + "|" + x.CalendarID
	m.cals[k] = append(m.cals[k], ExternalWithCopy{External: *x})
	return nil
}

func (m *countingExternals) SaveFetch(_ context.Context, x External, c *ExternalCopy) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := x.TenantID + "|" + x.CalendarID
	for i := range m.cals[k] {
		if m.cals[k][i].ID == x.ID {
			m.cals[k][i] = ExternalWithCopy{External: x, Copy: *c}
		}
	}
	return nil
}

func (m *countingExternals) DeleteExternal(_ context.Context, tenantID, calendarID, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := tenantID + "|" + calendarID
	var kept []ExternalWithCopy
	for _, x := range m.cals[k] {
		if x.ID != id {
			kept = append(kept, x)
		}
	}
	m.cals[k] = kept
	return nil
}

func (m *countingExternals) readsSince(t *testing.T, before int) int {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reads - before
}

// TestExternalCache: a view's copies come from memory while fresh; every
// write through this instance, the tenant's purge and the TTL make the next
// view read storage again, and what it reads is what it shows.
func TestExternalCache(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	x := External{TenantID: "t1", CalendarID: "c1", ID: "x1", Name: "Team"}
	fetched := x
	fetched.LastSuccess = now
	copy1 := &ExternalCopy{Events: []Event{{ID: "e1", Title: "Fetched"}}}

	tests := []struct {
		name   string
		change func(c ExternalStore) // made between two views
		want   int                   // storage reads of the second view
		shows  func([]ExternalWithCopy) bool
	}{
		{"nothing", func(ExternalStore) {}, 0, func(xs []ExternalWithCopy) bool { return len(xs) == 0 }},
		{"add", func(c ExternalStore) { _ = c.AddExternal(ctx, &x) }, 1, func(xs []ExternalWithCopy) bool { return len(xs) == 1 }},
		{"another tenant's add", func(c ExternalStore) {
			_ = c.AddExternal(ctx, &External{TenantID: "t2", CalendarID: "c1", ID: "x9"})
		}, 0, func(xs []ExternalWithCopy) bool { return len(xs) == 0 }},
		{"purge", func(c ExternalStore) { c.(*ExternalCache).ForgetTenant("t1") }, 1, func(xs []ExternalWithCopy) bool { return len(xs) == 0 }},
		{"TTL", func(ExternalStore) { now = now.Add(16 * time.Second) }, 1, func(xs []ExternalWithCopy) bool { return len(xs) == 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &countingExternals{cals: map[string][]ExternalWithCopy{}}
			c := NewExternalCache(store, 15*time.Second, 0, clock)
			if _, err := c.Copies(ctx, "t1", "c1"); err != nil {
				t.Fatal(err)
			}
			tt.change(c)
			before := store.readsSince(t, 0)
			got, err := c.Copies(ctx, "t1", "c1")
			if err != nil {
				t.Fatal(err)
			}
			if n := store.readsSince(t, before); n != tt.want {
				t.Errorf("got %d storage reads for the second view, want %d", n, tt.want)
			}
			if !tt.shows(got) {
				t.Errorf("the second view shows %+v", got)
			}
		})
	}

	t.Run("fetch and removal", func(t *testing.T) {
		store := &countingExternals{cals: map[string][]ExternalWithCopy{}}
		c := NewExternalCache(store, 15*time.Second, 0, clock)
		if err := c.AddExternal(ctx, &x); err != nil {
			t.Fatal(err)
		}
		if xs, _ := c.Copies(ctx, "t1", "c1"); len(xs) != 1 || len(xs[0].Copy.Events) != 0 {
			t.Fatalf("before the fetch: got %+v, want the external calendar without a copy", xs)
		}
		if err := c.SaveFetch(ctx, fetched, copy1); err != nil {
			t.Fatal(err)
		}
		if xs, _ := c.Copies(ctx, "t1", "c1"); len(xs) != 1 || len(xs[0].Copy.Events) != 1 {
			t.Fatalf("after the fetch: got %+v, want its copy", xs)
		}
		if err := c.DeleteExternal(ctx, "t1", "c1", "x1"); err != nil {
			t.Fatal(err)
		}
		if xs, _ := c.Copies(ctx, "t1", "c1"); len(xs) != 0 {
			t.Fatalf("after the removal: got %+v, want none", xs)
		}
	})

	t.Run("callers' slices are their own", func(t *testing.T) {
		store := &countingExternals{cals: map[string][]ExternalWithCopy{"t1|c1": {{External: x}}}}
		c := NewExternalCache(store, 15*time.Second, 0, clock)
		a, _ := c.Copies(ctx, "t1", "c1")
		a[0].Name = "Changed by a caller"
		_ = append(a[:0], ExternalWithCopy{External: External{ID: "other"}})
		if b, _ := c.Copies(ctx, "t1", "c1"); len(b) != 1 || b[0].ID != "x1" || b[0].Name != "Team" {
			t.Errorf("got %+v, want the remembered external calendar unchanged", b)
		}
	})

	t.Run("a failed read is not remembered", func(t *testing.T) {
		store := &countingExternals{cals: map[string][]ExternalWithCopy{}, fail: errors.New("storage down")}
		c := NewExternalCache(store, 15*time.Second, 0, clock)
		if _, err := c.Copies(ctx, "t1", "c1"); err == nil {
			t.Fatal("got nil, want the storage error")
		}
		store.fail = nil
		before := store.readsSince(t, 0)
		if _, err := c.Copies(ctx, "t1", "c1"); err != nil {
			t.Fatal(err)
		}
		if n := store.readsSince(t, before); n != 1 {
			t.Errorf("got %d reads after a failure, want 1", n)
		}
	})

	if c := NewExternalCache(&countingExternals{}, 0, 0, clock); c == nil {
		t.Fatal("nil store")
	} else if _, ok := c.(*ExternalCache); ok {
		t.Error("a TTL of 0 still caches")
	}
}
