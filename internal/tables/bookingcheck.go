package tables

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/teamspro/functions/internal/booking"
)

// Verify reads a tenant's reservation data straight from the tables and
// returns every broken invariant, in words (none: all is well). It is what
// the fault-injection tests check after the repair, and what an operator can
// run against a live deployment:
//
//   - every holding reservation has its slot, exactly, in the ledger of each
//     UTC day its record lists, and every ledger slot belongs to a holding
//     reservation that lists that day, in that room, with that interval;
//   - a reservation row lives in the UTC day of its start, once;
//   - no two holding reservations of a room overlap;
//   - every reservation has an index row pointing at its day, at its
//     version, saying whether it holds; every index row has its reservation
//     (so nothing holds a slot that the API cannot find and cancel);
//   - no intent is left unfinished, no pointer leads to one, and no change's
//     outgoing record is left unannounced.
func (s *ReservationStore) Verify(ctx context.Context, tenantID string) ([]string, error) {
	if err := checkKey(tenantID); err != nil {
		return nil, err
	}
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	type located struct {
		x   *rec
		day string
	}
	rows := map[string][]located{}
	slots := map[string]booking.Slot{} // day|room|id -> slot
	var intents []string
	f := "PartitionKey ge " + quote(tenantID+"|d|") + " and PartitionKey lt " + quote(tenantID+"|d|~")
	if err := s.each(ctx, TableBookings, f, func(raw []byte) error {
		rw, err := decodeRow(raw, nil)
		if err != nil {
			return err
		}
		day := rw.PartitionKey[strings.LastIndex(rw.PartitionKey, "|")+1:]
		switch {
		case strings.HasPrefix(rw.RowKey, "res|"):
			x, err := decodeRes(raw)
			if err != nil {
				return err
			}
			rows[x.R.ID] = append(rows[x.R.ID], located{x, day})
		case strings.HasPrefix(rw.RowKey, "ledger|"):
			var l ledger
			if _, err := decodeRow(raw, &l); err != nil {
				return err
			}
			room := strings.TrimPrefix(rw.RowKey, "ledger|")
			for _, sl := range l.Slots {
				k := day + "|" + room + "|" + sl.ID
				if _, dup := slots[k]; dup {
					add("ledger %s of %s holds %s twice", room, day, sl.ID)
				}
				slots[k] = sl
			}
		case strings.HasPrefix(rw.RowKey, "intent|"):
			intents = append(intents, day+"/"+rw.RowKey)
		case strings.HasPrefix(rw.RowKey, "out|"):
			add("outgoing record %s/%s never announced", day, rw.RowKey)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	index := map[string]struct {
		day     string
		version int64
		held    bool
	}{}
	if err := s.each(ctx, TableBookings, eq("PartitionKey", idxPK(tenantID)), func(raw []byte) error {
		rw, err := decodeRow(raw, nil)
		if err != nil {
			return err
		}
		var cols struct {
			Day  string `json:"Day"`
			Held bool   `json:"Held"`
		}
		if err := decodeInto(raw, &cols); err != nil {
			return err
		}
		index[rw.RowKey] = struct {
			day     string
			version int64
			held    bool
		}{cols.Day, rw.Version, cols.Held}
		return nil
	}); err != nil {
		return nil, err
	}

	byRoom := map[string][]*rec{}
	want := map[string]bool{}
	for id, ls := range rows {
		if len(ls) > 1 {
			add("reservation %s has %d rows", id, len(ls))
		}
		for _, l := range ls {
			x := l.x
			if l.day != booking.DayOf(x.R.Start) {
				add("reservation %s lives in %s, starts on %s", id, l.day, booking.DayOf(x.R.Start))
			}
			ix, ok := index[id]
			switch {
			case !ok:
				add("reservation %s has no index row", id)
			case ix.day != l.day || ix.version != x.Version || ix.held != booking.Holds(x.R.Status):
				add("index of %s says %s v%d held=%v, row is %s v%d %s", id, ix.day, ix.version, ix.held, l.day, x.Version, x.R.Status)
			}
			if !booking.Holds(x.R.Status) {
				if len(x.Days) > 0 {
					add("%s reservation %s lists ledger days %v", x.R.Status, id, x.Days)
				}
				continue
			}
			if len(x.Days) == 0 || !slices.Contains(x.Days, l.day) {
				add("holding reservation %s lists ledger days %v, not its own day %s", id, x.Days, l.day)
			}
			byRoom[x.R.RoomID] = append(byRoom[x.R.RoomID], x)
			for _, d := range x.Days {
				k := d + "|" + x.R.RoomID + "|" + id
				want[k] = true
				if sl, ok := slots[k]; !ok {
					add("holding reservation %s has no slot in the ledger of %s", id, d)
				} else if !slotEq(sl, x.slot()) {
					add("ledger of %s holds %s at [%s, %s), the reservation is [%s, %s)", d, id, sl.Start, sl.End, x.R.Start, x.R.End)
				}
			}
		}
	}
	for k := range slots {
		if !want[k] {
			add("ledger slot %s has no holding reservation", k)
		}
	}
	for id, ix := range index {
		if _, ok := rows[id]; !ok {
			add("index row %s points at %s, where there is no reservation", id, ix.day)
		}
	}
	for room, xs := range byRoom {
		sort.Slice(xs, func(i, j int) bool { return xs[i].R.Start.Before(xs[j].R.Start) })
		for i := 1; i < len(xs); i++ {
			if xs[i].R.Start.Before(xs[i-1].R.End) {
				add("room %s: %s overlaps %s", room, xs[i].R.ID, xs[i-1].R.ID)
			}
		}
	}
	for _, in := range intents {
		add("unfinished intent %s", in)
	}
	pf := eq("PartitionKey", pointerPK) + " and " + eq("TenantId", tenantID)
	if err := s.each(ctx, TableIntents, pf, func(raw []byte) error {
		rw, err := decodeRow(raw, nil)
		if err != nil {
			return err
		}
		add("pointer %s left", rw.RowKey)
		return nil
	}); err != nil {
		return nil, err
	}
	sort.Strings(problems)
	return problems, nil
}

func (s *ReservationStore) each(ctx context.Context, table, filter string, fn func(raw []byte) error) error {
	pager := s.c.table(table).NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return translate(err, "list "+table)
		}
		for _, e := range page.Entities {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}
