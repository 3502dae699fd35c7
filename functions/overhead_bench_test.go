package functions_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
)

// BenchmarkListRoomsOverhead lists a tenant's 5 rooms through the handler
// (in process: routing, sign-in, paging, encoding) and with the store call
// the route makes, so that the handler's own cost per request shows in
// allocations and bytes, figures the machine's load does not move. make
// bench prints the difference; tools/load measures the same over HTTP.
func BenchmarkListRoomsOverhead(b *testing.B) {
	c := tablestest.New(b)
	h := benchHarness(b, c)
	admin := h.newUser("", true)
	for i := range 5 {
		h.createRoom(admin, fmt.Sprintf("room-%d", i), nil)
	}
	// The route's store calls: the directory version read, the rooms
	// remembered under it (as the harness's cache, 15 s).
	rooms := booking.NewRoomCache(tables.NewRoomStore(c), 15*time.Second, 0, nil)
	b.Run("through", func(b *testing.B) {
		req := httptest.NewRequest("GET", "/api/rooms", nil)
		req.Header.Set("Authorization", "Bearer "+admin.token)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var w countingWriter
			h.srv.ServeHTTP(&w, req)
			if w.status != 200 {
				b.Fatalf("got status %d, want 200", w.status)
			}
		}
	})
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := rooms.Current(context.Background(), admin.tenant); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkListEventsOverhead is BenchmarkListRoomsOverhead for a month of a
// calendar of 40 events, as tools/load lists it: the connector's event list
// of a window (expansion and encoding) beside the store's window query.
func BenchmarkListEventsOverhead(b *testing.B) {
	c := tablestest.New(b)
	h := benchHarness(b, c)
	admin := h.newUser("", true)
	cal := h.newTab(admin, "calendar", "bench-month", nil)
	from := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 40 {
		start := from.Add(time.Duration(i)*18*time.Hour + 9*time.Hour)
		res := h.do("POST", "/api/calendar/v1/"+cal+"/events", &admin, map[string]any{
			"title": fmt.Sprintf("Event %d", i), "startDate": start.Format(time.RFC3339),
			"endDate": start.Add(time.Hour).Format(time.RFC3339), "timeZone": "UTC"})
		expect(b, res, 201, "")
	}
	to := from.AddDate(0, 1, 0)
	events := tables.NewEventStore(c)
	b.Run("through", func(b *testing.B) {
		req := httptest.NewRequest("GET", "/api/calendar/v1/"+cal+"/events?from="+from.Format(time.RFC3339)+"&to="+to.Format(time.RFC3339), nil)
		req.Header.Set("Authorization", "Bearer "+admin.token)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var w countingWriter
			h.srv.ServeHTTP(&w, req)
			if w.status != 200 {
				b.Fatalf("got status %d, want 200", w.status)
			}
		}
	})
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := events.ListWindow(context.Background(), admin.tenant, cal, from, to); err != nil {
				b.Fatal(err)
			}
		}
	})
}
