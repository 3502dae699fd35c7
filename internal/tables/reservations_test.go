package tables_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
	"github.com/teamspro/functions/internal/teamspro"
)

var bookingTables = []string{tables.TableRooms, tables.TableBookings, tables.TableDue, tables.TableIntents}

// bookingFixture is the booking service over real stores, with a fixed clock.
type bookingFixture struct {
	client *tables.Client
	rooms  *tables.RoomStore
	res    *tables.ReservationStore
	svc    *booking.Service
	tenant string
	now    time.Time
}

func newBookingFixture(t testing.TB, opts ...func(*tables.Options)) *bookingFixture {
	t.Helper()
	o := tablestest.Options(t, bookingTables...)
	for _, f := range opts {
		f(&o)
	}
	c, err := tables.New(o)
	if err != nil {
		t.Fatal(err)
	}
	if o.Prefix == tablestest.Prefix() {
		tablestest.Ensure(t, c, bookingTables...)
	} else { // tables of its own (see faultFixture.isolate)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.EnsureTables(ctx); err != nil {
			t.Fatalf("EnsureTables: %v", err)
		}
	}
	f := &bookingFixture{client: c, rooms: tables.NewRoomStore(c), res: tables.NewReservationStore(c), tenant: tablestest.Tenant(),
		now: time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)}
	f.svc, err = booking.NewService(f.rooms, f.res, func() time.Time { return f.now }, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *bookingFixture) room(t testing.TB, id string, mut func(*booking.RoomInput)) *booking.Room {
	t.Helper()
	in := booking.RoomInput{Name: "Room " + id, Capacity: 6, TimeZone: "UTC", Equipment: []string{"screen"}}
	if mut != nil {
		mut(&in)
	}
	in.Normalize()
	r := &booking.Room{TenantID: f.tenant, ID: id, RoomInput: in}
	if err := f.rooms.Create(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

// storedRow is a row of the bookings table as read back directly.
type storedRow struct {
	PartitionKey, RowKey, Doc string
}

// readDays reads every day-partition row of the tenant straight from storage.
func readDays(t testing.TB, tenant string) []storedRow {
	t.Helper()
	svc, err := aztables.NewServiceClientFromConnectionString(tablestest.ConnectionString(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	filter := fmt.Sprintf("PartitionKey ge '%s|d|' and PartitionKey lt '%s|d|~'", tenant, tenant)
	pager := svc.NewClient(tablestest.Prefix() + tables.TableBookings).NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter})
	var out []storedRow
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Entities {
			var r storedRow
			if err := json.Unmarshal(e, &r); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
	}
	return out
}

// checkNoOverlap reads storage directly and fails if two holding reservations
// of one room overlap, or if a room's ledger does not hold exactly its holding
// reservations. It returns the number of holding reservations.
func checkNoOverlap(t testing.TB, tenant string) int {
	t.Helper()
	byRoom := map[string][]booking.Reservation{}
	ledgerSlots := map[string]bool{}  // day|room|id
	reservedSlot := map[string]bool{} // day|room|id
	for _, r := range readDays(t, tenant) {
		day := r.PartitionKey[strings.LastIndex(r.PartitionKey, "|")+1:]
		switch {
		case strings.HasPrefix(r.RowKey, "res|"):
			var res booking.Reservation
			if err := json.Unmarshal([]byte(r.Doc), &res); err != nil {
				t.Fatal(err)
			}
			if booking.Holds(res.Status) {
				byRoom[res.RoomID] = append(byRoom[res.RoomID], res)
				reservedSlot[day+"|"+res.RoomID+"|"+res.ID] = true
			}
		case strings.HasPrefix(r.RowKey, "ledger|"):
			var l struct{ Slots []booking.Slot }
			if err := json.Unmarshal([]byte(r.Doc), &l); err != nil {
				t.Fatal(err)
			}
			for _, s := range l.Slots {
				ledgerSlots[day+"|"+strings.TrimPrefix(r.RowKey, "ledger|")+"|"+s.ID] = true
			}
		}
	}
	n := 0
	for room, rs := range byRoom {
		n += len(rs)
		sort.Slice(rs, func(i, j int) bool { return rs[i].Start.Before(rs[j].Start) })
		for i := 1; i < len(rs); i++ {
			if rs[i].Start.Before(rs[i-1].End) {
				t.Errorf("room %s: %s [%s, %s) overlaps %s [%s, %s)", room, rs[i].ID, rs[i].Start, rs[i].End, rs[i-1].ID, rs[i-1].Start, rs[i-1].End)
			}
		}
	}
	for k := range reservedSlot {
		if !ledgerSlots[k] {
			t.Errorf("holding reservation %s is not in its ledger", k)
		}
	}
	for k := range ledgerSlots {
		if !reservedSlot[k] {
			t.Errorf("ledger slot %s has no holding reservation", k)
		}
	}
	return n
}

func input(room string, start time.Time, d time.Duration) *booking.EventInput {
	return &booking.EventInput{Title: "Meeting", StartDate: start, EndDate: start.Add(d), TimeZone: "UTC", ResourceID: room}
}

// cachedService is a booking service over f's stores whose rooms go
// through a room cache (an hour's TTL), as a warm instance's do.
func (f *bookingFixture) cachedService(t testing.TB) (*booking.Service, *booking.RoomCache) {
	t.Helper()
	cache := booking.NewRoomCache(f.rooms, time.Hour, 0, nil)
	svc, err := booking.NewService(cache, f.res, func() time.Time { return f.now }, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return svc, cache
}

func (f *bookingFixture) user() teamspro.Principal {
	return teamspro.Principal{TenantID: f.tenant, ObjectID: uuid.NewString()}
}

// TestRandomizedBookingsNeverOverlap runs 1,000 mixed bookings, cancellations
// and moves (within and across days and rooms) from 8 workers on 3 rooms over
// 2 days, then reads storage directly: no two holding reservations of a room
// overlap, and each ledger holds exactly its room's holding reservations.
func TestRandomizedBookingsNeverOverlap(t *testing.T) {
	t.Parallel()
	f := newBookingFixture(t)
	rooms := []string{"r1", "r2", "r3"}
	for _, r := range rooms {
		f.room(t, r, nil)
	}
	ctx := context.Background()
	var (
		mu  sync.Mutex
		ids []string
	)
	var counts [3][2]atomic.Int64 // op x (ok, refused)
	randomSlot := func(rng *rand.Rand) (string, time.Time, time.Duration) {
		day := f.now.Truncate(24*time.Hour).AddDate(0, 0, 1+rng.IntN(2))
		start := day.Add(9*time.Hour + time.Duration(rng.IntN(32))*15*time.Minute)
		return rooms[rng.IntN(len(rooms))], start, time.Duration(1+rng.IntN(8)) * 15 * time.Minute
	}
	const workers, ops = 8, 1000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			p := f.user()
			p.Admin = true
			for range ops / workers {
				op := rng.IntN(3)
				mu.Lock()
				var id string
				if len(ids) > 0 {
					id = ids[rng.IntN(len(ids))]
				}
				mu.Unlock()
				if id == "" {
					op = 0
				}
				var err error
				switch op {
				case 0:
					room, start, d := randomSlot(rng)
					var c *booking.Created
					if c, err = f.svc.Create(ctx, p, "cal", input(room, start, d)); err == nil {
						mu.Lock()
						ids = append(ids, c.First.ID)
						mu.Unlock()
					}
				case 1:
					_, err = f.svc.Cancel(ctx, p, id, "")
				case 2:
					room, start, d := randomSlot(rng)
					_, err = f.svc.Update(ctx, p, id, "", input(room, start, d))
				}
				var te *teamspro.Error
				_ = errors.As(err, &te)
				switch teamspro.ErrorCode(err) {
				case "":
					counts[op][0].Add(1)
				case teamspro.EINVALID:
					if te.Detail != booking.ReasonNotActive {
						t.Errorf("op %d: %v", op, err)
					}
					counts[op][1].Add(1)
				case teamspro.ECONFLICT, teamspro.EPRECONDITION, teamspro.ENOTFOUND:
					counts[op][1].Add(1)
				default:
					t.Errorf("op %d: %v", op, err)
				}
			}
		}()
	}
	wg.Wait()
	for op, name := range []string{"book", "cancel", "move"} {
		t.Logf("%s: %d done, %d refused", name, counts[op][0].Load(), counts[op][1].Load())
		if counts[op][0].Load() == 0 {
			t.Errorf("no %s succeeded: the test exercised nothing", name)
		}
	}
	if counts[0][1].Load() == 0 {
		t.Errorf("no booking was refused: the test exercised no conflict")
	}
	held := checkNoOverlap(t, f.tenant)
	t.Logf("%d reservations held at the end", held)
}

// TestConcurrentBookingsOneWins books one slot from 20 goroutines at once.
func TestConcurrentBookingsOneWins(t *testing.T) {
	t.Parallel()
	f := newBookingFixture(t)
	f.room(t, "solo", func(in *booking.RoomInput) { in.Rules.BufferMinutes = 15 })
	start := f.now.Add(27 * time.Hour)
	var ok, conflict atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Different but overlapping slots, some only within the buffer.
			s := start.Add(time.Duration(i%3) * 20 * time.Minute)
			_, err := f.svc.Create(context.Background(), f.user(), "cal", input("solo", s, 30*time.Minute))
			switch teamspro.ErrorCode(err) {
			case "":
				ok.Add(1)
			case teamspro.ECONFLICT:
				conflict.Add(1)
			default:
				t.Errorf("got %v, want success or ECONFLICT", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || conflict.Load() != 19 {
		t.Errorf("got %d booked and %d conflicts, want 1 and 19", ok.Load(), conflict.Load())
	}
	if n := checkNoOverlap(t, f.tenant); n != 1 {
		t.Errorf("got %d holding reservations in storage, want 1", n)
	}
}

func TestMoveAcrossDaysAndRooms(t *testing.T) {
	t.Parallel()
	f := newBookingFixture(t)
	f.room(t, "a", nil)
	f.room(t, "b", nil)
	ctx := context.Background()
	p := f.user()
	day1 := f.now.Add(28 * time.Hour)
	c, err := f.svc.Create(ctx, p, "cal", input("a", day1, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	blocker, err := f.svc.Create(ctx, p, "cal", input("b", day1.Add(24*time.Hour), time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// Onto a taken slot: refused, and the reservation stays where it was.
	_, err = f.svc.Update(ctx, p, c.First.ID, "", input("b", day1.Add(24*time.Hour+30*time.Minute), time.Hour))
	if teamspro.ErrorCode(err) != teamspro.ECONFLICT {
		t.Fatalf("move onto a taken slot: got %v, want ECONFLICT", err)
	}
	moved, err := f.svc.Update(ctx, p, c.First.ID, c.First.ETag, input("b", day1.Add(25*time.Hour), time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if moved.RoomID != "b" || moved.ETag != `"2"` {
		t.Errorf("got room %s etag %s, want b and \"2\"", moved.RoomID, moved.ETag)
	}
	got, err := f.res.Get(ctx, f.tenant, c.First.ID)
	if err != nil || !got.Start.Equal(day1.Add(25*time.Hour)) {
		t.Fatalf("got %v (%v), want the moved reservation", got, err)
	}
	// The old slot is free again.
	if _, err := f.svc.Create(ctx, p, "cal", input("a", day1, time.Hour)); err != nil {
		t.Errorf("old slot: got %v, want it free", err)
	}
	// A stale If-Match is refused.
	if _, err := f.svc.Update(ctx, p, c.First.ID, c.First.ETag, input("b", day1.Add(26*time.Hour), time.Hour)); teamspro.ErrorCode(err) != teamspro.EPRECONDITION {
		t.Errorf("stale If-Match: got %v, want EPRECONDITION", err)
	}
	_ = blocker
	if n := checkNoOverlap(t, f.tenant); n != 3 {
		t.Errorf("got %d holding reservations, want 3", n)
	}
}

func TestRoomsAreTenantScoped(t *testing.T) {
	t.Parallel()
	f := newBookingFixture(t)
	f.room(t, "shared", nil)
	other := tablestest.Tenant()
	if _, err := f.rooms.Get(context.Background(), other, "shared"); code(err) != teamspro.ENOTFOUND {
		t.Errorf("got %v, want ENOTFOUND for another tenant", err)
	}
	if rs, err := f.rooms.List(context.Background(), other); err != nil || len(rs) != 0 {
		t.Errorf("got %d rooms (%v), want none for another tenant", len(rs), err)
	}
}

// failBatches fails the batch requests numbered in fail (1-based), as a
// storage outage in the middle of an import would.
type failBatches struct {
	mu   sync.Mutex
	n    int
	fail []int
}

func (f *failBatches) Do(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "$batch") {
		f.mu.Lock()
		f.n++
		bad := slices.Contains(f.fail, f.n)
		f.mu.Unlock()
		if bad {
			return nil, fmt.Errorf("injected failure of batch %d", f.n)
		}
	}
	return http.DefaultClient.Do(req)
}

// TestImportIsAllOrNothing imports 250 rooms (three batches) over 10
// existing ones, and fails the second batch: the first is undone, so storage
// is as before.
func TestImportIsAllOrNothing(t *testing.T) {
	t.Parallel()
	fb := &failBatches{}
	f := newBookingFixture(t, func(o *tables.Options) { o.Transport = fb })
	for i := range 10 {
		f.room(t, fmt.Sprintf("room-%03d", i), nil)
	}
	var rooms []*booking.Room
	for i := range 250 {
		in := booking.RoomInput{Name: fmt.Sprintf("Imported %d", i), Capacity: i, TimeZone: "Europe/Paris"}
		in.Normalize()
		rooms = append(rooms, &booking.Room{ID: fmt.Sprintf("room-%03d", i), RoomInput: in})
	}
	fb.mu.Lock()
	fb.fail = []int{fb.n + 2, fb.n + 3, fb.n + 4, fb.n + 5} // the second batch and its retries
	fb.mu.Unlock()
	ctx := context.Background()
	if _, _, err := f.rooms.Import(ctx, f.tenant, rooms); err == nil {
		t.Fatal("got no error, want the injected failure")
	}
	got, err := f.rooms.List(ctx, f.tenant)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 {
		t.Fatalf("got %d rooms after a failed import, want the 10 from before", len(got))
	}
	for _, r := range got {
		if !strings.HasPrefix(r.Name, "Room ") || r.ETag != `"1"` {
			t.Errorf("room %s: got %q %s, want it as before", r.ID, r.Name, r.ETag)
		}
	}
	// The same import succeeds once storage answers, and is idempotent.
	for range 2 {
		created, updated, err := f.rooms.Import(ctx, f.tenant, rooms)
		if err != nil {
			t.Fatal(err)
		}
		if created+updated != 250 {
			t.Errorf("got %d created + %d updated, want 250", created, updated)
		}
	}
	if got, _ := f.rooms.List(ctx, f.tenant); len(got) != 250 {
		t.Errorf("got %d rooms, want 250", len(got))
	}
}

// recorder is a Notifier that remembers the changes whose records were
// stored and announced.
type recorder struct {
	mu    sync.Mutex
	kinds []string
}

func (r *recorder) RecordReservation(c booking.Change) ([]byte, error) {
	body := string(c.Kind)
	if c.Kind != booking.ChangeCreated && (c.Before == nil || c.Before.ETag == c.After.ETag) {
		body += ",(no before)"
	}
	return []byte(body), nil
}

func (r *recorder) AnnounceReservation(ctx context.Context, o booking.Outgoing, done func(context.Context, booking.Outgoing) error) {
	r.mu.Lock()
	r.kinds = append(r.kinds, string(o.Body))
	r.mu.Unlock()
	_ = done(ctx, o)
}

func (r *recorder) RelayReservation(context.Context, booking.Outgoing) error { return nil }

func TestNotifierHearsEverySuccessfulChange(t *testing.T) {
	t.Parallel()
	f := newBookingFixture(t)
	rec := &recorder{}
	f.svc.Notifier = rec
	f.room(t, "n", func(in *booking.RoomInput) { in.Rules.RequiresApproval = true })
	ctx := context.Background()
	p, admin := f.user(), f.user()
	admin.Admin = true
	start := f.now.Add(30 * time.Hour)
	c, err := f.svc.Create(ctx, p, "cal", input("n", start, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Create(ctx, p, "cal", input("n", start, time.Hour)); err == nil {
		t.Fatal("double booking accepted")
	}
	if _, err := f.svc.Decide(ctx, admin, c.First.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Update(ctx, p, c.First.ID, "", input("n", start.Add(time.Hour), time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Cancel(ctx, p, c.First.ID, ""); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rec.kinds, ","); got != "created,approved,updated,cancelled" {
		t.Errorf("got %s, want created,approved,updated,cancelled (nothing for the refused booking)", got)
	}
	problems, err := f.res.Verify(ctx, f.tenant)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("after announcing every change: %s", p)
	}
}
