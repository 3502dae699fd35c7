package dispatch

import (
	"context"
	"encoding/json"
	"time"

	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/teamspro"
)

var _ booking.Notifier = (*Dispatcher)(nil)

// organizerTypes is what the organizer is told of each change that does not
// depend on the reservation's status; created and updated ones are told
// "pending" or "confirmed" by what the reservation now is.
var organizerTypes = map[booking.ChangeKind]notify.Type{
	booking.ChangeCancelled: notify.TypeReservationCancelled,
	booking.ChangeApproved:  notify.TypeReservationApproved,
	booking.ChangeDeclined:  notify.TypeReservationDeclined,
	booking.ChangeReleased:  notify.TypeReservationReleased,
}

// reservationRecord is the body of a reservation change's outgoing record:
// the change itself, which the relay turns into messages.
type reservationRecord struct {
	Version int            `json:"v"`
	Change  booking.Change `json:"change"`
}

// RecordReservation returns the outgoing record of a reservation change, for
// the store to write in the batch that commits it (the transactional
// outbox); nil for a change its rule keeps silent, which changes no time
// either, so no reminder. It implements booking.Notifier.
func (d *Dispatcher) RecordReservation(c booking.Change) ([]byte, error) {
	kind := ReservationKind(c.Kind)
	rule, ok := rules[kind]
	if !ok {
		return nil, teamspro.Errorf(teamspro.EINTERNAL, "The notification policy has no rule for a %s change.", kind)
	}
	if len(rule.Messages) == 0 || c.After == nil {
		return nil, nil
	}
	body, err := json.Marshal(reservationRecord{Version: 1, Change: c})
	if err != nil {
		return nil, teamspro.Wrap(teamspro.EINTERNAL, err, "The change cannot be recorded.")
	}
	return body, nil
}

// AnnounceReservation announces a stored reservation change after its
// request's answer, and calls done once its messages are published; one that
// cannot be announced now stays stored, for the repair. It implements
// booking.Notifier.
func (d *Dispatcher) AnnounceReservation(ctx context.Context, o booking.Outgoing, done func(context.Context, booking.Outgoing) error) {
	d.later(ctx, func(ctx context.Context) {
		if err := d.RelayReservation(ctx, o); err != nil {
			d.log.WarnContext(ctx, "reservation change not announced yet; the repair will", "record", o.ID, "err", err)
			return
		}
		if err := done(ctx, o); err != nil {
			d.log.WarnContext(ctx, "announced reservation change not forgotten; the repair announces it again (same messages)", "record", o.ID, "err", err)
		}
	})
}

// RelayReservation turns a stored change into its messages now, under ids
// derived from its record's: relaying it twice publishes the same messages,
// which the processor mails once. An unreadable record is logged and
// reported done: it can never be announced. It implements booking.Notifier.
func (d *Dispatcher) RelayReservation(ctx context.Context, o booking.Outgoing) error {
	var rec reservationRecord
	if err := json.Unmarshal(o.Body, &rec); err != nil || rec.Version != 1 || rec.Change.After == nil {
		d.log.ErrorContext(ctx, "dropping an unreadable reservation record", "record", o.ID, "err", err)
		return nil
	}
	c := rec.Change
	for _, r := range append([]*booking.Reservation{c.Before, c.After}, c.Occurrences...) {
		if r != nil {
			r.TenantID = o.TenantID // not in the record's JSON
		}
	}
	return d.reservationChanged(ctx, c, o.ID)
}

