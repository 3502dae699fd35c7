package functions_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

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
	rooms := tables.NewRoomStore(c)
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
			if _, err := rooms.List(context.Background(), admin.tenant); err != nil {
				b.Fatal(err)
			}
		}
	})
}
