package tables

import (
	"strconv"
	"strings"
	"time"

	"github.com/teamspro/functions/internal/booking"
)

// A ledger row carries its slots twice: as JSON in Doc, which the booking
// batch reads and rewrites, and in the Busy column, a compact form the
// free-room search reads. A search reads every ledger of a day (one per room
// booked that day); decoding a JSON document inside each row's JSON was most
// of its cost, while Busy is one plain string per row, cut without copying:
//
//	<start>,<end>,<id>;<start>,<end>,<id>;...
//
// where start and end are Unix seconds, followed by '.' and the nanoseconds
// as an integer when the time is not a whole second. Ids are validated ids (no ',' or ';'); a slot whose
// id has either leaves Busy empty, and so does a ledger without slots.
// Readers use Busy when it is set and Doc otherwise, which also covers ledgers
// written before the column existed.

// busyColumn returns the Busy column of a ledger's slots.
func busyColumn(slots []booking.Slot) string {
	var b strings.Builder
	for i, s := range slots {
		if strings.ContainsAny(s.ID, ",;") || s.ID == "" {
			return ""
		}
		if i > 0 {
			b.WriteByte(';')
		}
		writeUnix(&b, s.Start)
		b.WriteByte(',')
		writeUnix(&b, s.End)
		b.WriteByte(',')
		b.WriteString(s.ID)
	}
	return b.String()
}

func writeUnix(b *strings.Builder, t time.Time) {
	var buf [32]byte
	b.Write(strconv.AppendInt(buf[:0], t.Unix(), 10))
	if ns := t.Nanosecond(); ns != 0 {
		b.WriteByte('.')
		b.Write(strconv.AppendInt(buf[:0], int64(ns), 10))
	}
}

// parseBusy appends the slots of a Busy column to dst; ok is false when the
// column is not in the form busyColumn writes (the caller then reads Doc).
// Ids are substrings of busy: no copy.
func parseBusy(dst []booking.Slot, busy string) (out []booking.Slot, ok bool) {
	out = dst
	for more := busy != ""; more; {
		var item string
		item, busy, more = strings.Cut(busy, ";")
		start, rest, ok1 := strings.Cut(item, ",")
		end, id, ok2 := strings.Cut(rest, ",")
		s, ok3 := parseUnix(start)
		e, ok4 := parseUnix(end)
		if !ok1 || !ok2 || !ok3 || !ok4 || id == "" {
			return dst, false
		}
		out = append(out, booking.Slot{ID: id, Start: s, End: e})
	}
	return out, true
}

func parseUnix(v string) (time.Time, bool) {
	sec, frac, hasFrac := strings.Cut(v, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	var ns int64
	if hasFrac {
		if ns, err = strconv.ParseInt(frac, 10, 64); err != nil || ns < 0 || ns >= int64(time.Second) {
			return time.Time{}, false
		}
	}
	return time.Unix(s, ns).UTC(), true
}
