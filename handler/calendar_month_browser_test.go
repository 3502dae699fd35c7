package main

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/uuid"
)

// TestCalendarMonthMoreInBrowser checks the month grid of a busy day in
// headless Chromium: a day with more events than its cell holds draws its
// first events and a "+k more" entry whose k is the number of that day's
// events not drawn; a day whose events fit draws them all and no entry;
// clicking "+k more" opens that day with every one of its events; a drawn
// event still opens on a click and moves by dragging it to another day; a
// taller window draws more of the day and k follows; the entry works from the
// keyboard; the month passes axe-core in the light, dark and high-contrast
// themes.
func TestCalendarMonthMoreInBrowser(t *testing.T) {
	srv := startTabServer(t)
	b := newBrowser(t, srv.base, "Europe/Paris")
	b.newCalendarTab(uuid.NewString(), uuid.NewString(), "Mona Month", "month")
	tabID := eval[string](b, "tab id", `new URLSearchParams(location.search).get("tab")`)
	token := eval[string](b, "token", `JSON.parse(sessionStorage.getItem("teamspro.devsignin")).token`)
	var tab struct{ CalendarID string }
	if code := srv.api(t, "GET", "/api/tabs/"+url.PathEscape(tabID), token, &tab); code != 200 || tab.CalendarID == "" {
		t.Fatalf("GET tab: got %d, want 200 and a calendar", code)
	}

	// Tuesday 15 June 2027: 12 events, more than a cell holds; Wednesday the
	// 16th: 2, which fit.
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	const busy, quiet, target = "2027-06-15", "2027-06-16", "2027-06-17"
	var busyTitles []string
	for i := 0; i < 12; i++ {
		title := fmt.Sprintf("Busy %02d", i)
		busyTitles = append(busyTitles, title)
		s := time.Date(2027, 6, 15, 8+i, 0, 0, 0, paris)
		sendJSON(t, srv, "POST", "/api/calendar/v1/"+url.PathEscape(tab.CalendarID)+"/events", token, map[string]any{
			"title": title, "startDate": s.Format(time.RFC3339), "endDate": s.Add(30 * time.Minute).Format(time.RFC3339), "allDay": false, "timeZone": "Europe/Paris",
		})
	}
	for i := 0; i < 2; i++ {
		s := time.Date(2027, 6, 16, 10+i, 0, 0, 0, paris)
		sendJSON(t, srv, "POST", "/api/calendar/v1/"+url.PathEscape(tab.CalendarID)+"/events", token, map[string]any{
			"title": fmt.Sprintf("Quiet %d", i), "startDate": s.Format(time.RFC3339), "endDate": s.Add(30 * time.Minute).Format(time.RFC3339), "allDay": false, "timeZone": "Europe/Paris",
		})
	}

	b.open("/calendar-pro/content?tab="+url.QueryEscape(tabID)+"&view=month&date="+busy, ".ec-day-grid")
	// Drawn events of a day, by the wall-clock start each carries (data-start).
	drawn := func(day string) []string {
		b.t.Helper()
		return eval[[]string](b, "events of "+day, fmt.Sprintf(`[...document.querySelectorAll('.ec-event[data-start^="%sT"]')].filter(e => getComputedStyle(e).visibility !== "hidden").map(e => e.querySelector(".ec-event-title")?.textContent ?? "").sort()`, day))
	}
	moreSel := `.ec-event.tp-more[data-more="` + busy + `"]`
	// checkMore checks the busy day's "+k more" against the events it has
	// and returns how many it draws.
	checkMore := func(total int) int {
		b.t.Helper()
		// Events are named in the frame after they are drawn, entries after each update.
		b.waitFor("the busy day's +k more", `!!document.querySelector('`+moreSel+`[aria-label]') && !!document.querySelector('.ec-event[data-start^="`+busy+`T"]')`)
		shown := drawn(busy)
		if len(shown) == 0 || len(shown) >= total {
			t.Fatalf("busy day: got %d events drawn, want some of its %d and a +k more", len(shown), total)
		}
		text := strings.TrimSpace(b.text(moreSel))
		m := regexp.MustCompile(`^\+(\d+) more$`).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf(`busy day: got the entry %q, want "+k more"`, text)
		}
		if k, _ := strconv.Atoi(m[1]); k != total-len(shown) {
			t.Errorf("busy day: got +%d more beside %d events drawn, want +%d (%d events that day)", k, len(shown), total-len(shown), total)
		}
		if label := eval[string](b, "entry label", `document.querySelector('`+moreSel+`').getAttribute("aria-label")`); !strings.HasPrefix(label, text+" ") {
			t.Errorf("busy day: got the entry's label %q, want it to start with its text %q", label, text)
		}
		// Nothing the library had to hide for lack of room: the plan fits the cell.
		if n := eval[int](b, "library more links", `document.querySelectorAll(".ec-day-foot a").length + [...document.querySelectorAll(".ec-day-grid .ec-event")].filter(e => getComputedStyle(e).visibility === "hidden").length`); n != 0 {
			t.Errorf("got %d events hidden by the library's own overflow, want 0", n)
		}
		return len(shown)
	}
	checkMore(12)
	if got := drawn(quiet); strings.Join(got, "|") != "Quiet 0|Quiet 1" {
		t.Errorf("quiet day: got %q drawn, want both its events", got)
	}
	if n := eval[int](b, "quiet day entries", `document.querySelectorAll('.ec-event.tp-more[data-more="`+quiet+`"]').length`); n != 0 {
		t.Errorf("quiet day: got %d +k more entries, want none", n)
	}
	for _, theme := range []string{"default", "dark", "contrast"} {
		b.setInput("#dev-theme", theme)
		b.waitFor(theme+" theme", `document.documentElement.dataset.theme === "`+theme+`"`)
		b.settle()
		b.screenshot("calendar-month-more-" + theme)
		b.axe("month with +k more, " + theme)
	}
	b.setInput("#dev-theme", "default")

	// A drawn event opens on a click.
	first := drawn(busy)[0]
	b.click(fmt.Sprintf(`.ec-event[data-start^="%sT"]`, busy))
	b.run("event dialog", waitVisible("#ev-title"))
	if got := eval[string](b, "dialog title", `document.querySelector("#ev-title").value`); got != first {
		t.Errorf("got the dialog of %q, want the first event drawn %q", got, first)
	}
	b.settle() // the dialog fades in under the pointer
	b.clickXPath(`//button[normalize-space()="Cancel"]`)
	b.noDialog()

	// Dragging the busy day's first event to Thursday moves it there.
	b.dragTo(fmt.Sprintf(`.ec-event[data-start^="%sT"]`, busy), target)
	b.waitFor("the event moved", fmt.Sprintf(`[...document.querySelectorAll('.ec-event[data-start^="%sT"]')].some(e => e.textContent.includes(%q))`, target, first))
	// The view moves the event at once; the change is saved after.
	var moved struct {
		Value []struct{ Title, StartDate string }
	}
	from, to := time.Date(2027, 6, 17, 0, 0, 0, 0, paris), time.Date(2027, 6, 18, 0, 0, 0, 0, paris)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		moved.Value = nil
		srv.api(t, "GET", "/api/calendar/v1/"+url.PathEscape(tab.CalendarID)+"/occurrences?from="+url.QueryEscape(from.Format(time.RFC3339))+"&to="+url.QueryEscape(to.Format(time.RFC3339)), token, &moved)
		if len(moved.Value) == 1 && moved.Value[0].Title == first {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %+v on %s 20 s after the drag, want %q", moved.Value, target, first)
		}
	}
	// k follows once the page has read the month again.
	b.waitFor("the busy day read again", fmt.Sprintf(`![...document.querySelectorAll('.ec-event[data-start^="%sT"]')].some(e => e.textContent.includes(%q))`, busy, first))
	shown := checkMore(11)

	// A taller window: the cells hold more events, and k follows.
	b.run("taller window", chromedp.EmulateViewport(1280, 1400))
	b.waitFor("more events drawn", fmt.Sprintf(`document.querySelectorAll('.ec-event[data-start^="%sT"]').length > %d`, busy, shown))
	checkMore(11)

	// "+k more" opens the day by keyboard, and with a click.
	b.run("open the day by keyboard", focus(moreSel), chromedp.KeyEvent(kb.Enter))
	b.waitFor("day view", `document.querySelector("#cal-view-timeGridDay")?.getAttribute("aria-pressed") === "true" && !!document.querySelector(".ec-time-grid")`)
	b.click("#cal-view-dayGridMonth")
	b.waitFor("month view", `!!document.querySelector('`+moreSel+`')`)
	b.click(moreSel)
	b.waitFor("day view", `document.querySelector("#cal-view-timeGridDay")?.getAttribute("aria-pressed") === "true" && !!document.querySelector(".ec-time-grid")`)
	var want []string
	for _, title := range busyTitles {
		if title != first {
			want = append(want, title)
		}
	}
	sort.Strings(want)
	b.waitFor("the day's events", fmt.Sprintf(`document.querySelectorAll('.ec-event[data-start^="%sT"]').length === %d`, busy, len(want)))
	if got := drawn(busy); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("day view of %s: got %q, want %q", busy, got, want)
	}
	if n := eval[int](b, "entries in the day view", `document.querySelectorAll(".tp-more").length`); n != 0 {
		t.Errorf("day view: got %d +k more entries, want none", n)
	}
	b.axe("day view from +k more")
}

