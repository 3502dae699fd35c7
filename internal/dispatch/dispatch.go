// Package dispatch is the notification policy of the product: the one place
// that turns the typed changes of the domain services (calendar.Change,
// booking.Change) and the end of jobs into messages of the notification
// catalogue (internal/notify). It decides who is mailed (recipients from
// participants and profiles, the tab's toggles, a room's managers), what
// their invitations say, which reminders are scheduled or cancelled, and
// when a manager is asked to approve. Rules says, for every kind of change,
// which messages it may publish or why it deliberately publishes none. The
// HTTP functions only hand changes over; they never decide who is mailed.
//
// It imports no Azure SDK: it publishes through notify.Publisher and keeps
// what it must remember (scheduled reminders, refused messages) through the
// small store interfaces below.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/directory"
	"github.com/teamspro/functions/internal/job"
	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/teamspro"
)

// Profiles finds users' mail addresses: the UPN of their last sign-in, which
// is their mail address in most organizations. directory.Store is one.
type Profiles interface {
	// Profile returns one user's profile; ENOTFOUND if they never signed in.
	Profile(ctx context.Context, tenantID, objectID string) (directory.Profile, error)
}

// Tabs finds the tab of a calendar (its notification toggles and reminder
// lead). tab.Store is one.
type Tabs interface {
	// ByCalendar returns the tab owning the calendar; ENOTFOUND if none.
	ByCalendar(ctx context.Context, tenantID, calendarID string) (*tab.Tab, error)
}

// Events reads what a series' invitation and next reminder need.
type Events interface {
	// Get returns a live event or series; ENOTFOUND if it is gone.
	Get(ctx context.Context, tenantID, calendarID, eventID string) (calendar.Event, error)
	// Exceptions returns the exceptions of one series (none if it has none).
	Exceptions(ctx context.Context, tenantID, calendarID, seriesID string) ([]calendar.Exception, error)
}

// Rooms finds a room's managers, who approve its reservations.
type Rooms interface {
	// Get returns a room; ENOTFOUND if there is none.
	Get(ctx context.Context, tenantID, roomID string) (*booking.Room, error)
}

// Reservations finds the occurrences of a recurring booking, which has one
// reminder scheduled at a time. booking.ReservationStore is one.
type Reservations interface {
	// ByOrganizer returns a user's reservations ending after from and starting before to.
	ByOrganizer(ctx context.Context, tenantID, objectID string, from, to time.Time) ([]*booking.Reservation, error)
}

// Outbox keeps messages the queue refused, until FlushOutbox queues them.
type Outbox interface {
	// Add keeps one encoded message of the tenant.
	Add(ctx context.Context, tenantID, messageID string, body []byte) error
	// Each calls fn with every kept message and forgets those fn accepts.
	Each(ctx context.Context, fn func(body []byte) error) (int, error)
}

// Reminders records the scheduled reminder messages of each event and
// reservation, so that a move or a delete cancels them.
type Reminders interface {
	// Get returns the sequence numbers scheduled for key; none when there are none.
	Get(ctx context.Context, tenantID, key string) ([]int64, error)
	// Put records the sequence numbers now scheduled for key; none forgets key.
	Put(ctx context.Context, tenantID, key string, seqs []int64) error
	// All returns every sequence number scheduled for the tenant.
	All(ctx context.Context, tenantID string) ([]int64, error)
}

// EventOutbox is where the outgoing records of calendar changes wait, written
// by calendar.Store in each change's own batch. tables.EventStore is one.
type EventOutbox interface {
	// Outgoing returns the records of every tenant recorded before before.
	Outgoing(ctx context.Context, before time.Time) ([]calendar.Outgoing, error)
	// DoneOutgoing deletes an announced record; a deleted one is done too.
	DoneOutgoing(ctx context.Context, o calendar.Outgoing) error
}

// EventProjection is a read model kept in step with calendar changes (the
// busy index of "find a time"): the relay hands it every recorded change's
// event before it deletes the record, so it sees each change at least once,
// possibly late, twice or out of order, and must read the event as stored.
// It is the calendar's Projection, which copy jobs feed too.
type EventProjection = calendar.Projection

// Config holds a Dispatcher's dependencies.
type Config struct {
	Publisher notify.Publisher // required
	Profiles  Profiles         // required
	Tabs      Tabs             // required
	Events    Events           // required
	Rooms     Rooms            // required
	Outgoing  EventOutbox      // required: the calendar changes to announce
	Outbox    Outbox           // optional: without it a refused message is an error
	Reminders Reminders        // optional: without it no reminder is scheduled
	// Reservations (optional) lets a recurring booking's reminders follow
	// one another; without it only the first occurrence is reminded.
	Reservations Reservations
	// Projections are kept in step with every announced calendar change
	// (optional); a failing one keeps the record for the next relay.
	Projections []EventProjection
	Now         teamspro.Clock // default time.Now
	Logger      *slog.Logger   // default slog.Default()
}

