package notify

import (
	"bytes"
	"time"

	"github.com/teamspro/functions/internal/ical"
	"github.com/teamspro/functions/internal/teamspro"
)

// Invite is the InviteFunc of the product: the .ics of a message about an event
// or a reservation, written by internal/ical with a stable UID per event (so a
// mail client updates the invitation it already has) and the message's
// SEQUENCE, METHOD REQUEST for a new or changed one and CANCEL for a removed one.
// Messages that carry no invitation return no bytes.
func Invite(domain string, now teamspro.Clock) InviteFunc {
	return func(msg Message) ([]byte, string, error) {
		method := InviteMethod(msg.Type)
		if method == "" {
			return nil, "", nil
		}
		var ev ical.Event
		var attendees []Recipient
		switch p := msg.Body.(type) {
		case *EventNotice:
			e := p.Event
			ev = ical.Event{UID: e.ID + "@" + domain, Sequence: e.Sequence, Summary: e.Title, Description: e.Description,
				Location: e.Location, URL: e.URL, Start: e.Start, End: e.End, AllDay: e.AllDay, TZID: e.TimeZone, RRule: e.RRule,
				Organizer: person(e.Organizer)}
			attendees = p.Recipients
		case *ReservationNotice:
			r := p.Reservation
			ev = ical.Event{UID: r.ID + "@" + domain, Sequence: r.Sequence, Summary: r.Title, Location: r.RoomName,
				URL: r.URL, Start: r.Start, End: r.End, TZID: r.TimeZone, Organizer: person(r.Organizer)}
			attendees = p.Recipients
		default:
			return nil, "", nil
		}
		if ev.Organizer == nil {
			ev.Organizer = &ical.Person{Email: "noreply@" + domain, Name: "TeamsPro"}
		}
		for _, a := range attendees {
			ev.Attendees = append(ev.Attendees, ical.Attendee{Person: ical.Person{Email: a.Email, Name: a.Name}, Role: "REQ-PARTICIPANT", PartStat: "NEEDS-ACTION", RSVP: method == "REQUEST"})
		}
		if method == "CANCEL" {
			ev.Status = "CANCELLED"
		}
		var buf bytes.Buffer
		err := ical.Encode(&buf, ical.Calendar{Method: ical.Method(method), Stamp: now().UTC().Truncate(time.Second), Events: []ical.Event{ev}})
		if err != nil {
			return nil, "", err
		}
		return buf.Bytes(), method, nil
	}
}

func person(p Person) *ical.Person {
	if p.Email == "" {
		return nil
	}
	return &ical.Person{Email: p.Email, Name: p.Name}
}
