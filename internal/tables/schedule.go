package tables

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/teamspro/functions/internal/booking"
)

// dayQueries is how many day partitions a read of several days queries at
// once: enough to overlap the round trips, few enough not to crowd the
// storage account (or Azurite) for the other requests of the instance.
const dayQueries = 6

// eachDay calls fn for every day, a few at a time, and returns the first
// error. fn writes only to what its index i owns.
func eachDay(days []string, fn func(i int, day string) error) error {
	errs := make([]error, len(days))
	var wg sync.WaitGroup
	sem := make(chan struct{}, dayQueries)
	for i, d := range days {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = fn(i, d)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// roomsFilter returns the OData clause matching the rows of the given rooms
// by their RoomID column, "" when there are too many to name (the rows of
// other rooms are then dropped after reading, see usageRoomFilterMax).
func roomsFilter(roomIDs []string) string {
	if len(roomIDs) == 0 || len(roomIDs) > usageRoomFilterMax {
		return ""
	}
	var b strings.Builder
	b.WriteString("(")
	for i, id := range roomIDs {
		if i > 0 {
			b.WriteString(" or ")
		}
		b.WriteString(eq("RoomID", id))
	}
	b.WriteString(")")
	return b.String()
}

// listReservations runs a query of reservation rows (a day's or the
// index's), decoding each page once, and calls each with every reservation
// and the version of its row.
func (s *ReservationStore) listReservations(ctx context.Context, filter, op string, each func(r *booking.Reservation, version int64)) error {
	opts := &aztables.ListEntitiesOptions{Filter: &filter, Select: to(docSelect)}
	return listEntities(ctx, s.c, TableBookings, opts, op, func(rows []docRow) (bool, error) {
		for i := range rows {
			r := new(booking.Reservation)
			if err := decodeDoc("", &rows[i], r); err != nil {
				return false, err
			}
			r.ETag = ETagOf(int64(rows[i].Version))
			each(r, int64(rows[i].Version))
		}
		return true, nil
	})
}

// Schedule returns the reservations of the given rooms starting on the
// given UTC days: one query per day partition, whatever the number of rooms
// (a day partition holds the rows of every room homed on it), a few days at
// a time. While a move to another day is being finished a reservation may
// have a row in both days; the newer version is the one returned.
func (s *ReservationStore) Schedule(ctx context.Context, tenantID string, roomIDs, days []string) ([]*booking.Reservation, error) {
	if err := checkKey(append(append([]string{tenantID}, roomIDs...), days...)...); err != nil {
		return nil, err
	}
	want := make(map[string]bool, len(roomIDs))
	for _, id := range roomIDs {
		want[id] = true
	}
	rooms := roomsFilter(roomIDs)
	type found struct {
		r       *booking.Reservation
		version int64
	}
	perDay := make([][]found, len(days))
	err := eachDay(days, func(i int, d string) error {
		f := eq("PartitionKey", dayPK(tenantID, d)) + " and " + prefixRange("RowKey", "res|")
		if rooms != "" {
			f += " and " + rooms
		}
		return s.listReservations(ctx, f, "list reservations of a day", func(r *booking.Reservation, version int64) {
			if want[r.RoomID] {
				r.TenantID, r.Day = tenantID, d
				perDay[i] = append(perDay[i], found{r, version})
			}
		})
	})
	if err != nil {
		return nil, err
	}
	out := []*booking.Reservation{}
	at := map[string]int{}
	versions := map[string]int64{}
	for _, rows := range perDay {
		for _, x := range rows {
			if i, ok := at[x.r.ID]; ok {
				if x.version > versions[x.r.ID] {
					out[i], versions[x.r.ID] = x.r, x.version
				}
				continue
			}
			at[x.r.ID], versions[x.r.ID] = len(out), x.version
			out = append(out, x.r)
		}
	}
	return out, nil
}

// Pending returns the pending reservations of the given rooms (every room
// when roomIDs is nil) that end after now: one query of the tenant's index
// partition on its Status and End columns, so that neither the confirmed
// reservations nor the days ahead are read.
//
// Index rows carry Status since the approvals read. The rows written before
// have none, and a query on Status does not find them: the pending
// reservations stored before an upgrade would not reach their managers. The
// backfill's status step (BusyBackfill.statuses) gives them their Status,
// but the timer takes a while to go through every organization. So Pending
// trusts the Status column of rooms only once it has seen that none of
// their rows that could answer lacks it: until then it queries the holding
// reservations that have not ended (Held, on every index row since the
// first), about what the approvals screen read before it had this query,
// and the documents decide. A read that meets no row without a Status
// marks its rooms (or the whole organization, for a read of every room) as
// stamped for the life of the process: rows without a Status are no longer
// written, one that ends stays ended, and one that changes is rewritten
// with its Status, so none that matters comes back. This costs no storage
// call of its own (a marker read would cost one per request until
// remembered), is right from the first request after an upgrade whether or
// not the timer has been through the organization, and falls to the narrow
// query as soon as the backfill (or the rows' own changes) made it exact.
func (s *ReservationStore) Pending(ctx context.Context, tenantID string, roomIDs []string, now time.Time) ([]*booking.Reservation, error) {
	if err := checkKey(append([]string{tenantID}, roomIDs...)...); err != nil {
		return nil, err
	}
	narrow := s.statusStamped(tenantID, roomIDs)
	f := eq("PartitionKey", idxPK(tenantID)) + " and End gt " + quote(stamp(now))
	if narrow {
		f += " and " + eq("Status", booking.StatusPending)
	} else {
		f += " and Held eq true"
	}
	want := map[string]bool{}
	for _, id := range roomIDs {
		want[id] = true
	}
	if rooms := roomsFilter(roomIDs); rooms != "" {
		f += " and " + rooms
	}
	type pendingRow struct {
		docRow
		Status *string `json:"Status"`
	}
	out := []*booking.Reservation{}
	unstamped := false
	opts := &aztables.ListEntitiesOptions{Filter: &f, Select: to(docSelect + ",Status")}
	err := listEntities(ctx, s.c, TableBookings, opts, "list pending reservations", func(rows []pendingRow) (bool, error) {
		for i := range rows {
			if rows[i].Status == nil {
				unstamped = true
			}
			r := new(booking.Reservation)
			if err := decodeDoc("", &rows[i].docRow, r); err != nil {
				return false, err
			}
			// The document decides: a row's columns and document are
			// written together, but the document is what every other read
			// answers.
			if r.Status != booking.StatusPending || !r.End.After(now) || (roomIDs != nil && !want[r.RoomID]) {
				continue
			}
			r.ETag = ETagOf(int64(rows[i].Version))
			r.TenantID, r.Day = tenantID, booking.DayOf(r.Start)
			out = append(out, r)
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	if !narrow && !unstamped {
		s.markStamped(tenantID, roomIDs)
	}
	return out, nil
}

// statusStamped reports whether Pending has seen every row of the rooms
// (of the organization, for nil) that it could answer carry a Status.
func (s *ReservationStore) statusStamped(tenantID string, roomIDs []string) bool {
	if _, ok := s.stamped.Load(tenantID); ok {
		return true
	}
	if roomIDs == nil {
		return false
	}
	for _, id := range roomIDs {
		if _, ok := s.stamped.Load(tenantID + "|" + id); !ok {
			return false
		}
	}
	return true
}

func (s *ReservationStore) markStamped(tenantID string, roomIDs []string) {
	if roomIDs == nil {
		s.stamped.Store(tenantID, true)
		return
	}
	for _, id := range roomIDs {
		s.stamped.Store(tenantID+"|"+id, true)
	}
}
