package functions_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/teamspro/functions/functions"
	"github.com/teamspro/functions/internal/dispatch"
	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
)

// countingPublisher counts the queue calls made on a request's path, not
// those of the announcements that run after the answer.
type countingPublisher struct {
	notify.Publisher
	calls atomic.Int64
}

func (c *countingPublisher) count(ctx context.Context) {
	if !dispatch.Announcing(ctx) {
		c.calls.Add(1)
	}
}

func (c *countingPublisher) Publish(ctx context.Context, env notify.Envelope) error {
	c.count(ctx)
	return c.Publisher.Publish(ctx, env)
}

func (c *countingPublisher) Schedule(ctx context.Context, env notify.Envelope, at time.Time) (int64, error) {
	c.count(ctx)
	return c.Publisher.Schedule(ctx, env, at)
}

func (c *countingPublisher) CancelScheduled(ctx context.Context, seqs ...int64) error {
	c.count(ctx)
	return c.Publisher.CancelScheduled(ctx, seqs...)
}

// afterAnswer counts the storage requests made by the announcements that
// run after their requests' answers (dispatch.Announcing), apart from those
// on the requests' paths.
type afterAnswer struct {
	policy.Transporter
	n atomic.Int64
}

func (a *afterAnswer) Do(req *http.Request) (*http.Response, error) {
	if dispatch.Announcing(req.Context()) {
		a.n.Add(1)
	}
	return a.Transporter.Do(req)
}

// notifyRounds is the fewest requests of each mode an operation is measured
// over: on a shared machine, fewer give medians that swing.
const notifyRounds = 60

// BenchmarkNotifications measures what notifications add to the writes that
// cause them: each operation with notifications off (no dispatcher) and on
// (the dispatcher over an in-process queue that drops what it receives, so
// that only the request's own work is measured; the tab mails participants,
// the organizer has a profile): the median latency of each through the
// handler and their ratio, the storage round trips of each (those of the
// announcement after the answer included), and the publisher calls on the
// request's path.
func BenchmarkNotifications(b *testing.B) {
	ct := &tables.CountingTransport{}
	after := &afterAnswer{Transporter: ct}
	opts := tablestest.Options(b)
	opts.Transport = after
	c, err := tables.New(opts)
	if err != nil {
		b.Fatal(err)
	}
	tablestest.Ensure(b, c)
	h := benchHarness(b, c)
	h.async = true // the answer does not wait for the announcement
	admin := h.newUser("", true)
	expect(b, h.do("GET", "/api/me", &admin, nil), 200, "") // the organizer's address
	toggles := map[string]any{"notifications": map[string]any{"addedOrUpdated": true, "deleted": true}}
	cal := h.newTab(admin, "calendar", "nb-cal", toggles)
	book := h.newTab(admin, "booking", "nb-book", toggles)
	h.createRoom(admin, "nb-room", nil)
	h.createRoom(admin, "nb-weekly", nil)

	q, err := notify.NewQueue(func(context.Context, notify.Delivery) error { return nil }, notify.QueueOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = q.Close() })
	pub := &countingPublisher{Publisher: q}
	off := h.srv
	d := off.Deps
	d.Dispatcher = newDispatcher(b, h, d, pub)
	on := newServer(b, h.client, d)
	servers := map[string]*functions.Server{"off": off, "on": on}
	fronts := map[string]*httptest.Server{"off": h.http, "on": newTestServer(b, on)}

	participant := map[string]any{"participants": []map[string]any{{"email": "bob@contoso.example", "name": "Bob"}}}
	slot := 0 // every reservation of either mode is booked: a refused one costs less
	ops := []struct {
		name string
		op   func()
	}{
		{"create-event", func() {
			h.do("POST", calEvents(cal), &admin, calEvent("New", "2026-03-05T09:00:00Z", "2026-03-05T10:00:00Z", "UTC", participant))
		}},
		{"create-reservation", func() {
			slot++
			start := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC).Add(time.Duration(slot) * 30 * time.Minute)
			expect(b, h.do("POST", events(book), &admin, event("nb-room", start.Format(time.RFC3339), start.Add(30*time.Minute).Format(time.RFC3339))), 201, "")
		}},
		{"recurring-reservation-4", func() {
			// Daily for four days; 48 half hours side by side, then the next
			// four days: no two ever overlap.
			slot++
			start := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC).Add(time.Duration(slot%48)*30*time.Minute + time.Duration(slot/48)*4*24*time.Hour)
			body := event("nb-weekly", start.Format(time.RFC3339), start.Add(30*time.Minute).Format(time.RFC3339))
			body["modeRecurrence"], body["rrule"] = "Daily", map[string]any{"count": 4}
			expect(b, h.do("POST", events(book), &admin, body), 201, "")
		}},
	}
	// The two modes alternate request by request (each first in every other
	// round), so that the load of a shared machine falls on both alike;
	// medians, since it swings.
	for _, o := range ops {
		b.Run(o.name, func(b *testing.B) {
			lat := map[string][]time.Duration{}
			trips := map[string]int64{}
			onPath := map[string]int64{}
			calls := map[string]int64{}
			rounds := max(b.N, notifyRounds)
			for i := range rounds {
				// Each round runs both modes back to back, in turn first.
				modes := []string{"off", "on"}
				if i%2 == 1 {
					modes = []string{"on", "off"}
				}
				for _, mode := range modes {
					h.srv, h.http = servers[mode], fronts[mode]
					ct.Reset()
					afterBefore := after.n.Load()
					before := pub.calls.Load()
					t0 := time.Now()
					o.op()
					lat[mode] = append(lat[mode], time.Since(t0))
					if dp := servers[mode].Dispatcher; dp != nil {
						dp.Wait() // its announcement, after the answer, counts too
					}
					total := int64(ct.Reset())
					trips[mode] += total
					onPath[mode] += total - (after.n.Load() - afterBefore)
					calls[mode] += pub.calls.Load() - before
				}
			}
			n := float64(rounds)
			off, on := median(lat["off"]), median(lat["on"])
			// The ratio is the median of each round's: the two requests of
			// a round ran back to back, under the same load.
			ratios := make([]time.Duration, rounds)
			for i := range ratios {
				ratios[i] = time.Duration(1e6 * float64(lat["on"][i]) / float64(lat["off"][i]))
			}
			b.ReportMetric(float64(off.Microseconds())/1000, "ms-off")
			b.ReportMetric(float64(on.Microseconds())/1000, "ms-on")
			b.ReportMetric(float64(median(ratios))/1e6, "on/off")
			b.ReportMetric(float64(trips["off"])/n, "roundtrips-off")
			b.ReportMetric(float64(trips["on"])/n, "roundtrips-on")
			b.ReportMetric(float64(onPath["off"])/n, "request-roundtrips-off")
			b.ReportMetric(float64(onPath["on"])/n, "request-roundtrips-on")
			b.ReportMetric(float64(calls["on"])/n, "queuecalls-on")
		})
	}
	h.srv, h.http = off, fronts["off"]
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
