// Package org is what concerns an organization's data as a whole: its
// export, and its purge when the organization leaves. Both span every store,
// so storage serves them as one operation (Data).
package org

import (
	"context"
	"errors"

	"github.com/teamspro/functions/internal/teamspro"
)

// Data exports and purges all of an organization's data. It is an operation
// over every store at once, so it is served by the storage adapter as a whole.
type Data interface {
	// ExportTenant streams every stored entity of the tenant to emit.
	ExportTenant(ctx context.Context, tenantID string, emit func(table string, entity map[string]any) error) error
	// PurgeTenant deletes every stored entity of the tenant; idempotent.
	PurgeTenant(ctx context.Context, tenantID string) (map[string]int, error)
}

// Reminders cancels the reminders scheduled for a tenant. They live in the
// queue, not in storage, so a purge must cancel them first, while their
// sequence numbers are still known. The notification dispatcher is one.
type Reminders interface {
	ForgetReminders(ctx context.Context, tenantID string) error
}

// Cache is a store that remembers what it read (tab.Cache,
// booking.RoomCache): it must not keep serving what a purge deleted.
type Cache interface {
	ForgetTenant(tenantID string)
}

// Service exports and purges organizations' data.
type Service struct {
	data      Data
	reminders Reminders
	caches    []Cache
}

// NewService returns a Service over data. reminders (optional) cancels a
// purged tenant's reminders; caches forget a purged tenant.
func NewService(data Data, reminders Reminders, caches ...Cache) (*Service, error) {
	if data == nil {
		return nil, errors.New("org: organization data is required")
	}
	return &Service{data: data, reminders: reminders, caches: caches}, nil
}

// Export streams every stored entity of p's organization to emit.
func (s *Service) Export(ctx context.Context, p teamspro.Principal, emit func(table string, entity map[string]any) error) error {
	return s.data.ExportTenant(ctx, p.TenantID, emit)
}

// Purge deletes all of p's organization's data once confirmed, by
// confirmTenantID being its tenant id (EINVALID otherwise), and returns how
// many entities it deleted of each kind. It is idempotent: a purge that
// stopped halfway is finished by the next.
func (s *Service) Purge(ctx context.Context, p teamspro.Principal, confirmTenantID string) (map[string]int, error) {
	if confirmTenantID != p.TenantID {
		e := teamspro.Errorf(teamspro.EINVALID, "To purge all of your organization's data, send its tenant id as confirmTenantId.")
		e.Fields = []teamspro.FieldError{{Field: "confirmTenantId", Reason: "must equal your tenant id"}}
		return nil, e
	}
	if s.reminders != nil {
		if err := s.reminders.ForgetReminders(ctx, p.TenantID); err != nil {
			return nil, err
		}
	}
	// Forgotten even if the purge stops halfway.
	for _, c := range s.caches {
		defer c.ForgetTenant(p.TenantID)
	}
	return s.data.PurgeTenant(ctx, p.TenantID)
}
