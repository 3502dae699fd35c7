package tables

import (
	"slices"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/booking"
)

func TestBusyColumn(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	slot := func(id string, start time.Time, d time.Duration) booking.Slot {
		return booking.Slot{ID: id, Start: start, End: start.Add(d)}
	}
	tests := []struct {
		name  string
		slots []booking.Slot
		want  string // "" means: no column, readers use Doc
	}{
		{"no slots", nil, ""},
		{"whole seconds", []booking.Slot{slot("a", at, time.Hour), slot("b-2", at.Add(2*time.Hour), 30*time.Minute)},
			"1780304400,1780308000,a;1780311600,1780313400,b-2"},
		{"nanoseconds kept", []booking.Slot{slot("a", at.Add(1500*time.Millisecond), time.Hour)}, "1780304401.500000000,1780308001.500000000,a"},
		{"an id with a comma", []booking.Slot{slot("a", at, time.Hour), slot("x,y", at, time.Hour)}, ""},
		{"an id with a semicolon", []booking.Slot{slot("x;y", at, time.Hour)}, ""},
		{"an empty id", []booking.Slot{slot("", at, time.Hour)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := busyColumn(tt.slots)
			if tt.want != "" && got != tt.want {
				t.Fatalf("busyColumn: got %q, want %q", got, tt.want)
			}
			if tt.want == "" {
				if got != "" {
					t.Fatalf("busyColumn: got %q, want no column", got)
				}
				return
			}
			back, ok := parseBusy(nil, got)
			if !ok || !slices.EqualFunc(back, tt.slots, func(a, b booking.Slot) bool {
				return a.ID == b.ID && a.Start.Equal(b.Start) && a.End.Equal(b.End)
			}) {
				t.Errorf("parseBusy(%q): got %v (ok %v), want %v", got, back, ok, tt.slots)
			}
		})
	}
}

func TestParseBusyRefusesOtherForms(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"x", "1,2", "1,2,", "a,2,id", "1,b,id", "1.x,2,id", "1.1000000000,2,id", "1,2,id;", "1,2,id;;3,4,j"} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			prev := []booking.Slot{{ID: "kept"}}
			got, ok := parseBusy(prev, in)
			if ok || len(got) != 1 || got[0].ID != "kept" {
				t.Errorf("parseBusy(%q): got %v ok %v, want the slots before and ok false", in, got, ok)
			}
		})
	}
}
