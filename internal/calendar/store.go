package calendar

import (
	"context"
	"time"
)

// Window is what a calendar view needs from storage for [from, to): the
// single events that may meet it and every series (with its exceptions)
// that may. It may hold more than what meets the window; Expand decides.
type Window struct {
	Events     []Event // single events and series
	Exceptions []Exception
}

// Page asks for one page of a list; Token is the continuation returned by
// the previous page ("" for the first).
type Page struct {
	Token string
	Limit int
}

// Store keeps events, series and their exceptions, scoped by tenant: no
// method ever reads or writes another tenant's data. Methods return
// *teamspro.Error codes as stated, EUNAVAILABLE when storage cannot be
// reached, and EINTERNAL for anything unexpected.
//
// Recommended Table Storage layout (so a month view of a calendar holding
// 5,000 events reads a few hundred entities, never the table):
//
//   - PartitionKey "{tenantId}|{calendarId}": one partition per calendar.
//     All of one calendar's rows sit together, so a view is a single
//     partition range query, and the rows an edit touches (an event, its
//     index row, a split series and its exceptions) can be written in one
//     atomic, ETag-conditional batch. A calendar's size is far below what a
//     partition serves; partitions of different calendars spread the load.
//   - RowKey "e|{eventId}": the event itself, authoritative, whose ETag is
//     the event's ETag (If-Match on updates). Point reads by id.
//   - RowKey "s|{startUTC:20060102T150405Z}|{eventId}": a projection of each
//     single event shorter than 7 days, keyed by start. A window [from, to)
//     is the range ["s|"+(from-7d-1d), "s|"+(to+1d)): the 7 days reach the
//     events that start before the window and last into it, the extra day
//     covers all-day events, whose dates are matched in the viewer's zone
//     (a date can begin up to 26 hours apart across zones).
//   - RowKey "l|{eventId}": single events of 7 days or more, and
//     RowKey "r|{seriesId}": recurring series. Both ranges are read whole
//     for every view: a series may produce an occurrence in any window
//     whatever its first start, and long events are few. Series whose UNTIL
//     is before the window can be skipped after reading. Their count per
//     calendar is small (tens), unlike single events.
//   - RowKey "x|{seriesId}|{originalStartUTC}": exceptions, read for the
//     series of the view (one range per series, or the whole "x|" range
//     when there are many series).
//   - RowKey "d|{deletedAtUTC}|{eventId}": tombstones of soft-deleted events
//     (the "s|"/"l|"/"r|" projection is removed in the same batch as the
//     "e|" row is marked deleted), so list deleted and purge older than are
//     range queries over "d|", not scans.
//
// Every write of an event is one batch in its partition: the "e|" row with
// If-Match plus its projections, so the projection never disagrees with the
// event. Every write also takes the Outgoing records announcing it (rows
// "u|{id}" of the same partition) into that batch.
type Store interface {
	// Get returns the event (single or series). ENOTFOUND if it does not
	// exist in this tenant's calendar or is deleted.
	Get(ctx context.Context, tenantID, calendarID, eventID string) (Event, error)

	// ListWindow returns what Expand needs to show [from, to) (see Window).
	// EINVALID if the window is empty or longer than MaxWindow. Deleted
	// events are never returned.
	ListWindow(ctx context.Context, tenantID, calendarID string, from, to time.Time) (Window, error)

	// Create stores a new event and returns it with its ETag. ECONFLICT if
	// its id is taken.
	Create(ctx context.Context, tenantID string, e Event, out ...Outgoing) (Event, error)

	// Update replaces the event if its current ETag is ifMatch ("*" matches
	// any) and returns it with its new ETag. ENOTFOUND if it does not exist
	// or is deleted; EPRECONDITION if ifMatch is stale. When the series
	// pattern or start changed, pass the exceptions ReconcileExceptions
	// orphaned in drop: they are deleted in the same batch.
	Update(ctx context.Context, tenantID string, e Event, ifMatch string, drop []Exception, out ...Outgoing) (Event, error)

	// ReplaceSeries stores a "this and following" split atomically: the
	// shortened series (If-Match ifMatch), the new series and the moved
	// exceptions. ENOTFOUND, EPRECONDITION as Update; ECONFLICT if the new
	// series' id is taken.
	ReplaceSeries(ctx context.Context, tenantID string, s Split, ifMatch string, out ...Outgoing) (Split, error)

	// PutException creates or replaces the exception of one occurrence
	// (cancel or override). ENOTFOUND if the series does not exist;
	// EPRECONDITION if ifMatch is set and is not the exception's current
	// ETag ("" creates or replaces unconditionally).
	PutException(ctx context.Context, tenantID, calendarID string, x Exception, ifMatch string, out ...Outgoing) (Exception, error)

	// DeleteException removes an exception, restoring the occurrence the
	// rule gives. ENOTFOUND if there is none.
	DeleteException(ctx context.Context, tenantID, calendarID, seriesID string, originalStart time.Time) error

	// Delete soft-deletes an event (a series with its exceptions) at time
	// at, if its ETag is ifMatch ("*" matches any), and raises its Sequence
	// (a cancellation is a change invitees' calendars must apply). ENOTFOUND if it does not
	// exist or is already deleted; EPRECONDITION if ifMatch is stale.
	Delete(ctx context.Context, tenantID, calendarID, eventID, ifMatch string, at time.Time, out ...Outgoing) error

	// Restore undeletes a soft-deleted event, raises its Sequence again, and
	// returns it. ENOTFOUND if there is no deleted event with that id
	// (purged, or never deleted).
	Restore(ctx context.Context, tenantID, calendarID, eventID string, out ...Outgoing) (Event, error)

	// ListDeleted returns the calendar's soft-deleted events, most recently
	// deleted first, one page at a time, with the token of the next page
	// ("" after the last). EINVALID for a malformed token.
	ListDeleted(ctx context.Context, tenantID, calendarID string, page Page) ([]Event, string, error)

	// PurgeDeleted removes for good the tenant's events deleted before
	// olderThan, in every calendar, and returns how many it removed. It is
	// idempotent, so a timer can retry it.
	PurgeDeleted(ctx context.Context, tenantID string, olderThan time.Time) (int, error)
}
