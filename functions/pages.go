package functions

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/teamspro"
)

// FrameAncestors are the hosts allowed to frame the tabs: Teams and the
// Microsoft 365 apps that host Teams apps, nothing else.
var FrameAncestors = []string{"https://teams.microsoft.com", "https://*.teams.microsoft.com", "https://*.cloud.microsoft", "https://*.office.com"}

// pageCSP is the Content-Security-Policy of every page: scripts only from the
// app's own origin (no inline script), styles inline too (Fluent UI inserts
// its CSS rules at run time), API calls to the same origin (and TeamsJS's list of
// Teams origins).
var pageCSP = strings.Join([]string{
	"default-src 'self'",
	"script-src 'self'",
	"style-src 'self' 'unsafe-inline'",
	"img-src 'self' data:",
	"font-src 'self' data:",
	// TeamsJS reads the list of Teams' origins from Microsoft's CDN.
	"connect-src 'self' https://res.cdn.office.net",
	"object-src 'none'",
	"base-uri 'self'",
	"form-action 'self'",
	"frame-ancestors " + strings.Join(FrameAncestors, " "),
}, "; ")

// handlePage serves the tabs' pages and assets from Deps.Pages at the paths
// the Teams app manifests name (/calendar-pro/config, ...). Vite writes each
// page as <path>/index.html and every asset under /assets/ with a content
// hash in its name, so assets are cached for good and pages never are. Paths
// under /api/ that no API route serves end here (the catch-all matches them
// first) and get the API's 404/405 problem.
func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) error {
	if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, RoutePrefix+"api/") {
		s.unrouted.ServeHTTP(w, r)
		return nil
	}
	if s.Pages == nil {
		return teamspro.Errorf(teamspro.ENOTFOUND, "This server has no pages.")
	}
	name := strings.Trim(path.Clean(r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	if st, err := fs.Stat(s.Pages, name); err == nil && st.IsDir() {
		name = path.Join(name, "index.html")
	}
	f, err := s.Pages.Open(name)
	if err != nil {
		if name == "index.html" {
			return teamspro.Errorf(teamspro.EUNAVAILABLE, "The front end is not built into this binary: run make build.")
		}
		return teamspro.Errorf(teamspro.ENOTFOUND, "No page %s.", r.URL.Path)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		return teamspro.Errorf(teamspro.ENOTFOUND, "No page %s.", r.URL.Path)
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	if strings.HasPrefix(name, "assets/") {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	}
	if strings.HasSuffix(name, ".html") {
		h.Set("Content-Security-Policy", pageCSP)
		h.Set("Content-Type", "text/html; charset=utf-8")
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(f)
		if err != nil {
			return err
		}
		rs = bytes.NewReader(b)
	}
	// Embedded files have no modification time: no Last-Modified, and
	// revalidation of HTML is by a fresh download (pages are small).
	http.ServeContent(w, r, name, time.Time{}, rs)
	return nil
}

// devTokenRequest is who a dev sign-in signs in as.
type devTokenRequest struct {
	TenantID string `json:"tenantId"`
	ObjectID string `json:"objectId"`
	Name     string `json:"name"`
	UPN      string `json:"upn"`
	Admin    bool   `json:"admin"`
}

// handleDevSignInStatus tells the tabs, opened in a plain browser, whether to
// show the dev sign-in screen: 200 when dev sign-in is on, else 404 (the
// route does not exist outside dev sign-in, which Azure refuses).
func (s *Server) handleDevSignInStatus(w http.ResponseWriter, r *http.Request) error {
	if s.DevSignIn == nil {
		return teamspro.Errorf(teamspro.ENOTFOUND, "Dev sign-in is off: open the app in Teams.")
	}
	return writeJSON(w, http.StatusOK, map[string]any{"enabled": true})
}

// handleDevSignIn mints a dev token for whoever the dev sign-in screen names,
// as `handler devtoken` does on the command line.
func (s *Server) handleDevSignIn(w http.ResponseWriter, r *http.Request) error {
	if s.DevSignIn == nil {
		return teamspro.Errorf(teamspro.ENOTFOUND, "Dev sign-in is off: open the app in Teams.")
	}
	var in devTokenRequest
	if err := decode(r, s.MaxBodyBytes, &in); err != nil {
		return err
	}
	var fields []teamspro.FieldError
	if _, err := uuid.Parse(in.TenantID); err != nil {
		fields = append(fields, teamspro.FieldError{Field: "tenantId", Reason: "a GUID"})
	}
	if _, err := uuid.Parse(in.ObjectID); err != nil {
		fields = append(fields, teamspro.FieldError{Field: "objectId", Reason: "a GUID"})
	}
	if len(in.Name) > 256 || len(in.UPN) > 256 {
		fields = append(fields, teamspro.FieldError{Field: "name", Reason: "at most 256 characters"})
	}
	if len(fields) > 0 {
		e := teamspro.Errorf(teamspro.EINVALID, "The dev sign-in needs a tenant and a user id.")
		e.Fields = fields
		return e
	}
	tok, err := s.DevSignIn(DevIdentity{TenantID: teamspro.NormalizeGUID(in.TenantID), ObjectID: teamspro.NormalizeGUID(in.ObjectID), Name: in.Name, UPN: in.UPN, Admin: in.Admin})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"token": tok})
}

// DevIdentity is who a dev token names.
type DevIdentity struct {
	TenantID, ObjectID, Name, UPN string
	Admin                         bool
}
