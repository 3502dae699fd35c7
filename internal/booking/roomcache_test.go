package booking

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// memRooms is a RoomStore over a map that counts Get reads.
type memRooms struct {
	mu    sync.Mutex
	rooms map[string]*Room // tenant|id
	reads int
}

func (m *memRooms) Get(_ context.Context, tenantID, roomID string) (*Room, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	r, ok := m.rooms[tenantID+"|"+roomID]
	if !ok {
		return nil, teamspro.Errorf(teamspro.ENOTFOUND, "no room")
	}
	return r.Clone(), nil
}
func (m *memRooms) List(context.Context, string) ([]*Room, error) { return nil, nil }

// DirectoryVersion records none: the version's rules are tested over the
// real store (tables).
func (m *memRooms) DirectoryVersion(context.Context, string) (string, error) { return "", nil }
func (m *memRooms) RecordDirectoryVersion(context.Context, string) error     { return nil }
func (m *memRooms) Create(ctx context.Context, r *Room) error                { return m.Update(ctx, r, "") }
func (m *memRooms) Update(_ context.Context, r *Room, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rooms[r.TenantID+"|"+r.ID] = r.Clone()
	return nil
}
func (m *memRooms) Delete(_ context.Context, tenantID, roomID, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.rooms, tenantID+"|"+roomID)
	return nil
}
func (m *memRooms) Import(ctx context.Context, tenantID string, rooms []*Room) (int, int, error) {
	for _, r := range rooms {
		_ = m.Update(ctx, r, "")
	}
	return 0, len(rooms), nil
}

func (m *memRooms) readCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.reads
	m.reads = 0
	return n
}

func newRoomCacheFixture(t *testing.T) (*RoomCache, *memRooms) {
	t.Helper()
	m := &memRooms{rooms: map[string]*Room{}}
	_ = m.Create(context.Background(), &Room{TenantID: "a", ID: "r1", RoomInput: RoomInput{Name: "Blue", Managers: []string{"m1"}}})
	_ = m.Create(context.Background(), &Room{TenantID: "b", ID: "r1", RoomInput: RoomInput{Name: "Other"}})
	m.readCount()
	return NewRoomCache(m, time.Minute, 0, nil), m
}

func TestRoomCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	get := func(t *testing.T, s RoomStore, tenant string) *Room {
		t.Helper()
		r, err := s.Get(ctx, tenant, "r1")
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	t.Run("remembered, as copies", func(t *testing.T) {
		t.Parallel()
		c, m := newRoomCacheFixture(t)
		first := get(t, c, "a")
		first.Managers[0] = "intruder"
		if got := get(t, c, "a").Managers[0]; got != "m1" {
			t.Errorf("got manager %q after a caller changed its copy, want m1", got)
		}
		if got := m.readCount(); got != 1 {
			t.Errorf("got %d storage reads for two gets, want 1", got)
		}
	})

	writes := []struct {
		name  string
		write func(s RoomStore) error
	}{
		{"update", func(s RoomStore) error {
			return s.Update(ctx, &Room{TenantID: "a", ID: "r1", RoomInput: RoomInput{Name: "Green"}}, "")
		}},
		{"import", func(s RoomStore) error {
			_, _, err := s.Import(ctx, "a", []*Room{{TenantID: "a", ID: "r1", RoomInput: RoomInput{Name: "Green"}}})
			return err
		}},
	}
	for _, w := range writes {
		for _, view := range []string{"cache", "fresh"} {
			t.Run(w.name+" through the "+view+" view applies at once", func(t *testing.T) {
				t.Parallel()
				c, _ := newRoomCacheFixture(t)
				get(t, c, "a")
				var s RoomStore = c
				if view == "fresh" {
					s = c.Fresh()
				}
				if err := w.write(s); err != nil {
					t.Fatal(err)
				}
				if got := get(t, c, "a").Name; got != "Green" {
					t.Errorf("got %q after the %s, want Green", got, w.name)
				}
			})
		}
	}

	t.Run("delete applies at once", func(t *testing.T) {
		t.Parallel()
		c, _ := newRoomCacheFixture(t)
		get(t, c, "a")
		if err := c.Fresh().Delete(ctx, "a", "r1", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Get(ctx, "a", "r1"); teamspro.ErrorCode(err) != teamspro.ENOTFOUND {
			t.Errorf("got %v after the delete, want not found", err)
		}
	})

	t.Run("fresh reads storage", func(t *testing.T) {
		t.Parallel()
		c, m := newRoomCacheFixture(t)
		get(t, c, "a")
		get(t, c.Fresh(), "a")
		get(t, c.Fresh(), "a")
		if got := m.readCount(); got != 3 {
			t.Errorf("got %d storage reads, want 3 (one remembered, two fresh)", got)
		}
	})

	t.Run("forget tenant leaves the others", func(t *testing.T) {
		t.Parallel()
		c, m := newRoomCacheFixture(t)
		get(t, c, "a")
		get(t, c, "b")
		m.readCount()
		c.ForgetTenant("a")
		get(t, c, "a")
		get(t, c, "b")
		if got := m.readCount(); got != 1 {
			t.Errorf("got %d storage reads, want 1 (only the forgotten tenant)", got)
		}
	})
}
