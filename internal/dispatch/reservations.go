package dispatch

import (
	"context"
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

// ReservationChanged announces one stored change of a reservation (or the
// booking of a series, as one change): its reminders are rescheduled; the
// organizer is told what became of it, with an invitation while it is
// confirmed (a series as one invitation, an occurrence of one by its
// RECURRENCE-ID); and a reservation that is pending after being made or
// changed asks the room's managers to approve it, and tells the organizer
// "pending", never "confirmed". It implements booking.Notifier.
func (d *Dispatcher) ReservationChanged(ctx context.Context, c booking.Change) error {
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
	occurrences := c.Occurrences
	if len(occurrences) == 0 {
		occurrences = []*booking.Reservation{r}
	}
	lead := d.reminderLead(ctx, r)
	for _, o := range occurrences {
		if c.Kind == booking.ChangeCreated && (lead <= 0 || to.Email == "") {
			break // nothing was scheduled before, and nothing is to be
		}
		if err := d.reservationReminder(ctx, o, to, lead); err != nil {
			d.log.ErrorContext(ctx, "reservation reminder not scheduled", "reservation", o.ID, "err", err)
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
	if !ok {
		typ = notify.TypeReservationConfirmed
		if r.Status == booking.StatusPending {
			typ = notify.TypeReservationPending
			if err := d.requestApproval(ctx, kind, r, info); err != nil {
				d.log.ErrorContext(ctx, "approval request not queued", "reservation", r.ID, "err", err)
			}
		}
	}
	if to.Email == "" {
		return nil
	}
	env, err := notify.NewEnvelope(typ, newID(), r.TenantID, d.now(), &notify.ReservationNotice{Reservation: info, Recipients: []notify.Recipient{to}})
	if err != nil {
		return err
	}
	return d.publishFor(ctx, kind, env)
}

func reservationInfo(r *booking.Reservation, organizer notify.Recipient) notify.ReservationInfo {
	return notify.ReservationInfo{ID: r.ID, RoomID: r.RoomID, RoomName: r.RoomName, Title: r.Title, Start: r.Start, End: r.End,
		TimeZone: r.TimeZone, Organizer: notify.Person{Name: organizer.Name, Email: organizer.Email}, Sequence: sequenceOf(r.ETag)}
}

// requestApproval asks the room's managers to approve a pending reservation.
func (d *Dispatcher) requestApproval(ctx context.Context, kind Kind, r *booking.Reservation, info notify.ReservationInfo) error {
	room, err := d.rooms.Get(ctx, r.TenantID, r.RoomID)
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
	env, err := notify.NewEnvelope(notify.TypeApprovalRequested, newID(), r.TenantID, d.now(), &notify.ApprovalRequest{Reservation: info, Managers: managers})
	if err != nil {
		return err
	}
	return d.publishFor(ctx, kind, env)
}

// reminderLead is how long before a reservation its booking tab reminds its
// organizer; 0 for none.
func (d *Dispatcher) reminderLead(ctx context.Context, r *booking.Reservation) time.Duration {
	if d.reminders == nil {
		return 0
	}
	t, err := d.tabs.ByCalendar(ctx, r.TenantID, r.CalendarID)
	if err != nil {
		return 0
	}
	return time.Duration(t.Settings.ReminderMinutes) * time.Minute
}

// reservationReminder reschedules the reminder of a reservation after a
// change: a holding reservation gets one lead before it starts, a cancelled,
// declined or released one none.
func (d *Dispatcher) reservationReminder(ctx context.Context, r *booking.Reservation, to notify.Recipient, lead time.Duration) error {
	if d.reminders == nil {
		return nil
	}
	key := "res|" + r.ID
	if !booking.Holds(r.Status) || lead <= 0 || to.Email == "" {
		return d.reschedule(ctx, r.TenantID, key, time.Time{}, nil)
	}
	info := reservationInfo(r, to)
	env, err := notify.NewEnvelope(notify.TypeReminder, newID(), r.TenantID, d.now(), &notify.Reminder{Reservation: &info, Recipients: []notify.Recipient{to}})
	if err != nil {
		return err
	}
	return d.reschedule(ctx, r.TenantID, key, r.Start.Add(-lead), &env)
}
