package functions_test

import (
	"strings"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

func TestHealth(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	expect(t, h.do("GET", "/api/health", nil, nil), 200, "")
	expect(t, h.do("GET", "/api/health/ready", nil, nil), 200, "")
}

func TestReadyWhenStorageIsDown(t *testing.T) {
	t.Parallel()
	srv := newOfflineServer(t) // storage at 127.0.0.1:1: nothing listens
	h := &harness{t: t, srv: srv}
	h.http = newTestServer(t, srv)
	res := h.do("GET", "/api/health/ready", nil, nil)
	expect(t, res, 503, teamspro.EUNAVAILABLE)
	if res.header.Get("Retry-After") == "" {
		t.Errorf("got no Retry-After on 503")
	}
	expect(t, h.do("GET", "/api/health", nil, nil), 200, "")
}

func TestMe(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.newUser("", true)
	res := h.do("GET", "/api/me", &u, nil)
	expect(t, res, 200, "")
	m := res.json(t)
	if m["tenantId"] != u.tenant || m["objectId"] != u.oid || m["admin"] != true || m["upn"] != "t@x.example" {
		t.Errorf("got %v, want the caller's tenant, oid, upn and admin", m)
	}
	first := m["firstSeen"]
	h.now = h.now.Add(time.Hour)
	m = h.do("GET", "/api/me", &u, nil).json(t)
	if m["firstSeen"] != first || m["lastSignIn"] == first {
		t.Errorf("second sign-in: got first %v last %v, want first kept and last refreshed", m["firstSeen"], m["lastSignIn"])
	}
}

func TestMeWithEntraToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.idp.Claims()
	u := user{tenant: h.idp.TenantID, oid: c["oid"].(string), token: h.idp.Token(t, c)}
	m := h.do("GET", "/api/me", &u, nil).json(t)
	if m["objectId"] != u.oid || m["displayName"] != "Ada Lovelace" {
		t.Errorf("got %v, want the token's user", m)
	}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tests := []struct {
		name   string
		header string
		status int
		code   string
	}{
		{"no header", "", 401, teamspro.EUNAUTHORIZED},
		{"basic auth", "Basic dXNlcjpwYXNz", 401, teamspro.EUNAUTHORIZED},
		{"garbage", "Bearer not.a.token", 401, teamspro.EUNAUTHORIZED},
		{"empty bearer", "Bearer ", 401, teamspro.EUNAUTHORIZED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := h.do("GET", "/api/me", nil, nil, "Authorization", tt.header)
			expect(t, res, tt.status, tt.code)
			if res.header.Get("WWW-Authenticate") == "" {
				t.Errorf("got no WWW-Authenticate header on 401")
			}
		})
	}
}

func TestTabLifecycleOverHTTP(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := h.newUser("", false)
	member := h.newUser(owner.tenant, false)
	admin := h.newUser(owner.tenant, true)

	res := h.do("PUT", "/api/tabs/tab-1", &owner, tabBody("calendar"))
	expect(t, res, 201, "")
	tab := res.json(t)
	if tab["id"] != "tab-1" || tab["kind"] != "calendar" || tab["calendarId"] == "" || tab["channelName"] != "General" {
		t.Fatalf("got %v, want id, kind, calendarId and channel", tab)
	}
	owners := tab["settings"].(map[string]any)["owners"].([]any)
	if len(owners) != 1 || owners[0] != owner.oid {
		t.Errorf("got owners %v, want the creator", owners)
	}
	etag := res.header.Get("ETag")
	if etag == "" || etag != tab["etag"] {
		t.Errorf("got ETag header %q and body etag %v, want both set and equal", etag, tab["etag"])
	}

	got := h.do("GET", "/api/tabs/tab-1", &member, nil)
	expect(t, got, 200, "")
	if got.json(t)["calendarId"] != tab["calendarId"] {
		t.Errorf("a member reads another calendar id")
	}

	body := tabBody("calendar")
	body["channelName"] = "Renamed"
	expect(t, h.do("PUT", "/api/tabs/tab-1", &member, body), 403, teamspro.EFORBIDDEN)
	expect(t, h.do("PUT", "/api/tabs/tab-1", &owner, body, "If-Match", `"999"`), 412, teamspro.EPRECONDITION)
	upd := h.do("PUT", "/api/tabs/tab-1", &owner, body, "If-Match", etag)
	expect(t, upd, 200, "")
	if m := upd.json(t); m["channelName"] != "Renamed" || m["calendarId"] != tab["calendarId"] {
		t.Errorf("got %v, want the new name and the same calendar", m)
	}
	body["kind"] = "booking"
	expect(t, h.do("PUT", "/api/tabs/tab-1", &owner, body), 400, teamspro.EINVALID)

	expect(t, h.do("DELETE", "/api/tabs/tab-1", &member, nil), 403, teamspro.EFORBIDDEN)
	expect(t, h.do("DELETE", "/api/tabs/tab-1", &owner, nil, "If-Match", etag), 412, teamspro.EPRECONDITION)
	expect(t, h.do("DELETE", "/api/tabs/tab-1", &owner, nil), 204, "")
	expect(t, h.do("GET", "/api/tabs/tab-1", &owner, nil), 404, teamspro.ENOTFOUND)
	expect(t, h.do("POST", "/api/tabs/tab-1/restore", &owner, nil), 403, teamspro.EFORBIDDEN)
	expect(t, h.do("POST", "/api/tabs/tab-1/restore", &admin, nil), 200, "")
	expect(t, h.do("GET", "/api/tabs/tab-1", &member, nil), 200, "")
}

