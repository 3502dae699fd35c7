package functions_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/teamspro/functions/functions"
	"github.com/teamspro/functions/internal/deploy"
	"github.com/teamspro/functions/web"
)

// requireBuiltPages fails (never skips) when the front end is not built into
// the test binary: scripts/test.sh builds it first.
func requireBuiltPages(t *testing.T) {
	t.Helper()
	if !web.Built(web.Files()) {
		t.Fatal("web/dist holds no built front end: run make test (or bash scripts/web.sh) first")
	}
}

// get fetches path from the harness without credentials.
func (h *harness) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(h.http.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// manifestURLs renders an app's manifest as scripts/teams-package.sh does, with
// the tab endpoint at origin, and returns every URL in it on that origin.
func manifestURLs(t *testing.T, app, origin string) []string {
	t.Helper()
	tmpl, err := os.ReadFile(filepath.Join("..", "appPackage", app, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{
		"TAB_ENDPOINT": origin, "TAB_DOMAIN": strings.TrimPrefix(origin, "http://"),
		"AAD_APP_CLIENT_ID": "6a3c1d2e-4b5f-4a7b-9c8d-0e1f2a3b4c5d", "APP_ID_URI": "api://tabs.contoso.com/6a3c1d2e-4b5f-4a7b-9c8d-0e1f2a3b4c5d",
		"CALENDAR_TEAMS_APP_ID": "0f0e0d0c-0b0a-4908-8706-050403020100", "BOOKING_TEAMS_APP_ID": "1f1e1d1c-1b1a-4918-8716-151413121110",
		"PUBLISHER_NAME": "Contoso", "PUBLISHER_URL": origin, "PRIVACY_URL": origin + "/privacy", "TERMS_URL": origin + "/terms",
	}
	b, err := deploy.Render(tmpl, func(k string) string { return values[k] })
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var urls []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case string:
			if strings.HasPrefix(v, origin) {
				urls = append(urls, v)
			}
		}
	}
	walk(doc)
	return urls
}

// TestManifestURLsAreServed reads both Teams app manifests and fetches every
// URL they name on the tab endpoint, and the content pages the config pages
// hand to Teams, from the handler: each must be an HTML page Teams may frame.
func TestManifestURLsAreServed(t *testing.T) {
	requireBuiltPages(t)
	h := newHarness(t)
	want := map[string]bool{"/calendar-pro/config": false, "/booking-room-pro/config": false, "/privacy": false, "/terms": false}
	var urls []string
	for _, app := range []string{"calendar-pro", "booking-room-pro"} {
		urls = append(urls, manifestURLs(t, app, h.http.URL)...)
	}
	// What the config pages pass to setConfig as contentUrl and websiteUrl.
	urls = append(urls, h.http.URL+"/calendar-pro/content?tab=t1", h.http.URL+"/booking-room-pro/content?tab=t1", h.http.URL+"/")
	for _, u := range urls {
		path := strings.TrimPrefix(u, h.http.URL)
		t.Run(path, func(t *testing.T) {
			res, body := h.get(t, path)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("got status %d, want 200", res.StatusCode)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("got content type %q, want text/html", ct)
			}
			if !strings.Contains(body, `<div id="root">`) || !regexp.MustCompile(`<script type="module" crossorigin src="/assets/[^"]+\.js">`).MatchString(body) {
				t.Errorf("got a page without its root and module script:\n%s", body)
			}
			checkPageHeaders(t, res, body)
		})
		if p, _, _ := strings.Cut(strings.TrimPrefix(u, h.http.URL), "?"); true {
			if _, ok := want[p]; ok {
				want[p] = true
			}
		}
	}
	for p, seen := range want {
		if !seen {
			t.Errorf("no manifest names %s", p)
		}
	}
}

var inlineScript = regexp.MustCompile(`<script(?:\s[^>]*)?>`)

