package tables

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/teamspro"
)

const (
	usageRooms   = 200
	usageDays    = 30
	usagePerRoom = 3 // reservations per room and day
)

var usageDay0 = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)

// seedUsage stores 200 rooms (5 buildings, 4 floors each, business hours on
// weekdays) and three reservations per room and day over 30 days and the
// day before (18,600), a tenth of them released as no-shows and one in
// twenty cancelled, in batches with the write path's own encoding.
func seedUsage(b *testing.B, c *Client) string {
	b.Helper()
	ctx := context.Background()
	tenant := uuid.NewString()
	rooms := make([]*booking.Room, usageRooms)
	for i := range rooms {
		in := booking.RoomInput{Name: fmt.Sprintf("Room %d", i), Capacity: 4 + i%12, TimeZone: "Europe/Paris",
			Building: fmt.Sprintf("B%d", i%5), Floor: fmt.Sprintf("%d", i%4), Hours: &booking.Hours{Start: "08:00", End: "19:00"}, Days: []int{1, 2, 3, 4, 5}}
		in.Normalize()
		rooms[i] = &booking.Room{ID: fmt.Sprintf("room-%03d", i), RoomInput: in}
	}
	if _, _, err := NewRoomStore(c).Import(ctx, tenant, rooms); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, usageDays+1)
	sem := make(chan struct{}, 4)
	for d := -1; d < usageDays; d++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			day := usageDay0.AddDate(0, 0, d)
			pk := dayPK(tenant, day.Format(time.DateOnly))
			var acts []aztables.TransactionAction
			for i, room := range rooms {
				var l ledger
				for k := range usagePerRoom {
					s := day.Add(time.Duration(7+3*k+i%2) * time.Hour)
					status := booking.StatusConfirmed
					switch (i + k + d) % 20 {
					case 0, 1:
						status = booking.StatusReleased
					case 2:
						status = booking.StatusCancelled
					}
					r := &booking.Reservation{TenantID: tenant, ID: uuid.NewString(), RoomID: room.ID, Title: "Seed", Start: s, End: s.Add(90 * time.Minute),
						Status: status, TimeZone: "Europe/Paris", Tags: []string{}}
					x := newRec(r, 1, 0)
					e, err := resEntity(pk, &x)
					if err != nil {
						errs <- err
						return
					}
					acts = append(acts, action(aztables.TransactionTypeAdd, e, ""))
					if booking.Holds(status) {
						l.Slots = append(l.Slots, booking.Slot{ID: r.ID, Start: r.Start, End: r.End})
					}
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
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	return tenant
}

// BenchmarkUtilisation200Rooms30Days reports the utilisation of 200 rooms
// over 30 days through the booking service (the room directory read fresh,
// as a cold instance would), with its round trips: the rooms query and one
// query per UTC day of the period and the day before, whatever the tenant's
// history. The target (make bench) is 1 s.
func BenchmarkUtilisation200Rooms30Days(b *testing.B) {
	counter := &CountingTransport{}
	c := benchClient(b, counter)
	start := time.Now()
	tenant := seedUsage(b, c)
	b.Logf("seeded %d rooms and %d reservations in %s", usageRooms, usageRooms*usagePerRoom*(usageDays+1), time.Since(start).Round(time.Millisecond))
	svc, err := booking.NewService(NewRoomStore(c), NewReservationStore(c), func() time.Time { return usageDay0 }, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	admin := teamspro.Principal{TenantID: tenant, Admin: true}
	q := booking.UtilisationQuery{From: usageDay0.Format(time.DateOnly), To: usageDay0.AddDate(0, 0, usageDays).Format(time.DateOnly)}
	var rep *booking.UtilisationReport
	report := func() error {
		var err error
		rep, err = svc.Utilisation(context.Background(), admin, q)
		return err
	}
	if err := report(); err != nil {
		b.Fatal(err)
	}
	counter.Reset()
	cpu := cpuTime()
	var times []float64
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		if err := report(); err != nil {
			b.Fatal(err)
		}
		times = append(times, float64(time.Since(t0).Microseconds())/1000)
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(counter.Count())/float64(b.N), "roundtrips/op")
	b.ReportMetric(median(times), "report-median-ms")
	b.ReportMetric(float64(len(rep.Rooms)), "rooms")
	// The storage floor: the same day queries made directly with aztables,
	// one after the other, in alternating rounds with the report.
	days := booking.Days(usageDay0.Add(-26*time.Hour), usageDay0.AddDate(0, 0, usageDays), time.UTC)
	reportVersusStorage(b, 5, report, func() error {
		for _, d := range days {
			f := eq("PartitionKey", dayPK(tenant, d)) + " and " + prefixRange("RowKey", "res|")
			if err := rawQuery(context.Background(), c, TableBookings, f, "RowKey,RoomID,Status,Start,End,Version"); err != nil {
				return err
			}
		}
		return nil
	})
	b.ReportMetric(float64(rep.Total.Reservations), "reservations")
}
