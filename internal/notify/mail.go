package notify

import (
	"context"
	"net/mail"
)

// Address is a mailbox: a display name and an email address.
type Address struct {
	Name  string
	Email string
}

// String formats a as an RFC 5322 address, quoting the name where needed.
func (a Address) String() string {
	return (&mail.Address{Name: a.Name, Address: a.Email}).String()
}

// Calendar is the text/calendar alternative part of a mail: mail clients (Outlook,
// Gmail) show Accept/Decline buttons for it and update the calendar entry in place,
// matched by the invite's UID and SEQUENCE.
type Calendar struct {
	Method  string // iTIP method: REQUEST, CANCEL, ...
	Content []byte // the VCALENDAR object
}

// Attachment is a file attached to a mail.
type Attachment struct {
	Filename    string
	ContentType string
	Content     []byte
}

// Mail is one email, independent of how it is sent. Text and HTML are alternatives
// of the same content; Calendar, when set, is a third alternative and is usually
// also attached as an .ics file for clients that ignore it.
type Mail struct {
	From        Address
	To          []Address
	Subject     string
	Text        string
	HTML        string
	Calendar    *Calendar
	Attachments []Attachment
	Headers     map[string]string
	// IdempotencyKey is stable across redeliveries of the same notification to the
	// same recipient. Mailers pass it on where the service keeps it (a SendGrid custom
	// argument, the .eml file name) so that a duplicate can be traced to its cause.
	IdempotencyKey string
}

// DetailNotSent is the Detail of a Mailer error that proves the mail was not
// accepted (the service answered with a refusal, say a 429 or a 503), as opposed to an
// error after which the mail may or may not have gone (a timeout, a reset
// connection). The Processor does not count a proven refusal against its bound on
// unconfirmed sends.
const DetailNotSent = "not_sent"

// Mailer sends one mail. The SendGrid adapter and the outbox folder implement it.
type Mailer interface {
	// Send sends m. Returns EINVALID when the mail can never be sent as it is (an
	// invalid recipient or sender): permanent. Returns EUNAVAILABLE when the service
	// is down, throttles or cannot be reached: transient, retry later; with Detail
	// DetailNotSent when the mail is known not to have been accepted. Returns
	// EINTERNAL for anything else (a bug, a misconfiguration): the message is retried
	// and dead-lettered, and kept for a fix.
	Send(ctx context.Context, m Mail) error
}
