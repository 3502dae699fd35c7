package functions

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/teamspro"
)

// notifyTrigger is the Service Bus-triggered function that turns queued
// notifications into mails. The queue name and the identity-based connection
// come from app settings (NOTIFICATION_QUEUE, ServiceBusConnection__*).
func (s *Server) notifyTrigger() Trigger {
	return Trigger{
		Function: "notify",
		Binding:  "message",
		Bindings: []map[string]any{{
			"type": "serviceBusTrigger", "direction": "in", "name": "message",
			"queueName": "%NOTIFICATION_QUEUE%", "connection": "ServiceBusConnection",
		}},
		Handle: s.handleNotify,
	}
}

// handleNotify processes one message. A transient failure (mail service or
// storage unavailable) answers non-2xx so the host abandons the message and it
// comes back; a permanent one (unknown type, invalid recipient) is recorded by
// the processor and answered 200, so it never loops to the dead-letter queue.
func (s *Server) handleNotify(ctx context.Context, inv *Invocation) (InvocationResult, error) {
	if s.Processor == nil {
		return InvocationResult{}, teamspro.Errorf(teamspro.EUNAVAILABLE, "Notifications are not configured.")
	}
	body, err := inv.Body("message")
	if err != nil {
		return InvocationResult{}, err
	}
	d := notify.Delivery{Body: body, MessageID: inv.Meta("MessageId"), ContentType: inv.Meta("ContentType"), Subject: inv.Meta("Subject")}
	if n, ok := inv.MetaInt("DeliveryCount"); ok {
		d.DeliveryCount = int(n)
	}
	if n, ok := inv.MetaInt("SequenceNumber"); ok {
		d.SequenceNumber = n
	}
	if t, err := time.Parse(time.RFC3339Nano, inv.Meta("EnqueuedTimeUtc")); err == nil {
		d.EnqueuedTime = t
	}
	props := map[string]any{}
	if err := inv.MetaObject("ApplicationProperties", &props); err != nil || len(props) == 0 {
		_ = inv.MetaObject("UserProperties", &props)
	}
	d.ApplicationProperties = props
	res, err := s.Processor.Process(ctx, d)
	if err != nil {
		return InvocationResult{}, err
	}
	if r, ok := res.Payload.(*notify.Reminder); ok && !res.Permanent && r.Event != nil && r.Event.RRule != "" {
		// A series has one reminder scheduled at a time: this one's
		// delivery schedules the next. Failing here fails the message, so
		// that its redelivery tries again (its mails are not sent twice).
		if err := s.nextSeriesReminder(ctx, res.TenantID, r.Event); err != nil {
			return InvocationResult{}, err
		}
	}
	msg := fmt.Sprintf("message %s (%s): sent %d, duplicates %d, failed %d", res.MessageID, res.Type,
		res.Count(notify.OutcomeSent), res.Count(notify.OutcomeDuplicate), res.Count(notify.OutcomeFailed))
	logger(ctx).Info(msg, "permanent", res.Permanent, "reason", res.Reason, "delivery_count", d.DeliveryCount)
	return InvocationResult{Logs: []string{msg}, ReturnValue: res}, nil
}

// reservationNotifier publishes a message for each reservation change, to the
// organizer (and, for a pending one, to the room's managers). It runs after the
// change is stored: a publishing failure is logged and never undoes the change.
type reservationNotifier struct{ s *Server }

var _ booking.Notifier = reservationNotifier{}

var reservationTypes = map[string]notify.Type{
	"created": notify.TypeReservationConfirmed, "updated": notify.TypeReservationConfirmed,
	"cancelled": notify.TypeReservationCancelled, "approved": notify.TypeReservationApproved,
	"declined": notify.TypeReservationDeclined, "released": notify.TypeReservationReleased,
}

// ReservationChanged publishes the message of one change.
func (n reservationNotifier) ReservationChanged(ctx context.Context, kind string, r booking.Reservation) error {
	s := n.s
	typ, ok := reservationTypes[kind]
	if !ok || s.Publisher == nil {
		return nil
	}
	if kind == "created" && r.Status == booking.StatusPending {
		typ = notify.TypeReservationPending
	}
	to, err := s.recipient(ctx, r.TenantID, r.Organizer, r.TimeZone)
	if err != nil {
		return err
	}
	seq := sequenceOf(r.ETag)
	info := notify.ReservationInfo{ID: r.ID, RoomID: r.RoomID, RoomName: r.RoomName, Title: r.Title, Start: r.Start, End: r.End,
		TimeZone: r.TimeZone, Organizer: notify.Person{Name: to.Name, Email: to.Email}, Sequence: seq}
	if err := n.reservationReminder(ctx, r, info, to); err != nil {
		logger(ctx).Error("reservation reminder not scheduled", "reservation", r.ID, "err", err)
	}
	if typ == notify.TypeReservationPending {
		if err := n.requestApproval(ctx, r, info); err != nil {
			logger(ctx).Error("approval request not queued", "reservation", r.ID, "err", err)
		}
	}
	if to.Email == "" {
		return nil
	}
	env, err := notify.NewEnvelope(typ, uuid.NewString(), r.TenantID, s.Now(), &notify.ReservationNotice{Reservation: info, Recipients: []notify.Recipient{to}})
	if err != nil {
		return err
	}
	return s.publish(ctx, env)
}

