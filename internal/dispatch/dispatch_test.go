package dispatch

import (
	"slices"
	"testing"

	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/notify"
)

// TestEveryChangeIsMailedOrSilent enumerates every kind of change the
// domains emit: each has a rule, which either names the messages it may
// publish (all of the catalogue) or says why it publishes none, never both;
// and the policy has no rule for a kind no domain emits.
func TestEveryChangeIsMailedOrSilent(t *testing.T) {
	t.Parallel()
	var kinds []Kind
	for _, k := range calendar.ChangeKinds() {
		kinds = append(kinds, EventKind(k))
	}
	for _, k := range booking.ChangeKinds() {
		kinds = append(kinds, ReservationKind(k))
	}
	policy := Rules()
	for _, k := range kinds {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			r, ok := policy[k]
			switch {
			case !ok:
				t.Fatalf("got no rule for %s, want one", k)
			case len(r.Messages) == 0 && r.Silent == "":
				t.Errorf("got a rule with no message and no reason for silence")
			case len(r.Messages) > 0 && r.Silent != "":
				t.Errorf("got messages %v and silence %q, want one of them", r.Messages, r.Silent)
			}
			for _, typ := range r.Messages {
				if !slices.Contains(notify.Types(), typ) {
					t.Errorf("got message %s, which is not in the catalogue", typ)
				}
			}
		})
	}
	for k := range policy {
		if !slices.Contains(kinds, k) {
			t.Errorf("got a rule for %s, which no domain emits", k)
		}
	}
	if r := policy[ReservationKind(booking.ChangeCheckedIn)]; r.Silent == "" {
		t.Errorf("checked_in: got %v, want it deliberately silent", r)
	}
	for _, k := range []booking.ChangeKind{booking.ChangeCreated, booking.ChangeUpdated} {
		r := policy[ReservationKind(k)]
		if !slices.Contains(r.Messages, notify.TypeReservationPending) || !slices.Contains(r.Messages, notify.TypeApprovalRequested) {
			t.Errorf("%s: got %v, want a pending reservation told pending and its approval requested", k, r.Messages)
		}
	}
}
