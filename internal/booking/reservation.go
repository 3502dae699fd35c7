package booking

import (
	"context"
	"errors"
	"time"

	"github.com/teamspro/functions/internal/calendar"

	"github.com/teamspro/functions/internal/teamspro"
)

// Reservation statuses. Pending and confirmed reservations hold their slot;
// the others are history and hold nothing.
const (
	StatusConfirmed = "confirmed"
	StatusPending   = "pending"   // waits for a room manager's approval
	StatusDeclined  = "declined"  // refused by a manager
	StatusCancelled = "cancelled" // cancelled by its organizer or a manager
	StatusReleased  = "released"  // not checked in in time
)

// Holds reports whether a reservation in status holds its room's slot.
func Holds(status string) bool { return status == StatusConfirmed || status == StatusPending }

// Reservation is one booked slot of one room. Its JSON is the reference
// contract's Event (id, calendarId, title, startDate, ... resourceId) plus the
// booking fields (status, organizer, check-in).
type Reservation struct {
	TenantID       string                   `json:"-"`
	ID             string                   `json:"id"`
	CalendarID     string                   `json:"calendarId"`
	Title          string                   `json:"title"`
	Description    string                   `json:"description,omitempty"`
	Start          time.Time                `json:"startDate"`
	End            time.Time                `json:"endDate"`
	Color          string                   `json:"color,omitempty"`
	AllDay         bool                     `json:"allDay"`
	RoomID         string                   `json:"resourceId"`
	RoomName       string                   `json:"resourceName,omitempty"`
	RRule          *calendar.RecurrenceRule `json:"rrule,omitempty"`
	Duration       int64                    `json:"duration"` // milliseconds
	ModeRecurrence string                   `json:"modeRecurrence,omitempty"`
	TimeZone       string                   `json:"timeZone"`
	Address        *calendar.Address        `json:"address,omitempty"`
	Tags           []string                 `json:"tags"`
	// Participants are the people the organizer books the room for, as
	// Calendar Pro's events name them.
	Participants []calendar.Participant `json:"participants,omitempty"`
	SeriesID     string                 `json:"seriesId,omitempty"`
	// OriginalStart is, for an occurrence of a series, the start its rule
	// gave it: a move keeps it, so invitations name the occurrence by it
	// (RECURRENCE-ID) however often it moves.
	OriginalStart *time.Time `json:"originalStart,omitempty"`
	Status        string     `json:"status"`
	Organizer     string     `json:"organizer"`
	OrganizerName string     `json:"organizerName,omitempty"`
	CheckInBy     *time.Time `json:"checkInBy,omitempty"` // release time of check-in rooms
	CheckedInAt   *time.Time `json:"checkedInAt,omitempty"`
	CreatedAt     time.Time  `json:"createdAt"`
	UpdatedAt     time.Time  `json:"updatedAt"`
	ETag          string     `json:"etag"`
	// Day is the UTC date of Start: the reservation's home partition. It is
	// UTC, not the room's local date, so that nothing a user can change (the
	// room's zone, buffer or hours) moves a reservation to another ledger.
	Day string `json:"-"`
}

