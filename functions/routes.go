package functions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// RoutePrefix is what the Functions host puts before every function.json route:
// host.json's routePrefix is empty, so that the tabs' pages can be served at
// the root (/calendar-pro/config, ...) and API routes carry api/ themselves.
const RoutePrefix = "/"

// Access says who may call a route.
type Access int

// Access levels.
const (
	Public Access = iota // no credential (health, OpenAPI)
	User                 // a signed-in user of an allowed tenant
	Admin                // a tenant admin
	// Connector routes serve the original products' connector contract: a
	// signed-in user, or an API key in Ocp-Apim-Subscription-Key acting for
	// its tenant on the calendars it was made for (see Principal.ReachesCalendar).
	Connector
)

// Route is one HTTP method and path served by one Azure Function. Routes that
// share a Function share its function.json, so they must share the Path.
type Route struct {
	Function string // the Azure Function's name (its folder under functions/)
	Method   string
	Path     string // Go 1.22 pattern path, with the /api/ prefix
	Access   Access
	Handle   apiFunc
}

// apiFunc is a handler that returns its error instead of writing it, so that
// every error is answered by writeError.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// allRoutes is the route table: every HTTP route of the product, in one place.
func (s *Server) allRoutes() []Route {
	routes := []Route{
		{"health", "GET", "/api/health", Public, s.handleHealth},
		{"health-ready", "GET", "/api/health/ready", Public, s.handleReady},
		{"openapi", "GET", "/api/openapi.json", Public, s.handleOpenAPI},
		{"me", "GET", "/api/me", User, s.handleMe},
		{"tab", "GET", "/api/tabs/{tabId}", User, s.handleGetTab},
		{"tab", "PUT", "/api/tabs/{tabId}", User, s.handlePutTab},
		{"tab", "DELETE", "/api/tabs/{tabId}", User, s.handleDeleteTab},
		{"tab-restore", "POST", "/api/tabs/{tabId}/restore", Admin, s.handleRestoreTab},
		{"apikeys", "GET", "/api/apikeys", User, s.handleListAPIKeys},
		{"apikeys", "POST", "/api/apikeys", User, s.handleCreateAPIKey},
		{"apikey", "DELETE", "/api/apikeys/{keyId}", User, s.handleRevokeAPIKey},
		{"admin-export", "GET", "/api/admin/export", Admin, s.handleExport},
		{"admin-purge", "POST", "/api/admin/purge", Admin, s.handlePurge},
		{"dev-signin", "GET", "/api/dev/signin", Public, s.handleDevSignInStatus},
		{"dev-signin", "POST", "/api/dev/signin", Public, s.handleDevSignIn},
		// The tabs' pages: every GET that no API route serves.
		{"web", "GET", "/{path...}", Public, s.handlePage},
	}
	routes = append(routes, s.roomRoutes()...)
	routes = append(routes, s.bookingRoutes()...)
	routes = append(routes, s.copyRoutes()...)
	routes = append(routes, s.calendarRoutes()...)
	routes = append(routes, s.roomDataRoutes()...)
	routes = append(routes, s.externalRoutes()...)
	routes = append(routes, s.findTimeRoutes()...)
	routes = append(routes, s.scheduleRoutes()...)
	return routes
}

// FunctionRoute is the route template of a function.json: the path without the
// prefix, a trailing Go wildcard {name...} written as the host's catch-all
// {*name}.
func (r Route) FunctionRoute() string {
	p := strings.TrimPrefix(r.Path, RoutePrefix)
	if i := strings.LastIndex(p, "{"); i >= 0 && strings.HasSuffix(p, "...}") {
		p = p[:i] + "{*" + strings.TrimSuffix(p[i+1:], "...}") + "}"
	}
	return p
}

// IsPage reports whether r serves the tabs' pages rather than the API.
func (r Route) IsPage() bool { return !strings.HasPrefix(r.Path, "/api/") }