// checkPageHeaders checks what every HTML page must carry: a CSP whose
// frame-ancestors are exactly the Teams and Microsoft 365 hosts and which
// allows no inline script, no caching, and no inline script in the page.
func checkPageHeaders(t *testing.T, res *http.Response, body string) {
	t.Helper()
	csp := res.Header.Get("Content-Security-Policy")
	directives := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	if got, want := directives["frame-ancestors"], strings.Join(functions.FrameAncestors, " "); got != want {
		t.Errorf("got frame-ancestors %q, want %q", got, want)
	}
	for _, fa := range strings.Fields(directives["frame-ancestors"]) {
		if !regexp.MustCompile(`^https://(teams\.microsoft\.com|\*\.teams\.microsoft\.com|\*\.cloud\.microsoft|\*\.office\.com)$`).MatchString(fa) {
			t.Errorf("frame-ancestors admits %q, which is neither Teams nor Microsoft 365", fa)
		}
	}
	if s := directives["script-src"]; s != "'self'" {
		t.Errorf("got script-src %q, want 'self' only (no inline script)", s)
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") && !strings.Contains(cc, "no-cache") {
		t.Errorf("got Cache-Control %q on a page, want it not cached", cc)
	}
	for _, tag := range inlineScript.FindAllString(body, -1) {
		if !strings.Contains(tag, " src=") {
			t.Errorf("the page has an inline script: %s", tag)
		}
	}
}

// TestPageAssets checks that every asset a page loads is served with an
// immutable cache and the right type, and that what is not there is a 404.
func TestPageAssets(t *testing.T) {
	requireBuiltPages(t)
	h := newHarness(t)
	_, body := h.get(t, "/calendar-pro/config")
	assets := regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`).FindAllStringSubmatch(body, -1)
	if len(assets) == 0 {
		t.Fatalf("the config page loads no asset:\n%s", body)
	}
	for _, m := range assets {
		t.Run(m[1], func(t *testing.T) {
			res, _ := h.get(t, m[1])
			if res.StatusCode != http.StatusOK {
				t.Fatalf("got status %d, want 200", res.StatusCode)
			}
			if got, want := res.Header.Get("Cache-Control"), "public, max-age=31536000, immutable"; got != want {
				t.Errorf("got Cache-Control %q, want %q", got, want)
			}
			ct := res.Header.Get("Content-Type")
			if strings.HasSuffix(m[1], ".js") && !strings.Contains(ct, "javascript") || strings.HasSuffix(m[1], ".css") && !strings.HasPrefix(ct, "text/css") {
				t.Errorf("got content type %q for %s", ct, m[1])
			}
		})
	}
	tests := []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/no/such/page", 404, "not_found"},
		{"GET", "/assets/missing-0000.js", 404, "not_found"},
		{"GET", "/api/no-such-route", 404, "not_found"},
		{"GET", "/api/apikeys/k1", 405, "method_not_allowed"},
		{"POST", "/calendar-pro/config", 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			expect(t, h.do(tt.method, tt.path, nil, nil), tt.status, tt.code)
		})
	}
}

// TestDevSignInRoute mints a token the production validator accepts, and
// refuses bad input as a problem with its fields.
func TestDevSignInRoute(t *testing.T) {
	h := newHarness(t)
	expect(t, h.do("GET", "/api/dev/signin", nil, nil), 200, "")
	r := h.do("POST", "/api/dev/signin", nil, map[string]any{"tenantId": "not-a-guid", "objectId": "x"})
	expect(t, r, 400, "invalid")
	if got := len(r.json(t)["errors"].([]any)); got != 2 {
		t.Errorf("got %d field errors, want 2: %s", got, r.body)
	}
	tenant, oid := "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-22222222222A"
	r = h.do("POST", "/api/dev/signin", nil, map[string]any{"tenantId": tenant, "objectId": oid, "name": "Ada", "admin": true})
	expect(t, r, 200, "")
	u := user{tenant: tenant, oid: strings.ToLower(oid), token: r.json(t)["token"].(string)}
	me := h.do("GET", "/api/me", &u, nil)
	expect(t, me, 200, "")
	if got := me.json(t); got["objectId"] != u.oid || got["admin"] != true || got["displayName"] != "Ada" {
		t.Errorf("got profile %v, want the dev identity as admin", got)
	}
}

// TestDevSignInOff: without dev sign-in the route does not exist.
func TestDevSignInOff(t *testing.T) {
	h := newHarness(t)
	srv := newServer(t, h.client, storeDeps(h.client, h.srv.Auth))
	for _, m := range []string{"GET", "POST"} {
		req, _ := http.NewRequest(m, "/api/dev/signin", strings.NewReader(`{"tenantId":"11111111-1111-4111-8111-111111111111","objectId":"22222222-2222-4222-8222-222222222222"}`))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s: got status %d, want 404", m, rec.Code)
		}
	}
}
