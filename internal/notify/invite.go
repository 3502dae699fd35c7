package notify

import (
	"bytes"
	"time"

	"github.com/teamspro/functions/internal/ical"
	"github.com/teamspro/functions/internal/teamspro"
)

// Invite is the InviteFunc of the product: the .ics of a message about an event
// or a reservation, written by internal/ical with the UID the feed uses too
// (ical.UID, so a mail client updates the invitation it already has and a
// subscribed feed does not duplicate it) and the item's SEQUENCE, METHOD
// REQUEST for a new or changed one and CANCEL for a removed one. A series is
// one invite: its master (RRULE, EXDATE) and its changed occurrences; a
// message about one occurrence carries that occurrence alone, with its
// RECURRENCE-ID. domain names the organizer of items that have none
// (noreply@domain). Messages that carry no invitation return no bytes.
func Invite(domain string, now teamspro.Clock) InviteFunc {
	return func(msg Message) ([]byte, string, error) {
		method := inviteMethod(msg)
		if method == "" {
			return nil, "", nil
		}
		var evs []ical.Event
		var attendees []Recipient
		switch p := msg.Body.(type) {
		case *EventNotice:
			evs = eventInvite(p.Event, method)
			attendees = p.Recipients
		case *ReservationNotice:
			r := p.Reservation
			ev := ical.Event{UID: ical.UID(r.ID), Sequence: r.Sequence, Summary: r.Title, Location: r.RoomName,
				URL: r.URL, Start: r.Start, End: r.End, TZID: r.TimeZone, Organizer: person(r.Organizer)}
			if r.SeriesID != "" {
				ev.UID, ev.RRule, ev.ExDates, ev.RecurrenceID = ical.UID(r.SeriesID), r.RRule, r.ExDates, r.RecurrenceID
			}
			evs = []ical.Event{ev}
			attendees = p.Recipients
		default:
			return nil, "", nil
		}
		for i := range evs {
			ev := &evs[i]
			if ev.Organizer == nil {
				ev.Organizer = &ical.Person{Email: "noreply@" + domain, Name: "TeamsPro"}
			}
			for _, a := range attendees {
				ev.Attendees = append(ev.Attendees, ical.Attendee{Person: ical.Person{Email: a.Email, Name: a.Name}, Role: "REQ-PARTICIPANT", PartStat: "NEEDS-ACTION", RSVP: method == "REQUEST"})
			}
			if method == "CANCEL" {
				ev.Status = "CANCELLED"
			}
		}
		var buf bytes.Buffer
		err := ical.Encode(&buf, ical.Calendar{Method: ical.Method(method), Stamp: now().UTC().Truncate(time.Second), Events: evs})
		if err != nil {
			return nil, "", err
		}
		return buf.Bytes(), method, nil
	}
}

// eventInvite returns the VEVENTs of an event message: the occurrence alone
// when the message is about one; otherwise the event, with, for a series,
// its cancelled occurrences (EXDATE) and, in a REQUEST, its changed ones. A
// CANCEL of a whole series names its UID only: every occurrence goes.
func eventInvite(e EventInfo, method string) []ical.Event {
	one := func(e EventInfo) ical.Event {
		return ical.Event{UID: ical.UID(e.ID), Sequence: e.Sequence, Summary: e.Title, Description: e.Description,
			Location: e.Location, URL: e.URL, Start: e.Start, End: e.End, AllDay: e.AllDay, TZID: e.TimeZone,
			RecurrenceID: e.RecurrenceID, Organizer: person(e.Organizer)}
	}
	master := one(e)
	if !e.RecurrenceID.IsZero() {
		return []ical.Event{master}
	}
	master.RRule = e.RRule
	if e.RRule == "" {
		return []ical.Event{master}
	}
	master.ExDates = e.ExDates
	out := []ical.Event{master}
	if method == "REQUEST" {
		for _, o := range e.Overrides {
			o.ID = e.ID // an override belongs to its series: same UID
			out = append(out, one(o))
		}
	}
	return out
}

func person(p Person) *ical.Person {
	if p.Email == "" {
		return nil
	}
	return &ical.Person{Email: p.Email, Name: p.Name}
}
