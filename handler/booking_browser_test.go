package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/uuid"
)

// TestBookingTabInBrowser walks Booking Room Pro as its users would, in
// headless Chromium whose zone (New York) is not the tab's: an admin
// configures a tab showing one building, books a slot by dragging across a
// room's row of the day timeline, a second user's booking of the same slot
// shows the API's conflict, the second user finds a free room needing
// approval and the admin approves it, the admin imports rooms from a CSV
// (each rejected row shown), checks in inside the check-in window and
// cancels; then the dark and high-contrast themes. axe-core runs on every
// screen. The handler's clock is the real one, so the tab's zone is picked to
// put "now" near midday, far from midnight.
func TestBookingTabInBrowser(t *testing.T) {
	srv := startTabServer(t)
	zone, local := middayZone(time.Now())
	b := newBrowser(t, srv.base, "America/New_York")
	tenant, adaID, bobID := uuid.NewString(), uuid.NewString(), uuid.NewString()

	// Rooms exist before the tab: two in HQ (one needing approval), one in the Annex.
	admin := signInToken(t, srv, tenant, adaID, "Ada Admin", true)
	for _, room := range []map[string]any{
		{"id": "hq-everest", "name": "Everest", "capacity": 8, "building": "HQ", "floor": "2", "equipment": []string{"screen"},
			"timeZone": zone, "rules": map[string]any{"checkInRequired": true}},
		{"id": "hq-fuji", "name": "Fuji", "capacity": 4, "building": "HQ", "floor": "3", "equipment": []string{"screen", "video"},
			"timeZone": zone, "rules": map[string]any{"requiresApproval": true}},
		{"id": "annex-1", "name": "Annex one", "capacity": 20, "building": "Annex", "floor": "1", "timeZone": zone},
	} {
		if code, body := postJSON(t, srv, "/api/rooms", admin, room); code != 201 {
			t.Fatalf("create room %v: got %d %s, want 201", room["id"], code, body)
		}
	}

	// Configure the tab: the HQ building, picked as a whole.
	b.devSignIn("/booking-room-pro/config", tenant, adaID, "Ada Admin", true)
	b.run("config page", waitVisible("#config-save"))
	b.axe("booking config")
	b.click("#config-mode input[value=chosen]")
	b.click(`input[data-building="HQ"]`)
	if got := b.text("#config-rooms + *"); !strings.Contains(got, "2") {
		t.Errorf("after ticking HQ: got %q, want 2 rooms chosen", got)
	}
	if got := eval[string](b, "zone", `document.querySelector("#config-zone").value`); got != zone {
		t.Errorf("got the tab zone %q, want the rooms' %q", got, zone)
	}
	b.axe("booking config, rooms chosen")
	b.click("#config-save")
	b.waitAcrossNavigation("content page", `location.pathname === "/booking-room-pro/content" && document.querySelector("#timeline")?.dataset.loaded === "true"`)
	tabID := eval[string](b, "tab id", `new URLSearchParams(location.search).get("tab")`)
	var tab struct {
		Kind, TeamID, ChannelID, CalendarID string
		Settings                            struct {
			Rooms                 []string
			DefaultView, TimeZone string
		}
	}
	if code := srv.api(t, "GET", "/api/tabs/"+url.PathEscape(tabID), admin, &tab); code != 200 {
		t.Fatalf("GET tab: %d", code)
	}
	slices.Sort(tab.Settings.Rooms)
	if tab.Kind != "booking" || tab.TeamID == "" || tab.ChannelID == "" || !slices.Equal(tab.Settings.Rooms, []string{"hq-everest", "hq-fuji"}) ||
		tab.Settings.DefaultView != "day" || tab.Settings.TimeZone != zone {
		t.Fatalf("got tab %+v, want a booking tab of HQ's two rooms, day view, zone %s", tab, zone)
	}
	b.axe("booking timeline")
	// The timeline read its rooms' reservations in one request, not one per room.
	if got := apiCalls(b, "/schedule"); len(got) == 0 || slices.ContainsFunc(got, func(u string) bool {
		return !strings.HasPrefix(u, "/api/rooms/schedule?") || !strings.Contains(u, "rooms=hq-everest%2Chq-fuji")
	}) {
		t.Errorf("the timeline's schedule requests: got %q, want each one of /api/rooms/schedule for both rooms", got)
	}
	if rows := b.text(".ec-body .ec-sidebar"); !strings.Contains(rows, "Everest") || !strings.Contains(rows, "Fuji") || strings.Contains(rows, "Annex") {
		t.Errorf("timeline rows: got %q, want Everest and Fuji only", rows)
	}

	// Book from the timeline: drag across Everest's row, from the next
	// five minutes (a few minutes ahead, inside the check-in window) for 30 minutes.
	start := local.Add(3 * time.Minute).Truncate(5 * time.Minute).Add(5 * time.Minute)
	b.drag("Everest", minuteOfDay(start), minuteOfDay(start)+30)
	b.run("booking dialog", waitVisible("#book-title"))
	if got := eval[string](b, "dialog start", `document.querySelector("#book-from").value + "-" + document.querySelector("#book-to").value`); got != start.Format("15:04")+"-"+start.Add(30*time.Minute).Format("15:04") {
		t.Errorf("dialog from the dragged range: got %s, want %s-%s (in %s)", got, start.Format("15:04"), start.Add(30*time.Minute).Format("15:04"), zone)
	}
	b.settle()
	b.axe("booking dialog")
	b.setInput("#book-title", "Design review")
	b.setInput("#book-participants", "bob@contoso.example")
	b.click("#book-submit")
	b.run("booked", waitNotPresent("#book-form"), waitVisible("#notice"))
	b.waitFor("reservation on the timeline", `[...document.querySelectorAll(".ec-event")].some(e => e.textContent.includes("Design review"))`)
	var mine struct {
		Value []struct {
			ID, Title, StartDate, Status, ResourceID string
			Participants                             []struct{ Email string }
		}
	}
	srv.api(t, "GET", "/api/reservations/mine", admin, &mine)
	if len(mine.Value) != 1 || mine.Value[0].ResourceID != "hq-everest" || mine.Value[0].Status != "confirmed" ||
		len(mine.Value[0].Participants) != 1 || mine.Value[0].Participants[0].Email != "bob@contoso.example" {
		t.Fatalf("Ada's reservations: got %+v, want one confirmed of Everest with Bob as participant", mine.Value)
	}
	if got, _ := time.Parse(time.RFC3339, mine.Value[0].StartDate); !got.Equal(start) {
		t.Errorf("booked start: got %s, want %s", got, start.UTC())
	}
	reservation := mine.Value[0].ID

	// Bob, a member, tries the same slot from the keyboard path: the API's 409 reason, his input kept.
	eval[bool](b, "sign out", `sessionStorage.clear(); true`)
	b.devSignIn("/booking-room-pro/content?tab="+url.QueryEscape(tabID), tenant, bobID, "Bob Member", false)
	b.run("timeline", waitVisible("#timeline-new"))
	b.waitFor("timeline loaded", `document.querySelector("#timeline")?.dataset.loaded === "true"`)
	b.click("#timeline-new")
	b.run("booking dialog", waitVisible("#book-title"))
	b.setInput("#book-room", "hq-everest")
	b.setInput("#book-date", start.Format("2006-01-02"))
	b.setInput("#book-from", start.Format("15:04"))
	b.setInput("#book-to", start.Add(30*time.Minute).Format("15:04"))
	b.setInput("#book-title", "Bob's sync")
	b.setInput("#book-participants", "not-an-address")
	b.click("#book-submit")
	b.waitFor("field error", `document.querySelector("#book-participants").getAttribute("aria-invalid") === "true"`)
	if got := b.text("#book-form"); !strings.Contains(got, "must be an e-mail address") {
		t.Errorf("bad participant: got %q, want the API's reason beside the field", got)
	}
	b.setInput("#book-participants", "ada@contoso.example")
	b.click("#book-submit")
	// The API's reason for the 409 replaces the 400's.
	b.waitFor("the conflict's reason (already booked)", `document.querySelector("#book-form [role=alert]")?.textContent.includes("already booked")`)
	if got := eval[string](b, "participants", `document.querySelector("#book-participants").getAttribute("aria-invalid") || ""`); got == "true" {
		t.Errorf("after the fix: got the participants field still marked invalid, want it clear")
	}
	if got := eval[string](b, "title kept", `document.querySelector("#book-title").value`); got != "Bob's sync" {
		t.Errorf("after the conflict: got title %q, want what Bob typed", got)
	}
	b.settle()
	b.axe("booking dialog with a conflict")

	// As a weekly series of three, two occurrences are taken (this week's by the
	// design review, next week's by Ada): the dialog lists each refused one and
	// nothing is booked, as the series is all or nothing.
	nextWeek := start.AddDate(0, 0, 7)
	if code, body := postJSON(t, srv, "/api/bookingroom/v1/"+url.PathEscape(tab.CalendarID)+"/events", admin, map[string]any{
		"title": "Ada's next week", "resourceId": "hq-everest", "timeZone": zone,
		"startDate": nextWeek.UTC().Format(time.RFC3339), "endDate": nextWeek.Add(30 * time.Minute).UTC().Format(time.RFC3339),
	}); code != 201 {
		t.Fatalf("Ada books next week: got %d %s, want 201", code, body)
	}
	// The shared recurrence editor: weekly on the slot's weekday (ticked by
	// default), ending after three.
	b.setInput("#book-repeat", "weekly")
	b.run("series fields", waitVisible("#book-day-"+[]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}[start.Weekday()]))
	if !eval[bool](b, "slot's weekday", `document.querySelector("#book-day-`+[]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}[start.Weekday()]+`").checked`) {
		t.Errorf("weekly series: got the slot's weekday unticked, want it ticked")
	}
	for _, kind := range []string{"monthlyDay", "monthlyNth", "yearly", "rrule"} {
		if !eval[bool](b, "pattern "+kind, `!!document.querySelector('#book-repeat option[value="`+kind+`"]')`) {
			t.Errorf("booking recurrence: got no %q pattern, want every pattern the API accepts", kind)
		}
	}
	b.setInput("#book-ends", "count")
	b.setInput("#book-count", "3")
	b.click("#book-submit")
	b.run("refused occurrences", waitVisible("#book-refusals"))
	if got := eval[int](b, "refused occurrences", `document.querySelectorAll("#book-refusals li").length`); got != 2 {
		t.Errorf("refused occurrences listed: got %d (%q), want 2", got, b.text("#book-refusals"))
	}
	listed := b.text("#book-refusals")
	for _, taken := range []time.Time{start, nextWeek} {
		if !strings.Contains(listed, taken.UTC().Format(time.RFC3339)) {
			t.Errorf("refused occurrences: got %q, want the one of %s with the API's reason", listed, taken.UTC().Format(time.RFC3339))
		}
	}
	if free := start.AddDate(0, 0, 14).UTC().Format(time.RFC3339); strings.Contains(listed, free) {
		t.Errorf("refused occurrences: got %q, want the free one of %s not listed", listed, free)
	}
	b.settle()
	b.axe("booking dialog with refused occurrences")
	b.click("#book-form button[type=button]")

	// Bob finds a free room with a screen and video for an hour: Fuji, which needs approval.
	b.click("#section-finder")
	b.run("finder", waitVisible("#finder-submit"))
	later := start.Add(2 * time.Hour).Truncate(time.Hour)
	b.setInput("#finder-date", later.Format("2006-01-02"))
	b.setInput("#finder-time", later.Format("15:04"))
	b.setInput("#finder-equipment", "video")
	b.click("#finder-submit")
	b.run("results", waitVisible("#finder-results"))
	if got := b.text("#finder-results tbody"); !strings.Contains(got, "Fuji") || strings.Contains(got, "Everest") {
		t.Errorf("free rooms with video: got %q, want Fuji only", got)
	}
	b.axe("finder")
	b.clickXPath(`//*[@id="finder-results"]//button[contains(@aria-label, "Fuji")]`)
	b.setInput("#book-title", "Bob's workshop")
	b.click("#book-submit")
	b.run("requested", waitNotPresent("#book-form"), waitVisible("#notice"))
	if got := b.text("#notice"); !strings.Contains(got, "approval") {
		t.Errorf("booking a room that needs approval: got %q, want it waiting for approval", got)
	}

	// Ada approves it, imports rooms, checks in and cancels her own.
	eval[bool](b, "sign out", `sessionStorage.clear(); true`)
	b.devSignIn("/booking-room-pro/content?tab="+url.QueryEscape(tabID), tenant, adaID, "Ada Admin", true)
	b.waitFor("timeline loaded", `document.querySelector("#timeline")?.dataset.loaded === "true"`)
	eval[bool](b, "forget requests", `performance.clearResourceTimings(); true`)
	b.click("#section-approvals")
	b.run("approvals", waitVisible("#approvals-list"))
	if got := apiCalls(b, "/api/"); !slices.Equal(got, []string{"/api/reservations/pending"}) {
		t.Errorf("the approvals screen's requests: got %q, want one of /api/reservations/pending", got)
	}
	if got := b.text("#approvals-list tbody"); !strings.Contains(got, "Bob's workshop") {
		t.Errorf("approvals: got %q, want Bob's workshop", got)
	}
	b.axe("approvals")
	b.click(`#approvals-list button[data-action=approve]`)
	b.waitFor("approved", `!document.querySelector("#approvals-list")`)
	var bobs struct{ Value []struct{ Status string } }
	srv.api(t, "GET", "/api/reservations/mine", signInToken(t, srv, tenant, bobID, "Bob Member", false), &bobs)
	if len(bobs.Value) != 1 || bobs.Value[0].Status != "confirmed" {
		t.Errorf("Bob's reservation after approval: got %+v, want one confirmed", bobs.Value)
	}

	b.click("#section-rooms")
	b.run("rooms", waitVisible("#rooms-list"))
	b.axe("rooms")
	b.importCSV("id,name,timeZone,capacity\nhq-k2,K2," + zone + ",6\n,No id," + zone + ",x\n")
	b.run("rejected rows", waitVisible("#rooms-rejected"))
	if got := b.text("#rooms-rejected tbody"); !strings.Contains(got, "3") || !strings.Contains(got, "capacity") || !strings.Contains(got, "id") {
		t.Errorf("rejected rows: got %q, want row 3's id and capacity", got)
	}
	b.axe("rooms, rejected import")
	b.importCSV("id,name,timeZone,capacity,building,floor\nhq-k2,K2," + zone + ",6,HQ,4\n")
	b.waitFor("imported", `document.querySelector("#rooms-list").textContent.includes("K2")`)

	// Export hands the browser the rooms as CSV, in the import's format.
	eval[bool](b, "watch downloads", `(() => {
		const make = URL.createObjectURL;
		URL.createObjectURL = blob => { window.lastDownload = blob; return make(blob); };
		return true;
	})()`)
	b.click("#rooms-export")
	b.waitFor("download", `!!window.lastDownload`)
	if csv := eval[string](b, "exported CSV", `window.lastDownload.text()`); !strings.HasPrefix(csv, "id,name,") || !strings.Contains(csv, "hq-k2,K2,") || !strings.Contains(csv, "hq-everest,Everest,") {
		t.Errorf("export: got %q, want the rooms as CSV with a header", csv)
	}

	// Editing a room; deleting one with a future reservation shows why not; deleting a free one.
	b.click(`#rooms-list tr[data-room="hq-k2"] button[aria-label^="Edit"]`)
	b.run("room dialog", waitVisible("#room-name"))
	b.setInput("#room-capacity", "10")
	b.click("#room-save")
	b.run("saved", waitNotPresent("#room-form"))
	b.waitFor("new capacity", `document.querySelector('#rooms-list tr[data-room="hq-k2"]').textContent.includes("10")`)
	b.click(`#rooms-list tr[data-room="hq-everest"] button[aria-label^="Delete"]`)
	b.click("#room-delete-confirm")
	b.waitFor("refusal", `!!document.querySelector(".fui-DialogSurface [role=alert]")`)
	if got := b.text(".fui-DialogSurface [role=alert]"); !strings.Contains(got, "future reservations") {
		t.Errorf("deleting a room with a future reservation: got %q, want the API's reason", got)
	}
	b.settle()
	b.axe("room delete refused")
	b.run("close", chromedp.KeyEvent(kb.Escape), waitNotPresent(".fui-DialogSurface"))
	b.click(`#rooms-list tr[data-room="hq-k2"] button[aria-label^="Delete"]`)
	b.click("#room-delete-confirm")
	b.waitFor("K2 deleted", `!document.querySelector('#rooms-list tr[data-room="hq-k2"]')`)
	b.click("#rooms-new")
	b.run("room dialog", waitVisible("#room-name"))
	b.setInput("#room-capacity", "-3")
	b.click("#room-save")
	b.waitFor("field errors", `!!document.querySelector("#room-form [role=alert]")`)
	if got := eval[string](b, "capacity kept", `document.querySelector("#room-capacity").value`); got != "-3" {
		t.Errorf("after a refused save: got capacity %q, want what was typed", got)
	}
	if got := b.text("#room-form"); !strings.Contains(got, "must be 0 to 100000") || !strings.Contains(got, "is required") {
		t.Errorf("room form: got %q, want the API's reasons beside capacity and name", got)
	}
	b.settle()
	b.axe("room dialog with errors")
	b.click("#room-form button[type=button]")

	b.click("#section-mine")
	b.run("my reservations", waitVisible("#mine-list"))
	row := fmt.Sprintf(`#mine-list tr[data-reservation=%q]`, reservation)
	b.axe("my reservations")
	b.click(row + " button[data-action=checkin]")
	b.waitFor("checked in", fmt.Sprintf(`document.querySelector(%q)?.textContent.includes("Checked in")`, row))
	var got struct{ Status, CheckedInAt string }
	srv.api(t, "GET", "/api/reservations/"+reservation, admin, &got)
	if got.CheckedInAt == "" {
		t.Errorf("after check-in: got %+v, want checkedInAt set", got)
	}
	if n := eval[int](b, "check-in buttons", `document.querySelectorAll("#mine-list button[data-action=checkin]").length`); n != 0 {
		t.Errorf("got %d check-in buttons, want none once checked in", n)
	}
	b.click(row + " button[data-action=cancel]")
	b.waitFor("cancelled", fmt.Sprintf(`!document.querySelector(%q)`, row))
	srv.api(t, "GET", "/api/reservations/"+reservation, admin, &got)
	if got.Status != "cancelled" {
		t.Errorf("after cancel: got status %q, want cancelled", got.Status)
	}

	// Reopening the settings edits the same tab: its rooms ticked, the view changed.
	b.open("/booking-room-pro/config?tab="+url.QueryEscape(tabID), "#config-save")
	for _, room := range []string{"hq-everest", "hq-fuji"} {
		if !eval[bool](b, "ticked "+room, fmt.Sprintf(`document.querySelector('input[data-room=%q]').checked`, room)) {
			t.Errorf("reopened settings: got %s unticked, want the saved rooms ticked", room)
		}
	}
	b.setInput("#config-view", "week")
	b.click("#config-save")
	b.waitAcrossNavigation("content page", `location.pathname === "/booking-room-pro/content" && document.querySelector("#timeline")?.dataset.loaded === "true"`)
	var again struct {
		CalendarID string
		Settings   struct {
			Rooms       []string
			DefaultView string
		}
	}
	srv.api(t, "GET", "/api/tabs/"+url.PathEscape(tabID), admin, &again)
	if again.CalendarID != tab.CalendarID || again.Settings.DefaultView != "week" || len(again.Settings.Rooms) != 2 {
		t.Errorf("tab after editing: got %+v, want the same calendar and rooms, week view", again)
	}
	if !eval[bool](b, "week view", `!!document.querySelector(".ec-week-view")`) {
		t.Errorf("content after choosing week: got another view, want the week timeline")
	}

	// Keyboard: a reservation is a button that opens its details with Enter,
	// and "New reservation" books without a pointer.
	b.click("#timeline-day")
	b.waitFor("the day's reservations", `!!document.querySelector(".ec-day-view") && document.querySelector("#timeline").dataset.loaded === "true" &&
		!!document.querySelector("#timeline .ec-event[data-reservation]")`)
	b.waitFor("a reservation focused", `(() => { const e = document.querySelector("#timeline .ec-event[data-reservation]"); e.focus(); return document.activeElement === e })()`)
	b.run("open a reservation by keyboard", chromedp.KeyEvent(kb.Enter), waitVisible("#reservation-details"))
	b.settle()
	if got := eval[string](b, "focus", `document.activeElement.id`); got != "reservation-close" {
		t.Errorf("details opened by Enter: got the focus on %q, want Close (never a destructive action)", got)
	}
	b.axe("reservation details")
	b.run("close by keyboard", chromedp.KeyEvent(kb.Escape), waitNotPresent("#reservation-details"))
	b.run("book by keyboard", focus("#timeline-new"), chromedp.KeyEvent(kb.Enter), waitVisible("#book-title"))
	b.run("close by keyboard", chromedp.KeyEvent(kb.Escape), waitNotPresent("#book-form"))

	// "The last Friday of the month" from the shared recurrence editor: two
	// occurrences, each its month's last Friday at the time chosen.
	lastFri := start.AddDate(0, 0, 8)
	for lastFri.Weekday() != time.Friday || lastFri.AddDate(0, 0, 7).Month() == lastFri.Month() {
		lastFri = lastFri.AddDate(0, 0, 1)
	}
	b.run("book by keyboard", focus("#timeline-new"), chromedp.KeyEvent(kb.Enter), waitVisible("#book-title"))
	b.setInput("#book-room", "hq-everest")
	b.setInput("#book-date", lastFri.Format("2006-01-02"))
	b.setInput("#book-from", lastFri.Format("15:04"))
	b.setInput("#book-to", lastFri.Add(30*time.Minute).Format("15:04"))
	b.setInput("#book-title", "Month review")
	b.setInput("#book-repeat", "monthlyNth")
	b.run("monthly fields", waitVisible("#book-nth"))
	b.setInput("#book-nth", "-1")
	b.setInput("#book-weekday", "5")
	b.setInput("#book-ends", "count")
	b.setInput("#book-count", "2")
	b.click("#book-submit")
	b.run("series booked", waitNotPresent("#book-form"), waitVisible("#notice"))
	var review struct {
		Value []struct{ Title, StartDate string }
	}
	q := url.Values{"from": {lastFri.AddDate(0, 0, -1).UTC().Format(time.RFC3339)}, "to": {lastFri.AddDate(0, 3, 0).UTC().Format(time.RFC3339)}}
	srv.api(t, "GET", "/api/reservations/mine?"+q.Encode(), admin, &review)
	var fridays []string
	for _, r := range review.Value {
		if r.Title != "Month review" {
			continue
		}
		at, _ := time.Parse(time.RFC3339, r.StartDate)
		at = at.In(lastFri.Location())
		if at.Weekday() != time.Friday || at.AddDate(0, 0, 7).Month() == at.Month() || at.Format("15:04") != lastFri.Format("15:04") {
			t.Errorf("last-Friday series: got an occurrence at %s, want the month's last Friday at %s", at, lastFri.Format("15:04"))
		}
		fridays = append(fridays, at.Format("2006-01-02"))
	}
	if len(fridays) != 2 || fridays[0] != lastFri.Format("2006-01-02") {
		t.Errorf("last-Friday series: got occurrences on %v, want two from %s", fridays, lastFri.Format("2006-01-02"))
	}

	// A fuller afternoon for the pictures, then the themes: the dev bar's
	// switch does what Teams' theme change does.
	bob := signInToken(t, srv, tenant, bobID, "Bob Member", false)
	for _, r := range []struct {
		room, title string
		at, minutes int
	}{{"hq-everest", "Quarterly planning", 0, 90}, {"hq-fuji", "Interviews", 90, 60}, {"hq-everest", "Team lunch", -150, 60}} {
		from := later.Add(time.Duration(r.at) * time.Minute)
		if from.Before(time.Now()) {
			continue // the past takes no bookings
		}
		body := map[string]any{"title": r.title, "startDate": from.UTC().Format(time.RFC3339), "endDate": from.Add(time.Duration(r.minutes) * time.Minute).UTC().Format(time.RFC3339),
			"timeZone": zone, "resourceId": r.room}
		if code, msg := postJSON(t, srv, "/api/bookingroom/v1/"+tab.CalendarID+"/events", bob, body); code != 201 {
			t.Fatalf("book %s: got %d %s, want 201", r.title, code, msg)
		}
	}
	b.click("#section-timeline")
	b.waitFor("timeline loaded", `document.querySelector("#timeline")?.dataset.loaded === "true"`)
	b.settle()
	b.screenshot("booking-room-pro-light")
	for _, theme := range []string{"dark", "contrast"} {
		b.setInput("#dev-theme", theme)
		b.waitFor(theme+" theme", fmt.Sprintf(`document.documentElement.dataset.theme === %q`, theme))
		if l := eval[float64](b, "timeline background", `(() => {
			const c = getComputedStyle(document.querySelector("#timeline .ec-day")).backgroundColor.match(/[\d.]+/g).map(Number);
			return (0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]) / 255;
		})()`); l > 0.3 {
			t.Errorf("%s theme: got a timeline background of luminance %.2f, want dark", theme, l)
		}
		b.axe("booking timeline, " + theme)
		b.screenshot("booking-room-pro-" + theme)
	}
}

