package functions

import (
	"context"
	"net/http"
	"slices"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/apikey"
	"github.com/teamspro/functions/internal/teamspro"
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
	if err := in.Validate(); err != nil {
		return err
	}
	p := principal(r)
	slices.Sort(in.CalendarIDs)
	in.CalendarIDs = slices.Compact(in.CalendarIDs)
	for _, id := range in.CalendarIDs {
		t, err := s.Tabs.ByCalendar(r.Context(), p.TenantID, id)
		if err != nil {
			return err
		}
		if !t.IsOwner(p) {
			return teamspro.Errorf(teamspro.EFORBIDDEN, "Only owners of calendar %s and tenant admins may create keys for it.", id)
		}
	}
	secret, hash, err := apikey.New()
	if err != nil {
		return teamspro.Wrap(teamspro.EINTERNAL, err, "make key")
	}
	k := &apikey.Key{TenantID: p.TenantID, ID: uuid.NewString(), Name: in.Name, CalendarIDs: in.CalendarIDs,
		CreatedBy: p.ObjectID, CreatedAt: s.Now().UTC(), Hash: hash}
	if err := s.Keys.Create(r.Context(), k); err != nil {
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
	p := principal(r)
	keys, err := s.Keys.List(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	if !p.Admin {
		keys = slices.DeleteFunc(keys, func(k *apikey.Key) bool { return k.CreatedBy != p.ObjectID })
	}
	return writePage(w, r, pg, keys, func(k *apikey.Key) string { return timeKey(k.CreatedAt) + " " + k.ID })
}

// handleRevokeAPIKey revokes a key: its creator or an admin.
func (s *Server) handleRevokeAPIKey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "keyId")
	if err != nil {
		return err
	}
	p := principal(r)
	k, err := s.Keys.Get(r.Context(), p.TenantID, id)
	if err != nil {
		return err
	}
	if !p.Admin && k.CreatedBy != p.ObjectID {
		return teamspro.Errorf(teamspro.EFORBIDDEN, "Only the key's creator and tenant admins may revoke it.")
	}
	if err := s.Keys.Revoke(r.Context(), p.TenantID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// authenticateKey turns an Ocp-Apim-Subscription-Key into a principal acting
// for the key's tenant and calendars. A malformed key costs no storage read.
func (s *Server) authenticateKey(ctx context.Context, secret string) (teamspro.Principal, error) {
	if !apikey.WellFormed(secret) {
		return teamspro.Principal{}, teamspro.Errorf(teamspro.EUNAUTHORIZED, "The API key is not valid.")
	}
	k, err := s.Keys.ByHash(ctx, apikey.Hash(secret))
	if err != nil {
		return teamspro.Principal{}, err
	}
	return teamspro.Principal{TenantID: k.TenantID, APIKeyID: k.ID, CalendarIDs: k.CalendarIDs, Name: k.Name}, nil
}
