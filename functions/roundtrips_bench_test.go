package functions_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/entra"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
)

// BenchmarkRoundTrips reports the storage round trips of common API
// operations, end to end through the handler (tab lookup and permission
// checks included), counted by an instrumented transport.
func BenchmarkRoundTrips(b *testing.B) {
	ct := &tables.CountingTransport{}
	opts := tablestest.Options(b)
	opts.Transport = ct
	c, err := tables.New(opts)
	if err != nil {
		b.Fatal(err)
	}
	tablestest.Ensure(b, c)
	h := benchHarness(b, c)
	admin := h.newUser("", true)
	cal := h.newTab(admin, "calendar", "rt-cal", nil)
	book := h.newTab(admin, "booking", "rt-book", nil)
	h.createRoom(admin, "rt-room", nil)
	ev := h.do("POST", calEvents(cal), &admin, calEvent("Read me", "2026-03-04T09:00:00Z", "2026-03-04T10:00:00Z", "UTC", nil)).json(h.t)["id"].(string)

	measure := func(name string, op func(i int)) {
		b.Run(name, func(b *testing.B) {
			ct.Reset()
			for i := 0; i < b.N; i++ {
				op(i)
			}
			b.ReportMetric(float64(ct.Reset())/float64(b.N), "roundtrips/op")
		})
	}
	measure("list-rooms", func(int) { h.do("GET", "/api/rooms", &admin, nil) })
	measure("read-event", func(int) { h.do("GET", calEvents(cal)+"/"+ev, &admin, nil) })
	measure("create-event", func(int) {
		h.do("POST", calEvents(cal), &admin, calEvent("New", "2026-03-05T09:00:00Z", "2026-03-05T10:00:00Z", "UTC", nil))
	})
	measure("month-view", func(int) {
		h.do("GET", calEvents(cal)+"?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z", &admin, nil)
	})
	// Back-to-back half hours from the day after the harness's clock: every
	// one is booked (a refused one would cost fewer round trips).
	// (measure may run the op again with a larger b.N: slots keep counting.)
	slot := 0
	measure("create-reservation", func(int) {
		slot++
		start := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC).Add(time.Duration(slot) * 30 * time.Minute)
		expect(b, h.do("POST", events(book), &admin, event("rt-room", start.Format(time.RFC3339), start.Add(30*time.Minute).Format(time.RFC3339))), 201, "")
	})
	// A daily series of 500 occurrences, each run in a room of its own: its
	// cost per occurrence stays bounded (a ledger read and a batch per UTC
	// day, index rows by the hundred), whatever the series' length.
	b.Run("create-series-500", func(b *testing.B) {
		var calls, occurrences int
		for i := 0; i < b.N; i++ {
			room := fmt.Sprintf("rt-series-%d-%d", b.N, i)
			h.createRoom(admin, room, nil)
			ev := event(room, "2026-03-03T09:00:00Z", "2026-03-03T10:00:00Z")
			ev["rrule"] = map[string]any{"freq": "DAILY", "count": 500}
			ct.Reset()
			res := h.do("POST", events(book), &admin, ev)
			calls += ct.Reset()
			expect(b, res, 201, "")
			occurrences += int(res.json(b)["occurrences"].(float64))
		}
		b.ReportMetric(float64(calls)/float64(b.N), "roundtrips/op")
		b.ReportMetric(float64(calls)/float64(occurrences), "roundtrips/occurrence")
	})
}

// benchHarness is the harness over c with a dev issuer, for benchmarks.
func benchHarness(b *testing.B, c *tables.Client) *harness {
	b.Helper()
	dev, err := entra.LoadDevIssuer(b.TempDir() + "/dev.json")
	if err != nil {
		b.Fatal(err)
	}
	v, err := entra.NewValidator(entra.Config{Scope: "access_as_user", AdminRole: "TeamsPro.Admin"}, nil, dev)
	if err != nil {
		b.Fatal(err)
	}
	h := &harness{t: b, dev: dev, client: c, now: monday}
	d := storeDeps(c, v)
	d.Now = func() time.Time { return h.now }
	h.srv = newServer(b, c, d)
	h.http = newTestServer(b, h.srv)
	return h
}
