package functions_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/teamspro/functions/internal/tables/tablestest"
)

// BenchmarkLargeAnswers reports the memory the handler allocates to answer
// the largest lists and exports: a page of 1,000 occurrences, the rooms CSV
// of 500 rooms and the organization's export. The handler is called in
// process with a writer that counts and drops the bytes, so that the figures
// are the server's alone (no client buffering the body).
func BenchmarkLargeAnswers(b *testing.B) {
	c := tablestest.New(b)
	h := benchHarness(b, c)
	admin := h.newUser("", true)
	cal := h.newTab(admin, "calendar", "big-cal", nil)
	for i := range 3 {
		start := fmt.Sprintf("2026-03-02T%02d:00:00Z", 8+i)
		end := fmt.Sprintf("2026-03-02T%02d:30:00Z", 8+i)
		expect(b, h.do("POST", calEvents(cal), &admin, calEvent(fmt.Sprintf("Daily %d", i), start, end, "Europe/Paris",
			map[string]any{"modeRecurrence": "Daily", "rrule": map[string]any{"count": 365}})), 201, "")
	}
	for i := range 500 {
		h.createRoom(admin, fmt.Sprintf("room-%03d", i), nil)
	}
	measure := func(name, path string) {
		b.Run(name, func(b *testing.B) {
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("Authorization", "Bearer "+admin.token)
			var w countingWriter
			h.srv.ServeHTTP(&w, req) // warm: the tab and the room directory remembered
			if w.status != http.StatusOK {
				b.Fatalf("got status %d, want 200", w.status)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				w = countingWriter{}
				h.srv.ServeHTTP(&w, req)
			}
			b.ReportMetric(float64(w.n)/1024, "answer-KiB")
		})
	}
	measure("occurrences-1000", calOccurrences(cal)+"?from=2026-03-01T00:00:00Z&to=2027-03-31T00:00:00Z&top=1000")
	measure("rooms-export-500", "/api/rooms/export")
	measure("org-export", "/api/admin/export")
}

func calOccurrences(cal string) string { return "/api/calendar/v1/" + cal + "/occurrences" }

// countingWriter is a ResponseWriter that keeps the status and counts the
// body's bytes without holding them.
type countingWriter struct {
	header http.Header
	status int
	n      int
}

func (w *countingWriter) Header() http.Header {
	if w.header == nil {
		w.header = http.Header{}
	}
	return w.header
}

func (w *countingWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *countingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(p)
	return len(p), nil
}
