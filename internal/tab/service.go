package tab

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/teamspro"
)

// Service applies the rules of tabs' settings: who creates and changes a
// tab, that its kind never changes, that it never loses its last owner, and
// that a new tab gets a calendar of its own.
type Service struct {
	store Store
	now   teamspro.Clock
}

// NewService returns a Service over store, on the clock now (default
// time.Now).
func NewService(store Store, now teamspro.Clock) (*Service, error) {
	if store == nil {
		return nil, errors.New("tab: a store is required")
	}
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, now: now}, nil
}

// Get returns one of p's tenant's tabs; ENOTFOUND if there is none.
func (s *Service) Get(ctx context.Context, p teamspro.Principal, tabID string) (*Tab, error) {
	return s.store.Get(ctx, p.TenantID, tabID)
}

// Put creates the tab tabID from in, with a new calendar, and p among its
// owners (created is true); or, for its owners and tenant admins, replaces
// its configuration if its ETag is ifMatch ("" or "*": any). EINVALID for
// invalid settings or a change of kind; EFORBIDDEN for anyone else;
// EPRECONDITION for a stale ifMatch, or one naming a tab that does not
// exist.
func (s *Service) Put(ctx context.Context, p teamspro.Principal, tabID, ifMatch string, in Input) (t *Tab, created bool, err error) {
	if err := in.Validate(); err != nil {
		return nil, false, err
	}
	in.Normalize()
	now := s.now().UTC()
	cur, err := s.store.Get(ctx, p.TenantID, tabID)
	switch {
	case teamspro.ErrorCode(err) == teamspro.ENOTFOUND:
		if ifMatch != "" && ifMatch != "*" {
			return nil, false, teamspro.Errorf(teamspro.EPRECONDITION, "The tab does not exist, so it cannot match %s.", ifMatch)
		}
		t := &Tab{
			TenantID: p.TenantID, ID: tabID, Kind: in.Kind, CalendarID: uuid.NewString(),
			TeamID: in.TeamID, ChannelID: in.ChannelID, ChannelName: in.ChannelName,
			Settings: in.Settings, CreatedBy: p.ObjectID, CreatedAt: now, UpdatedAt: now,
		}
		if !slices.Contains(t.Settings.Owners, p.ObjectID) {
			t.Settings.Owners = append(t.Settings.Owners, p.ObjectID)
		}
		if err := s.store.Create(ctx, t); err != nil {
			return nil, false, err
		}
		return t, true, nil
	case err != nil:
		return nil, false, err
	}
	if !cur.IsOwner(p) {
		return nil, false, teamspro.Errorf(teamspro.EFORBIDDEN, "Only the tab's owners and tenant admins may change it.")
	}
	if in.Kind != cur.Kind {
		e := teamspro.Errorf(teamspro.EINVALID, "A tab's kind cannot change.")
		e.Fields = []teamspro.FieldError{{Field: "kind", Reason: "must stay " + string(cur.Kind)}}
		return nil, false, e
	}
	if len(in.Settings.Owners) == 0 {
		// A tab never loses its last owner by an update: the caller stays one.
		in.Settings.Owners = []string{p.ObjectID}
	}
	t = &Tab{
		TenantID: p.TenantID, ID: tabID, TeamID: in.TeamID, ChannelID: in.ChannelID, ChannelName: in.ChannelName,
		Settings: in.Settings, UpdatedAt: now,
	}
	if err := s.store.Update(ctx, t, ifMatch); err != nil {
		return nil, false, err
	}
	return t, false, nil
}

// Delete soft-deletes a tab, for its owners and tenant admins, if its ETag
// is ifMatch; Restore undoes it until the retention period ends.
// ENOTFOUND, EFORBIDDEN, EPRECONDITION.
func (s *Service) Delete(ctx context.Context, p teamspro.Principal, tabID, ifMatch string) error {
	cur, err := s.store.Get(ctx, p.TenantID, tabID)
	if err != nil {
		return err
	}
	if !cur.IsOwner(p) {
		return teamspro.Errorf(teamspro.EFORBIDDEN, "Only the tab's owners and tenant admins may delete it.")
	}
	return s.store.Delete(ctx, p.TenantID, tabID, ifMatch, s.now())
}

// Restore brings back a soft-deleted tab (the route is for tenant admins).
// ENOTFOUND if there is no deleted tab with that id.
func (s *Service) Restore(ctx context.Context, p teamspro.Principal, tabID string) (*Tab, error) {
	return s.store.Restore(ctx, p.TenantID, tabID)
}

// PurgeDeleted removes for good every tenant's tabs deleted before cutoff
// (the daily timer), and returns how many.
func (s *Service) PurgeDeleted(ctx context.Context, cutoff time.Time) (int, error) {
	return s.store.PurgeDeleted(ctx, cutoff)
}
