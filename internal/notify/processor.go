package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// InviteFunc returns the iCalendar invite of msg (one VCALENDAR for every recipient
// of the message) and its iTIP method. The Processor calls it only for the types
// InviteMethod names, so it may assume msg carries an event or a reservation. It
// returns a nil ics when there is nothing to attach, EINVALID when the message
// cannot be expressed as an invite (permanent), anything else for a transient or
// internal failure. The lead injects the function built on internal/ical.
type InviteFunc func(msg Message) (ics []byte, method string, err error)

// inviteMethod is InviteMethod for one message: a pending reservation's mail
// that withdraws a confirmed invitation carries its CANCEL.
func inviteMethod(msg Message) string {
	if m := InviteMethod(msg.Type); m != "" {
		return m
	}
	if n, ok := msg.Body.(*ReservationNotice); ok && n.Withdraws {
		return "CANCEL"
	}
	return ""
}

// InviteMethod returns the iTIP method of the invite a message of type t carries,
// and "" when its mail carries none. A pending reservation gets no invite (the room
// is not the organizer's yet), so a declined one has nothing to cancel; a reminder
// refers to an invite already sent.
func InviteMethod(t Type) string {
	switch t {
	case TypeEventCreated, TypeEventUpdated, TypeReservationConfirmed, TypeReservationApproved:
		return "REQUEST"
	case TypeEventDeleted, TypeReservationCancelled, TypeReservationReleased:
		return "CANCEL"
	}
	return ""
}

// Directory finds what a message does not carry. Payloads are self-contained (see
// Processor), so this is only asked for a recipient's time zone when the producer
// did not know it.
type Directory interface {
	// TimeZone returns the IANA zone in which the user with email reads dates.
	// Returns ENOTFOUND when unknown (the Processor falls back to the event's zone),
	// EUNAVAILABLE when the directory cannot be reached.
	TimeZone(ctx context.Context, tenantID, email string) (string, error)
}

// StepRunner runs the job steps that travel on the notification queue.
type StepRunner interface {
	// RunCalendarCopy performs one step of a calendar copy. It must be idempotent:
	// a step may run again after a crash (write copies under ids derived from the job
	// and the source event). Returns EINVALID when the step can never succeed (the
	// source calendar is gone): permanent; EUNAVAILABLE to be retried.
	RunCalendarCopy(ctx context.Context, env Envelope, step *CalendarCopy) error
}

// ProcessorConfig holds the dependencies of a Processor.
type ProcessorConfig struct {
	Mailer Mailer  // required
	Marks  Marks   // required
	From   Address // required: the sender of every mail
	// Invite builds calendar invites; without it mails carry none.
	Invite InviteFunc
	// Directory resolves missing recipient time zones; optional.
	Directory Directory
	// Steps runs calendar.copy steps. Without it such a message fails with EINTERNAL:
	// it is retried and dead-lettered, kept until a binary that can run it replays it.
	Steps StepRunner
	// MaxUnconfirmed bounds the sends begun for one mail whose outcome never became
	// known (default 2: at most one duplicate after a crash between send and mark).
	MaxUnconfirmed int
	// ClaimLease is how long a MarkSending written by one broker message keeps
	// another message with the same MessageId (a relay's second publish) from
	// sending the same mail (default 5 minutes, the longest a delivery is held).
	ClaimLease time.Duration
	Clock      teamspro.Clock // default time.Now
	Logger     *slog.Logger   // default slog.Default()
}

