package functions_test

import (
	"strings"
	"testing"

	"github.com/teamspro/functions/internal/teamspro"
)

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	owner := h.newUser("", false)
	other := h.newUser(owner.tenant, false)
	admin := h.newUser(owner.tenant, true)
	cal := h.do("PUT", "/api/tabs/k1", &owner, tabBody("calendar")).json(t)["calendarId"].(string)

	expect(t, h.do("POST", "/api/apikeys", &other, map[string]any{"name": "flow", "calendarIds": []string{cal}}), 403, teamspro.EFORBIDDEN)
	expect(t, h.do("POST", "/api/apikeys", &owner, map[string]any{"name": "flow", "calendarIds": []string{"no-such-calendar"}}), 404, teamspro.ENOTFOUND)
	expect(t, h.do("POST", "/api/apikeys", &owner, map[string]any{"name": "", "calendarIds": []string{}}), 400, teamspro.EINVALID)

	res := h.do("POST", "/api/apikeys", &owner, map[string]any{"name": "flow", "calendarIds": []string{cal}})
	expect(t, res, 201, "")
	created := res.json(t)
	secret, _ := created["key"].(string)
	if !strings.HasPrefix(secret, "tpk_") {
		t.Fatalf("got key %q, want a tpk_ secret", secret)
	}
	id := created["id"].(string)

	list := h.do("GET", "/api/apikeys", &owner, nil)
	expect(t, list, 200, "")
	if strings.Contains(string(list.body), secret) {
		t.Errorf("the list shows a secret")
	}
	if n := len(list.json(t)["value"].([]any)); n != 1 {
		t.Errorf("owner lists %d keys, want 1", n)
	}
	if n := len(h.do("GET", "/api/apikeys", &other, nil).json(t)["value"].([]any)); n != 0 {
		t.Errorf("another member lists %d keys, want 0", n)
	}
	if n := len(h.do("GET", "/api/apikeys", &admin, nil).json(t)["value"].([]any)); n != 1 {
		t.Errorf("admin lists %d keys, want 1", n)
	}

	// A key is not a sign-in: it is refused on non-connector routes.
	expect(t, h.do("GET", "/api/me", nil, nil, "Ocp-Apim-Subscription-Key", secret), 401, teamspro.EUNAUTHORIZED)

	// Another tenant cannot see or revoke it.
	stranger := h.newUser("", true)
	expect(t, h.do("DELETE", "/api/apikeys/"+id, &stranger, nil), 404, teamspro.ENOTFOUND)
	expect(t, h.do("DELETE", "/api/apikeys/"+id, &other, nil), 403, teamspro.EFORBIDDEN)
	expect(t, h.do("DELETE", "/api/apikeys/"+id, &owner, nil), 204, "")
	expect(t, h.do("DELETE", "/api/apikeys/"+id, &owner, nil), 404, teamspro.ENOTFOUND)
}
