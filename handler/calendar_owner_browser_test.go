package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestCalendarFiltersOwnerPanelLocaleInBrowser covers, with clicks in
// headless Chromium, what the main walk does not: the tag, colour and title
// filters; the owners' panel (publish, copy, rotate and revoke the feed
// link; create and revoke an API key; copy to another calendar until the
// job completes); reopening the config page edits the same tab; and the
// French catalogue picked from the locale.
func TestCalendarFiltersOwnerPanelLocaleInBrowser(t *testing.T) {
	srv := startTabServer(t)
	b := newBrowser(t, srv.base, "Europe/Paris")
	tenant, userID := uuid.NewString(), uuid.NewString()

	b.newCalendarTab(tenant, userID, "Olga Owner", "")
	tabID := eval[string](b, "tab id", `new URLSearchParams(location.search).get("tab")`)
	token := eval[string](b, "token", `JSON.parse(sessionStorage.getItem("teamspro.devsignin")).token`)
	type tabDoc struct {
		CalendarID string
		Settings   struct{ TimeZone, DefaultView string }
	}
	var tab tabDoc
	if code := srv.api(t, "GET", "/api/tabs/"+url.PathEscape(tabID), token, &tab); code != 200 || tab.CalendarID == "" {
		t.Fatalf("GET tab: %d", code)
	}

	// Three events next week (inside the copy's window, which starts from now).
	day := time.Now().In(time.UTC).AddDate(0, 0, 7).Truncate(24 * time.Hour)
	events := []struct {
		title, color string
		tags         []string
	}{
		{"Budget review", "#d13438", []string{"finance"}},
		{"Design sync", "#107c10", []string{"design"}},
		{"Budget planning", "#107c10", nil},
	}
	for i, e := range events {
		s := day.Add(time.Duration(8+2*i) * time.Hour)
		sendJSON(t, srv, "POST", "/api/calendar/v1/"+url.PathEscape(tab.CalendarID)+"/events", token, map[string]any{
			"title": e.title, "startDate": s.Format(time.RFC3339), "endDate": s.Add(time.Hour).Format(time.RFC3339),
			"allDay": false, "timeZone": "Europe/Paris", "color": e.color, "tags": e.tags,
		})
	}

	content := "/calendar-pro/content?tab=" + url.QueryEscape(tabID) + "&view=month&date=" + day.Format("2006-01-02")
	b.open(content, ".ec-day-grid")
	shown := `[...document.querySelectorAll(".ec-event")].map(e => e.textContent).filter(x => x.includes("Budget") || x.includes("Design")).length`
	b.waitFor("three events", shown+` === 3`)

	// Filters: each narrows the month to what it names, and clearing restores it.
	for _, tc := range []struct {
		name, sel, value string
		want             int
	}{
		{"title", "#cal-search", "Budget", 2},
		{"tag", "#cal-tag", "finance", 1},
		{"colour", "#cal-color", "#107c10", 2},
	} {
		t.Run("filter "+tc.name, func(t *testing.T) {
			if tc.sel == "#cal-tag" {
				b.waitFor("tag offered", `[...document.querySelectorAll("#cal-tag option")].some(o => o.value === "finance")`)
			}
			b.setInput(tc.sel, tc.value)
			b.waitFor(fmt.Sprintf("%s filter shows %d", tc.name, tc.want), fmt.Sprintf("%s === %d", shown, tc.want))
			b.setInput(tc.sel, "")
			b.waitFor("filter cleared", shown+` === 3`)
		})
	}

	// The owners' panel.
	b.click("#cal-share")
	b.run("share panel", waitVisible("#share-feed-publish"))
	b.axe("owner panel")
	b.click("#share-feed-publish")
	b.waitFor("feed link", `(document.querySelector("#share-feed-url")?.value ?? "").includes("/api/feeds/")`)
	first := eval[string](b, "feed link", `document.querySelector("#share-feed-url").value`)
	if res, err := http.Get(first); err != nil || res.StatusCode != 200 {
		t.Fatalf("GET the published feed: %v %v, want 200", err, res)
	} else {
		res.Body.Close()
	}
	b.click("#share-feed-copy")
	b.waitFor("copy answered", `!!document.querySelector("#share-feed-url") && (document.body.textContent.includes("Copied") || document.activeElement === document.querySelector("#share-feed-url"))`)
	b.click("#share-feed-publish") // now "Rotate the link"
	b.waitFor("rotated link", fmt.Sprintf(`(document.querySelector("#share-feed-url")?.value ?? "") !== %q && document.querySelector("#share-feed-url").value.includes("/api/feeds/")`, first))
	if res, err := http.Get(first); err != nil || res.StatusCode == 200 {
		t.Errorf("GET the feed's old link after rotating: %v %v, want it refused", err, res)
	} else {
		res.Body.Close()
	}
	b.click("#share-feed-revoke")
	b.waitFor("feed revoked", `!document.querySelector("#share-feed-url") && document.body.textContent.includes("The feed is revoked.")`)

	b.setInput("#share-key-name", "Power Automate")
	b.click("#share-key-create")
	b.waitFor("key secret shown", `(document.querySelector("#share-key-secret")?.value ?? "").length > 10`)
	b.click(`button[aria-label="Revoke Power Automate"]`)
	b.waitFor("key revoked", `!document.querySelector('button[aria-label="Revoke Power Automate"]') && document.body.textContent.includes("No key yet.")`)

	// A second calendar tab of the same team to copy into.
	targetTab := uuid.NewString()
	sendJSON(t, srv, "PUT", "/api/tabs/"+url.PathEscape(targetTab), token, map[string]any{
		"kind": "calendar", "teamId": "19:dev-team@thread.tacv2", "channelId": "19:dev-channel@thread.tacv2", "channelName": "General",
		"settings": map[string]any{"timeZone": "Europe/Paris"},
	})
	var target tabDoc
	if code := srv.api(t, "GET", "/api/tabs/"+url.PathEscape(targetTab), token, &target); code != 200 || target.CalendarID == "" {
		t.Fatalf("GET target tab: %d", code)
	}
	b.setInput("#share-copy-target", target.CalendarID)
	b.click("#share-copy-start")
	b.run("job progress", waitVisible("#share-copy-progress"))
	b.waitFor("copy completed", `document.body.textContent.includes("completed: 3 of 3 copied, 0 failed")`)
	var copied struct{ Value []struct{ Title string } }
	srv.api(t, "GET", "/api/calendar/v1/"+url.PathEscape(target.CalendarID)+"/occurrences?from="+day.Format(time.RFC3339)+"&to="+day.AddDate(0, 0, 1).Format(time.RFC3339), token, &copied)
	if len(copied.Value) != 3 {
		t.Errorf("got %d events in the target calendar, want 3", len(copied.Value))
	}
	b.click("#share-close")
	b.noDialog()

	// Reopening the config page edits this tab: its settings shown, saved in place.
	b.open("/calendar-pro/config?tab="+url.QueryEscape(tabID), "#cfg-save")
	b.waitFor("existing settings", `document.querySelector("#cfg-zone").value === "Europe/Paris"`)
	b.setInput("#cfg-view", "day")
	b.click("#cfg-save")
	b.waitFor("content page", `location.pathname === "/calendar-pro/content"`)
	if got := eval[string](b, "tab id", `new URLSearchParams(location.search).get("tab")`); got != tabID {
		t.Errorf("got tab %q after reopening the config, want the same %q", got, tabID)
	}
	var again tabDoc
	srv.api(t, "GET", "/api/tabs/"+url.PathEscape(tabID), token, &again)
	if again.CalendarID != tab.CalendarID || again.Settings.DefaultView != "day" || again.Settings.TimeZone != "Europe/Paris" {
		t.Errorf("got tab %+v after editing, want calendar %s, view day, zone Europe/Paris", again, tab.CalendarID)
	}

	// French, from the locale.
	b.open(content+"&locale=fr-FR", "#cal-new")
	for sel, want := range map[string]string{"#cal-new": "Nouvel événement", "#cal-deleted": "Supprimés récemment", "#cal-view-dayGridMonth": "Mois"} {
		if got := strings.TrimSpace(b.text(sel)); got != want {
			t.Errorf("got %s %q in French, want %q", sel, got, want)
		}
	}
	if got := eval[string](b, "search placeholder", `document.querySelector("#cal-search").placeholder`); got != "Rechercher dans les titres" {
		t.Errorf("got search placeholder %q in French, want %q", got, "Rechercher dans les titres")
	}
}

// sendJSON sends body to path as JSON and fails unless the answer is 200 or 201.
func sendJSON(t *testing.T, srv *tabServer, method, path, token string, body any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, srv.base+path, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 && res.StatusCode != 201 {
		var p bytes.Buffer
		_, _ = p.ReadFrom(res.Body)
		t.Fatalf("%s %s: got %d (%s), want 200 or 201", method, path, res.StatusCode, p.String())
	}
}
