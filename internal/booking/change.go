package booking

import (
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// ChangeKind names what happened to a reservation. ChangeKinds lists them
// all, so that whoever reacts to changes (the notification dispatcher) can be
// checked to decide about each.
type ChangeKind string

// The kinds of change of a reservation.
const (
	ChangeCreated   ChangeKind = "created"    // booked: confirmed, or pending approval
	ChangeUpdated   ChangeKind = "updated"    // changed or moved; a move may make it pending again
	ChangeCancelled ChangeKind = "cancelled"  // by its organizer or a manager
	ChangeApproved  ChangeKind = "approved"   // a pending one, by a manager
	ChangeDeclined  ChangeKind = "declined"   // a pending one, by a manager
	ChangeCheckedIn ChangeKind = "checked_in" // its organizer (or a manager) is there
	ChangeReleased  ChangeKind = "released"   // nobody checked in in time
)

// ChangeKinds lists every ChangeKind.
func ChangeKinds() []ChangeKind {
	return []ChangeKind{ChangeCreated, ChangeUpdated, ChangeCancelled, ChangeApproved, ChangeDeclined, ChangeCheckedIn, ChangeReleased}
}

// Change is one stored change of a reservation, or the booking of a series.
// Before is nil for ChangeCreated. A recurring booking is one change: After is its
// first booked occurrence, Occurrences every booked one in order, Skipped
// those not booked, and RRule the series' RFC 5545 rule, ending at its last
// booked occurrence, so that one invitation describes exactly what is booked.
type Change struct {
	Kind        ChangeKind
	Before      *Reservation
	After       *Reservation
	Occurrences []*Reservation
	Skipped     []Occurrence
	RRule       string
	// By is who made the change; zero for the release timer.
	By teamspro.Principal
}

// Outgoing is the record announcing a stored change: the transactional outbox
// of reservations. The store writes it in the batch that commits the change,
// so it exists if and only if the change happened, and keeps it until it is
// announced (ReservationStore.DoneOutgoing); what a dead instance left, the
// store's repair hands to the Notifier. The messages it becomes take ids
// derived from ID, so that announcing it twice publishes the same messages,
// which the mail processor sends once.
type Outgoing struct {
	TenantID string
	ID       string
	Body     []byte
	At       time.Time
	// Key is the store's handle to the record.
	Key string
}

// Recorder returns the body of the outgoing record of a change the store is
// about to commit, or nil when the change announces nothing. The store calls
// it with the change as it will be stored (Before and After for a change of
// one reservation; After and Occurrences, every one booked, for a booking),
// each time it builds the committing batch; the caller fills in the rest.
type Recorder func(c Change) ([]byte, error)