// buildRouter checks the route table and makes the router. Registering a
// pattern in net/http's mux is not free (parsing, a conflict check against
// every pattern before it, a runtime.Caller), and a cold start paid for all
// of them before its first answer. The routes are therefore split by their
// first segment after /api/ (rooms, calendar, health, ...), and each group's
// mux is built at the first request that reaches the group: a request can
// only match patterns of its own group, because they begin with that
// literal, or the patterns every group holds (the tabs' pages and the
// 404/405 problem), so each request meets the same patterns, in the same
// precedence, as in one mux of all routes. Trigger invocations (POST /name)
// and everything outside /api/ form the group "".
func (s *Server) buildRouter() (http.Handler, error) {
	fnPath := map[string]string{}
	rt := &router{groups: map[string]*routeGroup{}}
	group := func(key string) *routeGroup {
		g := rt.groups[key]
		if g == nil {
			g = &routeGroup{}
			rt.groups[key] = g
		}
		return g
	}
	var everywhere []Route // in every group: the tabs' pages
	for _, r := range s.routes {
		if p, ok := fnPath[r.Function]; ok && p != r.Path {
			return nil, fmt.Errorf("function %s serves two paths: %s and %s", r.Function, p, r.Path)
		}
		fnPath[r.Function] = r.Path
		if r.IsPage() {
			everywhere = append(everywhere, r)
			continue
		}
		g := group(routeGroupKey(r.Path))
		g.routes = append(g.routes, r)
	}
	group("") // pages, triggers and unknown paths, even without triggers
	s.unrouted = s.noRoute()
	for key, g := range rt.groups {
		g.build = sync.OnceValues(func() (*http.ServeMux, error) {
			mux := http.NewServeMux()
			for _, r := range append(g.routes, everywhere...) {
				if err := register(mux, r.Method+" "+r.Path, s.wrap(r)); err != nil {
					return nil, err
				}
			}
			if key == "" {
				for name := range s.triggers {
					if err := register(mux, "POST /"+name, s.invocationHandler(name)); err != nil {
						return nil, err
					}
				}
			}
			if err := register(mux, "/", s.unrouted); err != nil {
				return nil, err
			}
			return mux, nil
		})
	}
	s.router = rt
	return s.middleware(rt), nil
}

// register is mux.Handle returning the panic of a bad or conflicting
// pattern as an error.
func register(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("route %q: %v", pattern, v)
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

// router sends each request to the mux of its route group (see buildRouter).
type router struct {
	groups map[string]*routeGroup
}

// routeGroup is the routes of one group and their mux, built once.
type routeGroup struct {
	routes []Route
	build  func() (*http.ServeMux, error)
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mux, err := rt.group(r).build()
	if err != nil {
		writeError(w, r, fmt.Errorf("routes: %w", err))
		return
	}
	mux.ServeHTTP(w, r)
}

// group is the route group of r; unknown paths belong to "".
func (rt *router) group(r *http.Request) *routeGroup {
	if g := rt.groups[requestGroupKey(r.URL.EscapedPath())]; g != nil {
		return g
	}
	return rt.groups[""]
}

// checkRoutes builds every group's mux, so that a bad or conflicting pattern
// is found by a test rather than at a group's first request.
func (rt *router) checkRoutes() error {
	var errs []error
	for _, g := range rt.groups {
		if _, err := g.build(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// cleanPath is the path net/http's mux matches: p with . and .. elements
// and repeated slashes removed, rooted, its trailing slash kept.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if strings.HasSuffix(p, "/") && np != "/" {
		np += "/"
	}
	return np
}

// routeGroupKey is the group of a route path: its first segment after
// /api/ ("rooms" for /api/rooms/{roomId}); "" outside /api/.
func routeGroupKey(path string) string {
	rest, ok := strings.CutPrefix(path, "/api/")
	if !ok {
		return ""
	}
	seg, _, _ := strings.Cut(rest, "/")
	return seg
}

// requestGroupKey is routeGroupKey of a request's escaped path, cleaned and
// its segment unescaped as net/http's mux does before matching (the mux
// then redirects a path that is not clean to the clean one).
func requestGroupKey(escaped string) string {
	seg := routeGroupKey(cleanPath(escaped))
	if strings.Contains(seg, "%") {
		if u, err := url.PathUnescape(seg); err == nil {
			seg = u
		}
	}
	return seg
}

// noRoute answers the requests that match no route: 405 when the path is
// served with another method, else 404, both as problems. The paths it
// checks are registered at the first such request, not at start, where every
// registration adds to the cold start.
func (s *Server) noRoute() http.Handler {
	paths := sync.OnceValue(func() *http.ServeMux {
		m := http.NewServeMux()
		seen := map[string]bool{}
		for _, rt := range s.routes {
			if !seen[rt.Path] && !rt.IsPage() {
				seen[rt.Path] = true
				m.Handle(rt.Path, http.NotFoundHandler())
			}
		}
		return m
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, p := paths().Handler(r); p != "" {
			writeError(w, r, teamspro.Errorf(teamspro.EMETHODNOTALLOWED, "%s is not allowed on %s.", r.Method, r.URL.Path))
			return
		}
		writeError(w, r, teamspro.Errorf(teamspro.ENOTFOUND, "No route %s %s.", r.Method, r.URL.Path))
	})
}

// middleware adds, around every request: a logger carrying the invocation id,
// panic recovery and CORS for configured origins. Unknown paths and methods
// reach noRoute through the mux.
func (s *Server) middleware(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		r = r.WithContext(withLogAttrs(r.Context(), s.Logger, "invocation_id", r.Header.Get("X-Azure-Functions-InvocationId"), "method", r.Method, "path", r.URL.Path))
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v) // a cut answer (writeError): net/http drops the connection
				}
				logger(r.Context()).Error("panic", "panic", v, "stack", string(debug.Stack()))
				if sw.status == 0 {
					writeError(sw, r, teamspro.Errorf(teamspro.EINTERNAL, "panic"))
				}
			}
			if s.Logger.Enabled(r.Context(), slog.LevelDebug) {
				logger(r.Context()).Debug("served", "status", sw.status, "duration_ms", time.Since(start).Milliseconds())
			}
		}()
		if s.cors(sw, r) {
			return
		}
		mux.ServeHTTP(sw, r)
	})
}

