package tables_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
)

// TestAvailabilityReadsEveryLedgerForm checks the free-room search against
// ledgers written by the booking batch (with the compact Busy column) and
// ledgers written before that column existed (slots in Doc only): a room
// taken in either form is not offered.
func TestAvailabilityReadsEveryLedgerForm(t *testing.T) {
	t.Parallel()
	f := newBookingFixture(t)
	ctx := context.Background()
	for _, id := range []string{"booked", "legacy", "free"} {
		f.room(t, id, nil)
	}
	start := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	if _, err := f.svc.Create(ctx, f.user(), "cal", input("booked", start, time.Hour)); err != nil {
		t.Fatal(err)
	}
	// A ledger as stored before the Busy column: its slot in Doc only.
	svc, err := aztables.NewServiceClientFromConnectionString(tablestest.ConnectionString(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(map[string]any{"slots": []booking.Slot{{ID: "old-1", Start: start.Add(30 * time.Minute), End: start.Add(90 * time.Minute)}}})
	e, _ := json.Marshal(map[string]any{"PartitionKey": f.tenant + "|d|2026-03-04", "RowKey": "ledger|legacy", "Doc": string(doc), "RoomID": "legacy", "Slots": 1})
	if _, err := svc.NewClient(tablestest.Prefix()+tables.TableBookings).AddEntity(ctx, e, nil); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		from, to time.Time
		want     []string
	}{
		{"both taken", start, start.Add(time.Hour), []string{"free"}},
		{"only the legacy slot", start.Add(70 * time.Minute), start.Add(80 * time.Minute), []string{"booked", "free"}},
		{"before both", start.Add(-time.Hour), start, []string{"booked", "free", "legacy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rooms, err := f.svc.Available(ctx, f.tenant, tt.from, tt.to, booking.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rooms {
				got = append(got, r.ID)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("free rooms: got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestAvailabilityFromTheRoomCache checks that a search served from the
// remembered room directory still sees a new booking at once (the ledgers
// are always read) and a room change made through the cache at once.
func TestAvailabilityFromTheRoomCache(t *testing.T) {
	t.Parallel()
	f := newBookingFixture(t)
	ctx := context.Background()
	svc, cache := f.cachedService(t)
	a := f.room(t, "a", nil)
	f.room(t, "b", nil)
	start := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	free := func(t *testing.T, want ...string) {
		t.Helper()
		rooms, err := svc.Available(ctx, f.tenant, start, start.Add(time.Hour), booking.Filter{Capacity: 6})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rooms {
			got = append(got, r.ID)
			r.Name = "changed by the caller" // a copy: the cache must not see it
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("free rooms: got %v, want %v", got, want)
		}
	}
	free(t, "a", "b")
	if _, err := svc.Create(ctx, f.user(), "cal", input("b", start, time.Hour)); err != nil {
		t.Fatal(err)
	}
	free(t, "a")
	rooms, err := cache.List(ctx, f.tenant)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rooms {
		if r.Name != "Room "+r.ID {
			t.Errorf("room %s: got name %q, want the stored %q", r.ID, r.Name, "Room "+r.ID)
		}
	}
	a.Capacity = 2
	if err := cache.Update(ctx, a, ""); err != nil {
		t.Fatal(err)
	}
	free(t)
}