// DayOf returns the UTC date of t as YYYY-MM-DD: the day partition of a
// reservation starting at t, and the key of the ledgers that hold slots.
func DayOf(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// LedgerDays returns the UTC dates whose ledgers hold the slot of a
// reservation of [start, end) in a room with buffer: every day that the
// buffered interval touches. Two reservations closer than the buffer then
// always share at least one ledger, whichever side of UTC midnight they lie.
func LedgerDays(start, end time.Time, buffer time.Duration) []string {
	from, to := start.Add(-buffer).UTC(), end.Add(buffer).UTC()
	var out []string
	for d := from.Truncate(24 * time.Hour); d.Before(to); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}

// ErrUnchanged is returned by a change function that has nothing to change:
// the store then writes nothing and answers the reservation as it is (same
// ETag).
var ErrUnchanged = errors.New("booking: nothing to change")

// Slot is one held interval in a room's day ledger.
type Slot struct {
	ID    string    `json:"id"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Overlaps reports whether [start, end) comes closer than buffer to s.
// Intervals are half-open: back to back is not an overlap.
func (s Slot) Overlaps(start, end time.Time, buffer time.Duration) bool {
	return start.Before(s.End.Add(buffer)) && s.Start.Before(end.Add(buffer))
}

// Conflict returns the first slot of slots, other than the reservation id
// itself, that [start, end) overlaps with buffer.
func Conflict(slots []Slot, id string, start, end time.Time, buffer time.Duration) (Slot, bool) {
	for _, s := range slots {
		if s.ID != id && s.Overlaps(start, end, buffer) {
			return s, true
		}
	}
	return Slot{}, false
}

// SlotTaken is the ECONFLICT of a booking of [start, end) that Conflict
// found too close to the slot s. The reason names the rule: slot_taken when
// the two overlap, within_buffer when only the room's buffer separates them.
// The problem's extra names the room and the conflicting slot.
func SlotTaken(roomID string, s Slot, start, end time.Time) error {
	from, to := s.Start.UTC().Format(time.RFC3339), s.End.UTC().Format(time.RFC3339)
	e := teamspro.Errorf(teamspro.ECONFLICT, "The room is already booked from %s to %s.", from, to)
	e.Detail = ReasonSlotTaken
	if !s.Overlaps(start, end, 0) {
		e = teamspro.Errorf(teamspro.ECONFLICT, "The room keeps a buffer around its reservations, and the one from %s to %s is too close.", from, to)
		e.Detail = ReasonWithinBuffer
	}
	e.Extra = map[string]any{"roomId": roomID, "conflict": map[string]any{"start": s.Start.UTC(), "end": s.End.UTC()}}
	return e
}

// ApplyCheckIn sets the check-in deadline of r from its room's rules.
func (r *Reservation) ApplyCheckIn(room *Room) {
	r.CheckInBy = nil
	if room.Rules.CheckInRequired && r.CheckedInAt == nil {
		t := r.Start.Add(time.Duration(room.Rules.ReleaseAfterMinutes) * time.Minute).UTC()
		r.CheckInBy = &t
	}
}

// CheckInWindow reports whether now is within r's check-in window: from
// CheckInEarly before the start to its release time (or its end).
func (r *Reservation) CheckInWindow(now time.Time) bool {
	last := r.End
	if r.CheckInBy != nil {
		last = *r.CheckInBy
	}
	return !now.Before(r.Start.Add(-CheckInEarly)) && now.Before(last)
}

// EventInput is the body of the reference contract's create and update
// (title, startDate, endDate, timeZone and resourceId required), plus the
// optional fields of its Event and skipConflicts for recurring reservations.
type EventInput struct {
	Title          string                   `json:"title"`
	Description    string                   `json:"description"`
	StartDate      time.Time                `json:"startDate"`
	EndDate        time.Time                `json:"endDate"`
	Color          string                   `json:"color"`
	AllDay         bool                     `json:"allDay"`
	ResourceID     string                   `json:"resourceId"`
	ModeRecurrence string                   `json:"modeRecurrence"`
	TimeZone       string                   `json:"timeZone"`
	Address        *calendar.Address        `json:"address"`
	Tags           []string                 `json:"tags"`
	RRule          *calendar.RecurrenceRule `json:"rrule"`
	Duration       *int64                   `json:"duration"`
	ResourceName   string                   `json:"resourceName"`
	SkipConflicts  bool                     `json:"skipConflicts"`
	Participants   []calendar.Participant   `json:"participants"`
	// CalendarID and ID are ignored: a client may send back an Event as read.
	CalendarID string `json:"calendarId"`
	ID         string `json:"id"`
}

// Recurrence modes of the reference contract.
var modes = []string{"", "NotRepeat", "Workweek", "Daily", "Weekly", "Monthly", "Yearly", "Custom"}

// Validate reports every invalid field of in at once. The contract's fields
// and limits are Calendar Pro's (one event model for both apps): the input is
// checked by calendar.EventInput.ValidateReservation, which also requires the room.
func (in *EventInput) Validate() error {
	var v teamspro.Validation
	v.Check(!in.StartDate.IsZero(), "startDate", "is required (RFC 3339)")
	v.Check(!in.EndDate.IsZero(), "endDate", "is required (RFC 3339)")
	v.Check(in.ResourceID == "" || teamspro.ValidID(in.ResourceID), "resourceId", "room ids are letters, digits and . _ : @ -")
	if err := in.Calendar().ValidateReservation(); err != nil && !v.Merge(err) {
		return err
	}
	return v.Err()
}

// Calendar returns in as Calendar Pro's event input, whose validation,
// recurrence shortcuts and expansion reservations share.
func (in *EventInput) Calendar() calendar.EventInput {
	out := calendar.EventInput{
		Title: in.Title, Description: in.Description, Color: in.Color, AllDay: in.AllDay,
		StartDate: in.StartDate.Format(time.RFC3339Nano), EndDate: in.EndDate.Format(time.RFC3339Nano),
		ResourceID: in.ResourceID, ResourceName: in.ResourceName, ModeRecurrence: in.ModeRecurrence,
		TimeZone: in.TimeZone, Tags: in.Tags, RRule: in.RRule, Duration: in.Duration, Participants: in.Participants,
	}
	if in.AllDay {
		out.StartDate, out.EndDate = in.StartDate.Format(time.DateOnly), in.EndDate.Format(time.DateOnly)
		if !in.EndDate.After(in.StartDate) {
			out.EndDate = out.StartDate
		}
	}
	if a := in.Address; a != nil {
		out.Address = &calendar.AddressJSON{FullAddress: &a.FullAddress, Lat: &a.Lat, Lng: &a.Lng}
	}
	return out
}

// Recurring reports whether in asks for a series.
func (in *EventInput) Recurring() bool {
	return in.RRule != nil || (in.ModeRecurrence != "" && in.ModeRecurrence != string(calendar.NotRepeat) && in.ModeRecurrence != string(calendar.Custom))
}

// Due is a check-in deadline to enforce: the release-unchecked timer reads
// them by time bucket, across tenants.
type Due struct {
	TenantID      string
	ReservationID string
	At            time.Time
	// Key is the store's handle to delete the entry once handled.
	Key string
}

// Notifier is the notification policy as the booking service sees it: it
// records each change in the store's batch that commits it (a recurring
// booking is one change), and announces the record after the request's
// answer. It is optional: nil means no notifications.
type Notifier interface {
	// RecordReservation returns the body of the outgoing record of c; nil
	// when c announces nothing.
	RecordReservation(c Change) ([]byte, error)
	// AnnounceReservation announces a stored record without the request
	// waiting for it, and calls done once it is announced; a record it
	// cannot announce stays stored, for the repair.
	AnnounceReservation(ctx context.Context, o Outgoing, done func(context.Context, Outgoing) error)
	// RelayReservation announces a stored record before returning (the
	// repair's way); announcing one twice publishes the same messages.
	RelayReservation(ctx context.Context, o Outgoing) error
}

// RoomStore keeps an organization's rooms. Every method is scoped by tenant:
// another tenant's room does not exist (ENOTFOUND).
type RoomStore interface {
	// Get returns a room; ENOTFOUND if there is none.
	Get(ctx context.Context, tenantID, roomID string) (*Room, error)
	// List returns every room of the tenant, in id order, in one query.
	List(ctx context.Context, tenantID string) ([]*Room, error)
	// DirectoryVersion returns a value that changes, atomically with the
	// rooms, at every change of the tenant's rooms; "" when none is recorded
	// (which no remembered directory may be taken to match).
	DirectoryVersion(ctx context.Context, tenantID string) (string, error)
	// RecordDirectoryVersion records a first version for a tenant that has
	// none; nil too when one was recorded meanwhile (by a write of the rooms,
	// or by another instance).
	RecordDirectoryVersion(ctx context.Context, tenantID string) error
	// Create stores a new room; ECONFLICT if the id is taken.
	Create(ctx context.Context, r *Room) error
	// Update replaces a room if ifMatch matches ("" or "*": any); EPRECONDITION, ENOTFOUND.
	Update(ctx context.Context, r *Room, ifMatch string) error
	// Delete removes a room; ENOTFOUND, EPRECONDITION.
	Delete(ctx context.Context, tenantID, roomID, ifMatch string) error
	// Import creates or replaces every room, all or none: on failure the
	// rooms already written are put back as they were. ECONFLICT when a room
	// changed concurrently.
	Import(ctx context.Context, tenantID string, rooms []*Room) (created, updated int, err error)
}

// ReservationStore keeps reservations and guards every room's time: two
// holding reservations of one room never overlap, under any concurrency.
type ReservationStore interface {
	// Book stores new reservations (one, or the occurrences of a series) and
	// takes their slots. Each is booked or refused: refused maps the id of
	// every reservation whose slot, widened by buffer, overlaps a held one to
	// its ECONFLICT (reason slot_taken). With skipConflicts false, one refusal
	// books none of them. An error means nothing was booked, or (EUNAVAILABLE)
	// that the outcome is decided by the store's repair: the booking is then
	// either completed or removed whole, never left in part.
	// record (optional) gives the outgoing record written in the batch that
	// commits the booking; out is that record, nil when none was written or
	// the outcome is left to the repair.
	Book(ctx context.Context, rs []*Reservation, buffer time.Duration, skipConflicts bool, record Recorder) (refused map[string]error, out *Outgoing, err error)
	// Get returns a reservation; ENOTFOUND.
	Get(ctx context.Context, tenantID, id string) (*Reservation, error)
	// Change reads the reservation, lets fn change it (fn may be called again
	// on a retry and returns an error to refuse, or ErrUnchanged to leave it
	// as it is), then stores it and moves or releases its slot; buffer is the
	// (new) room's. The change is completed or undone whole, by the request
	// or by the store's repair. ENOTFOUND, EPRECONDITION (ifMatch), ECONFLICT
	// (slot_taken). record and out are Book's.
	Change(ctx context.Context, tenantID, id, ifMatch string, buffer time.Duration, fn func(*Reservation) error, record Recorder) (*Reservation, *Outgoing, error)
	// DoneOutgoing forgets an announced record; forgetting one twice is not
	// an error.
	DoneOutgoing(ctx context.Context, o Outgoing) error
	// Repair completes or undoes every change left unfinished (by a dead
	// instance, or a storage failure) that started more than grace ago, by
	// the store's clock, and hands the records of committed changes that are
	// still unannounced to relay (nil: they are dropped), forgetting those it
	// accepts; it returns how many changes it handled.
	Repair(ctx context.Context, grace time.Duration, relay func(context.Context, Outgoing) error) (int, error)
	// Schedule returns the reservations of the given rooms starting on the
	// given UTC days, in every status, each once: one query per day, whatever
	// the number of rooms.
	Schedule(ctx context.Context, tenantID string, roomIDs, days []string) ([]*Reservation, error)
	// Pending returns the pending reservations of the given rooms (every
	// room when roomIDs is nil) that end after now: one query of the
	// tenant's index, whatever the number of rooms.
	Pending(ctx context.Context, tenantID string, roomIDs []string, now time.Time) ([]*Reservation, error)
	// Busy returns, per room id, the held slots of the given UTC days: one query per day.
	Busy(ctx context.Context, tenantID string, days []string) (map[string][]Slot, error)
	// Usage returns the reservations of the given rooms homed on the given
	// UTC days (starting on them), in every status, each once: one query
	// per day, whatever the number of rooms.
	Usage(ctx context.Context, tenantID string, days, roomIDs []string) ([]Usage, error)
	// ByCalendar returns the reservations made through a booking calendar
	// starting in [from, to).
	ByCalendar(ctx context.Context, tenantID, calendarID string, from, to time.Time) ([]*Reservation, error)
	// ByOrganizer returns a user's reservations ending after from and starting before to.
	ByOrganizer(ctx context.Context, tenantID, objectID string, from, to time.Time) ([]*Reservation, error)
	// FutureOfRoom counts the room's holding reservations that end after now.
	FutureOfRoom(ctx context.Context, tenantID, roomID string, now time.Time) (int, error)
	// Due returns the check-in deadlines in [from, to), across tenants.
	Due(ctx context.Context, from, to time.Time) ([]Due, error)
	// DoneDue forgets a handled deadline; forgetting one twice is not an error.
	DoneDue(ctx context.Context, d Due) error
}
