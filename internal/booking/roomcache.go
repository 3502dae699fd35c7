package booking

import (
	"context"
	"time"

	"github.com/teamspro/functions/internal/ttlcache"
)

// RoomCache is a RoomStore that remembers rooms for a short time. Every
// booking, move, cancellation, decision and schedule first reads its room
// (rules, time zone, managers); remembering it saves that storage round trip.
//
// A change made through the cache (create, update, delete, import) forgets the
// tenant's rooms at once; another instance of the function app may apply a
// room's old rules for up to the TTL. The overlap guarantee does not depend
// on it: the room-day ledger is always read and written under If-Match. A
// read whose ETag goes back to a client, or that precedes a write of the
// room, must use Fresh.
//
// The tenant's whole directory (List) is remembered the same way, for the
// free-room search: availability is advisory, the booking batch decides.
// The room list answered to users (Fresh().List) carries the rooms' ETags, so
// it may not be stale: it reads the directory version (one point read) and
// serves the remembered directory only if it was read under that version
// (see Current).
type RoomCache struct {
	RoomStore
	rooms *ttlcache.Cache[*Room]   // tenant, room id -> room
	dirs  *ttlcache.Cache[roomDir] // tenant, "" -> every room of the tenant
}

// roomDir is a tenant's rooms and the directory version read just before
// them ("" when none was read, or none is recorded).
type roomDir struct {
	version string
	rooms   []*Room
}

// NewRoomCache wraps s, remembering at most size rooms; with ttl <= 0
// every Get reads storage.
func NewRoomCache(s RoomStore, ttl time.Duration, size int, now func() time.Time) *RoomCache {
	return &RoomCache{RoomStore: s, rooms: ttlcache.New[*Room](max(ttl, 0), size, now),
		dirs: ttlcache.New[roomDir](max(ttl, 0), size, now)}
}

// Get returns the remembered room while it is fresh, else reads it. A
// missing room is never remembered. Callers get copies.
func (c *RoomCache) Get(ctx context.Context, tenantID, roomID string) (*Room, error) {
	r, _, err := c.rooms.Load(tenantID, roomID, func() (*Room, error) {
		return c.RoomStore.Get(ctx, tenantID, roomID)
	})
	return r.Clone(), err
}

// List returns the remembered directory of the tenant while it is fresh, else
// reads it. Callers get copies.
func (c *RoomCache) List(ctx context.Context, tenantID string) ([]*Room, error) {
	rooms, err := c.directory(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return clones(rooms), nil
}

func clones(rooms []*Room) []*Room {
	out := make([]*Room, len(rooms))
	for i, r := range rooms {
		out[i] = r.Clone()
	}
	return out
}

// Current returns the tenant's rooms as storage holds them now, as a List
// read would, but lists them only when the directory version changed since
// this instance remembered them: a point read instead of a query whose cost
// grows with the rooms. The version is read before the list, so a write
// racing the list at worst leaves a directory remembered under a version
// that is already gone, which the next call reads again. A missing version
// never matches: the organization purge deletes it first and last. Rooms
// written before versions existed have none: the list that finds them
// records one (RecordDirectoryVersion), which the next call reads before
// it lists, so such a tenant is listed twice and then served from memory.
// The TTL still bounds what an instance of an older release, which writes
// rooms without a version, leaves unseen. Callers get copies.
func (c *RoomCache) Current(ctx context.Context, tenantID string) ([]*Room, error) {
	v, err := c.RoomStore.DirectoryVersion(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	d, _, err := c.dirs.LoadIf(tenantID, "", func(d roomDir) bool { return v != "" && d.version == v }, func() (roomDir, error) {
		rooms, err := c.RoomStore.List(ctx, tenantID)
		if err == nil && v == "" && len(rooms) > 0 {
			// This list is remembered under no version, since none was read
			// before it. Recording one is best effort: a failure changes
			// nothing for this answer, and the next call tries again. An
			// empty directory gets none, so that a read never creates a row
			// for a tenant without rooms (a purged one, say).
			_ = c.RoomStore.RecordDirectoryVersion(ctx, tenantID)
		}
		return roomDir{version: v, rooms: rooms}, err
	})
	if err != nil {
		return nil, err
	}
	return clones(d.rooms), nil
}

// directory returns the remembered rooms themselves, not copies: for readers
// in this package that change nothing and copy what they hand out
// (Service.Available copies only the free rooms it returns).
func (c *RoomCache) directory(ctx context.Context, tenantID string) ([]*Room, error) {
	d, _, err := c.dirs.Load(tenantID, "", func() (roomDir, error) {
		rooms, err := c.RoomStore.List(ctx, tenantID)
		return roomDir{rooms: rooms}, err
	})
	return d.rooms, err
}

// ForgetTenant drops every remembered room of the tenant; every write below
// calls it, and so does the organization purge.
func (c *RoomCache) ForgetTenant(tenantID string) {
	c.rooms.ForgetTenant(tenantID)
	c.dirs.ForgetTenant(tenantID)
}

// Create forgets the tenant's rooms and creates r.
func (c *RoomCache) Create(ctx context.Context, r *Room) error {
	defer c.ForgetTenant(r.TenantID)
	return c.RoomStore.Create(ctx, r)
}

// Update forgets the tenant's rooms and updates r.
func (c *RoomCache) Update(ctx context.Context, r *Room, ifMatch string) error {
	defer c.ForgetTenant(r.TenantID)
	return c.RoomStore.Update(ctx, r, ifMatch)
}

// Delete forgets the tenant's rooms and deletes the room.
func (c *RoomCache) Delete(ctx context.Context, tenantID, roomID, ifMatch string) error {
	defer c.ForgetTenant(tenantID)
	return c.RoomStore.Delete(ctx, tenantID, roomID, ifMatch)
}

// Import forgets the tenant's rooms and imports.
func (c *RoomCache) Import(ctx context.Context, tenantID string, rooms []*Room) (int, int, error) {
	defer c.ForgetTenant(tenantID)
	return c.RoomStore.Import(ctx, tenantID, rooms)
}

// Fresh returns the same store with a Get that always reads storage and a
// List that is Current; its writes still go through the cache and forget.
func (c *RoomCache) Fresh() RoomStore { return freshRooms{c} }

type freshRooms struct{ *RoomCache }

func (f freshRooms) Get(ctx context.Context, tenantID, roomID string) (*Room, error) {
	return f.RoomCache.RoomStore.Get(ctx, tenantID, roomID)
}

func (f freshRooms) List(ctx context.Context, tenantID string) ([]*Room, error) {
	return f.RoomCache.Current(ctx, tenantID)
}
