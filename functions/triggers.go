package functions

import (
	"context"
	"fmt"
	"time"
)

// TimerInfo is the timer trigger's Data.<binding> value.
type TimerInfo struct {
	Schedule       map[string]any `json:"Schedule"`
	ScheduleStatus *struct {
		Last        time.Time `json:"Last"`
		Next        time.Time `json:"Next"`
		LastUpdated time.Time `json:"LastUpdated"`
	} `json:"ScheduleStatus"`
	IsPastDue bool `json:"IsPastDue"`
}

// allTriggers lists the non-HTTP functions served by the handler. Each carries
// the bindings of its function.json, so the files are checked against it.
func (s *Server) allTriggers() []Trigger {
	return []Trigger{
		timerTrigger("purge-deleted", "0 30 3 * * *", s.handlePurgeDeleted),           // daily, 03:30 UTC
		timerTrigger("flush-outbox", "0 */2 * * * *", s.handleFlushOutbox),            // every 2 minutes
		timerTrigger("release-unchecked", "0 */5 * * * *", s.handleReleaseUnchecked),  // every 5 minutes
		timerTrigger("repair-bookings", "0 */3 * * * *", s.handleRepairBookings),      // every 3 minutes
		timerTrigger("refresh-externals", "0 7,37 * * * *", s.handleRefreshExternals), // twice an hour
		s.notifyTrigger(),
	}
}

// timerTrigger is a timer function with an NCRONTAB schedule (with seconds).
// Timers use the monitor so that a run missed while the app was scaled to
// zero is made up (IsPastDue), never on start-up.
func timerTrigger(name, schedule string, handle func(context.Context, *Invocation) (InvocationResult, error)) Trigger {
	return Trigger{
		Function: name,
		Binding:  "timer",
		Bindings: []map[string]any{{
			"type": "timerTrigger", "direction": "in", "name": "timer",
			"schedule": schedule, "runOnStartup": false, "useMonitor": true,
		}},
		Handle: handle,
	}
}

// handlePurgeDeleted removes soft-deleted items past the retention period, once
// a day. It is idempotent: a second run finds nothing more to purge.
func (s *Server) handlePurgeDeleted(ctx context.Context, inv *Invocation) (InvocationResult, error) {
	var ti TimerInfo
	if err := inv.DecodeData("timer", &ti); err != nil {
		return InvocationResult{}, err
	}
	cutoff := s.Now().Add(-s.Retention)
	n, err := s.Settings.PurgeDeleted(ctx, cutoff)
	if err != nil {
		return InvocationResult{}, err
	}
	ne, err := s.Calendar.PurgeDeleted(ctx, cutoff)
	if err != nil {
		return InvocationResult{}, err
	}
	marks := 0
	if s.Marks != nil {
		// A message cannot come back after the queue's time to live (a day):
		// a week later its marks have done their work.
		if marks, err = s.Marks.PurgeBefore(ctx, s.Now().Add(-7*24*time.Hour)); err != nil {
			return InvocationResult{}, err
		}
	}
	msg := fmt.Sprintf("purged %d tabs and %d events deleted before %s, and %d notification marks", n, ne, cutoff.UTC().Format(time.RFC3339), marks)
	logger(ctx).Info(msg, "past_due", ti.IsPastDue)
	return InvocationResult{Logs: []string{msg}, ReturnValue: map[string]int{"tabs": n, "events": ne}}, nil
}