// Outbox keeps messages that could not be queued, for the flush-outbox timer.
type Outbox interface {
	// Add keeps one encoded message of the tenant.
	Add(ctx context.Context, tenantID, messageID string, body []byte) error
	// Each calls fn with every kept message and forgets those fn accepts.
	Each(ctx context.Context, fn func(body []byte) error) (int, error)
}

// publish queues env after its change was stored. When the queue refuses it,
// the message is kept in the outbox and queued again by the flush-outbox timer,
// so a queue outage delays mail instead of losing it. (A crash between the
// change and this call still loses the message: the outbox is not written in
// the change's own batch.)
func (s *Server) publish(ctx context.Context, env notify.Envelope) error {
	err := s.Publisher.Publish(ctx, env)
	if err == nil || s.Outbox == nil {
		return err
	}
	body, eerr := env.Encode()
	if eerr != nil {
		return eerr
	}
	if oerr := s.Outbox.Add(ctx, env.TenantID, env.ID, body); oerr != nil {
		return fmt.Errorf("queue: %w; outbox: %v", err, oerr)
	}
	logger(ctx).Warn("message kept in the outbox; the queue refused it", "message", env.ID, "err", err)
	return nil
}

// handleFlushOutbox queues again the messages the queue refused earlier.
func (s *Server) handleFlushOutbox(ctx context.Context, inv *Invocation) (InvocationResult, error) {
	if s.Outbox == nil || s.Publisher == nil {
		return InvocationResult{Logs: []string{"no outbox"}}, nil
	}
	n, err := s.Outbox.Each(ctx, func(body []byte) error {
		env, err := notify.DecodeEnvelope(body)
		if err != nil {
			logger(ctx).Error("dropping an unreadable outbox message", "err", err)
			return nil
		}
		return s.Publisher.Publish(ctx, env)
	})
	msg := fmt.Sprintf("queued %d messages from the outbox", n)
	if err != nil {
		return InvocationResult{}, teamspro.Wrap(teamspro.EUNAVAILABLE, err, "%s; the rest waits", msg)
	}
	return InvocationResult{Logs: []string{msg}, ReturnValue: map[string]int{"queued": n}}, nil
}

// requestApproval asks the room's managers to approve a pending reservation.
func (n reservationNotifier) requestApproval(ctx context.Context, r booking.Reservation, info notify.ReservationInfo) error {
	s := n.s
	room, err := s.Rooms.Get(ctx, r.TenantID, r.RoomID)
	if err != nil {
		return err
	}
	var managers []notify.Recipient
	for _, oid := range room.Managers {
		m, err := s.recipient(ctx, r.TenantID, oid, room.TimeZone)
		if err != nil {
			return err
		}
		if m.Email != "" {
			managers = append(managers, m)
		}
	}
	if len(managers) == 0 {
		return nil
	}
	env, err := notify.NewEnvelope(notify.TypeApprovalRequested, uuid.NewString(), r.TenantID, s.Now(), &notify.ApprovalRequest{Reservation: info, Managers: managers})
	if err != nil {
		return err
	}
	return s.publish(ctx, env)
}

// recipient finds the mail address of a user from the profile of their last
// sign-in (the UPN, which is their mail address in most organizations).
func (s *Server) recipient(ctx context.Context, tenantID, objectID, zone string) (notify.Recipient, error) {
	if objectID == "" {
		return notify.Recipient{}, nil
	}
	p, err := s.Directory.Profile(ctx, tenantID, objectID)
	if teamspro.ErrorCode(err) == teamspro.ENOTFOUND || (err == nil && !strings.Contains(p.UPN, "@")) {
		return notify.Recipient{}, nil
	}
	if err != nil {
		return notify.Recipient{}, err
	}
	return notify.Recipient{Name: p.Name, Email: p.UPN, TimeZone: zone}, nil
}

// eventNotifier publishes event.created / updated / deleted to the event's
// participants when the tab's notification toggles ask for it.
type eventNotifier struct{ s *Server }

var eventTypes = map[EventChangeKind]notify.Type{
	EventCreated: notify.TypeEventCreated, EventUpdated: notify.TypeEventUpdated, EventDeleted: notify.TypeEventDeleted,
	OccurrenceChanged: notify.TypeEventUpdated, OccurrenceCancelled: notify.TypeEventDeleted,
}