// reservationChanged announces one stored change of a reservation (or the
// booking of a series, as one change): its reminder is rescheduled (a series
// has one at a time, for its next occurrence); the organizer is told what
// became of it, with an invitation while it is confirmed (a series as one
// invitation, an occurrence of one by its RECURRENCE-ID); and a reservation
// that is pending after being made or changed asks the room's managers to
// approve it, and tells the organizer "pending", never "confirmed": if it was
// confirmed before (moved into a room that requires approval), that mail
// withdraws the confirmed invitation (a CANCEL). Each message's id is base
// and its role, whatever else the change publishes.
func (d *Dispatcher) reservationChanged(ctx context.Context, c booking.Change, base string) error {
	kind := ReservationKind(c.Kind)
	rule, ok := rules[kind]
	if !ok {
		return teamspro.Errorf(teamspro.EINTERNAL, "The notification policy has no rule for a %s change.", kind)
	}
	r := c.After
	to, err := d.recipient(ctx, r.TenantID, r.Organizer, r.TimeZone, c.By)
	if err != nil {
		return err
	}
	lead := d.reminderLead(ctx, r.TenantID, r.CalendarID)
	if c.Kind != booking.ChangeCreated || (lead > 0 && to.Email != "") { // a new one has none to cancel
		if err := d.reservationReminder(ctx, c, to, lead, base+".reminder"); err != nil {
			return err // the record stays: announcing it again reschedules
		}
	}
	if len(rule.Messages) == 0 {
		return nil
	}
	info := reservationInfo(r, to)
	switch {
	case c.RRule != "":
		info.SeriesID, info.RRule = r.SeriesID, c.RRule
		for _, s := range c.Skipped {
			info.ExDates = append(info.ExDates, s.Start)
		}
	case r.SeriesID != "" && r.OriginalStart != nil:
		info.SeriesID, info.RecurrenceID = r.SeriesID, *r.OriginalStart
	}
	typ, ok := organizerTypes[c.Kind]
	withdraws := false
	if !ok {
		typ = notify.TypeReservationConfirmed
		if r.Status == booking.StatusPending {
			typ = notify.TypeReservationPending
			withdraws = c.Before != nil && c.Before.Status == booking.StatusConfirmed
			if err := d.requestApproval(ctx, kind, r, info, base+".approval"); err != nil {
				return err
			}
		}
	}
	if to.Email == "" {
		return nil
	}
	env, err := notify.NewEnvelope(typ, base+".organizer", r.TenantID, d.now(), &notify.ReservationNotice{Reservation: info, Recipients: []notify.Recipient{to}, Withdraws: withdraws})
	if err != nil {
		return err
	}
	return d.publishFor(ctx, kind, env)
}

func reservationInfo(r *booking.Reservation, organizer notify.Recipient) notify.ReservationInfo {
	return notify.ReservationInfo{ID: r.ID, RoomID: r.RoomID, RoomName: r.RoomName, Title: r.Title, Start: r.Start, End: r.End,
		TimeZone: r.TimeZone, Organizer: notify.Person{Name: organizer.Name, Email: organizer.Email}, Sequence: sequenceOf(r.ETag),
		OrganizerID: r.Organizer, CalendarID: r.CalendarID}
}

// requestApproval asks the room's managers to approve a pending
// reservation, in the message id.
func (d *Dispatcher) requestApproval(ctx context.Context, kind Kind, r *booking.Reservation, info notify.ReservationInfo, id string) error {
	room, err := d.rooms.Get(ctx, r.TenantID, r.RoomID)
	if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
		return nil // the room is gone: nobody to ask
	}
	if err != nil {
		return err
	}
	var managers []notify.Recipient
	for _, oid := range room.Managers {
		m, err := d.recipient(ctx, r.TenantID, oid, room.TimeZone, teamspro.Principal{})
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
	env, err := notify.NewEnvelope(notify.TypeApprovalRequested, id, r.TenantID, d.now(), &notify.ApprovalRequest{Reservation: info, Managers: managers})
	if err != nil {
		return err
	}
	return d.publishFor(ctx, kind, env)
}

// reminderLead is how long before a reservation its booking tab reminds its
// organizer; 0 for none.
func (d *Dispatcher) reminderLead(ctx context.Context, tenantID, calendarID string) time.Duration {
	if d.reminders == nil || calendarID == "" {
		return 0
	}
	t, err := d.tabs.ByCalendar(ctx, tenantID, calendarID)
	if err != nil {
		return 0
	}
	return time.Duration(t.Settings.ReminderMinutes) * time.Minute
}