// dragTo drags the element matching sel, with the mouse, into the month
// grid's cell of day (YYYY-MM-DD).
func (b *browser) dragTo(sel, day string) {
	b.t.Helper()
	type points struct{ X1, Y1, X2, Y2 float64 }
	p := eval[points](b, "drag from "+sel, fmt.Sprintf(`(() => {
		const from = document.querySelector(%q).getBoundingClientRect();
		const cell = document.querySelector('.ec-day-grid .ec-day time[datetime="%s"]').closest(".ec-day").getBoundingClientRect();
		return {X1: from.left + from.width / 3, Y1: from.top + from.height / 2, X2: cell.left + cell.width / 3, Y2: cell.top + cell.height / 2};
	})()`, sel, day))
	b.settle()
	steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(chromedp.MouseMoved, p.X1, p.Y1), chromedp.MouseEvent(chromedp.MousePressed, p.X1, p.Y1, chromedp.ButtonLeft, chromedp.ClickCount(1))}
	for i := 1; i <= 10; i++ {
		steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, p.X1+(p.X2-p.X1)*float64(i)/10, p.Y1+(p.Y2-p.Y1)*float64(i)/10, chromedp.ButtonLeft))
	}
	steps = append(steps, chromedp.MouseEvent(chromedp.MouseReleased, p.X2, p.Y2, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	b.run("drag "+sel+" to "+day, steps...)
}