// cors answers CORS for allowed origins and reports whether the request was a
// preflight that is now fully answered. In Azure, the function app's CORS
// setting does this before the handler; locally the handler does it.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || !(slices.Contains(s.CORSOrigins, origin) || slices.Contains(s.CORSOrigins, "*")) {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Expose-Headers", "ETag, Location, Retry-After")
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match, Ocp-Apim-Subscription-Key")
		h.Set("Access-Control-Max-Age", "3600")
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	return false
}

// wrap makes an http.Handler of a route: authentication and authorization by
// the route's Access, then the handler, its error answered as a problem.
func (s *Server) wrap(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The deadline bounds storage retries with backoff (throttling, 5xx):
		// past it the request answers 503 rather than hang.
		ctx, cancel := context.WithTimeout(r.Context(), s.RequestTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		if rt.Access != Public {
			p, err := s.authenticate(r, rt.Access)
			if err != nil {
				writeError(w, r, err)
				return
			}
			if rt.Access == Admin && !p.Admin {
				writeError(w, r, teamspro.Errorf(teamspro.EFORBIDDEN, "Only tenant admins may do this."))
				return
			}
			ctx := teamspro.NewContext(r.Context(), p)
			ctx = withLogAttrs(ctx, nil, "tenant", p.TenantID, "function", rt.Function)
			r = r.WithContext(ctx)
		}
		if err := rt.Handle(w, r); err != nil {
			writeError(w, r, err)
		}
	})
}

// authenticate validates the bearer token of r or, on connector routes without
// one, its API key.
func (s *Server) authenticate(r *http.Request, access Access) (teamspro.Principal, error) {
	h := r.Header.Get("Authorization")
	if key := r.Header.Get("Ocp-Apim-Subscription-Key"); key != "" && h == "" {
		if access != Connector {
			return teamspro.Principal{}, teamspro.Errorf(teamspro.EUNAUTHORIZED, "API keys work only on the connector routes; sign in for this one.")
		}
		return s.Keys.Authenticate(r.Context(), key)
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return teamspro.Principal{}, teamspro.Errorf(teamspro.EUNAUTHORIZED, "Sign in: send the Teams SSO access token as Authorization: Bearer.")
	}
	return s.Auth.Validate(r.Context(), strings.TrimSpace(token))
}

// principal returns the caller of an authenticated route.
func principal(r *http.Request) teamspro.Principal {
	p, _ := teamspro.FromContext(r.Context())
	return p
}

// pathID returns a validated id from the path; EINVALID when malformed, so a
// bad id never reaches storage.
func pathID(r *http.Request, name string) (string, error) {
	id := r.PathValue(name)
	if !teamspro.ValidID(id) {
		e := teamspro.Errorf(teamspro.EINVALID, "The %s in the path is not a valid identifier.", name)
		e.Fields = []teamspro.FieldError{{Field: name, Reason: "letters, digits and . _ : @ - only, at most 128"}}
		return "", e
	}
	return id, nil
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
