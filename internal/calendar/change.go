package calendar

import (
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// ChangeKind names what happened to an event. Every kind a change can have is
// listed by ChangeKinds, so that whoever reacts to changes (the notification
// dispatcher) can be checked to decide about each.
type ChangeKind string

// The kinds of change of an event.
const (
	ChangeCreated             ChangeKind = "created"              // a new event or series (a split's following part too)
	ChangeUpdated             ChangeKind = "updated"              // the event, or the whole series, changed
	ChangeDeleted             ChangeKind = "deleted"              // soft-deleted
	ChangeRestored            ChangeKind = "restored"             // back from the deleted ones
	ChangeOccurrenceChanged   ChangeKind = "occurrence_changed"   // one occurrence of a series changed
	ChangeOccurrenceCancelled ChangeKind = "occurrence_cancelled" // one occurrence of a series cancelled
)

// ChangeKinds lists every ChangeKind.
func ChangeKinds() []ChangeKind {
	return []ChangeKind{ChangeCreated, ChangeUpdated, ChangeDeleted, ChangeRestored, ChangeOccurrenceChanged, ChangeOccurrenceCancelled}
}

// Change is one stored change of an event: what it was and what it is, as
// stored (After carries the Sequence invitations must show). Before is nil
// for ChangeCreated; for ChangeDeleted, After is the event as deleted.
type Change struct {
	Kind   ChangeKind
	Before *Event
	After  *Event
	// OriginalStart and Occurrence say, for the occurrence kinds, which
	// occurrence of the series After changed (the start its rule gives it)
	// and what that occurrence is now, or was before its cancellation, with
	// the Sequence of this change.
	OriginalStart time.Time
	Occurrence    *Event
	By            teamspro.Principal
}

// Outgoing is a record written in the same atomic batch as the change it
// announces (a transactional outbox): it exists if and only if the change
// does, so a process that dies right after the change leaves the record for
// a relay to announce, and one whose change failed leaves none. ID is unique
// per record; Body is the announcer's, opaque to the store.
type Outgoing struct {
	TenantID   string
	CalendarID string
	ID         string
	Body       []byte
	At         time.Time // when it was recorded
}
