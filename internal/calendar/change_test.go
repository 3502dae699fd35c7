package calendar

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestChangeRoundTripsAsJSON: a change is recorded as JSON with the write
// that makes it and announced later from that record, so every event, timed
// (whose dates are zero) or all-day, must come back equal.
func TestChangeRoundTripsAsJSON(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		c    Change
	}{
		{"timed series", Change{Kind: ChangeCreated, After: &Event{ID: "a", Start: start, End: start.Add(time.Hour), TimeZone: "Europe/Paris",
			Rule: &Rule{Freq: Weekly, Interval: 1, Count: 4}, Participants: []Participant{{Email: "bob@contoso.example"}}}}},
		{"all-day", Change{Kind: ChangeUpdated, Before: &Event{ID: "b"}, After: &Event{ID: "b", AllDay: true,
			StartDay: Date{2026, time.March, 17}, EndDay: Date{2026, time.March, 19}, TimeZone: "Europe/Paris"}}},
		{"one occurrence", Change{Kind: ChangeOccurrenceCancelled, After: &Event{ID: "c"}, OriginalStart: start, Occurrence: &Event{ID: "c", Start: start}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(tt.c)
			if err != nil {
				t.Fatal(err)
			}
			var got Change
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("got %v reading back %s", err, b)
			}
			if !reflect.DeepEqual(got, tt.c) {
				t.Errorf("got %+v, want %+v", got, tt.c)
			}
		})
	}
}
