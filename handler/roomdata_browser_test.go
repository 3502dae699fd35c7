package main

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestHolidaysAndUtilisationInBrowser walks, with clicks in headless
// Chromium: the public-holiday setting of a Calendar Pro tab (a country with
// regions offers them, France none), France's May holidays shown read-only
// in the month view, a Booking Room Pro tab's timeline naming the holiday of
// the day shown, and the utilisation chart of the rooms (for an admin; a
// room manager sees their room only, a member no such section) in the light,
// dark and high-contrast themes; axe-core on every screen.
func TestHolidaysAndUtilisationInBrowser(t *testing.T) {
	srv := startTabServer(t)
	b := newBrowser(t, srv.base, "Europe/Paris")
	tenant, adaID, maxID, bobID := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()

	// The Calendar Pro setting: Germany offers its regions, France has none.
	b.devSignIn("/calendar-pro/config", tenant, adaID, "Ada Admin", true)
	b.run("config page", waitVisible("#cfg-save"))
	b.setInput("#cfg-zone", "Europe/Paris")
	b.waitFor("countries offered", `[...document.querySelectorAll("#cfg-holidays option")].some(o => o.value === "FR")`)
	b.setInput("#cfg-holidays", "DE")
	b.waitFor("German regions", `[...document.querySelectorAll("#cfg-holidays-region option")].some(o => o.value === "BY")`)
	b.axe("calendar config, holidays of Germany")
	b.setInput("#cfg-holidays", "FR")
	b.waitFor("no region for France", `!document.querySelector("#cfg-holidays-region")`)
	b.click("#cfg-save")
	b.waitFor("content page", `location.pathname === "/calendar-pro/content" && !!document.querySelector(".ec")`)
	tabID := eval[string](b, "tab id", `new URLSearchParams(location.search).get("tab")`)
	admin := eval[string](b, "token", `JSON.parse(sessionStorage.getItem("teamspro.devsignin")).token`)
	var tab struct {
		Settings struct {
			Holidays *struct{ Country, Region string }
		}
	}
	if code := srv.api(t, "GET", "/api/tabs/"+url.PathEscape(tabID), admin, &tab); code != 200 || tab.Settings.Holidays == nil || tab.Settings.Holidays.Country != "FR" {
		t.Fatalf("GET tab: %d %+v, want holidays of FR", code, tab.Settings.Holidays)
	}

	// May 2027 in France: Labour Day, Victory in Europe Day, Ascension (6 May), Whit Monday (17 May).
	b.open("/calendar-pro/content?tab="+url.QueryEscape(tabID)+"&view=month&date=2027-05-10", ".ec-day-grid")
	holidays := `[...document.querySelectorAll('.ec-event[data-holiday="true"]')].map(e => e.textContent.trim()).sort().join("|")`
	b.waitFor("May's holidays drawn", holidays+`.includes("Ascension")`)
	if got := eval[string](b, "holidays", holidays); got != "Ascension|Fête de la Victoire|Fête du Travail|Lundi de Pentecôte" {
		t.Errorf("got holidays %q, want the four of May 2027", got)
	}
	b.settle()
	b.axe("calendar month with holidays")
	b.screenshot("calendar-holidays-light")
	// Read-only: clicking a holiday opens no event dialog.
	b.click(`.ec-event[data-holiday="true"]`)
	time.Sleep(300 * time.Millisecond)
	if eval[bool](b, "dialog", `!!document.querySelector("#ev-title")`) {
		t.Error("a click on a holiday opened the event dialog, want nothing")
	}

	// Rooms (Max manages one) and a booking tab showing France's holidays.
	rooms := []map[string]any{
		{"id": "hq-a", "name": "Alps", "capacity": 8, "building": "HQ", "floor": "1", "timeZone": "UTC"},
		{"id": "hq-b", "name": "Baltic", "capacity": 4, "building": "HQ", "floor": "2", "timeZone": "UTC", "managers": []string{maxID}},
		{"id": "annex", "name": "Annex hall", "capacity": 30, "building": "Annex", "timeZone": "UTC",
			"holidays": map[string]any{"country": "FR"}, "rules": map[string]any{"closedOnHolidays": true}},
	}
	for _, r := range rooms {
		if code, body := postJSON(t, srv, "/api/rooms", admin, r); code != 201 {
			t.Fatalf("create room %v: got %d %s, want 201", r["id"], code, body)
		}
	}
	var booking struct{ ID, CalendarID string }
	sendJSON(t, srv, "PUT", "/api/tabs/roomdata-book", admin, map[string]any{"kind": "booking", "teamId": "19:team@thread.tacv2",
		"channelId": "19:chan@thread.tacv2", "settings": map[string]any{"timeZone": "UTC", "holidays": map[string]any{"country": "FR"}}})
	if code := srv.api(t, "GET", "/api/tabs/roomdata-book", admin, &booking); code != 200 {
		t.Fatalf("GET booking tab: %d", code)
	}
	// Tomorrow's reservations, for the chart: Alps 09-12 and 14-15, Baltic 10-11.
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	for _, r := range []struct {
		room     string
		from, to int
	}{{"hq-a", 9, 12}, {"hq-a", 14, 15}, {"hq-b", 10, 11}} {
		body := map[string]any{"title": "Meeting", "startDate": day.Add(time.Duration(r.from) * time.Hour).Format(time.RFC3339),
			"endDate": day.Add(time.Duration(r.to) * time.Hour).Format(time.RFC3339), "timeZone": "UTC", "resourceId": r.room}
		if code, msg := postJSON(t, srv, "/api/bookingroom/v1/"+booking.CalendarID+"/events", admin, body); code != 201 {
			t.Fatalf("book %v: got %d %s", r, code, msg)
		}
	}

	// The timeline on Labour Day 2027 names the holiday.
	b.open("/booking-room-pro/content?tab=roomdata-book", "#timeline-date")
	b.setInput("#timeline-date", "2027-05-01")
	b.waitFor("holiday banner", `document.querySelector("#timeline-holidays")?.textContent.includes("Fête du Travail")`)
	b.waitFor("timeline loaded", `document.querySelector("#timeline")?.dataset.loaded === "true"`)
	b.settle()
	b.axe("booking timeline on a holiday")
	b.screenshot("booking-holiday-light")

	// Utilisation: the period from today to three days on, shown on click.
	from, to := day.AddDate(0, 0, -1).Format("2006-01-02"), day.AddDate(0, 0, 2).Format("2006-01-02")
	b.click("#section-usage")
	b.run("utilisation", waitVisible("#usage-show"))
	b.setInput("#usage-from", from)
	b.setInput("#usage-to", to)
	b.click("#usage-show")
	bar := func(room string) string {
		return fmt.Sprintf(`Number(document.querySelector('#usage-chart [data-room=%q] rect')?.getAttribute("width") ?? -1)`, room)
	}
	b.waitFor("the chart of the period", `document.querySelector("#usage-report")?.dataset.rooms === "3" && `+bar("hq-a")+` > 0`)
	// 4 of 72 open hours for Alps, 1 for Baltic, none for the Annex hall: bars in proportion.
	if a, bb, c := eval[float64](b, "Alps bar", bar("hq-a")), eval[float64](b, "Baltic bar", bar("hq-b")), eval[float64](b, "Annex bar", bar("annex")); a < 3.9*bb || a > 4.1*bb || c != 0 {
		t.Errorf("got bars Alps %.1f, Baltic %.1f, Annex %.1f, want 4:1:0", a, bb, c)
	}
	if got := b.text("#usage-table"); !strings.Contains(got, "5.6 %") || !strings.Contains(got, "HQ (building)") {
		t.Errorf("got table %q, want Alps at 5.6 %% (4 of 72 h) and the HQ building's row", got)
	}
	if got := eval[string](b, "busy hours drawn", `[...document.querySelectorAll("#usage-week rect")].filter(r => Number(r.dataset.hours) > 0).map(r => r.dataset.hours).join(" ")`); got != "1 2 1 1" {
		t.Errorf("got busy cells %q in the week grid, want 1 2 1 1 (09, 10 in two rooms, 11, 14)", got)
	}
	b.settle()
	b.axe("utilisation")
	b.screenshot("booking-utilisation-light")
	for _, theme := range []string{"dark", "contrast"} {
		b.setInput("#dev-theme", theme)
		b.waitFor(theme+" theme", fmt.Sprintf(`document.documentElement.dataset.theme === %q`, theme))
		if bg := eval[string](b, "background", `getComputedStyle(document.querySelector(".fui-FluentProvider")).backgroundColor`); !isDark(bg) {
			t.Errorf("%s theme: got background %s, want a dark one", theme, bg)
		}
		if fill := eval[string](b, "bar colour", `getComputedStyle(document.querySelector('#usage-chart [data-room="hq-a"] rect')).fill`); isDark(fill) {
			t.Errorf("%s theme: got a bar of %s on a dark page, want a light one", theme, fill)
		}
		b.settle()
		b.axe("utilisation, " + theme)
		b.screenshot("booking-utilisation-" + theme)
	}
	b.setInput("#dev-theme", "default")

	// Max manages Baltic: the section shows it alone. Bob manages nothing: no section.
	eval[bool](b, "sign out", `sessionStorage.clear(); true`)
	b.devSignIn("/booking-room-pro/content?tab=roomdata-book", tenant, maxID, "Max Manager", false)
	b.run("timeline", waitVisible("#section-usage"))
	b.click("#section-usage")
	b.setInput("#usage-from", from)
	b.setInput("#usage-to", to)
	b.click("#usage-show")
	b.waitFor("Max's report", `document.querySelector("#usage-report")?.dataset.rooms === "1" && !!document.querySelector('#usage-chart [data-room="hq-b"]')`)
	eval[bool](b, "sign out", `sessionStorage.clear(); true`)
	b.devSignIn("/booking-room-pro/content?tab=roomdata-book", tenant, bobID, "Bob Member", false)
	b.run("timeline", waitVisible("#section-timeline"))
	if eval[bool](b, "usage section", `!!document.querySelector("#section-usage")`) {
		t.Error("a member who manages no room got the utilisation section")
	}
}
