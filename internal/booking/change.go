package booking

import "github.com/teamspro/functions/internal/teamspro"

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
