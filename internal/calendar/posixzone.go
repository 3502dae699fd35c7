package calendar

import (
	"bytes"
	"encoding/binary"
	"strings"
	"sync"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// A zone that no IANA name denotes, such as the VTIMEZONE of a calendar
// published by Outlook under a Windows zone name ("W. Europe Standard
// Time"), is kept by its rule as a POSIX TZ string
// ("<+0100>-1<+0200>,M3.5.0/2,M10.5.0/3"): self-contained, so a copy of an
// external calendar stored by one instance expands alike on every other.
// Only external calendars' events carry such zones: event input still
// takes IANA names only (loadLocation).

// IsPosixZone reports whether a zone name is a POSIX TZ rule (PosixZone)
// rather than an IANA name. POSIX rules written here always start with a
// quoted abbreviation, which no IANA name does.
func IsPosixZone(name string) bool { return strings.HasPrefix(name, "<") }

var locations sync.Map // rule -> *time.Location, of PosixZone

// PosixZone returns the location a POSIX TZ rule describes (the rule is
// also its name). EINVALID when Go cannot read the rule or it is longer
// than MaxTimeZone.
func PosixZone(rule string) (*time.Location, error) {
	if !IsPosixZone(rule) || len(rule) > MaxTimeZone {
		return nil, teamspro.Errorf(teamspro.EINVALID, "%q is not a zone rule", rule)
	}
	if l, ok := locations.Load(rule); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocationFromTZData(rule, tzif(rule))
	if err != nil {
		return nil, teamspro.Wrap(teamspro.EINVALID, err, "%q is not a zone rule", rule)
	}
	// Go falls back to the file's placeholder type (no abbreviation) for a
	// rule it cannot read; every rule written here names its abbreviations.
	if name, _ := time.Date(2026, 1, 15, 12, 0, 0, 0, l).Zone(); name == "" {
		return nil, teamspro.Errorf(teamspro.EINVALID, "%q is not a zone rule", rule)
	}
	locations.Store(rule, l)
	return l, nil
}

// tzif is the smallest TZif (RFC 8536) version 2 file whose footer is rule:
// no transition, one placeholder type, so Go applies the rule at every
// instant.
func tzif(rule string) []byte {
	var b bytes.Buffer
	header := func(typecnt, charcnt uint32) {
		b.WriteString("TZif2")
		b.Write(make([]byte, 15))
		for _, n := range []uint32{0, 0, 0, 0, typecnt, charcnt} { // isutcnt isstdcnt leapcnt timecnt typecnt charcnt
			_ = binary.Write(&b, binary.BigEndian, n)
		}
	}
	block := func() {
		_ = binary.Write(&b, binary.BigEndian, int32(0)) // utoff
		b.WriteByte(0)                                   // isdst
		b.WriteByte(0)                                   // abbreviation index
		b.WriteByte(0)                                   // the empty abbreviation
	}
	header(1, 1)
	block()
	header(1, 1)
	block()
	b.WriteString("\n" + rule + "\n")
	return b.Bytes()
}
