package tables

// Benchmarks of the booking stores against a real Table endpoint (make bench).
// They live in the package to seed data with the stores' own encoding, in
// batches, instead of booking 10,000 reservations one by one.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/teamspro"
)

func benchClient(b *testing.B, counter *CountingTransport) *Client {
	b.Helper()
	cs := os.Getenv("TEAMSPRO_TEST_TABLES")
	if cs == "" {
		b.Skip("TEAMSPRO_TEST_TABLES is not set: run make bench")
	}
	opts := Options{ConnectionString: cs, Prefix: "bench", Tables: []string{TableRooms, TableBookings, TableDue}}
	if counter != nil {
		opts.Transport = counter
	}
	c, err := New(opts)
	if err != nil {
		b.Fatal(err)
	}
	if err := c.EnsureTables(context.Background()); err != nil {
		b.Fatal(err)
	}
	return c
}

const (
	benchRooms        = 500
	benchReservations = 10_000
	benchDays         = 10
)

var benchDay0 = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

var (
	seedOnce   sync.Once
	seedTenant string
	seedErr    error
)

// seedSearch stores 500 rooms and 10,000 reservations (two per room and day
// over ten days) in batches, once per process.
func seedSearch(b *testing.B) string {
	b.Helper()
	seedOnce.Do(func() {
		start := time.Now()
		c := benchClient(b, nil)
		ctx := context.Background()
		seedTenant = uuid.NewString()
		rooms := make([]*booking.Room, benchRooms)
		for i := range rooms {
			in := booking.RoomInput{Name: fmt.Sprintf("Room %d", i), Capacity: 2 + i%20, TimeZone: "UTC", Building: fmt.Sprintf("B%d", i%5),
				Equipment: []string{"screen"}}
			if i%3 == 0 {
				in.Equipment = append(in.Equipment, "vc")
			}
			in.Normalize()
			rooms[i] = &booking.Room{ID: fmt.Sprintf("room-%03d", i), RoomInput: in}
		}
		if _, _, seedErr = NewRoomStore(c).Import(ctx, seedTenant, rooms); seedErr != nil {
			return
		}
		// Each day partition: every room's ledger and its two reservations,
		// written 100 entities per batch, four partitions at a time.
		var wg sync.WaitGroup
		errs := make(chan error, benchDays)
		sem := make(chan struct{}, 4)
		for d := range benchDays {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				day := benchDay0.AddDate(0, 0, d)
				pk := dayPK(seedTenant, day.Format(time.DateOnly))
				var acts []aztables.TransactionAction
				for i, room := range rooms {
					var l ledger
					for k := range benchReservations / benchRooms / benchDays {
						s := day.Add(time.Duration(8+2*k+i%2) * time.Hour)
						r := &booking.Reservation{TenantID: seedTenant, ID: uuid.NewString(), RoomID: room.ID, Title: "Seed", Start: s, End: s.Add(time.Hour),
							Status: booking.StatusConfirmed, TimeZone: "UTC", Tags: []string{}}
						x := newRec(r, 1, 0)
						e, err := resEntity(pk, &x)
						if err != nil {
							errs <- err
							return
						}
						acts = append(acts, action(aztables.TransactionTypeAdd, e, ""))
						l.Slots = append(l.Slots, booking.Slot{ID: r.ID, Start: r.Start, End: r.End})
					}
					la, err := ledgerAction(pk, room.ID, l, "")
					if err != nil {
						errs <- err
						return
					}
					acts = append(acts, la)
				}
				for i := 0; i < len(acts); i += batchMax {
					if err := c.submit(ctx, TableBookings, acts[i:min(i+batchMax, len(acts))]); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		seedErr = <-errs
		b.Logf("seeded %d rooms and %d reservations in %s", benchRooms, benchReservations, time.Since(start).Round(time.Millisecond))
	})
	if seedErr != nil {
		b.Fatal(seedErr)
	}
	return seedTenant
}

// BenchmarkFreeRoomSearch searches 500 rooms holding 10,000 reservations for
// the free ones, over one day and over a week: the round trips per search are
// one rooms query plus one ledger query per day, whatever the number of rooms.
func BenchmarkFreeRoomSearch(b *testing.B) {
	tenant := seedSearch(b)
	for _, days := range []int{1, 7} {
		b.Run(fmt.Sprintf("days=%d", days), func(b *testing.B) {
			counter := &CountingTransport{}
			c := benchClient(b, counter)
			// The rooms as production wires them: remembered per instance.
			rooms := booking.NewRoomCache(NewRoomStore(c), time.Hour, 0, nil)
			svc, err := booking.NewService(rooms, NewReservationStore(c), func() time.Time { return benchDay0 }, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				b.Fatal(err)
			}
			from := benchDay0.Add(12 * time.Hour)
			to := from.AddDate(0, 0, days-1).Add(time.Hour)
			search := func() (int, error) {
				rooms, err := svc.Available(context.Background(), tenant, from, to, booking.Filter{Capacity: 4, Equipment: []string{"vc"}})
				return len(rooms), err
			}
			if _, err := search(); err != nil { // the directory, as a warm instance has it
				b.Fatal(err)
			}
			counter.Reset()
			cpu := cpuTime()
			b.ResetTimer()
			var found int
			for b.Loop() {
				if found, err = search(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(counter.Count())/float64(b.N), "roundtrips/op")
			b.ReportMetric(float64(found), "rooms-free")
			// The storage queries a search needs: one ledger query per day.
			reportVersusStorage(b, 15, func() error { _, err := search(); return err }, func() error {
				for _, d := range booking.Days(from, to, time.UTC) {
					f := eq("PartitionKey", dayPK(tenant, d)) + " and " + prefixRange("RowKey", "ledger|")
					if err := rawQuery(context.Background(), c, TableBookings, f, "RowKey,Busy,Doc"); err != nil {
						return err
					}
				}
				return nil
			})
		})
	}
}

// BenchmarkBookingContention books random one-hour slots of 5 rooms over 20
// days from parallel goroutines: most attempts race for the same ledgers.
func BenchmarkBookingContention(b *testing.B) {
	counter := &CountingTransport{}
	c := benchClient(b, counter)
	tenant := uuid.NewString()
	rooms := NewRoomStore(c)
	for i := range 5 {
		in := booking.RoomInput{Name: "Hot", Capacity: 4, TimeZone: "UTC"}
		in.Normalize()
		if err := rooms.Create(context.Background(), &booking.Room{TenantID: tenant, ID: fmt.Sprintf("hot-%d", i), RoomInput: in}); err != nil {
			b.Fatal(err)
		}
	}
	svc, err := booking.NewService(rooms, NewReservationStore(c), func() time.Time { return benchDay0 }, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	var booked, conflicts atomic.Int64
	counter.Reset()
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(rand.Uint64(), 1))
		p := teamspro.Principal{TenantID: tenant, ObjectID: uuid.NewString()}
		for pb.Next() {
			s := benchDay0.AddDate(0, 0, 1+rng.IntN(20)).Add(time.Duration(8+rng.IntN(10)) * time.Hour)
			_, err := svc.Create(context.Background(), p, "cal", &booking.EventInput{Title: "x", StartDate: s, EndDate: s.Add(time.Hour),
				TimeZone: "UTC", ResourceID: fmt.Sprintf("hot-%d", rng.IntN(5))})
			switch teamspro.ErrorCode(err) {
			case "":
				booked.Add(1)
			case teamspro.ECONFLICT:
				conflicts.Add(1)
			default:
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(counter.Count())/float64(b.N), "roundtrips/op")
	b.ReportMetric(float64(booked.Load())/float64(b.N), "booked/op")
}
