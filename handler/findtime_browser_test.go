package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestFindTimeInBrowser: in the Booking Room Pro tab, Ada finds a time for
// herself and Bob, who has a calendar event at 09:00 tomorrow: she adds him
// by UPN, asks for an hour between 09:00 and 12:00 with a room, sees 10:00
// first (Bob's event ends then), books it with one click, and then sees why
// a three-hour meeting cannot fit (who is busy when). axe-core runs on every
// screen, in the light, dark and high-contrast themes.
func TestFindTimeInBrowser(t *testing.T) {
	srv := startTabServer(t)
	zone, local := middayZone(time.Now())
	tomorrow := local.AddDate(0, 0, 1).Format("2006-01-02")
	b := newBrowser(t, srv.base, "America/New_York")
	tenant, adaID, bobID := uuid.NewString(), uuid.NewString(), uuid.NewString()
	admin := signInToken(t, srv, tenant, adaID, "Ada Admin", true)
	bob := signInToken(t, srv, tenant, bobID, "Bob Member", false)
	if code := srv.api(t, "GET", "/api/me", bob, nil); code != 200 { // Bob's UPN becomes known
		t.Fatalf("Bob's sign-in: got %d, want 200", code)
	}
	for _, room := range []map[string]any{
		{"id": "ft-huddle", "name": "Huddle", "capacity": 3, "building": "HQ", "timeZone": zone},
		{"id": "ft-board", "name": "Board", "capacity": 12, "building": "HQ", "timeZone": zone},
	} {
		if code, body := postJSON(t, srv, "/api/rooms", admin, room); code != 201 {
			t.Fatalf("create room %v: got %d %s, want 201", room["id"], code, body)
		}
	}
	tabID := "ft-tab-" + uuid.NewString()[:8]
	var tab struct{ CalendarID string }
	if code := putJSON(t, srv, "/api/tabs/"+tabID, admin, map[string]any{"kind": "booking", "teamId": "19:team@thread.tacv2",
		"channelId": "19:general@thread.tacv2", "channelName": "General", "settings": map[string]any{"timeZone": zone}}, &tab); code != 201 {
		t.Fatalf("create the booking tab: got %d, want 201", code)
	}
	// Bob's own calendar: an event from 09:00 to 10:00 tomorrow in the tab's zone.
	var cal struct{ CalendarID string }
	if code := putJSON(t, srv, "/api/tabs/ft-bob-"+uuid.NewString()[:8], bob, map[string]any{"kind": "calendar", "teamId": "19:team@thread.tacv2",
		"channelId": "19:general@thread.tacv2", "settings": map[string]any{"timeZone": zone}}, &cal); code != 201 {
		t.Fatalf("create Bob's calendar: got %d, want 201", code)
	}
	nine, err := time.ParseInLocation("2006-01-02 15:04", tomorrow+" 09:00", local.Location())
	if err != nil {
		t.Fatal(err)
	}
	if code, body := postJSON(t, srv, "/api/calendar/v1/"+cal.CalendarID+"/events", bob, map[string]any{"title": "Bob's dentist",
		"startDate": nine.UTC().Format(time.RFC3339), "endDate": nine.Add(time.Hour).UTC().Format(time.RFC3339), "timeZone": zone}); code != 201 {
		t.Fatalf("Bob's event: got %d %s, want 201", code, body)
	}

	b.devSignIn("/booking-room-pro/content?tab="+tabID, tenant, adaID, "Ada Admin", true)
	b.waitFor("timeline loaded", `document.querySelector("#timeline")?.dataset.loaded === "true"`)
	b.click("#section-findtime")
	b.run("find a time", waitVisible("#findtime-submit"))
	b.setInput("#findtime-person", "bob@contoso.example")
	b.click("#findtime-add")
	b.waitFor("Bob added", `document.querySelector("#findtime-people")?.textContent.includes("bob@contoso.example")`)
	b.setInput("#findtime-from", tomorrow)
	b.setInput("#findtime-to", tomorrow)
	b.setInput("#findtime-hours-from", "09:00")
	b.setInput("#findtime-hours-to", "12:00")
	b.setInput("#findtime-duration", "60")
	b.click("#findtime-weekdays") // tomorrow may be a weekend day
	b.axe("find a time")
	b.click("#findtime-submit")
	b.run("slots", waitVisible("#findtime-results"))
	rows := b.text("#findtime-results tbody")
	if !strings.Contains(rows, "10:00") || strings.Contains(rows, "09:00") || !strings.Contains(rows, "Huddle") {
		t.Errorf("got slots %q, want 10:00 first (Bob busy until then), none at 09:00, in Huddle", rows)
	}
	if got := b.text("#findtime-status"); !strings.Contains(got, "Bob Member") {
		t.Errorf("got %q, want the participants named", got)
	}
	b.axe("find a time, slots")
	b.screenshot("booking-find-time-light")
	b.setInput("#findtime-title-input", "Planning with Bob")
	b.clickXPath(`(//*[@id="findtime-results"]//button)[1]`)
	b.run("booked", waitVisible("#notice"))
	var mine struct {
		Value []struct {
			Title        string
			StartDate    time.Time
			ResourceID   string
			Participants []struct{ ObjectID string }
		}
	}
	srv.api(t, "GET", "/api/reservations/mine", admin, &mine)
	if len(mine.Value) != 1 || mine.Value[0].Title != "Planning with Bob" || !mine.Value[0].StartDate.Equal(nine.Add(time.Hour)) ||
		mine.Value[0].ResourceID != "ft-huddle" || len(mine.Value[0].Participants) != 2 {
		t.Errorf("got Ada's reservations %+v, want Planning with Bob at 10:00 in Huddle with two participants", mine.Value)
	}

	// Three hours between 09:00 and 12:00: Bob is at the dentist, Ada in her meeting.
	b.setInput("#findtime-duration", "180")
	b.click("#findtime-submit")
	b.run("explanation", waitVisible("#findtime-explanation"))
	expl := b.text("#findtime-explanation")
	if !strings.Contains(expl, "Bob Member") || !strings.Contains(expl, "Bob's dentist") || !strings.Contains(expl, "Planning with Bob") {
		t.Errorf("got explanation %q, want who is busy when (Bob's dentist, the planning)", expl)
	}
	b.axe("find a time, explanation")
	for _, theme := range []string{"dark", "contrast"} {
		b.setInput("#dev-theme", theme)
		b.waitFor(theme+" theme", fmt.Sprintf(`document.documentElement.dataset.theme === %q`, theme))
		b.axe("find a time, " + theme)
		b.screenshot("booking-find-time-" + theme)
	}
}

// putJSON puts v as JSON and decodes the JSON answer into out.
func putJSON(t *testing.T, srv *tabServer, path, token string, v, out any) int {
	t.Helper()
	b, _ := json.Marshal(v)
	req, _ := http.NewRequest("PUT", srv.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		t.Fatalf("PUT %s: %v", path, err)
	}
	return res.StatusCode
}
