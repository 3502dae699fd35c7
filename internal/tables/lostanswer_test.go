package tables_test

import (
	"context"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/faultproxy"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
)

// TestAppliedWriteWhoseAnswerWasLost plays the storage failure behind a
// false conflict: a write reaches storage and is applied, but its answer is
// lost (the try times out), so the client tries again, and storage answers
// the repeat with 409 (exists) or 412 (changed). The write succeeded and must
// say so, not report a conflict to the caller who made it.
func TestAppliedWriteWhoseAnswerWasLost(t *testing.T) {
	t.Parallel()
	p, through := storageProxy(t)
	p.Hold = 10 * time.Second // the try times out first
	opts := tablestest.Options(t, tables.TableEvents)
	opts.ConnectionString = through
	opts.Retry = &policy.RetryOptions{MaxRetries: 2, TryTimeout: 3 * time.Second, RetryDelay: 10 * time.Millisecond}
	c, err := tables.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	tablestest.Ensure(t, c, tables.TableEvents)
	events, rooms := tables.NewEventStore(c), tables.NewRoomStore(c)
	tenant, cal := uuid.NewString(), "cal-lost"
	ctx := context.Background()
	start := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	room := func(id, name string) *booking.Room {
		in := booking.RoomInput{Name: name, Capacity: 4, TimeZone: "UTC"}
		in.Normalize()
		return &booking.Room{TenantID: tenant, ID: id, RoomInput: in, CreatedAt: time.Now().UTC()}
	}

	tests := []struct {
		name  string
		setup func(t *testing.T, id string)
		write func(id string) error
	}{
		{"create an event", nil, func(id string) error {
			_, err := events.Create(ctx, tenant, mkEvent(t, cal, id, timed(start, time.Hour)))
			return err
		}},
		{"update an event", func(t *testing.T, id string) {
			if _, err := events.Create(ctx, tenant, mkEvent(t, cal, id, timed(start, time.Hour))); err != nil {
				t.Fatal(err)
			}
		}, func(id string) error {
			e := mkEvent(t, cal, id, timed(start.Add(2*time.Hour), time.Hour))
			e.Title = "Moved"
			_, err := events.Update(ctx, tenant, e, `"1"`, nil)
			return err
		}},
		{"create a room", nil, func(id string) error { return rooms.Create(ctx, room(id, "Lost")) }},
		{"update a room", func(t *testing.T, id string) {
			if err := rooms.Create(ctx, room(id, "Before")); err != nil {
				t.Fatal(err)
			}
		}, func(id string) error { return rooms.Update(ctx, room(id, "After"), `"1"`) }},
	}
	for _, tt := range tests { // not parallel: they share the proxy
		t.Run(tt.name, func(t *testing.T) {
			// How many requests the write makes: its last one is the write.
			dry := "dry-" + uuid.NewString()[:8]
			if tt.setup != nil {
				tt.setup(t, dry)
			}
			p.Passed()
			if err := tt.write(dry); err != nil {
				t.Fatalf("write with storage well: %v", err)
			}
			n := p.Passed()

			id := "lost-" + uuid.NewString()[:8]
			if tt.setup != nil {
				tt.setup(t, id)
			}
			failed := p.Failed()
			p.FailAfter(n-1, faultproxy.Timeout) // the write is applied, its answer lost
			p.OnRequest(n, p.Heal)               // the client's next try reaches storage
			err := tt.write(id)
			p.Heal()
			if got := p.Failed() - failed; got != 1 {
				t.Fatalf("got %d lost answers, want 1 (the test did not play the failure)", got)
			}
			if err != nil {
				t.Errorf("got %v, want success: the write was applied", err)
			}
		})
	}
}
