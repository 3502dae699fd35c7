package tables

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/teamspro/functions/internal/calendar"
)

// The month-view benchmark's calendar: 5,000 events over a year (single
// events of 30 minutes to 3 hours, a few long ones, 20 weekly and daily
// series with exceptions), seeded once per table prefix in batches of 50.
const (
	benchEventsTenant = "bench-events"
	benchEventsCal    = "cal-5000"
	benchEvents       = 5000
)

var benchYear = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func seedMonthView(b *testing.B, s *EventStore) {
	b.Helper()
	ctx := context.Background()
	last := fmt.Sprintf("e%05d", benchEvents-1)
	if _, err := s.Get(ctx, benchEventsTenant, benchEventsCal, last); err == nil {
		return
	}
	var acts []aztables.TransactionAction
	flush := func() {
		if len(acts) == 0 {
			return
		}
		if err := s.c.submit(ctx, TableEvents, acts); err != nil {
			b.Fatal(err)
		}
		acts = acts[:0]
	}
	for i := range benchEvents {
		id := fmt.Sprintf("e%05d", i)
		start := benchYear.Add(time.Duration(i) * 105 * time.Minute).Truncate(15 * time.Minute)
		in := calendar.EventInput{Title: "Event " + id, TimeZone: "Europe/Paris",
			StartDate: start.Format(time.RFC3339), EndDate: start.Add(time.Duration(30+i%6*30) * time.Minute).Format(time.RFC3339)}
		switch {
		case i%250 == 1:
			in.EndDate = start.AddDate(0, 0, 10).Format(time.RFC3339)
		case i%250 == 2:
			in.ModeRecurrence = []string{"Weekly", "Daily"}[(i/250)%2]
		}
		e, err := in.ToEvent()
		if err != nil {
			b.Fatal(err)
		}
		e.ID, e.CalendarID = id, benchEventsCal
		a, err := eventActions(benchEventsTenant, e, 1, "")
		if err != nil {
			b.Fatal(err)
		}
		for i := range a {
			a[i].ActionType = aztables.TransactionTypeInsertReplace // a seed cut short is redone
		}
		if len(acts)+len(a) > 100 {
			flush()
		}
		acts = append(acts, a...)
		if e.Rule != nil {
			flush()
			// A cancelled occurrence a month after the start.
			occ, err := calendar.Occurrences(e, nil, start.AddDate(0, 1, 0), start.AddDate(0, 1, 8))
			if err != nil || len(occ) == 0 {
				b.Fatalf("occurrences of %s: %v", id, err)
			}
			x, err := calendar.NewException(e, occ[0].OriginalStart, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.PutException(ctx, benchEventsTenant, benchEventsCal, x, ""); err != nil {
				b.Fatal(err)
			}
		}
	}
	flush()
}

// BenchmarkMonthView5000 reads and expands one month of a calendar holding
// 5,000 events: the cost of the Teams tab's month view.
func BenchmarkMonthView5000(b *testing.B) {
	counter := &CountingTransport{}
	c := benchClient(b, counter)
	if err := c.EnsureTables(context.Background()); err != nil {
		b.Fatal(err)
	}
	s := NewEventStore(c)
	seedMonthView(b, s)
	from := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 1, 0)
	var occ, read int
	view := func() error {
		w, err := s.ListWindow(context.Background(), benchEventsTenant, benchEventsCal, from, to)
		if err != nil {
			return err
		}
		o, err := calendar.Expand(w.Events, w.Exceptions, from, to)
		if err != nil {
			return err
		}
		occ, read = len(o), len(w.Events)+len(w.Exceptions)
		return nil
	}
	counter.Reset()
	cpu := cpuTime()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if err := view(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/op")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(counter.Reset())/float64(b.N), "roundtrips/op")
	b.ReportMetric(float64(read), "entities/op")
	b.ReportMetric(float64(occ), "occurrences/op")
	// Its storage queries: the three range queries of ListWindow, concurrent.
	pk := calPK(benchEventsTenant, benchEventsCal)
	ranges := [][2]string{{startRow(from.Add(-longEvent-24*time.Hour), ""), startRow(to.Add(24*time.Hour), "")}, {"l|", "r|~"}, {"x|", "x|~"}}
	reportVersusStorage(b, 15, view, func() error {
		errs := make(chan error, len(ranges))
		for _, r := range ranges {
			go func() {
				f := eq("PartitionKey", pk) + " and RowKey ge " + quote(r[0]) + " and RowKey lt " + quote(r[1])
				errs <- rawQuery(context.Background(), c, TableEvents, f, docSelect)
			}()
		}
		var err error
		for range ranges {
			err = errors.Join(err, <-errs)
		}
		return err
	})
}
