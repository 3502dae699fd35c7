package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestCalendarExternalInBrowser: an owner adds an external calendar served
// by a local server (admitted by the test-only setting) from the Calendar
// Pro tab, sees its state, sees its events in the week in their colour,
// opens one read-only; a calendar whose server fails shows its error. The
// panel and the event are checked with axe in the light, dark and
// high-contrast themes.
func TestCalendarExternalInBrowser(t *testing.T) {
	// Next week's Monday, 10:00 in Paris, weekly.
	day := time.Now().UTC().AddDate(0, 0, 7)
	for day.Weekday() != time.Monday {
		day = day.AddDate(0, 0, 1)
	}
	ics := strings.Join([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Partner//EN",
		"BEGIN:VEVENT", "UID:sync@partner.example", "DTSTAMP:20260101T000000Z", "SUMMARY:Partner sync",
		"LOCATION:Partner HQ", "DTSTART;TZID=Europe/Paris:" + day.Format("20060102") + "T100000",
		"DTEND;TZID=Europe/Paris:" + day.Format("20060102") + "T110000", "RRULE:FREQ=WEEKLY;COUNT=4", "END:VEVENT",
		"END:VCALENDAR", ""}, "\r\n")
	pub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken.ics" {
			http.Error(w, "gone", http.StatusGone)
			return
		}
		w.Header().Set("Content-Type", "text/calendar")
		fmt.Fprint(w, ics)
	}))
	t.Cleanup(pub.Close)

	srv := startTabServer(t, "EXTERNAL_CALENDAR_TEST_NETWORKS=127.0.0.1/32")
	b := newBrowser(t, srv.base, "Europe/Paris")
	b.newCalendarTab(uuid.NewString(), uuid.NewString(), "Olga Owner", "")
	tabID := eval[string](b, "tab id", `new URLSearchParams(location.search).get("tab")`)
	b.open("/calendar-pro/content?tab="+url.QueryEscape(tabID)+"&view=week&date="+day.Format("2006-01-02"), ".ec-time-grid, .ec-timeline, .ec")

	b.click("#cal-externals")
	b.run("external calendars panel", waitVisible("#ext-add"))
	b.setInput("#ext-name", "Partner")
	b.setInput("#ext-url", pub.URL+"/partner.ics")
	b.setInput("#ext-color", "#ca5010")
	b.click("#ext-add")
	b.waitFor("added and read", `[...document.querySelectorAll("#ext-list li")].some(li => li.textContent.includes("Partner") && li.textContent.includes("Events and series: 1"))`)
	b.setInput("#ext-name", "Old league")
	b.setInput("#ext-url", pub.URL+"/broken.ics")
	b.click("#ext-add")
	b.waitFor("failure shown", `[...document.querySelectorAll("#ext-list li")].some(li => li.textContent.includes("Old league") && li.textContent.includes("410"))`)
	b.settle()
	b.screenshot("calendar-externals-light")
	b.axe("external calendars, light")
	b.click("#ext-close")
	b.noDialog()

	ev := `[...document.querySelectorAll(".ec-event.tp-external")].find(e => e.textContent.includes("Partner sync"))`
	b.waitFor("external event in the week", "!!"+ev)
	if bg := eval[string](b, "colour", `getComputedStyle(`+ev+`).backgroundColor`); bg != "rgb(202, 80, 16)" {
		t.Errorf("got background %s, want the external calendar's colour rgb(202, 80, 16)", bg)
	}
	if cls := eval[string](b, "classes", ev+`.className`); strings.Contains(cls, "draggable") || strings.Contains(cls, "resizable") {
		t.Errorf("got classes %q, want an external event neither draggable nor resizable", cls)
	}
	if label := eval[string](b, "label", ev+`.getAttribute("aria-label")`); !strings.Contains(label, "(from Partner, read-only)") {
		t.Errorf("got aria-label %q, want it to say the event is read-only and whose", label)
	}
	if start := eval[string](b, "start", ev+`.dataset.start`); start != day.Format("2006-01-02")+"T10:00" {
		t.Errorf("got start %s, want 10:00 Paris time on %s", start, day.Format("2006-01-02"))
	}
	b.click(`.ec-event.tp-external`)
	b.run("read-only dialog", waitVisible("#ext-event-close"))
	if n := eval[int](b, "edit fields", `document.querySelectorAll("#ev-title, input[name=title]").length`); n != 0 {
		t.Errorf("the external event opened an editor (%d title fields), want a read-only view", n)
	}
	b.settle()
	b.screenshot("calendar-external-event")
	b.axe("external event")
	b.click("#ext-event-close")
	b.noDialog()

	for _, theme := range []string{"dark", "contrast"} {
		b.setInput("#dev-theme", theme)
		b.waitFor(theme+" theme", `document.documentElement.dataset.theme === "`+theme+`"`)
		b.click("#cal-externals")
		b.waitFor("panel with both", `document.querySelectorAll("#ext-list li").length === 2`)
		b.settle()
		b.screenshot("calendar-externals-" + theme)
		b.axe("external calendars, " + theme)
		b.click("#ext-close")
		b.noDialog()
		b.settle()
		b.screenshot("calendar-week-externals-" + theme)
		b.axe("week with an external calendar, " + theme)
	}
}
