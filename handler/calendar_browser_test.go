package main

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestCalendarTabInBrowser walks Calendar Pro as a user would, in headless
// Chromium whose zone is New York while the tab's is Paris: dev sign-in,
// configure the tab, create a weekly 09:00 Europe/Paris event across Paris'
// DST change of 28 March 2027 (New York changed on 14 March, so the UTC and
// New York times of the two weeks differ) and see it at 09:00 in both weeks,
// change one occurrence, delete the series and restore it, switch to the
// dark theme; axe-core on every screen.
func TestCalendarTabInBrowser(t *testing.T) {
	srv := startTabServer(t)
	b := newBrowser(t, srv.base, "America/New_York")
	tenant, userID := uuid.NewString(), uuid.NewString()

	// Dev sign-in on the config page of a new tab.
	b.devSignIn("/calendar-pro/config", tenant, userID, "Dana Dev", false)
	b.run("config page", waitVisible("#cfg-save"))
	b.axe("calendar config")
	if got := eval[string](b, "browser zone", `Intl.DateTimeFormat().resolvedOptions().timeZone`); got != "America/New_York" {
		t.Fatalf("got browser zone %q, want America/New_York", got)
	}

	// Configure: the tab's zone is Paris, week numbers on, owners only.
	b.setInput("#cfg-zone", "Europe/Paris")
	b.setInput("#cfg-view", "week")
	b.clickXPath(`//label[normalize-space()="Show week numbers"]`)
	b.clickXPath(`//label[normalize-space()="Owners only"]`)
	b.screenshot("calendar-config")
	b.click("#cfg-save")
	b.waitFor("content page", `location.pathname === "/calendar-pro/content" && !!document.querySelector(".ec")`)
	tabID := eval[string](b, "tab id", `new URLSearchParams(location.search).get("tab")`)

	token := eval[string](b, "token", `JSON.parse(sessionStorage.getItem("teamspro.devsignin")).token`)
	var tab struct {
		Kind, TeamID, ChannelID, CalendarID string
		Settings                            struct {
			TimeZone, DefaultView string
			ShowWeekNumbers       bool
			Permissions           struct{ Mode string }
			Owners                []string
		}
	}
	if code := srv.api(t, "GET", "/api/tabs/"+url.PathEscape(tabID), token, &tab); code != 200 || tab.CalendarID == "" {
		t.Fatalf("GET tab: %d", code)
	}
	if tab.Kind != "calendar" || tab.TeamID == "" || tab.ChannelID == "" || tab.Settings.TimeZone != "Europe/Paris" || tab.Settings.DefaultView != "week" ||
		!tab.Settings.ShowWeekNumbers || tab.Settings.Permissions.Mode != "owners" || len(tab.Settings.Owners) != 1 || tab.Settings.Owners[0] != userID {
		t.Fatalf("got tab %+v, want the settings chosen, the caller as owner", tab)
	}

	// The week before Paris changes to summer time.
	b.open("/calendar-pro/content?tab="+url.QueryEscape(tabID)+"&date=2027-03-22", ".ec-time-grid")
	b.axe("calendar week")
	b.click("#cal-new")
	b.run("event dialog", waitVisible("#ev-title"))
	b.axe("event dialog")
	if got := eval[string](b, "dialog zone", `document.querySelector("#ev-zone").value`); got != "Europe/Paris" {
		t.Errorf("got the new event's zone %q, want the tab's Europe/Paris", got)
	}
	b.setInput("#ev-title", "Standup")
	b.setInput("#ev-start", "2027-03-23T09:00")
	b.setInput("#ev-end", "2027-03-23T09:30")
	b.setInput("#ev-repeat", "weekly")
	for _, d := range []string{"MO", "WE", "TH", "FR", "SA", "SU"} {
		if eval[bool](b, "day "+d, fmt.Sprintf(`document.querySelector("#ev-day-%s").checked`, d)) {
			b.click("#ev-day-" + d)
		}
	}
	if !eval[bool](b, "day TU", `document.querySelector("#ev-day-TU").checked`) {
		b.click("#ev-day-TU")
	}
	b.setInput("#ev-ends", "count")
	b.setInput("#ev-count", "4")
	b.screenshot("calendar-event-dialog")
	b.click("#ev-save")
	b.run("dialog closed", waitNotPresent("#ev-title"))
	b.noDialog()

	// 09:00 in both weeks, in the tab's zone.
	b.waitFor("first occurrence", `!!document.querySelector('.ec-event[data-start="2027-03-23T09:00"]')`)
	b.screenshot("calendar-week-light")
	if got := b.text(`.ec-event[data-start="2027-03-23T09:00"] .ec-event-time`); !strings.HasPrefix(got, "09:00") {
		t.Errorf("got time %q in the week of 22 March, want 09:00", got)
	}
	b.click("#cal-next")
	b.waitFor("second occurrence", `!!document.querySelector('.ec-event[data-start="2027-03-30T09:00"]')`)
	if got := b.text(`.ec-event[data-start="2027-03-30T09:00"] .ec-event-time`); !strings.HasPrefix(got, "09:00") {
		t.Errorf("got time %q in the week of 29 March, want 09:00", got)
	}
	// The API agrees: one hour earlier in UTC after Paris' change.
	var occ struct {
		Value []struct{ Title, StartDate, OriginalStart, SeriesID string }
	}
	srv.api(t, "GET", "/api/calendar/v1/"+url.PathEscape(tab.CalendarID)+"/occurrences?from=2027-03-22T00:00:00Z&to=2027-04-06T00:00:00Z", token, &occ)
	var starts []string
	for _, o := range occ.Value {
		starts = append(starts, o.StartDate)
	}
	if want := []string{"2027-03-23T08:00:00Z", "2027-03-30T07:00:00Z", "2027-04-06T07:00:00Z"}; strings.Join(starts, " ") != strings.Join(want[:2], " ") && strings.Join(starts, " ") != strings.Join(want, " ") {
		t.Errorf("got occurrences starting %v, want %v", starts, want[:2])
	}

	// Change the second occurrence only.
	b.click(`.ec-event[data-start="2027-03-30T09:00"]`)
	b.run("event dialog", waitVisible("#ev-title"))
	b.setInput("#ev-title", "Standup (moved room)")
	b.setInput("#ev-start", "2027-03-30T10:00")
	b.setInput("#ev-end", "2027-03-30T10:30")
	b.click("#ev-save")
	b.run("scope dialog", waitVisible("#scope-occurrence"))
	b.axe("recurring scope dialog")
	b.click("#scope-occurrence")
	b.run("dialog closed", waitNotPresent("#ev-title"))
	b.noDialog()
	b.waitFor("changed occurrence", `[...document.querySelectorAll('.ec-event[data-start="2027-03-30T10:00"]')].some(e => e.textContent.includes("Standup (moved room)"))`)
	b.click("#cal-prev")
	b.waitFor("first occurrence unchanged", `[...document.querySelectorAll('.ec-event[data-start="2027-03-23T09:00"]')].some(e => e.textContent.includes("Standup") && !e.textContent.includes("moved"))`)

	// Delete the series, then restore it from "Recently deleted".
	b.click(`.ec-event[data-start="2027-03-23T09:00"]`)
	b.run("event dialog", waitVisible("#ev-delete"))
	b.click("#ev-delete")
	b.run("scope dialog", waitVisible("#scope-series"))
	b.click("#scope-series")
	b.noDialog()
	b.waitFor("series gone", `!document.querySelector('.ec-event[data-start="2027-03-23T09:00"]')`)
	b.click("#cal-deleted")
	b.run("deleted list", waitVisible("#deleted-list .restore"))
	b.axe("recently deleted")
	b.click("#deleted-list .restore")
	b.waitFor("restored", `document.querySelector("#deleted-list").textContent.includes("Restored")`)
	b.click("#deleted-close")
	b.noDialog()
	b.waitFor("series back", `!!document.querySelector('.ec-event[data-start="2027-03-23T09:00"]')`)

	// The dark theme, as Teams' theme change would switch it.
	b.setInput("#dev-theme", "dark")
	b.waitFor("dark theme", `document.documentElement.dataset.theme === "dark"`)
	if bg := eval[string](b, "background", `getComputedStyle(document.querySelector(".fui-FluentProvider")).backgroundColor`); !isDark(bg) {
		t.Errorf("got background %s in the dark theme, want a dark one", bg)
	}
	if bg := eval[string](b, "calendar background", `getComputedStyle(document.querySelector(".ec-day")).backgroundColor`); !isDark(bg) {
		t.Errorf("got calendar background %s in the dark theme, want a dark one", bg)
	}
	time.Sleep(200 * time.Millisecond)
	b.screenshot("calendar-week-dark")
	b.axe("calendar week, dark")

	// And high contrast.
	b.setInput("#dev-theme", "contrast")
	b.waitFor("high-contrast theme", `document.documentElement.dataset.theme === "contrast"`)
	b.screenshot("calendar-week-contrast")
	b.axe("calendar week, high contrast")
}

// isDark reports whether a CSS rgb() colour is dark.
func isDark(rgb string) bool {
	var r, g, bl int
	if _, err := fmt.Sscanf(strings.ReplaceAll(rgb, " ", ""), "rgb(%d,%d,%d)", &r, &g, &bl); err != nil {
		return false
	}
	return r+g+bl < 200
}
