package notify

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// view is what every mail shows, whatever its type: one text and one HTML layout
// render it, so that the escaping rules live in one template (html/template escapes
// every value; nothing is marked safe) and a new type only builds a view.
type view struct {
	Subject  string
	Heading  string
	Intro    string
	Rows     []row
	Note     string
	LinkURL  string
	LinkText string
}

type row struct{ Label, Value string }

// The layouts are parsed at first use, not at start: only the notify
// function renders mail, and parsing at package init would add to every cold
// start of the HTTP functions.
var textLayout = sync.OnceValue(func() *texttemplate.Template {
	return texttemplate.Must(texttemplate.New("text").Parse(`{{.Heading}}

{{if .Intro}}{{.Intro}}

{{end}}{{range .Rows}}{{.Label}}: {{.Value}}
{{end}}{{if .Note}}
{{.Note}}
{{end}}{{if .LinkURL}}
{{.LinkText}}: {{.LinkURL}}
{{end}}
--
Sent by TeamsPro. You receive this mail because of your part in the event or reservation above.
`))
})

var htmlLayout = sync.OnceValue(func() *htmltemplate.Template {
	return htmltemplate.Must(htmltemplate.New("html").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family:Segoe UI,Helvetica,Arial,sans-serif;color:#242424">
<h2>{{.Heading}}</h2>
{{if .Intro}}<p>{{.Intro}}</p>
{{end}}{{if .Rows}}<table cellpadding="4">
{{range .Rows}}<tr><th align="left" valign="top">{{.Label}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
{{end}}{{if .Note}}<p style="white-space:pre-line">{{.Note}}</p>
{{end}}{{if .LinkURL}}<p><a href="{{.LinkURL}}">{{.LinkText}}</a></p>
{{end}}<p style="color:#707070;font-size:small">Sent by TeamsPro. You receive this mail because of your part in the event or reservation above.</p>
</body></html>
`))
})

// rendered is the content of one mail.
type rendered struct {
	Subject, Text, HTML string
}

// render builds the mail of msg for one recipient reading dates in loc.
func render(msg Message, loc *time.Location) (rendered, error) {
	v, err := buildView(msg, loc)
	if err != nil {
		return rendered{}, err
	}
	v.Subject = oneLine(v.Subject)
	var text, html bytes.Buffer
	if err := textLayout().Execute(&text, v); err != nil {
		return rendered{}, teamspro.Wrap(teamspro.EINTERNAL, err, "The %s mail cannot be rendered.", msg.Type)
	}
	if err := htmlLayout().Execute(&html, v); err != nil {
		return rendered{}, teamspro.Wrap(teamspro.EINTERNAL, err, "The %s mail cannot be rendered.", msg.Type)
	}
	return rendered{Subject: v.Subject, Text: text.String(), HTML: html.String()}, nil
}

func buildView(msg Message, loc *time.Location) (view, error) {
	switch p := msg.Body.(type) {
	case *EventNotice:
		return eventView(msg.Type, p, loc), nil
	case *ReservationNotice:
		return reservationView(msg.Type, p, loc), nil
	case *ApprovalRequest:
		return approvalView(p, loc), nil
	case *Reminder:
		return reminderView(p, loc), nil
	case *JobCompleted:
		return jobView(p), nil
	}
	return view{}, teamspro.Errorf(teamspro.EINVALID, "A %s message has no mail.", msg.Type)
}

func eventView(t Type, p *EventNotice, loc *time.Location) view {
	e := p.Event
	v := view{LinkURL: e.URL, LinkText: "Open in Teams"}
	short := shortWhen(e.Start, e.AllDay, zone(e.TimeZone), loc)
	switch t {
	case TypeEventCreated:
		v.Subject = fmt.Sprintf("Invitation: %s (%s)", e.Title, short)
		v.Heading = "You are invited: " + e.Title
		v.Intro = byWhom(p.Actor, "added you to this event.")
	case TypeEventUpdated:
		v.Subject = fmt.Sprintf("Updated: %s (%s)", e.Title, short)
		v.Heading = "Event updated: " + e.Title
		v.Intro = byWhom(p.Actor, "changed this event.")
	default:
		v.Subject = fmt.Sprintf("Cancelled: %s (%s)", e.Title, short)
		v.Heading = "Event cancelled: " + e.Title
		v.Intro = byWhom(p.Actor, "cancelled this event.")
		v.LinkURL = ""
	}
	v.Rows = eventRows(e, loc)
	if t == TypeEventUpdated && len(p.Changes) > 0 {
		v.Rows = append(v.Rows, row{"Changed", strings.Join(p.Changes, ", ")})
	}
	v.Note = e.Description
	return v
}

func eventRows(e EventInfo, loc *time.Location) []row {
	rows := []row{{"When", when(e.Start, e.End, e.AllDay, zone(e.TimeZone), loc)}}
	if e.RRule != "" {
		rows = append(rows, row{"Repeats", "yes (see the calendar invite)"})
	}
	if e.Location != "" {
		rows = append(rows, row{"Where", e.Location})
	}
	if o := personText(e.Organizer); o != "" {
		rows = append(rows, row{"Organizer", o})
	}
	return rows
}

var reservationWords = map[Type]struct{ subject, heading, intro string }{
	TypeReservationConfirmed: {"Reservation confirmed", "Your reservation is confirmed", "The room is yours."},
	TypeReservationPending:   {"Reservation awaiting approval", "Your reservation awaits approval", "The room's managers have been asked to approve it; you will get another mail with their answer."},
	TypeReservationApproved:  {"Reservation approved", "Your reservation is approved", "The room is yours."},
	TypeReservationDeclined:  {"Reservation declined", "Your reservation was declined", "The room is not reserved for you."},
	TypeReservationCancelled: {"Reservation cancelled", "Your reservation was cancelled", "The room is no longer reserved for you."},
	TypeReservationReleased:  {"Reservation released", "Your reservation was released", "Nobody checked in, so the room was released for others."},
}

func reservationView(t Type, p *ReservationNotice, loc *time.Location) view {
	r := p.Reservation
	w := reservationWords[t]
	v := view{
		Subject:  fmt.Sprintf("%s: %s, %s", w.subject, r.RoomName, shortWhen(r.Start, false, zone(r.TimeZone), loc)),
		Heading:  w.heading,
		Intro:    w.intro,
		Rows:     reservationRows(r, loc),
		LinkURL:  r.URL,
		LinkText: "Open in Teams",
	}
	if p.Withdraws {
		v.Intro = "Its new room requires approval, so the invitation in your calendar is withdrawn until the room's managers approve it; you will get another mail with their answer."
	}
	if p.Reason != "" {
		v.Rows = append(v.Rows, row{"Reason", p.Reason})
	}
	if a := personText(p.Actor); a != "" && t != TypeReservationConfirmed && t != TypeReservationPending {
		v.Rows = append(v.Rows, row{"By", a})
	}
	return v
}

func reservationRows(r ReservationInfo, loc *time.Location) []row {
	rows := []row{{"Room", r.RoomName}, {"When", when(r.Start, r.End, false, zone(r.TimeZone), loc)}}
	if r.RRule != "" {
		rows = append(rows, row{"Repeats", "yes, every occurrence of the calendar invite"})
	}
	if r.Title != "" {
		rows = append(rows, row{"Title", r.Title})
	}
	if o := personText(r.Organizer); o != "" {
		rows = append(rows, row{"Organizer", o})
	}
	return rows
}

func approvalView(p *ApprovalRequest, loc *time.Location) view {
	r := p.Reservation
	return view{
		Subject:  fmt.Sprintf("Approval requested: %s, %s", r.RoomName, shortWhen(r.Start, false, zone(r.TimeZone), loc)),
		Heading:  "A reservation needs your approval",
		Intro:    byWhom(r.Organizer, "asked to reserve a room you manage."),
		Rows:     reservationRows(r, loc),
		LinkURL:  p.ApproveURL,
		LinkText: "Approve or decline",
	}
}

func reminderView(p *Reminder, loc *time.Location) view {
	if e := p.Event; e != nil {
		return view{
			Subject:  fmt.Sprintf("Reminder: %s (%s)", e.Title, shortWhen(e.Start, e.AllDay, zone(e.TimeZone), loc)),
			Heading:  "Reminder: " + e.Title,
			Rows:     eventRows(*e, loc),
			Note:     e.Description,
			LinkURL:  e.URL,
			LinkText: "Open in Teams",
		}
	}
	r := p.Reservation
	return view{
		Subject:  fmt.Sprintf("Reminder: %s, %s", r.RoomName, shortWhen(r.Start, false, zone(r.TimeZone), loc)),
		Heading:  "Reminder: your reservation of " + r.RoomName,
		Rows:     reservationRows(*r, loc),
		LinkURL:  r.URL,
		LinkText: "Open in Teams",
	}
}

func jobView(p *JobCompleted) view {
	status := "Finished"
	if p.Failed > 0 {
		status = "Finished with errors"
	}
	return view{
		Subject:  fmt.Sprintf("%s: %s", status, p.Kind),
		Heading:  fmt.Sprintf("%s: %s", status, p.Kind),
		Intro:    p.Summary,
		Rows:     []row{{"Succeeded", fmt.Sprint(p.Succeeded)}, {"Failed", fmt.Sprint(p.Failed)}},
		LinkURL:  p.URL,
		LinkText: "Open in Teams",
	}
}

func byWhom(p Person, what string) string {
	if n := personText(p); n != "" {
		return n + " " + what
	}
	return "Someone " + what
}

func personText(p Person) string {
	switch {
	case p.Name != "" && p.Email != "":
		return fmt.Sprintf("%s <%s>", p.Name, p.Email)
	case p.Name != "":
		return p.Name
	}
	return p.Email
}

// zone loads an IANA zone that validation has already checked; UTC if it is gone.
func zone(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil {
		return loc
	}
	return time.UTC
}

// when formats an interval for a reader in loc. An all-day event is a range of
// dates, not instants: it is shown by its own zone's dates (a holiday on the 3rd is on
// the 3rd everywhere), and its end is exclusive (midnight after the last day).
func when(start, end time.Time, allDay bool, eventLoc, loc *time.Location) string {
	if allDay {
		s, e := start.In(eventLoc), end.In(eventLoc)
		last := e
		if e.After(s) && e.Hour() == 0 && e.Minute() == 0 && e.Second() == 0 {
			last = e.AddDate(0, 0, -1)
		}
		if sameDay(s, last) || last.Before(s) {
			return s.Format("Mon 2 Jan 2006") + " (all day)"
		}
		return s.Format("Mon 2 Jan 2006") + " – " + last.Format("Mon 2 Jan 2006") + " (all day)"
	}
	s, e := start.In(loc), end.In(loc)
	if sameDay(s, e) {
		return fmt.Sprintf("%s, %s – %s (%s)", s.Format("Mon 2 Jan 2006"), s.Format("15:04"), e.Format("15:04"), zoneLabel(s))
	}
	return fmt.Sprintf("%s – %s (%s)", s.Format("Mon 2 Jan 2006 15:04"), e.Format("Mon 2 Jan 2006 15:04"), zoneLabel(s))
}

// shortWhen is the start for a subject line.
func shortWhen(start time.Time, allDay bool, eventLoc, loc *time.Location) string {
	if allDay {
		return start.In(eventLoc).Format("Mon 2 Jan 2006")
	}
	s := start.In(loc)
	return s.Format("Mon 2 Jan 2006 15:04") + " " + zoneLabel(s)
}

// zoneLabel names t's zone the way a reader expects: its IANA name, and the
// abbreviation when the zone has a meaningful one ("Europe/Paris, CET").
func zoneLabel(t time.Time) string {
	name := t.Location().String()
	abbr, _ := t.Zone()
	if abbr == "" || abbr == name || strings.HasPrefix(abbr, "+") || strings.HasPrefix(abbr, "-") {
		return name
	}
	return name + ", " + abbr
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// oneLine keeps a subject on one line: a line break in a title must never become a
// header break.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
