package functions

import (
	"encoding/json"
	"net/http"
	"time"
)

// handleExport streams the organization's data as one JSON document:
// {"tenantId", "exportedAt", "items": [{"table", "entity"}, ...]}, written item
// by item so that memory stays flat whatever the size.
func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="teamspro-export-`+p.TenantID+`.json"`)
	w.Header().Set("Cache-Control", "no-store")
	head, _ := json.Marshal(map[string]any{"tenantId": p.TenantID, "exportedAt": s.Now().UTC().Format(time.RFC3339)})
	started := false
	enc := json.NewEncoder(w)
	n := 0
	err := s.Org.Export(r.Context(), p, func(table string, e map[string]any) error {
		if !started {
			started = true
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(head[:len(head)-1])
			_, _ = w.Write([]byte(`,"items":[`))
		}
		if n > 0 {
			_, _ = w.Write([]byte(","))
		}
		n++
		return enc.Encode(map[string]any{"table": table, "entity": e})
	})
	if err != nil {
		if !started {
			return err
		}
		// Headers are gone: end the document unfinished so that it does not
		// parse, and log; a client never mistakes a cut export for a whole one.
		logger(r.Context()).Error("export cut short", "err", err, "items", n)
		return nil
	}
	if !started {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(head[:len(head)-1])
		_, _ = w.Write([]byte(`,"items":[`))
	}
	_, _ = w.Write([]byte("]}\n"))
	return nil
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
