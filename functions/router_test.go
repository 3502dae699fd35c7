package functions

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRouteGroupsMatchOneMux holds the route groups to the mux of all routes
// they replace: every request, whichever group it reaches, selects the
// pattern that one mux of every route would select.
func TestRouteGroupsMatchOneMux(t *testing.T) {
	t.Parallel()
	s := &Server{triggers: map[string]Trigger{}}
	s.routes = s.allRoutes()
	s.trigList = s.allTriggers()
	for _, tr := range s.trigList {
		s.triggers[tr.Function] = tr
	}
	if _, err := s.buildRouter(); err != nil {
		t.Fatal(err)
	}
	if err := s.router.checkRoutes(); err != nil {
		t.Fatalf("building the route groups: %v", err)
	}
	one := http.NewServeMux()
	for _, rt := range s.routes {
		one.Handle(rt.Method+" "+rt.Path, http.NotFoundHandler())
	}
	for name := range s.triggers {
		one.Handle("POST /"+name, http.NotFoundHandler())
	}
	one.Handle("/", http.NotFoundHandler())

	paths := []string{"/", "/api", "/api/", "/api/unknown", "/api/unknown/x", "/api/rooms%2Fx", "/api/he%6Clth",
		"/api/rooms/../health", "//api/health", "/api/health/", "/api/./rooms", "/calendar-pro/config", "/assets/x.js"}
	for _, rt := range s.routes {
		p := strings.ReplaceAll(rt.Path, "...}", "}")
		for strings.Contains(p, "{") {
			i, j := strings.Index(p, "{"), strings.Index(p, "}")
			p = p[:i] + "x1" + p[j+1:]
		}
		paths = append(paths, p, p+"/", p+"/more")
	}
	for name := range s.triggers {
		paths = append(paths, "/"+name, "/api/"+name)
	}
	for _, p := range paths {
		for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
			r := httptest.NewRequest(m, "http://example.test"+p, nil)
			_, want := one.Handler(r)
			mux, err := s.router.group(r).build()
			if err != nil {
				t.Fatal(err)
			}
			if _, got := mux.Handler(r); got != want {
				t.Errorf("%s %s: got pattern %q, want %q", m, p, got, want)
			}
		}
	}
}