// EventChanged publishes the message of one change; failures are logged: the
// change itself is stored already.
func (n eventNotifier) EventChanged(ctx context.Context, c EventChange) {
	if err := n.publish(ctx, c); err != nil {
		logger(ctx).Error("event notification not queued", "event", c.Event.ID, "kind", c.Kind, "err", err)
	}
}

func (n eventNotifier) publish(ctx context.Context, c EventChange) error {
	s := n.s
	if s.Publisher == nil {
		return nil
	}
	info, to, err := n.describe(ctx, c)
	if err != nil {
		return err
	}
	if err := n.eventReminder(ctx, c, info, to, time.Time{}); err != nil {
		logger(ctx).Error("event reminder not scheduled", "event", c.Event.ID, "err", err)
	}
	typ := eventTypes[c.Kind]
	toggles := c.Tab.Settings.Notifications
	if len(to) == 0 || (typ == notify.TypeEventDeleted && !toggles.Deleted) || (typ != notify.TypeEventDeleted && !toggles.AddedOrUpdated) {
		return nil
	}
	switch {
	case c.Occurrence != nil:
		// One occurrence: its invite carries it alone, under the series'
		// UID with its RECURRENCE-ID.
		o := eventInfo(*c.Occurrence, info.Organizer)
		o.ID, o.CalendarID, o.RecurrenceID = c.Event.ID, c.Event.CalendarID, c.OriginalStart
		info = o
	case c.Event.Recurring() && c.Kind != EventDeleted:
		// The whole series, as the feed shows it: cancelled occurrences as
		// EXDATEs, changed ones as overrides.
		xs, err := s.Events.Exceptions(ctx, c.Tab.TenantID, c.Event.CalendarID, c.Event.ID)
		if err != nil {
			return err
		}
		for _, x := range xs {
			if x.Override == nil {
				info.ExDates = append(info.ExDates, x.OriginalStart)
				continue
			}
			o := eventInfo(*x.Override, info.Organizer)
			o.ID, o.RecurrenceID = c.Event.ID, x.OriginalStart
			info.Overrides = append(info.Overrides, o)
		}
	}
	actor := notify.Person{Name: c.By.Name}
	if strings.Contains(c.By.UPN, "@") {
		actor.Email = c.By.UPN
	}
	env, err := notify.NewEnvelope(typ, uuid.NewString(), c.Tab.TenantID, s.Now(), &notify.EventNotice{Event: info, Recipients: to, Actor: actor})
	if err != nil {
		return err
	}
	return s.publish(ctx, env)
}

// eventInfo is what a message says of an event: the fields its mail and
// invite show, with the event's own SEQUENCE (the feed writes the same).
func eventInfo(e calendar.Event, organizer notify.Person) notify.EventInfo {
	location := ""
	if e.Address != nil {
		location = e.Address.FullAddress
	}
	return notify.EventInfo{ID: e.ID, CalendarID: e.CalendarID, Title: e.Title, Description: e.Description,
		Start: e.Start, End: e.End, AllDay: e.AllDay, TimeZone: e.TimeZone, Location: location, RRule: e.RRule(),
		Organizer: organizer, Sequence: e.Sequence}
}

