package booking

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// Snapshot is the rooms matching a filter and their held slots over a window,
// read once so that many candidate times can be tried against them without
// another storage call: "find a time" tries every quarter hour of a week
// against every room. Like the free-room search it is advisory: only the
// booking batch on a room's ledger decides.
type Snapshot struct {
	// Rooms are the active rooms matching the filter, by id.
	Rooms []*Room
	busy  map[string][]Slot
}

// Snapshot reads the tenant's rooms that match f (and, when only is not
// empty, whose id it lists: a booking tab's rooms) with their held slots in
// [from, to). It costs one ledger query per UTC day of the window, run
// concurrently, plus one for the rooms when a RoomCache does not remember
// them: never a query per room.
func (s *Service) Snapshot(ctx context.Context, tenantID string, from, to time.Time, f Filter, only []string) (*Snapshot, error) {
	rooms, shared, err := s.roomDirectory(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	out := &Snapshot{busy: map[string][]Slot{}}
	for _, r := range rooms {
		if !r.IsActive() || r.Capacity < f.Capacity || (f.Building != "" && !strings.EqualFold(r.Building, f.Building)) ||
			(f.Floor != "" && !strings.EqualFold(r.Floor, f.Floor)) || !hasAll(r.Equipment, f.Equipment) ||
			(len(only) > 0 && !slices.Contains(only, r.ID)) {
			continue
		}
		if shared {
			r = r.Clone()
		}
		out.Rooms = append(out.Rooms, r)
	}
	if len(out.Rooms) == 0 {
		return out, nil
	}
	days := Days(from, to, time.UTC)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs = make([]error, len(days))
	)
	for i, d := range days {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := s.Reservations.Busy(ctx, tenantID, []string{d})
			if err != nil {
				errs[i] = err
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for room, slots := range b {
				out.busy[room] = append(out.busy[room], slots...)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Free returns the rooms of the snapshot that p could book for [start, end)
// at now: no held slot within the room's buffer, and every booking rule
// (hours, days, length, notice, who may book) met. Smallest rooms first, so
// that a meeting of three does not take the board room.
func (sn *Snapshot) Free(p teamspro.Principal, start, end, now time.Time) []*Room {
	var out []*Room
	for _, r := range sn.Rooms {
		if _, taken := Conflict(sn.busy[r.ID], "", start, end, r.Buffer()); taken {
			continue
		}
		if r.CheckBooking(p, start, end, now) != nil {
			continue
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Capacity != out[j].Capacity {
			return out[i].Capacity < out[j].Capacity
		}
		return out[i].ID < out[j].ID
	})
	return out
}
