package functions

import (
	"context"
	"net/http"
	"time"

	"github.com/teamspro/functions/internal/directory"
	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/teamspro"
)

// handleHealth is liveness: no I/O, so it answers as soon as the process serves.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReady is readiness: storage must answer within two seconds.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Ready(ctx); err != nil {
		return teamspro.Wrap(teamspro.EUNAVAILABLE, err, "Storage is not reachable.")
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// meResponse is the signed-in user's profile and roles.
type meResponse struct {
	directory.Profile
	Roles []string `json:"roles"`
	Admin bool     `json:"admin"`
}

// handleMe creates or refreshes the caller's profile and the tenant's record.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	prof, err := s.Directory.SignIn(r.Context(), directory.Profile{
		TenantID: p.TenantID, ObjectID: p.ObjectID, UPN: p.UPN, Name: p.Name, LastSignIn: s.Now(),
	})
	if err != nil {
		return err
	}
	roles := p.Roles
	if roles == nil {
		roles = []string{}
	}
	return writeJSON(w, http.StatusOK, meResponse{Profile: prof, Roles: roles, Admin: p.Admin})
}

// tabResponse is a tab as clients see it.
type tabResponse struct {
	*tab.Tab
	ETag string `json:"etag"`
}

func writeTab(w http.ResponseWriter, status int, t *tab.Tab) error {
	w.Header().Set("ETag", t.ETag)
	return writeJSON(w, status, tabResponse{Tab: t, ETag: t.ETag})
}

func (s *Server) handleGetTab(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "tabId")
	if err != nil {
		return err
	}
	t, err := s.Settings.Get(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	return writeTab(w, http.StatusOK, t)
}

// handlePutTab creates a tab (the caller becomes an owner) or, for its owners
// and tenant admins, replaces its configuration. If-Match guards the update.
func (s *Server) handlePutTab(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "tabId")
	if err != nil {
		return err
	}
	var in tab.Input
	if err := decode(r, s.MaxBodyBytes, &in); err != nil {
		return err
	}
	t, created, err := s.Settings.Put(r.Context(), principal(r), id, r.Header.Get("If-Match"), in)
	if err != nil {
		return err
	}
	if created {
		w.Header().Set("Location", r.URL.Path)
		return writeTab(w, http.StatusCreated, t)
	}
	return writeTab(w, http.StatusOK, t)
}

func (s *Server) handleDeleteTab(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "tabId")
	if err != nil {
		return err
	}
	if err := s.Settings.Delete(r.Context(), principal(r), id, r.Header.Get("If-Match")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleRestoreTab(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "tabId")
	if err != nil {
		return err
	}
	t, err := s.Settings.Restore(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	return writeTab(w, http.StatusOK, t)
}
