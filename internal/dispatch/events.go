package dispatch

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/teamspro"
)

// eventRecord is the body of a calendar change's outgoing record: the change
// itself, announced by the relay. Reload marks a change whose event is read
// back when it is announced (a restore: the store makes its new state).
type eventRecord struct {
	Version int             `json:"v"`
	Change  calendar.Change `json:"change"`
	Reload  bool            `json:"reload,omitempty"`
}

// RecordEvent returns the outgoing record of a change of one of t's events,
// for the store to write in the change's own batch (calendar.Store takes it):
// the transactional outbox. Announce (or, for a dead process, Sweep) turns it
// into messages once the change is stored. When c.After is only the event's
// id (a restore, whose state the store makes), the event is read back then.
func (d *Dispatcher) RecordEvent(t *tab.Tab, c calendar.Change) (calendar.Outgoing, error) {
	rec := eventRecord{Version: 1, Change: c, Reload: c.Kind == calendar.ChangeRestored}
	body, err := json.Marshal(rec)
	if err != nil {
		return calendar.Outgoing{}, teamspro.Wrap(teamspro.EINTERNAL, err, "The change cannot be recorded.")
	}
	return calendar.Outgoing{TenantID: t.TenantID, CalendarID: t.CalendarID, ID: newID(), Body: body, At: d.now()}, nil
}

// relayEvent announces one recorded change: the policy applied to it, its
// messages published under ids derived from the record's, so that relaying
// it twice (a crash between publishing and forgetting it) publishes the same
// messages, which the processor mails once; then the record is deleted.
func (d *Dispatcher) relayEvent(ctx context.Context, o calendar.Outgoing) error {
	var rec eventRecord
	if err := json.Unmarshal(o.Body, &rec); err != nil || rec.Version != 1 || rec.Change.After == nil {
		d.log.ErrorContext(ctx, "dropping an unreadable outgoing record", "record", o.ID, "err", err)
		return d.outgoing.DoneOutgoing(ctx, o)
	}
	c := rec.Change
	t, err := d.tabs.ByCalendar(ctx, o.TenantID, o.CalendarID)
	switch {
	case teamspro.ErrorCode(err) == teamspro.ENOTFOUND:
		return d.outgoing.DoneOutgoing(ctx, o) // the tab is gone: nobody to tell
	case err != nil:
		return err
	}
	if rec.Reload {
		e, err := d.events.Get(ctx, o.TenantID, o.CalendarID, c.After.ID)
		switch {
		case teamspro.ErrorCode(err) == teamspro.ENOTFOUND:
			return d.outgoing.DoneOutgoing(ctx, o) // deleted again since
		case err != nil:
			return err
		}
		c.After = &e
	}
	if err := d.eventChanged(ctx, t, c, &idSource{base: o.ID}); err != nil {
		return err
	}
	return d.outgoing.DoneOutgoing(ctx, o)
}

func (d *Dispatcher) eventChanged(ctx context.Context, t *tab.Tab, c calendar.Change, ids *idSource) error {
	kind := EventKind(c.Kind)
	rule, ok := rules[kind]
	if !ok {
		return teamspro.Errorf(teamspro.EINTERNAL, "The notification policy has no rule for a %s change.", kind)
	}
	e := *c.After
	info, to, err := d.describe(ctx, t.TenantID, e, c.By)
	if err != nil {
		return err
	}
	if c.Kind != calendar.ChangeCreated || (t.Settings.ReminderMinutes > 0 && len(to) > 0) { // a new event has none to cancel
		if err := d.eventReminder(ctx, t, e, c.Kind == calendar.ChangeDeleted, info, to, time.Time{}, ids); err != nil {
			return err // the record stays: announcing it again reschedules
		}
	}
	if len(rule.Messages) == 0 || len(to) == 0 {
		return nil
	}
	typ := rule.Messages[0]
	toggles := t.Settings.Notifications
	if (typ == notify.TypeEventDeleted && !toggles.Deleted) || (typ != notify.TypeEventDeleted && !toggles.AddedOrUpdated) {
		return nil
	}
	switch {
	case c.Occurrence != nil:
		// One occurrence: its invitation carries it alone, under the
		// series' UID with its RECURRENCE-ID.
		o := eventInfo(*c.Occurrence, info.Organizer)
		o.ID, o.CalendarID, o.RecurrenceID = e.ID, e.CalendarID, c.OriginalStart
		info = o
	case e.Recurring() && c.Kind != calendar.ChangeDeleted:
		// The whole series, as the feed shows it: cancelled occurrences
		// as EXDATEs, changed ones as overrides.
		xs, err := d.events.Exceptions(ctx, t.TenantID, e.CalendarID, e.ID)
		if err != nil {
			return err
		}
		for _, x := range xs {
			if x.Override == nil {
				info.ExDates = append(info.ExDates, x.OriginalStart)
				continue
			}
			o := eventInfo(*x.Override, info.Organizer)
			o.ID, o.RecurrenceID = e.ID, x.OriginalStart
			info.Overrides = append(info.Overrides, o)
		}
	}
	actor := notify.Person{Name: c.By.Name}
	if strings.Contains(c.By.UPN, "@") {
		actor.Email = c.By.UPN
	}
	env, err := notify.NewEnvelope(typ, ids.next(), t.TenantID, d.now(), &notify.EventNotice{Event: info, Recipients: to, Actor: actor})
	if err != nil {
		return err
	}
	return d.publishFor(ctx, kind, env)
}

