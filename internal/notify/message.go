// Package notify is the notification domain: the catalogue of messages that the HTTP
// functions publish to the notification queue, the Publisher they publish through, an
// in-process queue for local runs, and the Processor that turns one received message
// into emails. It imports no Azure SDK: Service Bus and SendGrid live in adapters.
package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// Type names a kind of message. Types are stable strings: a message published by an
// older binary must still be understood by a newer one, so a type is never renamed;
// a changed payload shape gets a new version instead.
type Type string

// The message catalogue. The comment says who receives the resulting mail.
const (
	TypeEventCreated         Type = "event.created"         // participants
	TypeEventUpdated         Type = "event.updated"         // participants
	TypeEventDeleted         Type = "event.deleted"         // participants
	TypeReservationConfirmed Type = "reservation.confirmed" // the organizer
	TypeReservationPending   Type = "reservation.pending"   // the organizer
	TypeReservationApproved  Type = "reservation.approved"  // the organizer
	TypeReservationDeclined  Type = "reservation.declined"  // the organizer
	TypeReservationCancelled Type = "reservation.cancelled" // the organizer
	TypeReservationReleased  Type = "reservation.released"  // the organizer
	TypeApprovalRequested    Type = "approval.requested"    // the room's managers
	TypeReminder             Type = "reminder"              // participants or the organizer
	TypeCalendarCopy         Type = "calendar.copy"         // no mail: one step of a copy job
	TypeJobCompleted         Type = "job.completed"         // whoever started the job
)

// Detail values of the EINVALID errors returned by Decode, so that a consumer can
// tell an unknown message from a malformed one in its logs.
const (
	DetailUnknownType        = "unknown_type"
	DetailUnsupportedVersion = "unsupported_version"
	DetailMalformed          = "malformed"
)

// Envelope is the wire form of every message: what travels as the Service Bus message
// body (and through the in-process Queue). The envelope is decoded first and the
// payload second, so that a consumer can always log the type, id and tenant of a
// message whose payload it cannot read.
type Envelope struct {
	Type       Type            `json:"type"`
	Version    int             `json:"version"`
	ID         string          `json:"id"` // also the Service Bus MessageId: the idempotency key
	TenantID   string          `json:"tenantId"`
	OccurredAt time.Time       `json:"occurredAt"`
	Payload    json.RawMessage `json:"payload"`
}

// Payload is the typed content of a message. Validate returns an EINVALID
// *teamspro.Error listing what is missing; the Processor treats that as permanent.
type Payload interface {
	Validate() error
}

// Message is a decoded envelope with its typed payload.
type Message struct {
	Envelope
	Body Payload // one of the payload types of the catalogue, as a pointer
}

// versions maps every known type and version to a constructor of its payload. The
// highest version of a type is the one NewEnvelope writes; older versions stay here
// for as long as such messages can still sit in a queue (scheduled reminders: months).
var versions = map[Type]map[int]func() Payload{
	// Version 2 of the event notices adds the series' exceptions and the
	// occurrence a message is about (EventInfo.RecurrenceID).
	TypeEventCreated: {1: func() Payload { return new(EventNotice) }, 2: func() Payload { return new(EventNotice) }},
	TypeEventUpdated: {1: func() Payload { return new(EventNotice) }, 2: func() Payload { return new(EventNotice) }},
	TypeEventDeleted: {1: func() Payload { return new(EventNotice) }, 2: func() Payload { return new(EventNotice) }},
	// Version 2 of the reservation notices and approval requests adds a
	// recurring booking's series (ReservationInfo.SeriesID and what follows).
	TypeReservationConfirmed: {1: func() Payload { return new(ReservationNotice) }, 2: func() Payload { return new(ReservationNotice) }},
	TypeReservationPending:   {1: func() Payload { return new(ReservationNotice) }, 2: func() Payload { return new(ReservationNotice) }},
	TypeReservationApproved:  {1: func() Payload { return new(ReservationNotice) }, 2: func() Payload { return new(ReservationNotice) }},
	TypeReservationDeclined:  {1: func() Payload { return new(ReservationNotice) }, 2: func() Payload { return new(ReservationNotice) }},
	TypeReservationCancelled: {1: func() Payload { return new(ReservationNotice) }, 2: func() Payload { return new(ReservationNotice) }},
	TypeReservationReleased:  {1: func() Payload { return new(ReservationNotice) }, 2: func() Payload { return new(ReservationNotice) }},
	TypeApprovalRequested:    {1: func() Payload { return new(ApprovalRequest) }, 2: func() Payload { return new(ApprovalRequest) }},
	TypeReminder:             {1: func() Payload { return new(Reminder) }},
	TypeCalendarCopy:         {1: func() Payload { return new(CalendarCopy) }},
	TypeJobCompleted:         {1: func() Payload { return new(JobCompleted) }},
}