// Processor turns one received notification into emails. The Service Bus trigger
// (and the in-process Queue locally) calls Process once per delivery.
//
// Self-contained payloads. A message carries every fact its mails need (the event
// snapshot, the recipients with their time zones), so that the consumer reads no
// domain storage: an event.deleted message cannot look its event up anyway, a mail
// shows the event as it was when the change happened rather than as it is minutes
// later (a second change publishes its own message), the consumer needs no tenant
// authorization logic, and a storage outage delays no mail. The price is message size,
// bounded by the event limits (a title of 100, a description of 250 characters) and
// the participant list.
//
// Idempotency. Delivery is at least once, and a custom handler cannot settle a
// message, so the Processor keeps a mark per message and recipient (see Marks):
//
//  1. no mark, or MarkRetry: write MarkSending with Attempts+1, then send;
//  2. accepted: write MarkSent. Refused by the service (DetailNotSent): write
//     MarkRetry with the attempt uncounted, and fail transiently. Invalid (EINVALID):
//     write MarkFailed. Unknown outcome (timeout): leave MarkSending, fail transiently;
//  3. a redelivery finding MarkSent or MarkFailed skips that mail; finding
//     MarkSending, it cannot know whether the mail went out (the process may have died
//     after the send and before the mark), so it sends again only while Attempts <
//     MaxUnconfirmed, and otherwise records MarkFailed ("unconfirmed").
//
// So a mail goes out at most MaxUnconfirmed times, whatever crashes; it can be lost
// only after MaxUnconfirmed unconfirmed attempts. Marks are written with optimistic
// concurrency: if two deliveries of one message claim at the same moment, the second
// finds ECONFLICT and fails transiently instead of sending twice.
//
// One MessageId may also travel in two broker messages: a relay that cannot tell
// whether its first publish went out publishes again. Their deliveries can be in
// hand at the same time, so a MarkSending names its holder (the broker's
// SequenceNumber): a delivery of another broker message that finds a claim younger
// than ClaimLease does not treat it as a crash but fails transiently and comes back
// later, when it finds MarkSent. Only the holder's own redelivery, or anyone after
// the lease, may count the claim as an unconfirmed attempt.
//
// Errors. Process returns an error (the trigger answers non-2xx, the host redelivers
// and eventually dead-letters) for transient failures, with code EUNAVAILABLE (mail
// service throttling or down, storage unreachable), and for internal ones (EINTERNAL:
// a bug or a missing dependency). A permanent failure (an unknown type or version, a
// malformed payload, an invalid recipient) is recorded as MarkFailed and returns nil
// with Result.Permanent or a failed recipient, since retrying cannot help.
type Processor struct {
	mailer         Mailer
	marks          Marks
	from           Address
	invite         InviteFunc
	dir            Directory
	steps          StepRunner
	maxUnconfirmed int
	claimLease     time.Duration
	now            teamspro.Clock
	log            *slog.Logger
}

