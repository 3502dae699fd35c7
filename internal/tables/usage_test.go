package tables_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/teamspro/functions/internal/booking"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
	"github.com/teamspro/functions/internal/teamspro"
)

// TestUsageReadsTheAskedDaysOnly: the utilisation store reads one query per
// day asked, whatever the tenant's history and the number of rooms, and
// answers the asked rooms' reservations of those days in every status, a
// moved one once, at its new time.
func TestUsageReadsTheAskedDaysOnly(t *testing.T) {
	t.Parallel()
	ct := &tables.CountingTransport{}
	f := newBookingFixture(t, func(o *tables.Options) { o.Transport = ct })
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c"} {
		f.room(t, id, nil)
	}
	day := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }
	u := teamspro.Principal{TenantID: f.tenant, ObjectID: "11111111-1111-1111-1111-111111111111"}
	ids := map[string]string{}
	book := func(name, room string, start time.Time) {
		t.Helper()
		c, err := f.svc.Create(ctx, u, "cal", input(room, start, time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = c.First.ID
	}
	for d := 3; d <= 20; d++ { // history the report must not read
		book(fmt.Sprintf("a%d", d), "a", day(d, 9))
	}
	book("b5", "b", day(5, 10))
	book("c5", "c", day(5, 10))
	if _, err := f.svc.Cancel(ctx, u, ids["a6"], ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Update(ctx, u, ids["a7"], "", input("a", day(8, 14), time.Hour)); err != nil { // to another day
		t.Fatal(err)
	}
	// A row as stored before reservation rows carried Start and End: read
	// whole, from its document.
	svc, err := aztables.NewServiceClientFromConnectionString(tablestest.ConnectionString(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(booking.Reservation{ID: "legacy", RoomID: "b", Title: "Old", Start: day(5, 15), End: day(5, 16), Status: booking.StatusConfirmed})
	e, _ := json.Marshal(map[string]any{"PartitionKey": f.tenant + "|d|2026-03-05", "RowKey": "res|legacy", "Doc": string(doc), "RoomID": "b",
		"Status": "confirmed", "Version": "1", "Version@odata.type": "Edm.Int64"})
	if _, err := svc.NewClient(tablestest.Prefix()+tables.TableBookings).AddEntity(ctx, e, nil); err != nil {
		t.Fatal(err)
	}
	days := []string{"2026-03-05", "2026-03-06", "2026-03-07", "2026-03-08"}
	many := []string{"a", "b"}
	for i := range 20 {
		many = append(many, fmt.Sprintf("none-%d", i))
	}
	for _, rooms := range [][]string{{"a", "b"}, many} {
		t.Run(fmt.Sprintf("%d rooms", len(rooms)), func(t *testing.T) {
			ct.Reset()
			got, err := f.res.Usage(ctx, f.tenant, days, rooms)
			if err != nil {
				t.Fatal(err)
			}
			if n := ct.Reset(); n != len(days)+1 {
				t.Errorf("got %d round trips, want %d (one per day, and the legacy row)", n, len(days)+1)
			}
			var seen []string
			for _, x := range got {
				seen = append(seen, fmt.Sprintf("%s %s %s %s", x.RoomID, x.Status, x.Start.Format("02T15"), x.End.Format("02T15")))
			}
			slices.Sort(seen)
			want := []string{"a cancelled 06T09 06T10", "a confirmed 05T09 05T10", "a confirmed 08T09 08T10", "a confirmed 08T14 08T15", "b confirmed 05T10 05T11", "b confirmed 05T15 05T16"}
			if !slices.Equal(seen, want) {
				t.Errorf("got %q, want %q", seen, want)
			}
		})
	}
	t.Run("the service's report costs the directory and a query per day", func(t *testing.T) {
		ct.Reset()
		rep, err := f.svc.Utilisation(ctx, teamspro.Principal{TenantID: f.tenant, Admin: true}, booking.UtilisationQuery{From: "2026-03-05", To: "2026-03-09"})
		if err != nil {
			t.Fatal(err)
		}
		// 4 days and the day before; the rooms list; the legacy row.
		if n := ct.Reset(); n != 5+1+1 {
			t.Errorf("got %d round trips, want 7", n)
		}
		if got := rep.Total.BookedHours; got != 6 { // a 5, 8 (twice); b 5 (twice); c 5
			t.Errorf("got %v booked hours, want 6", got)
		}
	})
}
