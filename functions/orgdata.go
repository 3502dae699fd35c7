package functions

import (
	"encoding/json"
	"net/http"
	"time"
)

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
	defer e.release()
	head, _ := json.Marshal(map[string]any{"tenantId": p.TenantID, "exportedAt": s.Now().UTC().Format(time.RFC3339)})
	_ = e.raw(string(head[:len(head)-1]) + `,"items":[`)
	n := 0
	err := s.Org.Export(r.Context(), p, func(table string, entity map[string]any) error {
		if n > 0 {
			if err := e.raw(","); err != nil {
				return err
			}
		}
		n++
		return e.item(exportItem{Table: table, Entity: entity})
	})
	if err != nil {
		a.release()
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
	counts, err := s.Org.Purge(r.Context(), p, in.ConfirmTenantID)
	if err != nil {
		return err
	}
	logger(r.Context()).Warn("organization data purged", "by", p.ObjectID, "deleted", counts)
	return writeJSON(w, http.StatusOK, map[string]any{"tenantId": p.TenantID, "deleted": counts})
}
