package tables

import (
	"context"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/teamspro/functions/internal/booking"
)

// Usage reads, for a utilisation report, the reservation rows of the given
// rooms homed in the given UTC day partitions: one query per day (run a few
// at a time), selecting only the room, status, start and end columns: the
// reservation rows carry Start and End beside their document for this read,
// so the documents are not transferred (a row written before those columns
// is read whole, one by one).
//
// Why these rows and not a running aggregate: every reservation already
// lives in the partition of the UTC day it starts on, next to its room's
// ledger, and carries its status (a no-show is "released" there). Reading
// the days asked is thus exactly the data of the report, with a cost that
// grows with days × the reservations of those days, and never reads the
// tenant's index partition, where every reservation it ever made is. A
// per-room-day aggregate written in the booking batch would make reads
// cheaper still, but would add a row to every write of the repairable write
// path (and to its fault-injection proof) for a report read now and then.
// With few rooms asked the query also filters on the RoomID column, so the
// rows of other rooms are not transferred.
func (s *ReservationStore) Usage(ctx context.Context, tenantID string, days, roomIDs []string) ([]booking.Usage, error) {
	if err := checkKey(append(append([]string{tenantID}, days...), roomIDs...)...); err != nil {
		return nil, err
	}
	want := make(map[string]bool, len(roomIDs))
	for _, id := range roomIDs {
		want[id] = true
	}
	rooms := roomsFilter(roomIDs)
	perDay := make([][]usageRow, len(days))
	err := eachDay(days, func(i int, d string) error {
		f := eq("PartitionKey", dayPK(tenantID, d)) + " and " + prefixRange("RowKey", "res|")
		if rooms != "" {
			f += " and " + rooms
		}
		opts := &aztables.ListEntitiesOptions{Filter: &f, Select: to("RowKey,RoomID,Status,Start,End,Version")}
		return listEntities(ctx, s.c, TableBookings, opts, "list reservations of a day", func(rows []usageRow) (bool, error) {
			for _, r := range rows {
				if want[r.RoomID] {
					perDay[i] = append(perDay[i], r)
				}
			}
			return true, nil
		})
	})
	if err != nil {
		return nil, err
	}
	// While a move to another day is being finished a reservation has a row
	// in both days: the newer version is the one that counts.
	out := []booking.Usage{}
	at := map[string]int{}
	versions := map[string]edmInt64{}
	for i, rows := range perDay {
		for _, r := range rows {
			u := booking.Usage{ID: strings.TrimPrefix(r.RowKey, "res|"), RoomID: r.RoomID, Status: r.Status}
			var err1, err2 error
			u.Start, err1 = time.Parse(time.RFC3339, r.Start)
			u.End, err2 = time.Parse(time.RFC3339, r.End)
			if err1 != nil || err2 != nil { // a row written before the Start and End columns: its document says
				var doc usageDoc
				if _, err := s.c.getRow(ctx, TableBookings, dayPK(tenantID, days[i]), r.RowKey, &doc); err != nil {
					return nil, err
				}
				u.Start, u.End = doc.Start, doc.End
			}
			if j, ok := at[u.ID]; ok {
				if r.Version > versions[u.ID] {
					out[j], versions[u.ID] = u, r.Version
				}
				continue
			}
			at[u.ID], versions[u.ID] = len(out), r.Version
			out = append(out, u)
		}
	}
	return out, nil
}

// usageRoomFilterMax is the number of rooms up to which a day's query names
// them in its filter; beyond, the filter would be long and match most rows.
const usageRoomFilterMax = 10

// usageRow is a reservation row as Usage selects it.
type usageRow struct {
	RowKey  string   `json:"RowKey"`
	RoomID  string   `json:"RoomID"`
	Status  string   `json:"Status"`
	Start   string   `json:"Start"`
	End     string   `json:"End"`
	Version edmInt64 `json:"Version"`
}

// usageDoc is the part of a reservation's document that Usage reads.
type usageDoc struct {
	Start time.Time `json:"startDate"`
	End   time.Time `json:"endDate"`
}
