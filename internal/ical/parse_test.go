package ical

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/teamspro"
)

func mustParse(t *testing.T, name string) Parsed {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

// TestParseExternal reads a published calendar and expands it with the
// product's recurrence engine: a weekly series in Paris across the change to
// summer time (the local hour holds), an EXDATE, a moved and a cancelled
// occurrence (RECURRENCE-ID), zones named by IANA, by a path ending in an
// IANA name, by a VTIMEZONE of a fixed offset, floating times in
// X-WR-TIMEZONE, an all-day event; an hourly rule and a cancelled event are
// left out.
func TestParseExternal(t *testing.T) {
	t.Parallel()
	p := mustParse(t, "external.ics")
	if p.Skipped != 1 {
		t.Errorf("got %d skipped, want 1 (the hourly rule)", p.Skipped)
	}
	if len(p.ApproximatedZones) != 0 {
		t.Errorf("got approximated zones %q, want none", p.ApproximatedZones)
	}
	x := calendar.ExternalWithCopy{External: calendar.External{ID: "ext1", CalendarID: "cal", Name: "Team", Color: "#038387"}, Copy: p.ExternalCopy}
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 2, 0)
	var occ []calendar.EventJSON
	for _, o := range calendar.ExpandExternals([]calendar.ExternalWithCopy{x}, from, to) {
		occ = append(occ, o.JSON())
	}
	var got []string
	for _, o := range occ {
		if o.Source != "external" || o.ExternalID != "ext1" || o.ExternalName != "Team" || !o.ReadOnly || o.Color != "#038387" {
			t.Errorf("occurrence %q not marked as the external calendar's: %+v", o.Title, o)
		}
		got = append(got, o.StartDate+" "+o.EndDate+" "+o.Title)
	}
	want := []string{
		"2026-03-05T14:00:00Z 2026-03-05T14:30:00Z Boston weekly",    // a Windows name, the older rule form: EST
		"2026-03-10T14:00:00Z 2026-03-10T14:30:00Z New York call",    // EDT since 8 March: 10:00-04:00
		"2026-03-11T08:00:00Z 2026-03-11T09:00:00Z Dubai review",     // +04:00 from its VTIMEZONE
		"2026-03-12T11:30:00Z 2026-03-12T12:30:00Z Floating lunch",   // Paris (X-WR-TIMEZONE), CET
		"2026-03-12T13:00:00Z 2026-03-12T13:30:00Z Boston weekly",    // EDT since 8 March
		"2026-03-13T09:30:00Z 2026-03-13T10:30:00Z Bangalore review", // +05:30
		"2026-03-16T08:00:00Z 2026-03-16T08:15:00Z Stand-up",         // 09:00 CET
		"2026-03-20T00:00:00Z 2026-03-21T00:00:00Z Company day",
		// 23 March: EXDATE.
		"2026-03-24T08:30:00Z 2026-03-24T09:00:00Z Outlook weekly",   // a Windows name: 09:30 CET
		"2026-03-30T07:00:00Z 2026-03-30T07:15:00Z Stand-up",         // 09:00 CEST
		"2026-03-31T07:30:00Z 2026-03-31T08:00:00Z Outlook weekly",   // 09:30 CEST, after 29 March
		"2026-04-06T09:00:00Z 2026-04-06T09:15:00Z Stand-up (moved)", // moved to 11:00 CEST
		// 13 April: cancelled; 20 April is the 6th and last (COUNT=6).
		"2026-04-20T07:00:00Z 2026-04-20T07:15:00Z Stand-up",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	zones := map[string]string{}
	for _, o := range occ {
		zones[o.Title] = o.TimeZone
	}
	for title, want := range map[string]string{
		"Outlook weekly":   "<+0100>-1<+0200>-2,M3.5.0/2,M10.5.0/3",
		"Boston weekly":    "<-0500>5<-0400>4,M3.2.0/2,M11.1.0/2",
		"Bangalore review": "<+0530>-5:30",
		"Dubai review":     "<+0400>-4",
		"New York call":    "America/New_York",
	} {
		if zones[title] != want {
			t.Errorf("%s: got zone %q, want %q", title, zones[title], want)
		}
	}
	for _, o := range occ {
		if o.Title == "Stand-up" && (o.TimeZone != "Europe/Paris" || o.Address == nil || *o.Address.FullAddress != "Room 4, Paris") {
			t.Errorf("stand-up: got zone %q address %+v, want Europe/Paris and its location", o.TimeZone, o.Address)
		}
	}
}

// TestParseIsStable: the same document gives the same ids, so a refresh
// changes nothing a view has drawn.
func TestParseIsStable(t *testing.T) {
	t.Parallel()
	a, b := mustParse(t, "external.ics"), mustParse(t, "external.ics")
	if len(a.Events) == 0 || len(a.Events) != len(b.Events) {
		t.Fatalf("got %d and %d events", len(a.Events), len(b.Events))
	}
	for i := range a.Events {
		if a.Events[i].ID != b.Events[i].ID || !teamspro.ValidID(a.Events[i].ID) {
			t.Errorf("event %d: ids %q and %q", i, a.Events[i].ID, b.Events[i].ID)
		}
	}
}

func TestParseRefusesWhatIsNotICalendar(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{"", "<html><body>Sign in</body></html>", "BEGIN:VCALENDAR\r\nBROKEN"} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("Parse(%q): got no error, want one", doc)
		}
	}
}