func TestTabPermissionsByAdmin(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := h.newUser("", false)
	admin := h.newUser(owner.tenant, true)
	expect(t, h.do("PUT", "/api/tabs/t2", &owner, tabBody("booking")), 201, "")
	// An admin creating a tab is listed as its owner too.
	made := h.do("PUT", "/api/tabs/t3", &admin, tabBody("calendar")).json(t)
	if owners := made["settings"].(map[string]any)["owners"].([]any); len(owners) != 1 || owners[0] != admin.oid {
		t.Errorf("got owners %v, want the admin who created the tab", owners)
	}
	body := tabBody("booking")
	body["settings"].(map[string]any)["owners"] = []string{admin.oid}
	res := h.do("PUT", "/api/tabs/t2", &admin, body)
	expect(t, res, 200, "")
	// The former owner is no longer one.
	expect(t, h.do("DELETE", "/api/tabs/t2", &owner, nil), 403, teamspro.EFORBIDDEN)
}

// TestCrossTenant proves that a second tenant can neither read, change, delete
// nor restore the first one's tabs: they do not exist for it (404).
func TestCrossTenant(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.newUser("", false)
	b := h.newUser("", true) // an admin, of another tenant
	created := h.do("PUT", "/api/tabs/shared-id", &a, tabBody("calendar")).json(t)

	expect(t, h.do("GET", "/api/tabs/shared-id", &b, nil), 404, teamspro.ENOTFOUND)
	expect(t, h.do("DELETE", "/api/tabs/shared-id", &b, nil), 404, teamspro.ENOTFOUND)
	expect(t, h.do("POST", "/api/tabs/shared-id/restore", &b, nil), 404, teamspro.ENOTFOUND)
	// A PUT by b creates b's own tab with the same id; a's is untouched.
	mine := h.do("PUT", "/api/tabs/shared-id", &b, tabBody("booking"))
	expect(t, mine, 201, "")
	if mine.json(t)["calendarId"] == created["calendarId"] {
		t.Errorf("tenant b got tenant a's calendar id")
	}
	still := h.do("GET", "/api/tabs/shared-id", &a, nil).json(t)
	if still["kind"] != "calendar" || still["calendarId"] != created["calendarId"] {
		t.Errorf("tenant a's tab changed: %v", still)
	}
	// b's profile is not visible to a: /api/me only ever returns the caller.
	if got := h.do("GET", "/api/me", &a, nil).json(t)["objectId"]; got != a.oid {
		t.Errorf("got %v, want a's own profile", got)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.newUser("", false)
	big := `{"kind":"calendar","teamId":"t","channelId":"c","channelName":"` + strings.Repeat("x", 70<<10) + `"}`
	tests := []struct {
		name    string
		method  string
		path    string
		body    any
		headers []string
		status  int
		code    string
		field   string
	}{
		{"unknown field", "PUT", "/api/tabs/x", `{"kind":"calendar","teamId":"t","channelId":"c","color":"red"}`, nil, 400, teamspro.EINVALID, "color"},
		{"wrong type", "PUT", "/api/tabs/x", `{"kind":"calendar","teamId":7,"channelId":"c"}`, nil, 400, teamspro.EINVALID, "teamId"},
		{"two objects", "PUT", "/api/tabs/x", `{"kind":"calendar","teamId":"t","channelId":"c"}{}`, nil, 400, teamspro.EINVALID, ""},
		{"not JSON", "PUT", "/api/tabs/x", `kind=calendar`, nil, 400, teamspro.EINVALID, ""},
		{"empty body", "PUT", "/api/tabs/x", ``, nil, 400, teamspro.EINVALID, ""},
		{"too large", "PUT", "/api/tabs/x", big, nil, 413, teamspro.ETOOLARGE, ""},
		{"wrong content type", "PUT", "/api/tabs/x", `{}`, []string{"Content-Type", "text/plain"}, 415, teamspro.EUNSUPPORTEDMEDIA, ""},
		{"invalid settings", "PUT", "/api/tabs/x", map[string]any{"kind": "meeting", "teamId": "t", "channelId": "c",
			"settings": map[string]any{"timeZone": "Mars/Olympus", "firstDayOfWeek": 9, "defaultView": "year",
				"businessHours": map[string]any{"start": "18:00", "end": "08:00"}, "permissions": map[string]any{"mode": "nobody"}}},
			nil, 400, teamspro.EINVALID, "settings.timeZone"},
		{"bad id", "GET", "/api/tabs/a'b", nil, nil, 400, teamspro.EINVALID, "tabId"},
		{"id with OData", "GET", "/api/tabs/x%27%20or%20PartitionKey%20ne%20%27", nil, nil, 400, teamspro.EINVALID, "tabId"},
		{"unknown route", "GET", "/api/nope", nil, nil, 404, teamspro.ENOTFOUND, ""},
		{"wrong method", "PATCH", "/api/tabs/x", `{}`, nil, 405, teamspro.EMETHODNOTALLOWED, ""},
		{"admin route", "POST", "/api/tabs/x/restore", nil, nil, 403, teamspro.EFORBIDDEN, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := h.do(tt.method, tt.path, &u, tt.body, tt.headers...)
			expect(t, res, tt.status, tt.code)
			if tt.field != "" {
				fields, _ := res.json(t)["errors"].([]any)
				found := false
				for _, f := range fields {
					if f.(map[string]any)["field"] == tt.field {
						found = true
					}
				}
				if !found {
					t.Errorf("got errors %v, want one on %s", fields, tt.field)
				}
			}
		})
	}
	// Nothing was stored by any of the bad requests.
	expect(t, h.do("GET", "/api/tabs/x", &u, nil), 404, teamspro.ENOTFOUND)
}

func TestInvalidSettingsListsEveryField(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.newUser("", false)
	res := h.do("PUT", "/api/tabs/x", &u, map[string]any{"kind": "meeting", "teamId": "", "channelId": "c",
		"settings": map[string]any{"timeZone": "Mars/Olympus", "firstDayOfWeek": 9, "defaultView": "year", "owners": []string{"bob"}}})
	expect(t, res, 400, teamspro.EINVALID)
	fields, _ := res.json(t)["errors"].([]any)
	if len(fields) < 6 {
		t.Errorf("got %d invalid fields %v, want at least 6 (kind, teamId, timeZone, firstDayOfWeek, defaultView, owners)", len(fields), fields)
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	res := h.do("OPTIONS", "/api/me", nil, nil, "Origin", "https://tab.contoso.example", "Access-Control-Request-Method", "GET")
	if res.status != 204 || res.header.Get("Access-Control-Allow-Origin") != "https://tab.contoso.example" {
		t.Errorf("preflight: got %d %v, want 204 with the origin allowed", res.status, res.header)
	}
	res = h.do("OPTIONS", "/api/me", nil, nil, "Origin", "https://evil.example", "Access-Control-Request-Method", "GET")
	if res.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("got CORS allowed for an unknown origin")
	}
}
