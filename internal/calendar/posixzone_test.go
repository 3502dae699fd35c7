package calendar

import (
	"testing"
	"time"
)

// TestPosixZone: a zone kept as its POSIX rule changes offset where the
// rule says, in every year, and an unreadable rule is refused.
func TestPosixZone(t *testing.T) {
	t.Parallel()
	l, err := PosixZone("<+0100>-1<+0200>,M3.5.0/2,M10.5.0/3")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		local time.Time
		want  string // UTC
	}{
		{time.Date(2026, 3, 28, 9, 0, 0, 0, l), "2026-03-28T08:00:00Z"},
		{time.Date(2026, 3, 30, 9, 0, 0, 0, l), "2026-03-30T07:00:00Z"},
		{time.Date(2026, 10, 24, 9, 0, 0, 0, l), "2026-10-24T07:00:00Z"},
		{time.Date(2026, 10, 26, 9, 0, 0, 0, l), "2026-10-26T08:00:00Z"},
		{time.Date(2031, 3, 31, 9, 0, 0, 0, l), "2031-03-31T07:00:00Z"},
	}
	for _, tt := range tests {
		if got := tt.local.UTC().Format(time.RFC3339); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.local.Format("2006-01-02 15:04"), got, tt.want)
		}
	}
	for _, bad := range []string{"<bad", "<+01>", "Europe/Paris", "<+0100>-1<+0200>,M3.5.0/2,M10.5.0/3,and a very long tail"} {
		if _, err := PosixZone(bad); err == nil {
			t.Errorf("PosixZone(%q): got no error, want one", bad)
		}
	}
	if _, err := (EventInput{Title: "x", StartDate: "2026-03-02T08:00:00Z", EndDate: "2026-03-02T09:00:00Z", TimeZone: "<+0100>-1"}).ToEvent(); err == nil {
		t.Errorf("event input with a POSIX rule as zone: got no error, want IANA names only")
	}
}
