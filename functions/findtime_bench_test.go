package functions_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/dispatch"
	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
)

// BenchmarkFindTime is the figure of make bench: find a time for 5
// participants and a room among 200, over 5 working days (Monday to Friday,
// 09:00 to 17:00 Europe/Paris), through the API. Each participant has three
// calendar events a day and a weekly series, the rooms 300 reservations
// that week, all made through the API so that the busy index is what the
// change streams wrote. It reports the storage round trips and the median
// and slowest latency of a search (the room directory remembered, as on a
// warm instance) beside the target of 1 s, and the same for booking the
// first suggestion.
func BenchmarkFindTime(b *testing.B) {
	ct := &tables.CountingTransport{}
	opts := tablestest.Options(b)
	opts.Transport = ct
	c, err := tables.New(opts)
	if err != nil {
		b.Fatal(err)
	}
	tablestest.Ensure(b, c)
	h := benchHarness(b, c)
	q, err := notify.NewQueue(func(context.Context, notify.Delivery) error { return nil }, notify.QueueOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = q.Close() })
	d := h.srv.Deps
	d.Dispatcher, err = dispatch.New(dispatch.Config{Publisher: q, Profiles: d.Directory, Tabs: storesOf(c).tabs, Events: tables.NewEventStore(c),
		Rooms: storesOf(c).rooms, Reservations: storesOf(c).reservations, Outgoing: tables.NewEventStore(c), Projections: []dispatch.EventProjection{tables.NewBusyStore(c)},
		Now: func() time.Time { return h.now }})
	if err != nil {
		b.Fatal(err)
	}
	h.srv = newServer(b, c, d)
	h.http = newTestServer(b, h.srv)

	tenant := uuid.NewString()
	var people []user
	for i := range 5 {
		people = append(people, h.person(tenant, fmt.Sprintf("Bench%d", i), i == 0))
	}
	caller := people[0]
	other := h.person(tenant, "Booker", false) // books the rooms: nobody of the meeting
	var csv strings.Builder
	csv.WriteString("id,name,timeZone,capacity,building,floor,equipment\n")
	for i := range 200 {
		fmt.Fprintf(&csv, "room-%03d,Room %d,Europe/Paris,%d,B%d,%d,screen\n", i, i, 4+i%12, i%4, i%6)
	}
	res := h.do("POST", "/api/rooms/import", &caller, csv.String(), "Content-Type", "text/csv")
	if res.status != 200 {
		b.Fatalf("import 200 rooms: got %d %s", res.status, res.body)
	}
	cal := h.newTab(caller, "calendar", "ftb-cal", nil)
	book := h.newTab(caller, "booking", "ftb-book", nil)
	paris, _ := time.LoadLocation("Europe/Paris")
	day := func(d int, hh, mm int) time.Time { return time.Date(2026, 3, 2+d, hh, mm, 0, 0, paris) }
	r := rand.New(rand.NewPCG(1, 2))
	for i, p := range people {
		for d := range 5 {
			for k := range 3 {
				start := day(d, 9+k*3+r.IntN(2), 15*r.IntN(4))
				res := h.do("POST", calEvents(cal), &p, calEvent(fmt.Sprintf("Meeting %d.%d", d, k), start.UTC().Format(time.RFC3339),
					start.Add(45*time.Minute).UTC().Format(time.RFC3339), "Europe/Paris", nil))
				expect(b, res, 201, "")
			}
		}
		weekly := day(i%5, 13, 0)
		expect(b, h.do("POST", calEvents(cal), &p, calEvent("Weekly", weekly.UTC().Format(time.RFC3339), weekly.Add(30*time.Minute).UTC().Format(time.RFC3339),
			"Europe/Paris", map[string]any{"modeRecurrence": "Weekly"})), 201, "")
	}
	booked := 0
	for booked < 300 {
		start := day(r.IntN(5), 9+r.IntN(8), 30*r.IntN(2))
		body := event(fmt.Sprintf("room-%03d", r.IntN(200)), start.UTC().Format(time.RFC3339), start.Add(time.Hour).UTC().Format(time.RFC3339))
		if res := h.do("POST", events(book), &other, body); res.status == 201 {
			booked++
		}
	}
	var who []string // by UPN, as people pick them
	for i := 1; i < 5; i++ {
		who = append(who, upnOf(fmt.Sprintf("Bench%d", i)))
	}
	request := map[string]any{"participants": who, "durationMinutes": 60, "timeZone": "Europe/Paris",
		"from": day(0, 0, 0).Format(time.RFC3339), "to": day(5, 0, 0).Format(time.RFC3339),
		"workingHours": map[string]any{"start": "09:00", "end": "17:00"}, "days": []int{1, 2, 3, 4, 5},
		"room": map[string]any{"capacity": 6, "equipment": []string{"screen"}}, "max": 5, "calendarId": book}
	h.do("POST", "/api/findtime", &caller, request) // the room directory, as a warm instance remembers it

	report := func(b *testing.B, lat []time.Duration, calls int) {
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(float64(calls)/float64(len(lat)), "roundtrips/op")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	}
	b.Run("search", func(b *testing.B) {
		var lat []time.Duration
		calls := 0
		for range b.N {
			ct.Reset()
			t0 := time.Now()
			res := h.do("POST", "/api/findtime", &caller, request)
			lat = append(lat, time.Since(t0))
			calls += ct.Reset()
			expect(b, res, 200, "")
			if n := len(res.json(b)["slots"].([]any)); n != 5 {
				b.Fatalf("got %d slots, want 5: %s", n, res.body)
			}
		}
		report(b, lat, calls)
	})
	b.Run("book", func(b *testing.B) {
		var lat []time.Duration
		calls := 0
		for range b.N {
			found := h.do("POST", "/api/findtime", &caller, request)
			slots, _ := found.json(b)["slots"].([]any)
			if len(slots) == 0 {
				b.Fatalf("got no slot to book: %s", found.body)
			}
			slot := slots[0].(map[string]any)
			body := map[string]any{"start": slot["start"], "roomId": slot["rooms"].([]any)[0].(map[string]any)["id"], "title": "Bench"}
			for k, v := range request {
				body[k] = v
			}
			ct.Reset()
			t0 := time.Now()
			res := h.do("POST", "/api/findtime/book", &caller, body)
			lat = append(lat, time.Since(t0))
			calls += ct.Reset()
			expect(b, res, 201, "")
			// Cancelled again, untimed: every round books into the same week.
			expect(b, h.do("POST", "/api/reservations/"+res.json(b)["id"].(string)+"/cancel", &caller, nil), 200, "")
		}
		report(b, lat, calls)
	})
}