// eventInfo is what a message says of an event: the fields its mail and
// invitation show, with the event's own SEQUENCE (the feed writes the same).
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
// receives it: its participants with an address. by made the change, if
// anyone did.
func (d *Dispatcher) describe(ctx context.Context, tenantID string, e calendar.Event, by teamspro.Principal) (notify.EventInfo, []notify.Recipient, error) {
	var to []notify.Recipient
	for _, p := range e.Participants {
		r := notify.Recipient{Name: p.Name, Email: p.Email, TimeZone: e.TimeZone}
		if r.Email == "" && strings.Contains(p.UPN, "@") {
			r.Email = p.UPN
		}
		if r.Email == "" && p.ObjectID != "" {
			var err error
			if r, err = d.recipient(ctx, tenantID, p.ObjectID, e.TimeZone, by); err != nil {
				return notify.EventInfo{}, nil, err
			}
		}
		if r.Email != "" {
			to = append(to, r)
		}
	}
	organizer, _ := d.recipient(ctx, tenantID, e.CreatedBy, e.TimeZone, by)
	return eventInfo(e, notify.Person{Name: organizer.Name, Email: organizer.Email}), to, nil
}

func eventReminderKey(e calendar.Event) string { return "event|" + e.CalendarID + "|" + e.ID }

// eventReminder reschedules the reminder of an event after a change. A
// single event has one; a series has one at a time, for its next occurrence
// (exceptions applied) that starts after after and whose reminder is still
// ahead, and delivering it schedules the next (ReminderDelivered). A deleted
// event has none.
func (d *Dispatcher) eventReminder(ctx context.Context, t *tab.Tab, e calendar.Event, deleted bool, info notify.EventInfo, to []notify.Recipient, after time.Time, ids *idSource) error {
	key := eventReminderKey(e)
	mins := t.Settings.ReminderMinutes
	if deleted || mins <= 0 || len(to) == 0 {
		return d.reschedule(ctx, t.TenantID, key, time.Time{}, nil)
	}
	lead := time.Duration(mins) * time.Minute
	if e.Recurring() {
		xs, err := d.events.Exceptions(ctx, t.TenantID, e.CalendarID, e.ID)
		if err != nil {
			return err
		}
		o, ok, err := calendar.NextOccurrence(e, xs, later(d.now().Add(lead), after))
		if err != nil {
			return err
		}
		if !ok {
			return d.reschedule(ctx, t.TenantID, key, time.Time{}, nil)
		}
		info.Start, info.End, info.AllDay, info.Title = o.Start, o.End, o.AllDay, o.Title
	}
	env, err := notify.NewEnvelope(notify.TypeReminder, ids.next(), t.TenantID, d.now(), &notify.Reminder{Event: &info, Recipients: to})
	if err != nil {
		return err
	}
	return d.reschedule(ctx, t.TenantID, key, info.Start.Add(-lead), &env)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// ReminderDelivered is told that a reminder was mailed. For an occurrence of
// a series (of events or of reservations) it schedules the reminder of the
// occurrence after it, from the series as stored now: a deleted series or
// tab gets none.
func (d *Dispatcher) ReminderDelivered(ctx context.Context, tenantID string, r *notify.Reminder) error {
	if r.Reservation != nil {
		return d.reservationReminderDelivered(ctx, tenantID, r)
	}
	reminded := r.Event
	if reminded == nil || reminded.RRule == "" {
		return nil
	}
	gone := calendar.Event{ID: reminded.ID, CalendarID: reminded.CalendarID}
	t, err := d.tabs.ByCalendar(ctx, tenantID, reminded.CalendarID)
	if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
		return d.reschedule(ctx, tenantID, eventReminderKey(gone), time.Time{}, nil)
	}
	if err != nil {
		return err
	}
	e, err := d.events.Get(ctx, tenantID, reminded.CalendarID, reminded.ID)
	if teamspro.ErrorCode(err) == teamspro.ENOTFOUND {
		return d.reschedule(ctx, tenantID, eventReminderKey(gone), time.Time{}, nil)
	}
	if err != nil {
		return err
	}
	info, to, err := d.describe(ctx, tenantID, e, teamspro.Principal{})
	if err != nil {
		return err
	}
	return d.eventReminder(ctx, t, e, false, info, to, reminded.Start, &idSource{base: newID()})
}
