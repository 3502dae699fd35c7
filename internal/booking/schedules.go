package booking

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// The timeline of a booking tab shows many rooms at once, and the approvals
// screen every room a manager looks after. Reading them room by room made
// the tab wait on one request (and one storage query per day) per room; the
// reads below cost one storage query per UTC day of the window whatever the
// number of rooms, because a day partition holds the reservations of every
// room homed on that day.

// MaxScheduleRooms and MaxScheduleWindow bound one read of many rooms'
// schedules: what one view shows at most (a month of a building's rooms).
// Each UTC day of the window is one storage query that returns every
// reservation of the tenant homed on it, so the window is what bounds the
// cost; the rooms bound the answer.
const (
	MaxScheduleRooms  = 100
	MaxScheduleWindow = 31 * 24 * time.Hour
)

// Schedules returns the reservations holding any of roomIDs in [from, to),
// by start, as Schedule returns one room's: every user of the tenant reads
// them, as the room schedule lets them. EINVALID for a missing, malformed or
// too long list of rooms or window; ENOTFOUND (field rooms) when a room is
// not one of the tenant's. Duplicate ids count once.
func (s *Service) Schedules(ctx context.Context, tenantID string, roomIDs []string, from, to time.Time) ([]*Reservation, error) {
	var v teamspro.Validation
	ids := make([]string, 0, len(roomIDs))
	for _, id := range roomIDs {
		if !teamspro.ValidID(id) {
			v.Add("rooms", fmt.Sprintf("%q is not a room id: letters, digits and . _ : @ - only, at most 128", truncate(id, 40)))
			break
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	v.Check(len(roomIDs) > 0, "rooms", "is required: room ids separated by commas")
	v.Check(len(ids) <= MaxScheduleRooms, "rooms", fmt.Sprintf("at most %d rooms at a time", MaxScheduleRooms))
	if !v.Merge(CheckWindow(from, to)) && !from.IsZero() && !to.IsZero() && to.After(from) {
		v.Check(to.Sub(from) <= MaxScheduleWindow, "to", fmt.Sprintf("the window of several rooms is at most %d days", int(MaxScheduleWindow.Hours()/24)))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	rooms, _, err := s.roomDirectory(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	// A room the remembered directory lacks may be new (made on another
	// instance within the cache's TTL): it is looked up on its own, which
	// reads storage for a room not remembered.
	var unknown []string
	for _, id := range ids {
		if slices.ContainsFunc(rooms, func(r *Room) bool { return r.ID == id }) {
			continue
		}
		_, err := s.Rooms.Get(ctx, tenantID, id)
		switch {
		case teamspro.ErrorCode(err) == teamspro.ENOTFOUND:
			unknown = append(unknown, id)
		case err != nil:
			return nil, err
		}
	}
	if len(unknown) > 0 {
		e := teamspro.Errorf(teamspro.ENOTFOUND, "%d of the rooms do not exist: %s.", len(unknown), strings.Join(unknown, ", "))
		e.Fields = []teamspro.FieldError{{Field: "rooms", Reason: "unknown rooms: " + strings.Join(unknown, ", ")}}
		return nil, e
	}
	return s.schedule(ctx, tenantID, ids, from, to)
}

// schedule reads the holding reservations of rooms overlapping [from, to),
// by start. Rows live in the UTC day of their start; one that overlaps the
// window started at most a (25-hour, all-day across DST) day before it.
func (s *Service) schedule(ctx context.Context, tenantID string, roomIDs []string, from, to time.Time) ([]*Reservation, error) {
	rs, err := s.Reservations.Schedule(ctx, tenantID, roomIDs, Days(from.Add(-25*time.Hour), to, time.UTC))
	if err != nil {
		return nil, err
	}
	out := rs[:0]
	for _, r := range rs {
		if Holds(r.Status) && r.Start.Before(to) && r.End.After(from) {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Pending returns the reservations that wait for p's decision: the pending
// reservations of the rooms p manages (every room for tenant admins) that
// have not ended, by start, in one query of the tenant's index. Anyone else
// waits for no decision and gets none. It reads the rooms' managers as
// Decide does, so the list shows what p may approve or decline.
func (s *Service) Pending(ctx context.Context, p teamspro.Principal) ([]*Reservation, error) {
	var managed []string // nil: every room
	if !p.Admin {
		rooms, _, err := s.roomDirectory(ctx, p.TenantID)
		if err != nil {
			return nil, err
		}
		managed = []string{}
		for _, r := range rooms {
			if r.Manages(p) {
				managed = append(managed, r.ID)
			}
		}
		if len(managed) == 0 {
			return []*Reservation{}, nil
		}
	}
	rs, err := s.Reservations.Pending(ctx, p.TenantID, managed, s.Now())
	if err != nil {
		return nil, err
	}
	sort.Slice(rs, func(i, j int) bool {
		if !rs[i].Start.Equal(rs[j].Start) {
			return rs[i].Start.Before(rs[j].Start)
		}
		return rs[i].ID < rs[j].ID
	})
	return rs, nil
}

// truncate shortens what a problem quotes of the input.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
