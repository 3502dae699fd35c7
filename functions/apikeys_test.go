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

// TestAPIKeyOnBookingContract: a key works on the connector routes of the
// calendars it was made for, and nowhere else.
func TestAPIKeyOnBookingContract(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	h := s.h
	h.createRoom(s.admin, "r1", nil)
	other := h.bookingTab(s.admin, "book2", nil)
	secret := h.do("POST", "/api/apikeys", &s.admin, map[string]any{"name": "flow", "calendarIds": []string{s.cal}}).json(t)["key"].(string)
	key := []string{"Ocp-Apim-Subscription-Key", secret}

	res := h.do("POST", events(s.cal), nil, event("r1", at(2, 10, 0), at(2, 11, 0)), key...)
	expect(t, res, 201, "")
	id := res.json(t)["id"].(string)
	expect(t, h.do("GET", events(s.cal)+"/"+id, nil, nil, key...), 200, "")
	expect(t, h.do("GET", events(s.cal), nil, nil, key...), 200, "")
	expect(t, h.do("GET", events(other), nil, nil, key...), 404, teamspro.ENOTFOUND)
	expect(t, h.do("POST", events(other), nil, event("r1", at(2, 12, 0), at(2, 13, 0)), key...), 404, teamspro.ENOTFOUND)
	expect(t, h.do("GET", "/api/reservations/mine", nil, nil, key...), 401, teamspro.EUNAUTHORIZED)
	expect(t, h.do("GET", "/api/rooms", nil, nil, key...), 401, teamspro.EUNAUTHORIZED)
	expect(t, h.do("GET", events(s.cal), nil, nil, "Ocp-Apim-Subscription-Key", "tpk_"+strings.Repeat("A", 43)), 401, teamspro.EUNAUTHORIZED)

	keyID := h.do("GET", "/api/apikeys", &s.admin, nil).json(t)["value"].([]any)[0].(map[string]any)["id"].(string)
	expect(t, h.do("DELETE", "/api/apikeys/"+keyID, &s.admin, nil), 204, "")
	expect(t, h.do("GET", events(s.cal), nil, nil, key...), 401, teamspro.EUNAUTHORIZED)
}
