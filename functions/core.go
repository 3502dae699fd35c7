package functions

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"
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
	t, err := s.Tabs.Get(r.Context(), principal(r).TenantID, id)
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
	if err := in.Validate(); err != nil {
		return err
	}
	in.Normalize()
	p := principal(r)
	now := s.Now().UTC()
	cur, err := s.Tabs.Get(r.Context(), p.TenantID, id)
	switch {
	case teamspro.ErrorCode(err) == teamspro.ENOTFOUND:
		if m := r.Header.Get("If-Match"); m != "" && m != "*" {
			return teamspro.Errorf(teamspro.EPRECONDITION, "The tab does not exist, so it cannot match %s.", m)
		}
		t := &tab.Tab{
			TenantID: p.TenantID, ID: id, Kind: in.Kind, CalendarID: uuid.NewString(),
			TeamID: in.TeamID, ChannelID: in.ChannelID, ChannelName: in.ChannelName,
			Settings: in.Settings, CreatedBy: p.ObjectID, CreatedAt: now, UpdatedAt: now,
		}
		if !slices.Contains(t.Settings.Owners, p.ObjectID) {
			t.Settings.Owners = append(t.Settings.Owners, p.ObjectID)
		}
		if err := s.Tabs.Create(r.Context(), t); err != nil {
			return err
		}
		w.Header().Set("Location", r.URL.Path)
		return writeTab(w, http.StatusCreated, t)
	case err != nil:
		return err
	}
	if !cur.IsOwner(p) {
		return teamspro.Errorf(teamspro.EFORBIDDEN, "Only the tab's owners and tenant admins may change it.")
	}
	if in.Kind != cur.Kind {
		e := teamspro.Errorf(teamspro.EINVALID, "A tab's kind cannot change.")
		e.Fields = []teamspro.FieldError{{Field: "kind", Reason: "must stay " + string(cur.Kind)}}
		return e
	}
	if len(in.Settings.Owners) == 0 {
		// A tab never loses its last owner by an update: the caller stays one.
		in.Settings.Owners = []string{p.ObjectID}
	}
	t := &tab.Tab{
		TenantID: p.TenantID, ID: id, TeamID: in.TeamID, ChannelID: in.ChannelID, ChannelName: in.ChannelName,
		Settings: in.Settings, UpdatedAt: now,
	}
	if err := s.Tabs.Update(r.Context(), t, r.Header.Get("If-Match")); err != nil {
		return err
	}
	return writeTab(w, http.StatusOK, t)
}

func (s *Server) handleDeleteTab(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "tabId")
	if err != nil {
		return err
	}
	p := principal(r)
	cur, err := s.Tabs.Get(r.Context(), p.TenantID, id)
	if err != nil {
		return err
	}
	if !cur.IsOwner(p) {
		return teamspro.Errorf(teamspro.EFORBIDDEN, "Only the tab's owners and tenant admins may delete it.")
	}
	if err := s.Tabs.Delete(r.Context(), p.TenantID, id, r.Header.Get("If-Match"), s.Now()); err != nil {
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
	t, err := s.Tabs.Restore(r.Context(), principal(r).TenantID, id)
	if err != nil {
		return err
	}
	return writeTab(w, http.StatusOK, t)
}