// Types lists every type of the catalogue, for tests and documentation.
func Types() []Type {
	return []Type{
		TypeEventCreated, TypeEventUpdated, TypeEventDeleted,
		TypeReservationConfirmed, TypeReservationPending, TypeReservationApproved,
		TypeReservationDeclined, TypeReservationCancelled, TypeReservationReleased,
		TypeApprovalRequested, TypeReminder, TypeCalendarCopy, TypeJobCompleted,
	}
}

// CurrentVersion returns the version NewEnvelope writes for t, and 0 for an unknown type.
func CurrentVersion(t Type) int {
	v := 0
	for n := range versions[t] {
		v = max(v, n)
	}
	return v
}

// NewEnvelope builds the envelope of a new message of type t at its current version.
// id must be unique per logical notification (it is the Service Bus MessageId, used
// for duplicate detection and as the consumer's idempotency key), so callers derive it
// from what happened (say, the event id and its new sequence) rather than at random
// when a retry of the same request could publish twice. Returns EINVALID when t is
// unknown, p is not t's payload type, p is invalid, or id or tenantID is empty.
func NewEnvelope(t Type, id, tenantID string, occurredAt time.Time, p Payload) (Envelope, error) {
	v := CurrentVersion(t)
	if v == 0 {
		return Envelope{}, &teamspro.Error{Code: teamspro.EINVALID, Detail: DetailUnknownType, Message: fmt.Sprintf("Unknown message type %q.", t)}
	}
	if want := versions[t][v](); fmt.Sprintf("%T", want) != fmt.Sprintf("%T", p) {
		return Envelope{}, teamspro.Errorf(teamspro.EINVALID, "A %s message carries a %T payload, not %T.", t, want, p)
	}
	var val teamspro.Validation
	val.Check(id != "", "id", "required")
	val.Check(tenantID != "", "tenantId", "required")
	val.Check(!occurredAt.IsZero(), "occurredAt", "required")
	if err := val.Err(); err != nil {
		return Envelope{}, err
	}
	if err := p.Validate(); err != nil {
		return Envelope{}, err
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return Envelope{}, teamspro.Wrap(teamspro.EINTERNAL, err, "The %s payload cannot be encoded.", t)
	}
	return Envelope{Type: t, Version: v, ID: id, TenantID: tenantID, OccurredAt: occurredAt.UTC(), Payload: raw}, nil
}

// String names e in logs: type, version and id, never the payload (it holds addresses).
func (e Envelope) String() string { return fmt.Sprintf("%s v%d %s", e.Type, e.Version, e.ID) }

// Encode returns the JSON body of e as it travels on the queue.
func (e Envelope) Encode() ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, teamspro.Wrap(teamspro.EINTERNAL, err, "The %s message cannot be encoded.", e.Type)
	}
	return b, nil
}