// describe returns what a message says of an event (or series), and who
// receives it: its participants with an address.
func (n eventNotifier) describe(ctx context.Context, c EventChange) (notify.EventInfo, []notify.Recipient, error) {
	s := n.s
	e := c.Event
	var to []notify.Recipient
	for _, p := range e.Participants {
		r := notify.Recipient{Name: p.Name, Email: p.Email, TimeZone: e.TimeZone}
		if r.Email == "" && strings.Contains(p.UPN, "@") {
			r.Email = p.UPN
		}
		if r.Email == "" && p.ObjectID != "" {
			var err error
			if r, err = s.recipient(ctx, c.Tab.TenantID, p.ObjectID, e.TimeZone); err != nil {
				return notify.EventInfo{}, nil, err
			}
		}
		if r.Email != "" {
			to = append(to, r)
		}
	}
	organizer, _ := s.recipient(ctx, c.Tab.TenantID, e.CreatedBy, e.TimeZone)
	return eventInfo(e, notify.Person{Name: organizer.Name, Email: organizer.Email}), to, nil
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

// reschedule cancels the reminders scheduled for key and, when env is not nil
// and at is still ahead, schedules env at at. The cancel comes first: a moved
// event never reminds twice; if scheduling then fails, it reminds not at all,
// which the log says.
func (s *Server) reschedule(ctx context.Context, tenantID, key string, at time.Time, env *notify.Envelope) error {
	if s.Reminders == nil || s.Publisher == nil {
		return nil
	}
	old, err := s.Reminders.Get(ctx, tenantID, key)
	if err != nil {
		return err
	}
	if len(old) > 0 {
		if err := s.Publisher.CancelScheduled(ctx, old...); err != nil {
			return err
		}
	}
	var seqs []int64
	if env != nil && at.After(s.Now()) {
		seq, err := s.Publisher.Schedule(ctx, *env, at)
		if err != nil {
			_ = s.Reminders.Put(ctx, tenantID, key, nil)
			return err
		}
		seqs = []int64{seq}
	}
	if len(old) == 0 && len(seqs) == 0 {
		return nil
	}
	return s.Reminders.Put(ctx, tenantID, key, seqs)
}

// eventReminder reschedules the reminder of an event after a change. A
// single event has one; a series has one at a time, for its next occurrence
// (exceptions applied) that starts after after and whose reminder is still
// ahead, and delivering it schedules the next (nextSeriesReminder). A deleted
// event has none.
func (n eventNotifier) eventReminder(ctx context.Context, c EventChange, info notify.EventInfo, to []notify.Recipient, after time.Time) error {
	s := n.s
	key := "event|" + c.Event.CalendarID + "|" + c.Event.ID
	mins := c.Tab.Settings.ReminderMinutes
	if c.Kind == EventDeleted || mins <= 0 || len(to) == 0 {
		return s.reschedule(ctx, c.Tab.TenantID, key, time.Time{}, nil)
	}
	lead := time.Duration(mins) * time.Minute
	if c.Event.Recurring() {
		xs, err := s.Events.Exceptions(ctx, c.Tab.TenantID, c.Event.CalendarID, c.Event.ID)
		if err != nil {
			return err
		}
		o, ok, err := calendar.NextOccurrence(c.Event, xs, later(s.Now().Add(lead), after))
		if err != nil {
			return err
		}
		if !ok {
			return s.reschedule(ctx, c.Tab.TenantID, key, time.Time{}, nil)
		}
		info.Start, info.End, info.AllDay, info.Title = o.Start, o.End, o.AllDay, o.Title
	}
	env, err := notify.NewEnvelope(notify.TypeReminder, uuid.NewString(), c.Tab.TenantID, s.Now(), &notify.Reminder{Event: &info, Recipients: to})
	if err != nil {
		return err
	}
	return s.reschedule(ctx, c.Tab.TenantID, key, info.Start.Add(-lead), &env)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// nextSeriesReminder schedules, once the reminder of one occurrence of a
// series is delivered, the reminder of the occurrence after it, from the
// series as stored now: a deleted series or tab gets none.
func (s *Server) nextSeriesReminder(ctx context.Context, tenantID string, reminded *notify.EventInfo) error {
	key := "event|" + reminded.CalendarID + "|" + reminded.ID
	t, err := s.Tabs.ByCalendar(ctx, tenantID, reminded.CalendarID)
	if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
		return s.reschedule(ctx, tenantID, key, time.Time{}, nil)
	}
	if err != nil {
		return err
	}
	e, err := s.Events.Get(ctx, tenantID, reminded.CalendarID, reminded.ID)
	if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
		return s.reschedule(ctx, tenantID, key, time.Time{}, nil)
	}
	if err != nil {
		return err
	}
	n := eventNotifier{s}
	c := EventChange{Kind: EventUpdated, Tab: t, Event: e}
	info, to, err := n.describe(ctx, c)
	if err != nil {
		return err
	}
	return n.eventReminder(ctx, c, info, to, reminded.Start)
}

// reservationReminder reschedules the reminder of a reservation after a change:
// a holding reservation gets one, a cancelled, declined or released one none.
func (n reservationNotifier) reservationReminder(ctx context.Context, r booking.Reservation, info notify.ReservationInfo, to notify.Recipient) error {
	s := n.s
	key := "res|" + r.ID
	var mins int
	if t, err := s.Tabs.ByCalendar(ctx, r.TenantID, r.CalendarID); err == nil {
		mins = t.Settings.ReminderMinutes
	}
	if !booking.Holds(r.Status) || mins <= 0 || to.Email == "" {
		return s.reschedule(ctx, r.TenantID, key, time.Time{}, nil)
	}
	env, err := notify.NewEnvelope(notify.TypeReminder, uuid.NewString(), r.TenantID, s.Now(), &notify.Reminder{Reservation: &info, Recipients: []notify.Recipient{to}})
	if err != nil {
		return err
	}
	return s.reschedule(ctx, r.TenantID, key, r.Start.Add(-time.Duration(mins)*time.Minute), &env)
}

// sequenceOf is the iCalendar SEQUENCE of an item: its version, which every
// stored change raises, read from its ETag ("3" or W/"3").
func sequenceOf(etag string) int {
	n, _ := strconv.Atoi(strings.Trim(etag, `"W/`))
	return n
}
