package ical

import (
	"slices"
	"strings"
	"time"

	"github.com/teamspro/functions/internal/calendar"
)

// FromEvent returns the VEVENTs of a calendar event: one for a single
// event; for a series, its master with RRULE and an EXDATE per cancelled
// occurrence, then one VEVENT per overridden occurrence with the master's
// UID and a RECURRENCE-ID. UIDs are UID(event id), the same as in every
// invite. Participants with an e-mail (or a UPN, which is mail-routable in
// Entra tenants) become attendees.
func FromEvent(e calendar.Event, exceptions []calendar.Exception) []Event {
	uid := UID(e.ID)
	master := fromOne(e, uid)
	master.RRule = e.RRule()
	var out []Event
	var overrides []Event
	for _, x := range exceptions {
		if x.SeriesID != e.ID || e.Rule == nil {
			continue
		}
		if x.Cancelled || x.Override == nil {
			master.ExDates = append(master.ExDates, x.OriginalStart)
			continue
		}
		o := fromOne(*x.Override, uid)
		o.RecurrenceID = x.OriginalStart
		overrides = append(overrides, o)
	}
	slices.SortFunc(master.ExDates, time.Time.Compare)
	out = append(out, master)
	return append(out, overrides...)
}

func fromOne(e calendar.Event, uid string) Event {
	ev := Event{UID: uid, Sequence: e.Sequence, Summary: e.Title, Description: e.Description,
		Start: e.Start, End: e.End, AllDay: e.AllDay, TZID: e.TimeZone, Categories: e.Tags,
		Created: e.CreatedAt, Modified: e.UpdatedAt}
	if e.AllDay {
		if loc, err := e.Location(); err == nil {
			ev.Start, ev.End = e.StartDay.In(loc), e.EndDay.In(loc)
		}
	}
	if e.Address != nil {
		ev.Location = e.Address.FullAddress
	}
	for _, p := range e.Participants {
		mail := p.Email
		if mail == "" {
			mail = p.UPN
		}
		if mail != "" && strings.Contains(mail, "@") {
			ev.Attendees = append(ev.Attendees, Attendee{Person: Person{Email: mail, Name: p.Name}, RSVP: true})
		}
	}
	return ev
}
