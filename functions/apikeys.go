package functions

import (
	"net/http"

	"github.com/teamspro/functions/internal/apikey"
)

// createdKey is the answer to a key's creation: the only time its secret is shown.
type createdKey struct {
	*apikey.Key
	Secret string `json:"key"`
}

// handleCreateAPIKey makes a key for calendars the caller owns (admins: any
// calendar of the tenant).
func (s *Server) handleCreateAPIKey(w http.ResponseWriter, r *http.Request) error {
	var in apikey.Input
	if err := decode(r, s.MaxBodyBytes, &in); err != nil {
		return err
	}
	k, secret, err := s.Keys.Create(r.Context(), principal(r), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/apikeys/"+k.ID)
	return writeJSON(w, http.StatusCreated, createdKey{Key: k, Secret: secret})
}

// handleListAPIKeys lists the tenant's keys for admins, the caller's own for others.
func (s *Server) handleListAPIKeys(w http.ResponseWriter, r *http.Request) error {
	pg, err := readPage(r)
	if err != nil {
		return err
	}
	keys, err := s.Keys.List(r.Context(), principal(r))
	if err != nil {
		return err
	}
	return writePage(w, r, pg, keys, func(k *apikey.Key) string { return timeKey(k.CreatedAt) + " " + k.ID })
}

// handleRevokeAPIKey revokes a key: its creator or an admin.
func (s *Server) handleRevokeAPIKey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "keyId")
	if err != nil {
		return err
	}
	if err := s.Keys.Revoke(r.Context(), principal(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
