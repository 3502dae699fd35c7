package booking

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/teamspro"
)

// Rooms applies the rules of managing the organization's rooms: every user
// reads them, tenant admins create, import and delete them, a room's
// managers change it (but not who manages it), and a room that still holds
// future reservations is deactivated, not deleted.
type Rooms struct {
	svc *Service
	// fresh reads rooms from storage, not a cache: what is answered to a
	// manager carries the ETag of the next change, and a change reads what
	// it changes. Its writes go through the cache, which forgets them.
	fresh RoomStore
}

// NewRooms returns the room management of svc's rooms. fresh is the same
// room store read without a cache (RoomCache.Fresh); svc's Rooms when it
// has none.
func NewRooms(svc *Service, fresh RoomStore) (*Rooms, error) {
	if svc == nil {
		return nil, errors.New("booking: a service is required")
	}
	if fresh == nil {
		fresh = svc.Rooms
	}
	return &Rooms{svc: svc, fresh: fresh}, nil
}

// List returns the tenant's rooms.
func (s *Rooms) List(ctx context.Context, p teamspro.Principal) ([]*Room, error) {
	return s.fresh.List(ctx, p.TenantID)
}

// Get returns one room of the tenant; ENOTFOUND if there is none.
func (s *Rooms) Get(ctx context.Context, p teamspro.Principal, roomID string) (*Room, error) {
	return s.fresh.Get(ctx, p.TenantID, roomID)
}

// Create adds a room (the route is for tenant admins) under id, a new one
// when empty. EINVALID for an invalid id or input; ECONFLICT if the id is
// taken.
func (s *Rooms) Create(ctx context.Context, p teamspro.Principal, id string, in RoomInput) (*Room, error) {
	if id == "" {
		id = uuid.NewString()
	}
	if !teamspro.ValidID(id) {
		e := teamspro.Errorf(teamspro.EINVALID, "The room id is not valid.")
		e.Fields = []teamspro.FieldError{{Field: "id", Reason: "letters, digits and . _ : @ - only, at most 128"}}
		return nil, e
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	in.Normalize()
	now := s.svc.Now().UTC()
	room := &Room{TenantID: p.TenantID, ID: id, RoomInput: in, CreatedAt: now, UpdatedAt: now}
	if err := s.fresh.Create(ctx, room); err != nil {
		return nil, err
	}
	return room, nil
}

// managed returns the room if p may manage it: admins and the room's
// managers (EFORBIDDEN for others).
func (s *Rooms) managed(ctx context.Context, p teamspro.Principal, roomID string) (*Room, error) {
	room, err := s.fresh.Get(ctx, p.TenantID, roomID)
	if err != nil {
		return nil, err
	}
	if !room.Manages(p) {
		return nil, teamspro.Errorf(teamspro.EFORBIDDEN, "Only tenant admins and the room's managers may change it.")
	}
	return room, nil
}

// Replace replaces the room's fields by body's, if its ETag is ifMatch, for
// those who manage it.
func (s *Rooms) Replace(ctx context.Context, p teamspro.Principal, roomID, ifMatch string, body teamspro.Body) (*Room, error) {
	cur, err := s.managed(ctx, p, roomID)
	if err != nil {
		return nil, err
	}
	var in RoomInput
	if err := body(&in); err != nil {
		return nil, err
	}
	return s.save(ctx, p, cur, ifMatch, in)
}

// Patch changes the fields present in body and keeps the others: the body
// is read over the current room, so absent fields stay as they are (nested
// rules merge the same way; lists are replaced).
func (s *Rooms) Patch(ctx context.Context, p teamspro.Principal, roomID, ifMatch string, body teamspro.Body) (*Room, error) {
	cur, err := s.managed(ctx, p, roomID)
	if err != nil {
		return nil, err
	}
	// A copy: reading the body must not reach into cur's lists and pointers.
	in := cur.Clone().RoomInput
	if err := body(&in); err != nil {
		return nil, err
	}
	return s.save(ctx, p, cur, ifMatch, in)
}

func (s *Rooms) save(ctx context.Context, p teamspro.Principal, cur *Room, ifMatch string, in RoomInput) (*Room, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	in.Normalize()
	if !p.Admin && !slices.Equal(in.Managers, cur.Managers) {
		return nil, teamspro.Errorf(teamspro.EFORBIDDEN, "Only tenant admins change a room's managers.")
	}
	room := &Room{TenantID: p.TenantID, ID: cur.ID, RoomInput: in, UpdatedAt: s.svc.Now().UTC()}
	if err := s.fresh.Update(ctx, room, ifMatch); err != nil {
		return nil, err
	}
	return room, nil
}

// Delete deletes a room that holds no future reservation (the route is for
// tenant admins), if its ETag is ifMatch. A room with future reservations is
// refused (ECONFLICT, ReasonHasFuture): deactivating it instead keeps its
// reservations and takes no new ones.
func (s *Rooms) Delete(ctx context.Context, p teamspro.Principal, roomID, ifMatch string) error {
	if _, err := s.fresh.Get(ctx, p.TenantID, roomID); err != nil {
		return err
	}
	n, err := s.svc.Reservations.FutureOfRoom(ctx, p.TenantID, roomID, s.svc.Now())
	if err != nil {
		return err
	}
	if n > 0 {
		e := teamspro.Errorf(teamspro.ECONFLICT, "The room has %d future reservations: deactivate it instead (PATCH active=false), or cancel them first.", n)
		e.Detail = ReasonHasFuture
		e.Extra = map[string]any{"futureReservations": n}
		return e
	}
	return s.fresh.Delete(ctx, p.TenantID, roomID, ifMatch)
}

// Import creates or replaces rooms of the tenant (the route is for tenant
// admins), all or none; each was validated and normalized when read.
func (s *Rooms) Import(ctx context.Context, p teamspro.Principal, rooms []*Room) (created, updated int, err error) {
	return s.fresh.Import(ctx, p.TenantID, rooms)
}

// Schedule returns the reservations holding the room in [from, to), bounds
// that are date-times or dates; dates are days of the room's zone.
func (s *Rooms) Schedule(ctx context.Context, p teamspro.Principal, roomID, from, to string) ([]*Reservation, error) {
	loc := time.UTC
	if isDate(from) || isDate(to) {
		room, err := s.svc.Rooms.Get(ctx, p.TenantID, roomID)
		if err != nil {
			return nil, err
		}
		loc = teamspro.ZoneOf(room.TimeZone)
	}
	var v teamspro.Validation
	f, t := v.TimeOrDate("from", from, loc), v.TimeOrDate("to", to, loc)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return s.svc.Schedule(ctx, p.TenantID, roomID, f, t)
}

// isDate reports whether a bound is a date, which needs a zone.
func isDate(s string) bool { return len(s) == len(time.DateOnly) }

// Schedules returns the reservations holding any of roomIDs in [from, to),
// bounds that are date-times or dates; the rooms may lie in several zones,
// so dates are days of UTC. Errors as Service.Schedules.
func (s *Rooms) Schedules(ctx context.Context, p teamspro.Principal, roomIDs []string, from, to string) ([]*Reservation, error) {
	var v teamspro.Validation
	f, t := v.TimeOrDate("from", from, time.UTC), v.TimeOrDate("to", to, time.UTC)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return s.svc.Schedules(ctx, p.TenantID, roomIDs, f, t)
}