// NewProcessor checks cfg and returns a Processor. Returns EINTERNAL when a required
// dependency is missing.
func NewProcessor(cfg ProcessorConfig) (*Processor, error) {
	switch {
	case cfg.Mailer == nil:
		return nil, teamspro.Errorf(teamspro.EINTERNAL, "notify.NewProcessor: a Mailer is required")
	case cfg.Marks == nil:
		return nil, teamspro.Errorf(teamspro.EINTERNAL, "notify.NewProcessor: Marks are required")
	case !validEmail(cfg.From.Email):
		return nil, teamspro.Errorf(teamspro.EINTERNAL, "notify.NewProcessor: the sender %q is not an email address", cfg.From.Email)
	}
	p := &Processor{
		mailer: cfg.Mailer, marks: cfg.Marks, from: cfg.From, invite: cfg.Invite,
		dir: cfg.Directory, steps: cfg.Steps, maxUnconfirmed: cfg.MaxUnconfirmed,
		claimLease: cfg.ClaimLease, now: cfg.Clock, log: cfg.Logger,
	}
	if p.maxUnconfirmed <= 0 {
		p.maxUnconfirmed = 2
	}
	if p.claimLease <= 0 {
		p.claimLease = 5 * time.Minute
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.log == nil {
		p.log = slog.Default()
	}
	return p, nil
}

// Outcome is what happened to one mail (or job step) of a message.
type Outcome string

// Outcomes of a mail.
const (
	OutcomeSent      Outcome = "sent"      // accepted by the mailer now
	OutcomeDuplicate Outcome = "duplicate" // already sent by an earlier delivery
	OutcomeFailed    Outcome = "failed"    // failed permanently (now or earlier)
	OutcomeDone      Outcome = "done"      // a job step ran
)

// RecipientResult is the outcome of one mail of a message.
type RecipientResult struct {
	Email   string
	Outcome Outcome
	Reason  string
}

// Result reports what Process did, for the trigger's logs and answer.
type Result struct {
	MessageID     string
	Type          Type
	TenantID      string
	DeliveryCount int
	// Permanent is set when the message as a whole failed permanently and was recorded
	// as such: it will never be processed again. Reason says why.
	Permanent  bool
	Reason     string
	Recipients []RecipientResult // mails in the order tried; after a transient error, those tried so far
	// Payload is the decoded message, for what the caller does next (a
	// series reminder schedules the next one); nil if it did not decode.
	Payload Payload `json:"-"`
}

// Count returns how many mails had outcome o.
func (r Result) Count(o Outcome) int {
	n := 0
	for _, rr := range r.Recipients {
		if rr.Outcome == o {
			n++
		}
	}
	return n
}

// Process handles one delivery. See Processor for the errors and the idempotency
// design. Result is meaningful with and without an error.
func (p *Processor) Process(ctx context.Context, d Delivery) (Result, error) {
	res := Result{MessageID: d.MessageID, DeliveryCount: d.DeliveryCount}
	msg, err := Decode(d.Body)
	res.Type, res.TenantID = msg.Type, msg.TenantID
	if d.MessageID == "" {
		// Without a MessageId a delivery cannot be told from a redelivery, so
		// it is never mailed: it is recorded as failed under a key made of its
		// body, and reported permanent, so the host neither retries it nor
		// dead-letters it.
		sum := sha256.Sum256(d.Body)
		res.MessageID = "no-message-id-" + hex.EncodeToString(sum[:16])
		return p.failMessage(ctx, res, teamspro.Errorf(teamspro.EINVALID, "The message has no MessageId."))
	}
	if err != nil {
		return p.failMessage(ctx, res, err)
	}
	res.Payload = msg.Body
	if msg.ID != res.MessageID {
		p.log.Warn("notification id differs from its message id", "messageId", res.MessageID, "envelopeId", msg.ID)
	}
	if step, ok := msg.Body.(*CalendarCopy); ok {
		return p.runStep(ctx, res, msg, step)
	}

	var cal *Calendar
	if inviteMethod(msg) != "" && p.invite != nil {
		ics, method, err := p.invite(msg)
		switch {
		case teamspro.ErrorCode(err) == teamspro.EINVALID:
			return p.failMessage(ctx, res, err)
		case err != nil:
			return res, transient(err, "The invite of %s cannot be built.", msg)
		case len(ics) > 0:
			cal = &Calendar{Method: method, Content: ics}
		}
	}

	for _, r := range recipientsOf(msg) {
		rr, err := p.sendOne(ctx, msg, d, r, cal)
		if err != nil {
			return res, err
		}
		res.Recipients = append(res.Recipients, rr)
	}
	return res, nil
}

// failMessage records a permanent failure of the whole message and reports success,
// so that the host does not redeliver what can never be processed.
func (p *Processor) failMessage(ctx context.Context, res Result, cause error) (Result, error) {
	res.Permanent, res.Reason = true, teamspro.ErrorMessage(cause)
	if te := (*teamspro.Error)(nil); errors.As(cause, &te) && len(te.Fields) > 0 {
		for _, f := range te.Fields {
			res.Reason += " " + f.Field + ": " + f.Reason + "."
		}
	}
	p.log.Warn("notification failed permanently", "messageId", res.MessageID, "type", res.Type,
		"tenantId", res.TenantID, "deliveryCount", res.DeliveryCount, "reason", res.Reason)
	if res.MessageID == "" {
		return res, nil // nothing to key a mark on; redelivery fails the same way
	}
	key := MarkKey{TenantID: res.TenantID, MessageID: res.MessageID}
	if err := p.record(ctx, key, Mark{State: MarkFailed, Reason: res.Reason}); err != nil {
		return res, err
	}
	return res, nil
}

func (p *Processor) runStep(ctx context.Context, res Result, msg Message, step *CalendarCopy) (Result, error) {
	if p.steps == nil {
		return res, teamspro.Errorf(teamspro.EINTERNAL, "No step runner is configured for %s messages.", msg.Type)
	}
	key := MarkKey{TenantID: msg.TenantID, MessageID: res.MessageID}
	m, err := p.getMark(ctx, key)
	if err != nil {
		return res, err
	}
	switch m.State {
	case MarkSent:
		res.Recipients = []RecipientResult{{Outcome: OutcomeDuplicate}}
		return res, nil
	case MarkFailed:
		res.Permanent, res.Reason = true, m.Reason
		return res, nil
	}
	err = p.steps.RunCalendarCopy(ctx, msg.Envelope, step)
	switch code := teamspro.ErrorCode(err); {
	case code == teamspro.EINVALID:
		return p.failMessage(ctx, res, err)
	case err != nil:
		return res, transient(err, "Step %d of job %s failed.", step.Step, step.JobID)
	}
	m.State, m.Updated = MarkSent, p.now()
	if _, err := p.marks.Put(ctx, key, m); err != nil && teamspro.ErrorCode(err) != teamspro.ECONFLICT {
		// The step is idempotent: running it again on redelivery is safe.
		return res, transient(err, "The step of %s cannot be marked done.", msg)
	}
	res.Recipients = []RecipientResult{{Outcome: OutcomeDone}}
	return res, nil
}

// sendOne sends the mail of msg to r at most MaxUnconfirmed times over all
// deliveries. A returned error is transient or internal; permanent failures are
// recorded and reported in the RecipientResult.
func (p *Processor) sendOne(ctx context.Context, msg Message, d Delivery, r Recipient, cal *Calendar) (RecipientResult, error) {
	msgID := d.MessageID
	rr := RecipientResult{Email: r.Email}
	key := MarkKey{TenantID: msg.TenantID, MessageID: msgID, Part: strings.ToLower(r.Email)}
	fail := func(m Mark, reason string) (RecipientResult, error) {
		m.State, m.Reason, m.Updated = MarkFailed, reason, p.now()
		if _, err := p.marks.Put(ctx, key, m); err != nil {
			return rr, transient(err, "The failure of %s to a recipient cannot be recorded.", msg)
		}
		rr.Outcome, rr.Reason = OutcomeFailed, reason
		p.log.Warn("notification mail failed permanently", "messageId", msgID, "type", msg.Type, "tenantId", msg.TenantID, "reason", reason)
		return rr, nil
	}

	m, err := p.getMark(ctx, key)
	if err != nil {
		return rr, err
	}
	switch m.State {
	case MarkSent:
		rr.Outcome = OutcomeDuplicate
		return rr, nil
	case MarkFailed:
		rr.Outcome, rr.Reason = OutcomeFailed, m.Reason
		return rr, nil
	case MarkSending:
		if m.Holder != 0 && d.SequenceNumber != 0 && m.Holder != d.SequenceNumber && p.now().Sub(m.Updated) < p.claimLease {
			return rr, teamspro.Errorf(teamspro.EUNAVAILABLE, "Another delivery of %s is sending its mail to a recipient.", msg)
		}
		if m.Attempts >= p.maxUnconfirmed {
			return fail(m, "not sent again: the outcome of earlier attempts is unknown and sending again could duplicate the mail")
		}
	}
	if !validEmail(r.Email) {
		return fail(m, "the recipient address is invalid")
	}

	loc, err := p.location(ctx, msg, r)
	if err != nil {
		return rr, err
	}
	content, err := render(msg, loc)
	if err != nil {
		return rr, err
	}
	mail := Mail{
		From:    p.from,
		To:      []Address{{Name: r.Name, Email: r.Email}},
		Subject: content.Subject,
		Text:    content.Text,
		HTML:    content.HTML,
		Headers: map[string]string{
			"Auto-Submitted":          "auto-generated", // RFC 3834: no vacation replies
			"X-TeamsPro-Notification": string(msg.Type),
			"X-TeamsPro-Message-Id":   msgID,
		},
		IdempotencyKey: IdempotencyKey(msgID, r.Email),
	}
	if cal != nil {
		mail.Calendar = cal
		mail.Attachments = []Attachment{{Filename: "invite.ics", ContentType: "application/ics", Content: cal.Content}}
	}

	// Claim the attempt before sending: from here a crash counts against the bound.
	m.State, m.Attempts, m.Reason, m.Updated, m.Holder = MarkSending, m.Attempts+1, "", p.now(), d.SequenceNumber
	if m.ETag, err = p.marks.Put(ctx, key, m); err != nil {
		return rr, transient(err, "The mail of %s cannot be marked as sending.", msg)
	}
	sendErr := p.mailer.Send(ctx, mail)
	if sendErr == nil {
		m.State, m.Updated = MarkSent, p.now()
		if _, err := p.marks.Put(ctx, key, m); err != nil {
			// The mail went; a redelivery finds MarkSending and may send once more,
			// within the bound.
			return rr, transient(err, "The mail of %s was sent but cannot be marked as sent.", msg)
		}
		rr.Outcome = OutcomeSent
		return rr, nil
	}
	if teamspro.ErrorCode(sendErr) == teamspro.EINVALID {
		return fail(m, teamspro.ErrorMessage(sendErr))
	}
	if te := (*teamspro.Error)(nil); errors.As(sendErr, &te) && te.Detail == DetailNotSent {
		m.State, m.Attempts, m.Updated = MarkRetry, m.Attempts-1, p.now()
		if _, err := p.marks.Put(ctx, key, m); err != nil {
			// The attempt stays counted: conservative, never a duplicate.
			p.log.Warn("a refused mail cannot be marked for retry", "messageId", msgID, "error", err.Error())
		}
	}
	return rr, transient(sendErr, "The mail of %s cannot be sent now.", msg)
}

// record writes mark m under key whatever is stored, re-reading on a concurrent change.
func (p *Processor) record(ctx context.Context, key MarkKey, m Mark) error {
	m.Updated = p.now()
	for range 3 {
		cur, err := p.getMark(ctx, key)
		if err != nil {
			return err
		}
		m.ETag, m.Attempts = cur.ETag, cur.Attempts
		_, err = p.marks.Put(ctx, key, m)
		if teamspro.ErrorCode(err) != teamspro.ECONFLICT {
			if err != nil {
				return transient(err, "The failure of message %q cannot be recorded.", key.MessageID)
			}
			return nil
		}
	}
	return teamspro.Errorf(teamspro.EUNAVAILABLE, "The mark of message %q keeps changing.", key.MessageID)
}

// getMark returns the mark under key, the zero Mark when there is none.
func (p *Processor) getMark(ctx context.Context, key MarkKey) (Mark, error) {
	m, err := p.marks.Get(ctx, key)
	switch teamspro.ErrorCode(err) {
	case "":
		return m, nil
	case teamspro.ENOTFOUND:
		return Mark{}, nil
	}
	return Mark{}, transient(err, "The mark of message %q cannot be read.", key.MessageID)
}

// location returns the zone r reads dates in: the payload's, the directory's, or
// the zone of the event or room.
func (p *Processor) location(ctx context.Context, msg Message, r Recipient) (*time.Location, error) {
	if r.TimeZone != "" {
		if loc, err := time.LoadLocation(r.TimeZone); err == nil {
			return loc, nil
		}
	}
	if p.dir != nil {
		tz, err := p.dir.TimeZone(ctx, msg.TenantID, r.Email)
		switch teamspro.ErrorCode(err) {
		case "":
			if loc, err := time.LoadLocation(tz); err == nil {
				return loc, nil
			}
		case teamspro.ENOTFOUND:
		default:
			return nil, transient(err, "The time zone of a recipient of %s cannot be read.", msg)
		}
	}
	return zone(subjectZone(msg)), nil
}

// subjectZone is the zone of the event or room a message is about ("" for none: UTC).
func subjectZone(msg Message) string {
	switch b := msg.Body.(type) {
	case *EventNotice:
		return b.Event.TimeZone
	case *ReservationNotice:
		return b.Reservation.TimeZone
	case *ApprovalRequest:
		return b.Reservation.TimeZone
	case *Reminder:
		if b.Event != nil {
			return b.Event.TimeZone
		}
		return b.Reservation.TimeZone
	}
	return "UTC"
}

// recipientsOf lists who gets a mail of msg, each address once.
func recipientsOf(msg Message) []Recipient {
	var rs []Recipient
	switch b := msg.Body.(type) {
	case *EventNotice:
		rs = b.Recipients
	case *ReservationNotice:
		rs = b.Recipients
	case *ApprovalRequest:
		rs = b.Managers
	case *Reminder:
		rs = b.Recipients
	case *JobCompleted:
		rs = []Recipient{b.Requester}
	}
	seen := map[string]bool{}
	out := make([]Recipient, 0, len(rs))
	for _, r := range rs {
		k := strings.ToLower(strings.TrimSpace(r.Email))
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, r)
	}
	return out
}

// IdempotencyKey is the key of the mail of message msgID to email: stable across
// redeliveries, opaque (it reveals no address) and safe in a file name or header.
func IdempotencyKey(msgID, email string) string {
	sum := sha256.Sum256([]byte(msgID + "\n" + strings.ToLower(email)))
	return hex.EncodeToString(sum[:16])
}

// transient wraps err as EUNAVAILABLE unless it already carries EUNAVAILABLE or
// EINTERNAL (kept: a bug is not an outage, even though both are retried).
func transient(err error, format string, args ...any) error {
	switch teamspro.ErrorCode(err) {
	case teamspro.EUNAVAILABLE:
		return teamspro.Wrap(teamspro.EUNAVAILABLE, err, format, args...)
	case teamspro.EINTERNAL:
		var te *teamspro.Error
		if errors.As(err, &te) {
			return err
		}
	}
	return teamspro.Wrap(teamspro.EUNAVAILABLE, err, format, args...)
}
