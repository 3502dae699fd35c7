package functions

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// OrgData exports and purges all of an organization's data. It is an operation
// over every store at once, so it is served by the storage adapter as a whole.
type OrgData interface {
	// ExportTenant streams every stored entity of the tenant to emit.
	ExportTenant(ctx context.Context, tenantID string, emit func(table string, entity map[string]any) error) error
	// PurgeTenant deletes every stored entity of the tenant; idempotent.
	PurgeTenant(ctx context.Context, tenantID string) (map[string]int, error)
}

// handleExport streams the organization's data as one JSON document:
// {"tenantId", "exportedAt", "items": [{"table", "entity"}, ...]}, written item
// by item so that memory stays flat whatever the size. A storage failure
// before the first holdBytes answers a problem; a later one cuts the
// transfer (see answer), so a client never mistakes a cut export for a
// whole one.
func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	a := newAnswer(w, http.StatusOK, "application/json; charset=utf-8")
	a.Header().Set("Content-Disposition", `attachment; filename="teamspro-export-`+p.TenantID+`.json"`)
	e := newItemEncoder(a)
	head, _ := json.Marshal(map[string]any{"tenantId": p.TenantID, "exportedAt": s.Now().UTC().Format(time.RFC3339)})
	_ = e.raw(string(head[:len(head)-1]) + `,"items":[`)
	n := 0
	err := s.OrgData.ExportTenant(r.Context(), p.TenantID, func(table string, entity map[string]any) error {
		if n > 0 {
			if err := e.raw(","); err != nil {
				return err
			}
		}
		n++
		return e.item(exportItem{Table: table, Entity: entity})
	})
	if err != nil {
		return err
	}
	if err := e.raw("]}\n"); err != nil {
		return err
	}
	return a.Close()
}

// exportItem is one entity of an organization's export.
type exportItem struct {
	Entity map[string]any `json:"entity"`
	Table  string         `json:"table"`
}

// purgeInput is the confirmation step of a purge: the admin types the tenant id.
type purgeInput struct {
	ConfirmTenantID string `json:"confirmTenantId"`
}

// handlePurge deletes all of the organization's data once the admin confirms
// by sending the tenant's own id.
func (s *Server) handlePurge(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	var in purgeInput
	if err := decode(r, s.MaxBodyBytes, &in); err != nil {
		return err
	}
	if in.ConfirmTenantID != p.TenantID {
		e := teamspro.Errorf(teamspro.EINVALID, "To purge all of your organization's data, send its tenant id as confirmTenantId.")
		e.Fields = []teamspro.FieldError{{Field: "confirmTenantId", Reason: "must equal your tenant id"}}
		return e
	}
	if s.Dispatcher != nil {
		// Scheduled reminders live in the queue, not in storage: cancel them
		// first, while their sequence numbers are still known.
		if err := s.Dispatcher.ForgetReminders(r.Context(), p.TenantID); err != nil {
			return err
		}
	}
	// Stores that remember (tab.Cache, booking.RoomCache) must not keep
	// serving what is purged, even if the purge stops halfway.
	for _, st := range []any{s.Tabs, s.Rooms} {
		if f, ok := st.(interface{ ForgetTenant(string) }); ok {
			defer f.ForgetTenant(p.TenantID)
		}
	}
	counts, err := s.OrgData.PurgeTenant(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	logger(r.Context()).Warn("organization data purged", "by", p.ObjectID, "deleted", counts)
	return writeJSON(w, http.StatusOK, map[string]any{"tenantId": p.TenantID, "deleted": counts})
}
