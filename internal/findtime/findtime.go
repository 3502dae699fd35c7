// Package findtime finds the earliest times when several people of an
// organization, and when asked a room, are all free, and books one through
// the normal reservation path. It imports no Azure SDK.
//
// People's time comes from a busy index (Index): per person and per UTC day,
// the intervals of the calendar events they take part in (as organizer or
// participant) and of the reservations they organize or join, plus the
// calendar series they take part in, expanded here in their own zones. The
// index is a projection kept by the stores' change streams (see the adapter,
// tables.BusyStore): it is advisory, like the free-room search. A suggestion
// is never a promise: booking goes through booking.Service.Create, whose
// guarded batch alone decides whether a room's slot is free, and a slot taken
// meanwhile answers 409 with fresh suggestions.
//
// Cost: one read of each participant's index partition per request (two
// concurrent range queries: the days of the window, and the series that have
// not ended), one per UTC day of the window for the rooms' ledgers when a
// room is needed, and one profile read per participant: participants × days,
// never a scan of calendars or reservations.
package findtime

import (
	"context"
	"strings"
	"time"

	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/directory"
	"github.com/teamspro/functions/internal/tab"
	"github.com/teamspro/functions/internal/teamspro"
)

// Kinds of busy items.
const (
	KindEvent       = "event"       // a Calendar Pro event or occurrence
	KindReservation = "reservation" // a Booking Room Pro reservation
)

// Busy is one interval when a person is taken, and by what. CalendarID is
// the calendar (or booking tab) of the item: whether the caller can read it
// decides whether its title is shown.
type Busy struct {
	Start      time.Time
	End        time.Time
	Kind       string
	CalendarID string
	ItemID     string
	Title      string
}

// Series is a calendar series a person takes part in, with its exceptions as
// they concern that person: an occurrence whose override no longer names
// them is a cancellation here.
type Series struct {
	CalendarID string
	Event      calendar.Event
	Exceptions []calendar.Exception
}

// Entries is what the index holds for one person around a window.
type Entries struct {
	Busy   []Busy
	Series []Series
}

// Index reads the busy index.
type Index interface {
	// Entries returns the items of key's index over the UTC days that
	// [from, to) touches, and the series of key that have not ended before
	// from. Returns none for a key nothing names.
	Entries(ctx context.Context, tenantID, key string, from, to time.Time) (Entries, error)
}

// People finds users of the organization. tables.DirectoryStore is one.
type People interface {
	// Profile returns a user by object id; ENOTFOUND if they never signed in.
	Profile(ctx context.Context, tenantID, objectID string) (directory.Profile, error)
	// ByUPN returns a user by user principal name (case-insensitive);
	// ENOTFOUND if nobody of that name signed in.
	ByUPN(ctx context.Context, tenantID, upn string) (directory.Profile, error)
}

// Rooms reads rooms and their held slots. booking.Service is one.
type Rooms interface {
	Snapshot(ctx context.Context, tenantID string, from, to time.Time, f booking.Filter, only []string) (*booking.Snapshot, error)
}

// Booker books a room through a booking tab by the normal reservation path:
// the tab's add right and rooms, the room's rules and the guarded batch.
// booking.Calendars is one.
type Booker interface {
	// Tab returns the booking tab owning calendarID; ENOTFOUND for any other.
	Tab(ctx context.Context, p teamspro.Principal, calendarID string) (*tab.Tab, error)
	// Create books what body decodes to through the tab (EFORBIDDEN without
	// its add right; ECONFLICT slot_taken when the room is taken).
	Create(ctx context.Context, p teamspro.Principal, calendarID string, body teamspro.Body) (*booking.Created, bool, error)
}

// Tabs finds the tab of a calendar or booking calendar. tab.Store is one.
type Tabs interface {
	// ByCalendar returns the live tab owning the calendar; ENOTFOUND if none.
	ByCalendar(ctx context.Context, tenantID, calendarID string) (*tab.Tab, error)
}

// readable reports whether p can open the calendar (or booking tab) of an
// item: a live tab of p's organization, which any of its signed-in users
// reads. Only then does an explanation show the item's title.
func (s *Service) readable(ctx context.Context, p teamspro.Principal, calendarID string) bool {
	if !p.IsUser() || !teamspro.ValidID(calendarID) {
		return false
	}
	_, err := s.Tabs.ByCalendar(ctx, p.TenantID, calendarID)
	return err == nil
}

// KeyOf is the index key under which an item names a person: their object
// id when the item has it, else their UPN or e-mail address, lower-cased.
// "" when the item names neither.
func KeyOf(objectID, upnOrEmail string) string {
	if objectID != "" {
		return teamspro.NormalizeGUID(objectID)
	}
	if upnOrEmail = strings.ToLower(strings.TrimSpace(upnOrEmail)); upnOrEmail != "" {
		return "upn:" + upnOrEmail
	}
	return ""
}

// Person is a participant of a search, resolved from the object id or UPN
// the request gave.
type Person struct {
	ObjectID string `json:"objectId,omitempty"`
	UPN      string `json:"upn,omitempty"`
	Name     string `json:"name,omitempty"`
}

// keys are the index keys under which items may name p: by object id and by
// UPN (an event may invite someone by address only).
func (p Person) keys() []string {
	var out []string
	if k := KeyOf(p.ObjectID, ""); k != "" {
		out = append(out, k)
	}
	if k := KeyOf("", p.UPN); k != "" {
		out = append(out, k)
	}
	return out
}

// Same reports whether p is the caller.
func (p Person) same(c teamspro.Principal) bool {
	return p.ObjectID != "" && teamspro.NormalizeGUID(p.ObjectID) == teamspro.NormalizeGUID(c.ObjectID)
}

// BackfillReport says how far a backfill run got.
type BackfillReport struct {
	// Items is how many events and reservations the run handed to the index.
	Items int `json:"items"`
	// Tenants is how many organizations it finished.
	Tenants int `json:"tenants"`
	// Done is true once every organization is finished.
	Done bool `json:"done"`
}

// Backfill brings the busy index in step with what was stored before the
// index existed: each organization's events and reservations, once, through
// the same projection as their changes. tables.BusyBackfill is one.
type Backfill interface {
	// Backfill does up to budget items of work and reports how far it got;
	// run again, it resumes where the last run (or a crashed one) stopped.
	// Safe to run concurrently with itself and with every change.
	Backfill(ctx context.Context, budget int) (BackfillReport, error)
}
