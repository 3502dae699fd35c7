package functions_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/teamspro/functions/functions"
)

// TestLocalTimersFollowFunctionJSON: the in-process scheduler of make run
// fires every timer function on the schedule of its committed function.json.
func TestLocalTimersFollowFunctionJSON(t *testing.T) {
	t.Parallel()
	timers, err := newOfflineServer(t).LocalTimers()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, lt := range timers {
		names = append(names, lt.Function)
		b, err := os.ReadFile(filepath.Join(lt.Function, "function.json"))
		if err != nil {
			t.Fatal(err)
		}
		var fj struct {
			Bindings []struct {
				Type, Schedule string
			} `json:"bindings"`
		}
		if err := json.Unmarshal(b, &fj); err != nil {
			t.Fatal(err)
		}
		if len(fj.Bindings) != 1 || fj.Bindings[0].Type != "timerTrigger" || fj.Bindings[0].Schedule != lt.Schedule {
			t.Errorf("%s: got schedule %q, function.json has %+v", lt.Function, lt.Schedule, fj.Bindings)
		}
	}
	slices.Sort(names)
	if want := []string{"flush-outbox", "purge-deleted", "refresh-externals", "release-unchecked", "repair-bookings"}; !slices.Equal(names, want) {
		t.Errorf("got timers %v, want %v", names, want)
	}
	at := time.Date(2026, 3, 2, 8, 7, 30, 0, time.UTC)
	want := map[string]time.Time{
		"release-unchecked": time.Date(2026, 3, 2, 8, 10, 0, 0, time.UTC),
		"flush-outbox":      time.Date(2026, 3, 2, 8, 8, 0, 0, time.UTC),
		"purge-deleted":     time.Date(2026, 3, 3, 3, 30, 0, 0, time.UTC),
		"repair-bookings":   time.Date(2026, 3, 2, 8, 9, 0, 0, time.UTC),
		"refresh-externals": time.Date(2026, 3, 2, 8, 37, 0, 0, time.UTC),
	}
	for _, lt := range timers {
		if got := lt.Next(at); !got.Equal(want[lt.Function]) {
			t.Errorf("%s after %s: got %s, want %s", lt.Function, at, got, want[lt.Function])
		}
	}
}

// TestLocalTimerReleasesUncheckedReservation: a run of the local scheduler
// posts the host's payload and the release timer does its work.
func TestLocalTimerReleasesUncheckedReservation(t *testing.T) {
	t.Parallel()
	s := bookingSetupOn(t, newIsolatedHarness(t)) // runs the cross-tenant release timer
	h := s.h
	h.createRoom(s.admin, "desk", map[string]any{"rules": map[string]any{"checkInRequired": true, "releaseAfterMinutes": 10}})
	lazy := h.do("POST", events(s.cal), &s.member, event("desk", at(2, 8, 0), at(2, 9, 0)))
	expect(t, lazy, 201, "")
	h.now = time.Date(2026, 3, 2, 8, 11, 0, 0, time.UTC)
	timers, err := h.srv.LocalTimers()
	if err != nil {
		t.Fatal(err)
	}
	for _, lt := range timers {
		if lt.Function != "release-unchecked" {
			continue
		}
		due := lt.Next(h.now.Add(-5 * time.Minute))
		if err := h.srv.FireTimer(context.Background(), lt, due.Add(-5*time.Minute), due); err != nil {
			t.Fatalf("fire %s: %v", lt.Function, err)
		}
	}
	got := h.do("GET", "/api/reservations/"+lazy.json(t)["id"].(string), &s.member, nil).json(t)
	if got["status"] != "released" {
		t.Errorf("got status %v, want released by the local timer", got["status"])
	}
}

// TestLocalSchedulerFiresOnSchedule: the scheduler loop posts a run when the
// schedule comes due (every second here, for the test's sake).
func TestLocalSchedulerFiresOnSchedule(t *testing.T) {
	t.Parallel()
	s := bookingSetupOn(t, newIsolatedHarness(t))
	h := s.h
	h.createRoom(s.admin, "desk", map[string]any{"rules": map[string]any{"checkInRequired": true, "releaseAfterMinutes": 10}})
	lazy := h.do("POST", events(s.cal), &s.member, event("desk", at(2, 8, 0), at(2, 9, 0)))
	expect(t, lazy, 201, "")
	h.now = time.Date(2026, 3, 2, 8, 11, 0, 0, time.UTC)
	lt, err := functions.NewLocalTimer("release-unchecked", "timer", "* * * * * *")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.srv.RunTimer(ctx, lt)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := h.do("GET", "/api/reservations/"+lazy.json(t)["id"].(string), &s.member, nil).json(t)
		if got["status"] == "released" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("got status %v 10 s after starting a per-second timer, want released", got["status"])
		}
		time.Sleep(200 * time.Millisecond)
	}
}