// DecodeEnvelope reads the envelope of body without its payload. Returns EINVALID
// (Detail DetailMalformed) when body is not an envelope.
func DecodeEnvelope(body []byte) (Envelope, error) {
	var e Envelope
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&e); err != nil {
		return Envelope{}, &teamspro.Error{Code: teamspro.EINVALID, Detail: DetailMalformed, Message: "The message is not a JSON envelope.", Err: err}
	}
	if dec.More() {
		return Envelope{}, &teamspro.Error{Code: teamspro.EINVALID, Detail: DetailMalformed, Message: "The message has data after its envelope."}
	}
	var val teamspro.Validation
	val.Check(e.Type != "", "type", "required")
	val.Check(e.Version > 0, "version", "required")
	val.Check(e.ID != "", "id", "required")
	val.Check(e.TenantID != "", "tenantId", "required")
	val.Check(len(e.Payload) > 0 && !bytes.Equal(e.Payload, []byte("null")), "payload", "required")
	if err := val.Err(); err != nil {
		te := err.(*teamspro.Error)
		te.Detail = DetailMalformed
		return e, te
	}
	return e, nil
}

// Decode reads a whole message: envelope and typed payload. Every error is EINVALID
// and permanent (redelivering the same bytes cannot help): Detail DetailUnknownType
// for a type this binary does not know, DetailUnsupportedVersion for a known type at
// an unknown version (a newer producer), DetailMalformed otherwise. Unknown payload
// fields are rejected too: they mean the producer and this consumer disagree on the
// version, and silently dropping a field could send a wrong mail.
func Decode(body []byte) (Message, error) {
	e, err := DecodeEnvelope(body)
	if err != nil {
		return Message{Envelope: e}, err
	}
	byVersion, ok := versions[e.Type]
	if !ok {
		return Message{Envelope: e}, &teamspro.Error{Code: teamspro.EINVALID, Detail: DetailUnknownType, Message: fmt.Sprintf("Unknown message type %q.", e.Type)}
	}
	newPayload, ok := byVersion[e.Version]
	if !ok {
		return Message{Envelope: e}, &teamspro.Error{Code: teamspro.EINVALID, Detail: DetailUnsupportedVersion, Message: fmt.Sprintf("Unsupported version %d of message type %q.", e.Version, e.Type)}
	}
	p := newPayload()
	dec := json.NewDecoder(bytes.NewReader(e.Payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return Message{Envelope: e}, &teamspro.Error{Code: teamspro.EINVALID, Detail: DetailMalformed, Message: fmt.Sprintf("The %s payload is malformed.", e.Type), Err: err}
	}
	if err := p.Validate(); err != nil {
		if te, ok := err.(*teamspro.Error); ok && te.Detail == "" {
			te.Detail = DetailMalformed
		}
		return Message{Envelope: e}, err
	}
	return Message{Envelope: e, Body: p}, nil
}

// Person is someone named in a message (an organizer, the user who acted).
type Person struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

// Recipient is someone a mail goes to. TimeZone (IANA) is the zone the recipient
// reads dates in; when empty, the Processor asks its Directory, then falls back to
// the zone of the event or room.
type Recipient struct {
	Name     string `json:"name,omitempty"`
	Email    string `json:"email"`
	TimeZone string `json:"timeZone,omitempty"`
}

// EventInfo is the snapshot of an event a message carries: everything a mail and
// its invite need, so that the consumer never reads the event back (it may be
// deleted, or changed again, by the time the message is processed).
type EventInfo struct {
	ID          string    `json:"id"`
	CalendarID  string    `json:"calendarId,omitempty"`
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	AllDay      bool      `json:"allDay,omitempty"`
	TimeZone    string    `json:"timeZone"` // IANA zone of the event
	Location    string    `json:"location,omitempty"`
	RRule       string    `json:"rrule,omitempty"` // RFC 5545 RRULE value, for the invite
	Organizer   Person    `json:"organizer"`
	Sequence    int       `json:"sequence"` // iCalendar SEQUENCE: grows with every change
	URL         string    `json:"url,omitempty"`

	// RecurrenceID, when set, makes the message about one occurrence of the
	// series ID: the start the rule gave it. Start and End are then the
	// occurrence's, and its invite carries that one occurrence alone
	// (RFC 5546 3.2.2, 3.2.5), so clients change or cancel just it.
	RecurrenceID time.Time `json:"recurrenceId,omitzero"`
	// ExDates (cancelled occurrences, by original start) and Overrides
	// (changed occurrences, each with its RecurrenceID) complete a series,
	// whose invite is then the whole series as the feed shows it.
	ExDates   []time.Time `json:"exDates,omitempty"`
	Overrides []EventInfo `json:"overrides,omitempty"`
}

// ReservationInfo is the snapshot of a room reservation a message carries.
type ReservationInfo struct {
	ID        string    `json:"id"`
	RoomID    string    `json:"roomId"`
	RoomName  string    `json:"roomName"`
	Title     string    `json:"title,omitempty"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	TimeZone  string    `json:"timeZone"` // IANA zone of the room
	Organizer Person    `json:"organizer"`
	Sequence  int       `json:"sequence"`
	URL       string    `json:"url,omitempty"`

	// SeriesID is set for a recurring booking and its occurrences: the
	// invitation's UID is the series'. RRule (bounded to the last booked
	// occurrence) and ExDates (occurrences not booked) make the message one
	// about the whole series, Start and End being its first occurrence's;
	// RecurrenceID (the start the rule gave an occurrence) makes it one
	// about that occurrence alone.
	SeriesID     string      `json:"seriesId,omitempty"`
	RRule        string      `json:"rrule,omitempty"`
	ExDates      []time.Time `json:"exDates,omitempty"`
	RecurrenceID time.Time   `json:"recurrenceId,omitzero"`

	// OrganizerID and CalendarID (the organizer's object id and the booking
	// calendar) let the reminder of an occurrence find the next one.
	OrganizerID string `json:"organizerId,omitempty"`
	CalendarID  string `json:"calendarId,omitempty"`
}

// EventNotice is the payload of event.created, event.updated and event.deleted.
type EventNotice struct {
	Event      EventInfo   `json:"event"`
	Recipients []Recipient `json:"recipients"`
	Actor      Person      `json:"actor,omitzero"`
	Changes    []string    `json:"changes,omitempty"` // event.updated: the changed fields
}

// ReservationNotice is the payload of every reservation.* message. Recipients is
// normally the organizer alone; Reason explains a decline, cancellation or release.
type ReservationNotice struct {
	Reservation ReservationInfo `json:"reservation"`
	Recipients  []Recipient     `json:"recipients"`
	Actor       Person          `json:"actor,omitzero"`
	Reason      string          `json:"reason,omitempty"`
	// Withdraws says that the organizer holds a confirmed invitation this
	// message withdraws: a confirmed reservation moved into a room that
	// requires approval is pending again, and its "pending" mail carries the
	// CANCEL of that invitation.
	Withdraws bool `json:"withdraws,omitempty"`
}

// ApprovalRequest is the payload of approval.requested: a reservation of a room
// that needs approval, sent to the room's managers.
type ApprovalRequest struct {
	Reservation ReservationInfo `json:"reservation"`
	Managers    []Recipient     `json:"managers"`
	ApproveURL  string          `json:"approveUrl,omitempty"`
}

// Reminder is the payload of reminder, usually scheduled ahead of the start. It
// carries exactly one of Event and Reservation. Whoever changes or deletes the event
// cancels the scheduled reminder (Publisher.CancelScheduled) and schedules a new one,
// so the snapshot it carries is current when it fires.
type Reminder struct {
	Event       *EventInfo       `json:"event,omitempty"`
	Reservation *ReservationInfo `json:"reservation,omitempty"`
	Recipients  []Recipient      `json:"recipients"`
}

// CalendarCopy is the payload of calendar.copy: one step of a job copying events
// between calendars. It sends no mail; the Processor hands it to its StepRunner.
type CalendarCopy struct {
	JobID            string   `json:"jobId"`
	Step             int      `json:"step"`  // 1-based
	Steps            int      `json:"steps"` // total
	SourceCalendarID string   `json:"sourceCalendarId"`
	TargetCalendarID string   `json:"targetCalendarId"`
	EventIDs         []string `json:"eventIds"`
	Requester        Person   `json:"requester,omitzero"`
}

// JobCompleted is the payload of job.completed, sent to whoever started the job.
type JobCompleted struct {
	JobID     string    `json:"jobId"`
	Kind      string    `json:"kind"` // say "calendar.copy"
	Requester Recipient `json:"requester"`
	Succeeded int       `json:"succeeded"`
	Failed    int       `json:"failed"`
	Summary   string    `json:"summary,omitempty"`
	URL       string    `json:"url,omitempty"`
}

func validZone(v *teamspro.Validation, field, zone string) {
	if !v.Check(zone != "", field, "required") {
		return
	}
	if _, err := time.LoadLocation(zone); err != nil {
		v.Add(field, "unknown IANA time zone")
	}
}

func (e EventInfo) validate(v *teamspro.Validation, prefix string) {
	v.Check(e.ID != "", prefix+".id", "required")
	v.Check(strings.TrimSpace(e.Title) != "", prefix+".title", "required")
	v.Check(!e.Start.IsZero(), prefix+".start", "required")
	v.Check(!e.End.IsZero(), prefix+".end", "required")
	v.Check(!e.End.Before(e.Start), prefix+".end", "before start")
	validZone(v, prefix+".timeZone", e.TimeZone)
}

func (r ReservationInfo) validate(v *teamspro.Validation, prefix string) {
	v.Check(r.ID != "", prefix+".id", "required")
	v.Check(r.RoomID != "", prefix+".roomId", "required")
	v.Check(r.RoomName != "", prefix+".roomName", "required")
	v.Check(!r.Start.IsZero(), prefix+".start", "required")
	v.Check(r.End.After(r.Start), prefix+".end", "not after start")
	validZone(v, prefix+".timeZone", r.TimeZone)
}

// validRecipients checks the list's shape only: one malformed address is a permanent
// failure of that recipient's mail, not of the whole message, so that the others
// still receive theirs.
func validRecipients(v *teamspro.Validation, field string, rs []Recipient) {
	v.Check(len(rs) > 0, field, "at least one recipient")
}

// Validate implements Payload.
func (p *EventNotice) Validate() error {
	var v teamspro.Validation
	p.Event.validate(&v, "event")
	validRecipients(&v, "recipients", p.Recipients)
	return v.Err()
}

// Validate implements Payload.
func (p *ReservationNotice) Validate() error {
	var v teamspro.Validation
	p.Reservation.validate(&v, "reservation")
	validRecipients(&v, "recipients", p.Recipients)
	return v.Err()
}

// Validate implements Payload.
func (p *ApprovalRequest) Validate() error {
	var v teamspro.Validation
	p.Reservation.validate(&v, "reservation")
	validRecipients(&v, "managers", p.Managers)
	return v.Err()
}

// Validate implements Payload.
func (p *Reminder) Validate() error {
	var v teamspro.Validation
	switch {
	case p.Event != nil && p.Reservation == nil:
		p.Event.validate(&v, "event")
	case p.Reservation != nil && p.Event == nil:
		p.Reservation.validate(&v, "reservation")
	default:
		v.Add("event", "exactly one of event and reservation")
	}
	validRecipients(&v, "recipients", p.Recipients)
	return v.Err()
}

// Validate implements Payload.
func (p *CalendarCopy) Validate() error {
	var v teamspro.Validation
	v.Check(p.JobID != "", "jobId", "required")
	v.Check(p.Step >= 1 && p.Step <= p.Steps, "step", "between 1 and steps")
	v.Check(p.SourceCalendarID != "", "sourceCalendarId", "required")
	v.Check(p.TargetCalendarID != "", "targetCalendarId", "required")
	return v.Err()
}

// Validate implements Payload.
func (p *JobCompleted) Validate() error {
	var v teamspro.Validation
	v.Check(p.JobID != "", "jobId", "required")
	v.Check(p.Kind != "", "kind", "required")
	v.Check(p.Requester.Email != "", "requester.email", "required")
	v.Check(p.Succeeded >= 0 && p.Failed >= 0, "succeeded", "negative count")
	return v.Err()
}

// validEmail reports whether s is a bare email address (no display name).
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}
