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
		{
			Function: "purge-deleted",
			Binding:  "timer",
			Bindings: []map[string]any{{
				"type": "timerTrigger", "direction": "in", "name": "timer",
				"schedule": "0 30 3 * * *", "runOnStartup": false, "useMonitor": true,
			}},
			Handle: s.handlePurgeDeleted,
		},
		s.notifyTrigger(),
		{
			Function: "flush-outbox",
			Binding:  "timer",
			Bindings: []map[string]any{{
				"type": "timerTrigger", "direction": "in", "name": "timer",
				"schedule": "0 */2 * * * *", "runOnStartup": false, "useMonitor": true,
			}},
			Handle: s.handleFlushOutbox,
		},
		{
			Function: "release-unchecked",
			Binding:  "timer",
			Bindings: []map[string]any{{
				"type": "timerTrigger", "direction": "in", "name": "timer",
				"schedule": "0 */5 * * * *", "runOnStartup": false, "useMonitor": true,
			}},
			Handle: s.handleReleaseUnchecked,
		},
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
	n, err := s.Tabs.PurgeDeleted(ctx, cutoff)
	if err != nil {
		return InvocationResult{}, err
	}
	ne, err := s.Events.PurgeAllDeleted(ctx, cutoff)
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