// middayZone returns a fixed-offset IANA zone where now is between 11:00 and
// 13:00, and now in it.
func middayZone(now time.Time) (string, time.Time) {
	off := 12 - now.UTC().Hour()
	if off > 12 {
		off -= 24
	}
	name := "UTC"
	switch {
	case off > 0:
		name = fmt.Sprintf("Etc/GMT-%d", off) // POSIX signs: Etc/GMT-3 is UTC+3
	case off < 0:
		name = fmt.Sprintf("Etc/GMT+%d", -off)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return name, now.In(loc)
}

func minuteOfDay(t time.Time) int { return t.Hour()*60 + t.Minute() }

// signInToken signs in through the dev sign-in route, as the tabs' dev sign-in screen does.
func signInToken(t *testing.T, srv *tabServer, tenant, user, name string, admin bool) string {
	t.Helper()
	code, body := postJSON(t, srv, "/api/dev/signin", "", map[string]any{"tenantId": tenant, "objectId": user, "name": name, "upn": strings.ToLower(strings.Fields(name)[0]) + "@contoso.example", "admin": admin})
	var out struct{ Token string }
	if err := json.Unmarshal(body, &out); code != 200 || err != nil || out.Token == "" {
		t.Fatalf("dev sign-in: got %d %s, want a token", code, body)
	}
	return out.Token
}

// postJSON posts v as JSON and returns the status and body.
func postJSON(t *testing.T, srv *tabServer, path, token string, v any) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(v)
	req, _ := http.NewRequest("POST", srv.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(res.Body)
	return res.StatusCode, out.Bytes()
}

// drag presses the mouse in room's timeline row at minute from (of the tab's
// day), moves to minute to and releases it, as a user selecting a range.
func (b *browser) drag(room string, from, to int) {
	b.t.Helper()
	type point struct {
		X1 float64 `json:"x1"`
		X2 float64 `json:"x2"`
		Y  float64 `json:"y"`
	}
	p := eval[point](b, "row of "+room, fmt.Sprintf(`(() => {
		const heads = [...document.querySelectorAll(".ec-body .ec-row-head")];
		const i = heads.findIndex(h => h.textContent.includes(%q));
		const cell = () => document.querySelectorAll(".ec-body > .ec-grid .ec-day")[i].getBoundingClientRect();
		const main = document.querySelector(".ec-main");
		const side = document.querySelector(".ec-body .ec-sidebar").getBoundingClientRect();
		const x = m => cell().left + cell().width * m / 1440;
		const view = main.getBoundingClientRect();
		main.scrollLeft += x(%d) - (side.right + 40);
		const r = cell();
		return {x1: x(%d) + 3, x2: x(%d) - 3, y: r.top + r.height / 2, inView: x(%d) < view.right};
	})()`, room, from, from, to, to))
	steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(chromedp.MouseMoved, p.X1, p.Y), chromedp.MouseEvent(chromedp.MousePressed, p.X1, p.Y, chromedp.ButtonLeft, chromedp.ClickCount(1))}
	for i := 1; i <= 10; i++ {
		steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, p.X1+(p.X2-p.X1)*float64(i)/10, p.Y, chromedp.ButtonLeft))
	}
	steps = append(steps, chromedp.MouseEvent(chromedp.MouseReleased, p.X2, p.Y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	b.run("drag across "+room, steps...)
}

// importCSV hands the rooms screen's file input a CSV, as choosing a file does.
func (b *browser) importCSV(csv string) {
	b.t.Helper()
	eval[bool](b, "import "+csv, fmt.Sprintf(`(() => {
		const input = document.querySelector("#rooms-import-file");
		const dt = new DataTransfer();
		dt.items.add(new File([%q], "rooms.csv", {type: "text/csv"}));
		input.files = dt.files;
		input.dispatchEvent(new Event("change", {bubbles: true}));
		return true;
	})()`, csv))
}

// waitAcrossNavigation is waitFor for a condition that a navigation (the page
// going to another URL) makes true: polling starts again on the new page.
func (b *browser) waitAcrossNavigation(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(20*time.Second)))
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) || !strings.Contains(err.Error(), "navigated") && !strings.Contains(err.Error(), "context") {
			b.t.Fatalf("wait for %s: %v", what, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// apiCalls returns the path and query of every request the page made whose
// URL contains part, in order (the browser's resource timings, cleared with
// performance.clearResourceTimings()).
func apiCalls(b *browser, part string) []string {
	b.t.Helper()
	return eval[[]string](b, "requests", `performance.getEntriesByType("resource").map(e => new URL(e.name)).
		filter(u => (u.pathname + u.search).includes(`+strconv.Quote(part)+`)).map(u => u.pathname + u.search)`)
}