func seriesReminderKey(seriesID string) string { return "series|" + seriesID }

// reservationReminder reschedules the reminder of a reservation after a
// change: a holding reservation gets one lead before it starts, a cancelled,
// declined or released one none. A recurring booking has one reminder at a
// time, for its next holding occurrence whose reminder is still ahead, and
// delivering it schedules the next (ReminderDelivered): never one per
// occurrence.
func (d *Dispatcher) reservationReminder(ctx context.Context, c booking.Change, to notify.Recipient, lead time.Duration, id string) error {
	if d.reminders == nil {
		return nil
	}
	r := c.After
	if r.SeriesID != "" {
		return d.seriesReminder(ctx, r.TenantID, r.SeriesID, r.Organizer, c.Occurrences, to, lead, time.Time{}, id)
	}
	key := "res|" + r.ID
	if !booking.Holds(r.Status) || lead <= 0 || to.Email == "" {
		return d.reschedule(ctx, r.TenantID, key, time.Time{}, nil)
	}
	info := reservationInfo(r, to)
	env, err := notify.NewEnvelope(notify.TypeReminder, id, r.TenantID, d.now(), &notify.Reminder{Reservation: &info, Recipients: []notify.Recipient{to}})
	if err != nil {
		return err
	}
	return d.reschedule(ctx, r.TenantID, key, r.Start.Add(-lead), &env)
}

// seriesAhead bounds the search for a series' next occurrence.
const seriesAhead = booking.BoundedHorizon

// seriesReminder schedules the reminder of a series' next holding occurrence
// that starts after after and whose reminder is still ahead: among known
// (the occurrences just booked), or else as stored now.
func (d *Dispatcher) seriesReminder(ctx context.Context, tenantID, seriesID, organizer string, known []*booking.Reservation, to notify.Recipient, lead time.Duration, after time.Time, id string) error {
	key := seriesReminderKey(seriesID)
	if lead <= 0 || to.Email == "" {
		return d.reschedule(ctx, tenantID, key, time.Time{}, nil)
	}
	from := later(d.now().Add(lead), after)
	if len(known) == 0 && d.reservations != nil {
		var err error
		if known, err = d.reservations.ByOrganizer(ctx, tenantID, organizer, from, from.Add(seriesAhead)); err != nil {
			return err
		}
	}
	var next *booking.Reservation
	for _, o := range known {
		if o.SeriesID == seriesID && booking.Holds(o.Status) && o.Start.After(from) && (next == nil || o.Start.Before(next.Start)) {
			next = o
		}
	}
	if next == nil {
		return d.reschedule(ctx, tenantID, key, time.Time{}, nil)
	}
	info := reservationInfo(next, to)
	info.SeriesID = seriesID
	env, err := notify.NewEnvelope(notify.TypeReminder, id, tenantID, d.now(), &notify.Reminder{Reservation: &info, Recipients: []notify.Recipient{to}})
	if err != nil {
		return err
	}
	return d.reschedule(ctx, tenantID, key, next.Start.Add(-lead), &env)
}

// reservationReminderDelivered schedules, after the reminder of an occurrence
// of a recurring booking, that of the occurrence after it, from the
// reservations as stored now.
func (d *Dispatcher) reservationReminderDelivered(ctx context.Context, tenantID string, r *notify.Reminder) error {
	reminded := r.Reservation
	if reminded.SeriesID == "" || reminded.OrganizerID == "" || len(r.Recipients) == 0 || d.reservations == nil {
		return nil
	}
	lead := d.reminderLead(ctx, tenantID, reminded.CalendarID)
	return d.seriesReminder(ctx, tenantID, reminded.SeriesID, reminded.OrganizerID, nil, r.Recipients[0], lead, reminded.Start, newID())
}
