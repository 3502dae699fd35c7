package functions_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// countTenant counts what storage still holds of a tenant, read directly.
func (h *harness) countTenant(t *testing.T, tenant string) int {
	t.Helper()
	n, err := h.client.CountTenant(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestExportAndPurge(t *testing.T) {
	t.Parallel()
	h := newIsolatedHarness(t) // runs a cross-tenant timer
	h.now = monday
	admin := h.newUser("", true)
	member := h.newUser(admin.tenant, false)
	other := h.newUser("", true)
	for _, u := range []*user{&admin, &member, &other} {
		expect(t, h.do("GET", "/api/me", u, nil), 200, "")
	}
	cal := h.do("PUT", "/api/tabs/a1", &admin, tabBody("calendar")).json(t)["calendarId"].(string)
	expect(t, h.do("PUT", "/api/tabs/a2", &member, tabBody("booking")), 201, "")
	expect(t, h.do("DELETE", "/api/tabs/a2", &member, nil), 204, "") // soft-deleted data is exported and purged too
	expect(t, h.do("POST", "/api/apikeys", &admin, map[string]any{"name": "k", "calendarIds": []string{cal}}), 201, "")
	expect(t, h.do("PUT", "/api/tabs/a1", &other, tabBody("calendar")), 201, "")
	// Booking Room Pro data: a room, a booking tab and a reservation whose
	// check-in deadline sits in the cross-tenant deadline table.
	h.createRoom(admin, "desk", map[string]any{"rules": map[string]any{"checkInRequired": true, "releaseAfterMinutes": 10}})
	bookCal := h.bookingTab(admin, "b1", nil)
	// A week ahead: the release timer is global, and other tests run it at
	// their own clocks on the same tables.
	expect(t, h.do("POST", events(bookCal), &member, event("desk", at(9, 8, 0), at(9, 9, 0))), 201, "")
	h.createRoom(other, "desk", nil)

	expect(t, h.do("GET", "/api/admin/export", &member, nil), 403, teamspro.EFORBIDDEN)
	res := h.do("GET", "/api/admin/export", &admin, nil)
	expect(t, res, 200, "")
	var doc struct {
		TenantID string `json:"tenantId"`
		Items    []struct {
			Table  string         `json:"table"`
			Entity map[string]any `json:"entity"`
		} `json:"items"`
	}
	if err := json.Unmarshal(res.body, &doc); err != nil {
		t.Fatalf("export is not one JSON document: %v", err)
	}
	byTable := map[string]int{}
	for _, it := range doc.Items {
		byTable[it.Table]++
		if pk, _ := it.Entity["PartitionKey"].(string); pk != admin.tenant && pk[:len(admin.tenant)] != admin.tenant {
			t.Errorf("export holds another partition: %v", it.Entity)
		}
	}
	// directory: tenant + 2 users + their UPN's pointer (both sign in as
	// t@x.example); tabs: 3 tabs x 2 rows; apikeys: 1 listing row; rooms: 1;
	// bookings: the reservation, its day ledger and its index.
	if byTable["directory"] != 4 || byTable["tabs"] != 6 || byTable["apikeys"] != 1 || byTable["rooms"] != 1 || byTable["bookings"] < 3 {
		t.Errorf("got export counts %v, want directory 4, tabs 6, apikeys 1, rooms 1, bookings 3+", byTable)
	}

	expect(t, h.do("POST", "/api/admin/purge", &admin, map[string]any{"confirmTenantId": other.tenant}), 400, teamspro.EINVALID)
	expect(t, h.do("POST", "/api/admin/purge", &member, map[string]any{"confirmTenantId": admin.tenant}), 403, teamspro.EFORBIDDEN)
	before := h.countTenant(t, other.tenant)
	if n := h.countTenant(t, admin.tenant); n < len(doc.Items)+2 {
		t.Errorf("storage holds %d entities of the tenant, want the %d exported plus a key hash and a deadline", n, len(doc.Items))
	}
	// The calendar's tab is remembered by this instance from here on.
	expect(t, h.do("GET", calEvents(cal), &admin, nil), 200, "")
	expect(t, h.do("POST", "/api/admin/purge", &admin, map[string]any{"confirmTenantId": admin.tenant}), 200, "")
	// Nothing remembered outlives the purge: the calendar is gone at once,
	// and a late write cannot bring the tenant's data back.
	expect(t, h.do("GET", calEvents(cal), &admin, nil), 404, teamspro.ENOTFOUND)
	expect(t, h.do("POST", calEvents(cal), &admin, calEvent("Late", "2026-03-05T09:00:00Z", "2026-03-05T10:00:00Z", "UTC", nil)), 404, teamspro.ENOTFOUND)
	if n := h.countTenant(t, admin.tenant); n != 0 {
		t.Errorf("after purge %d entities of the tenant remain, want 0", n)
	}
	// The release timer finds no deadline of the purged tenant: its run
	// releases nothing and fails on nothing.
	h.now = monday.Add(3 * time.Hour)
	if res := h.post("/release-unchecked", timerPayload); res.status != 200 || strings.Contains(string(res.body), `"released":1`) {
		t.Errorf("release after purge: got %d %s", res.status, res.body)
	}
	if after := h.countTenant(t, other.tenant); after != before || after == 0 {
		t.Errorf("another tenant went from %d to %d entities, want it untouched", before, after)
	}
	expect(t, h.do("GET", "/api/tabs/a1", &other, nil), 200, "")
	expect(t, h.do("GET", "/api/rooms/desk", &other, nil), 200, "")
	expect(t, h.do("GET", "/api/rooms/desk", &admin, nil), 404, teamspro.ENOTFOUND)
	expect(t, h.do("GET", "/api/tabs/a1", &admin, nil), 404, teamspro.ENOTFOUND)
	// Idempotent: a second purge finds nothing and succeeds.
	expect(t, h.do("POST", "/api/admin/purge", &admin, map[string]any{"confirmTenantId": admin.tenant}), 200, "")
}