// Dispatcher applies the notification policy. Its methods run after the
// change they announce is stored: an error never undoes the change.
type Dispatcher struct {
	pub          notify.Publisher
	profiles     Profiles
	tabs         Tabs
	events       Events
	rooms        Rooms
	outbox       Outbox
	reminders    Reminders
	outgoing     EventOutbox
	reservations Reservations
	projs        []EventProjection
	now          teamspro.Clock
	log          *slog.Logger

	// relays counts the announcements running after their requests, which
	// Close waits for.
	relays sync.WaitGroup
}

// New checks cfg and returns a Dispatcher.
func New(cfg Config) (*Dispatcher, error) {
	var missing []error
	if cfg.Publisher == nil {
		missing = append(missing, errors.New("publisher"))
	}
	if cfg.Profiles == nil {
		missing = append(missing, errors.New("profiles"))
	}
	if cfg.Tabs == nil {
		missing = append(missing, errors.New("tabs"))
	}
	if cfg.Events == nil {
		missing = append(missing, errors.New("events"))
	}
	if cfg.Rooms == nil {
		missing = append(missing, errors.New("rooms"))
	}
	if cfg.Outgoing == nil {
		missing = append(missing, errors.New("event outbox"))
	}
	if len(missing) > 0 {
		return nil, errors.Join(append([]error{errors.New("dispatch: missing dependencies")}, missing...)...)
	}
	d := &Dispatcher{pub: cfg.Publisher, profiles: cfg.Profiles, tabs: cfg.Tabs, events: cfg.Events, rooms: cfg.Rooms,
		outbox: cfg.Outbox, reminders: cfg.Reminders, outgoing: cfg.Outgoing, reservations: cfg.Reservations, projs: cfg.Projections, now: cfg.Now, log: cfg.Logger}
	if d.now == nil {
		d.now = time.Now
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	return d, nil
}

// Kind names a kind of change for the policy: its domain and its own kind
// ("event.created", "reservation.checked_in").
type Kind string

// EventKind is the policy's name of a calendar change kind.
func EventKind(k calendar.ChangeKind) Kind { return Kind("event." + string(k)) }

// ReservationKind is the policy's name of a booking change kind.
func ReservationKind(k booking.ChangeKind) Kind { return Kind("reservation." + string(k)) }

// Rule is what the dispatcher does with one kind of change: the messages it
// may publish (which ones depends on the change: a pending reservation is
// told "pending", a confirmed one "confirmed"), or, when it publishes none,
// why. Reminders are rescheduled on every change whatever its rule.
type Rule struct {
	Messages []notify.Type
	Silent   string
}

// rules is the policy, one entry for every kind the domains emit (a test
// enumerates calendar.ChangeKinds and booking.ChangeKinds against it), and
// the dispatcher refuses to publish a message its rule does not name.
var rules = map[Kind]Rule{
	EventKind(calendar.ChangeCreated):             {Messages: []notify.Type{notify.TypeEventCreated}},
	EventKind(calendar.ChangeUpdated):             {Messages: []notify.Type{notify.TypeEventUpdated}},
	EventKind(calendar.ChangeDeleted):             {Messages: []notify.Type{notify.TypeEventDeleted}},
	EventKind(calendar.ChangeRestored):            {Messages: []notify.Type{notify.TypeEventCreated}},
	EventKind(calendar.ChangeOccurrenceChanged):   {Messages: []notify.Type{notify.TypeEventUpdated}},
	EventKind(calendar.ChangeOccurrenceCancelled): {Messages: []notify.Type{notify.TypeEventDeleted}},

	ReservationKind(booking.ChangeCreated):   {Messages: []notify.Type{notify.TypeReservationConfirmed, notify.TypeReservationPending, notify.TypeApprovalRequested}},
	ReservationKind(booking.ChangeUpdated):   {Messages: []notify.Type{notify.TypeReservationConfirmed, notify.TypeReservationPending, notify.TypeApprovalRequested}},
	ReservationKind(booking.ChangeCancelled): {Messages: []notify.Type{notify.TypeReservationCancelled}},
	ReservationKind(booking.ChangeApproved):  {Messages: []notify.Type{notify.TypeReservationApproved}},
	ReservationKind(booking.ChangeDeclined):  {Messages: []notify.Type{notify.TypeReservationDeclined}},
	ReservationKind(booking.ChangeCheckedIn): {Silent: "whoever checked in is there already: the time and room are unchanged, so no invitation changes and nobody else needs to know"},
	ReservationKind(booking.ChangeReleased):  {Messages: []notify.Type{notify.TypeReservationReleased}},
}

// Rules returns the policy: what each kind of change publishes, or why it
// publishes nothing.
func Rules() map[Kind]Rule {
	out := make(map[Kind]Rule, len(rules))
	for k, r := range rules {
		out[k] = Rule{Messages: slices.Clone(r.Messages), Silent: r.Silent}
	}
	return out
}

// publishFor publishes env for a change of kind k, after checking that k's
// rule names its type: the table, not the code around it, is the policy.
func (d *Dispatcher) publishFor(ctx context.Context, k Kind, env notify.Envelope) error {
	if !slices.Contains(rules[k].Messages, env.Type) {
		return teamspro.Errorf(teamspro.EINTERNAL, "The notification policy has no %s message for a %s change.", env.Type, k)
	}
	return d.Publish(ctx, env)
}

// Publish queues env. When the queue refuses it, the message is kept in the
// outbox and queued again by FlushOutbox, so that a queue outage delays mail
// instead of losing it.
func (d *Dispatcher) Publish(ctx context.Context, env notify.Envelope) error {
	err := d.pub.Publish(ctx, env)
	if err == nil || d.outbox == nil {
		return err
	}
	body, eerr := env.Encode()
	if eerr != nil {
		return eerr
	}
	if oerr := d.outbox.Add(ctx, env.TenantID, env.ID, body); oerr != nil {
		return fmt.Errorf("queue: %w; outbox: %v", err, oerr)
	}
	d.log.WarnContext(ctx, "message kept in the outbox; the queue refused it", "message", env.ID, "err", err)
	return nil
}

// FlushOutbox queues again the messages the queue refused earlier and
// returns how many it queued.
func (d *Dispatcher) FlushOutbox(ctx context.Context) (int, error) {
	if d.outbox == nil {
		return 0, nil
	}
	return d.outbox.Each(ctx, func(body []byte) error {
		env, err := notify.DecodeEnvelope(body)
		if err != nil {
			d.log.ErrorContext(ctx, "dropping an unreadable outbox message", "err", err)
			return nil
		}
		return d.pub.Publish(ctx, env)
	})
}

// recipient finds the mail address of a user from their profile; none when
// they never signed in or their UPN is not an address. When the user is the
// one who made the change, their token named them already: by saves the
// request a storage round trip.
func (d *Dispatcher) recipient(ctx context.Context, tenantID, objectID, zone string, by teamspro.Principal) (notify.Recipient, error) {
	if objectID == "" {
		return notify.Recipient{}, nil
	}
	if by.APIKeyID == "" && by.TenantID == tenantID && teamspro.NormalizeGUID(by.ObjectID) == teamspro.NormalizeGUID(objectID) && strings.Contains(by.UPN, "@") {
		return notify.Recipient{Name: by.Name, Email: by.UPN, TimeZone: zone}, nil
	}
	p, err := d.profiles.Profile(ctx, tenantID, objectID)
	if teamspro.ErrorCode(err) == teamspro.ENOTFOUND || (err == nil && !strings.Contains(p.UPN, "@")) {
		return notify.Recipient{}, nil
	}
	if err != nil {
		return notify.Recipient{}, err
	}
	return notify.Recipient{Name: p.Name, Email: p.UPN, TimeZone: zone}, nil
}

// JobCompleted mails whoever started a job that it is finished.
func (d *Dispatcher) JobCompleted(ctx context.Context, tenantID string, j *job.Job) error {
	to, err := d.recipient(ctx, tenantID, j.RequestedBy, "", teamspro.Principal{})
	if err != nil || to.Email == "" {
		return err
	}
	env, err := notify.NewEnvelope(notify.TypeJobCompleted, j.ID+"-done", tenantID, d.now(), &notify.JobCompleted{
		JobID: j.ID, Kind: j.Kind, Requester: to, Succeeded: j.Copied, Failed: j.Failed,
		Summary: fmt.Sprintf("%d of %d events copied", j.Copied, j.Total),
	})
	if err != nil {
		return err
	}
	return d.Publish(ctx, env)
}

// ForgetReminders cancels every reminder scheduled for the tenant: its
// organization's data is being purged.
func (d *Dispatcher) ForgetReminders(ctx context.Context, tenantID string) error {
	if d.reminders == nil {
		return nil
	}
	seqs, err := d.reminders.All(ctx, tenantID)
	if err != nil || len(seqs) == 0 {
		return err
	}
	return d.pub.CancelScheduled(ctx, seqs...)
}

// reschedule cancels the reminders scheduled for key and, when env is not nil
// and at is still ahead, schedules env at at. The cancel comes first: a moved
// event never reminds twice; if scheduling then fails, it reminds not at all,
// which the log says.
func (d *Dispatcher) reschedule(ctx context.Context, tenantID, key string, at time.Time, env *notify.Envelope) error {
	if d.reminders == nil {
		return nil
	}
	old, err := d.reminders.Get(ctx, tenantID, key)
	if err != nil {
		return err
	}
	if len(old) > 0 {
		if err := d.pub.CancelScheduled(ctx, old...); err != nil {
			return err
		}
	}
	var seqs []int64
	if env != nil && at.After(d.now()) {
		seq, err := d.pub.Schedule(ctx, *env, at)
		if err != nil {
			_ = d.reminders.Put(ctx, tenantID, key, nil)
			return err
		}
		seqs = []int64{seq}
	}
	if len(old) == 0 && len(seqs) == 0 {
		return nil
	}
	return d.reminders.Put(ctx, tenantID, key, seqs)
}

// sequenceOf is the iCalendar SEQUENCE of a reservation: its version, which
// every stored change raises, read from its ETag ("3" or W/"3").
func sequenceOf(etag string) int {
	n, _ := strconv.Atoi(strings.Trim(etag, `"W/`))
	return n
}

func newID() string { return uuid.NewString() }

// idSource names the messages of one announcement: derived from its record,
// so that announcing a record again publishes the same message ids.
type idSource struct {
	base string
	n    int
}

func (s *idSource) next() string {
	s.n++
	return fmt.Sprintf("%s.%d", s.base, s.n)
}

// relayTimeout bounds one announcement after its request; answerWait is how
// long it waits for the request to end first, and answerFlush how long after
// for its answer to be written.
const (
	relayTimeout = 30 * time.Second
	answerWait   = 250 * time.Millisecond
	answerFlush  = 20 * time.Millisecond
)

// Announce announces stored changes' outgoing records in the background: the
// request that stored them answers without waiting on the queue. A record
// that cannot be announced now stays stored, for Sweep.
func (d *Dispatcher) Announce(ctx context.Context, out ...calendar.Outgoing) {
	if len(out) == 0 {
		return
	}
	d.later(ctx, func(ctx context.Context) {
		for _, o := range out {
			if err := d.relayEvent(ctx, o); err != nil {
				d.log.WarnContext(ctx, "change not announced yet; the outbox keeps it", "record", o.ID, "err", err)
			}
		}
	})
}

// later runs fn in the background once the request of ctx has answered, on
// a context of its own that Announcing recognizes: every relay of the
// outboxes goes through here.
func (d *Dispatcher) later(ctx context.Context, fn func(ctx context.Context)) {
	d.relays.Add(1)
	go func() {
		defer d.relays.Done()
		// An HTTP request's context ends when its handler returns, and
		// net/http cancels it before it writes the buffered answer out: the
		// announcement starts a moment later, so that it does not compete
		// with the answer for the processor.
		select {
		case <-ctx.Done():
			time.Sleep(answerFlush)
		case <-time.After(answerWait):
		}
		ctx, cancel := context.WithTimeout(context.WithValue(context.WithoutCancel(ctx), announcing{}, true), relayTimeout)
		defer cancel()
		fn(ctx)
	}()
}

type announcing struct{}

// Announcing reports whether ctx is that of an announcement Announce runs
// after its request: the calls made there (to the queue, say) are not on the
// request's path. make bench counts the others.
func Announcing(ctx context.Context) bool { return ctx.Value(announcing{}) != nil }

// Wait returns once the announcements started so far are over: at shutdown,
// and in tests that look at what a change scheduled.
func (d *Dispatcher) Wait() { d.relays.Wait() }

// SweepGrace is how old a record must be before Sweep announces it: older
// than any announcement its own request started.
const SweepGrace = time.Minute

// Sweep announces the outgoing records that their requests did not (their
// process died, or storage or the queue failed), and returns how many.
func (d *Dispatcher) Sweep(ctx context.Context) (int, error) {
	out, err := d.outgoing.Outgoing(ctx, d.now().Add(-SweepGrace))
	n := 0
	for _, o := range out {
		if rerr := d.relayEvent(ctx, o); rerr != nil {
			return n, rerr
		}
		n++
	}
	return n, err
}
