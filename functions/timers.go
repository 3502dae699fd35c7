package functions

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// ncrontab reads the host's timer schedules: six fields, seconds first.
var ncrontab = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// LocalTimer is a timer function as its function.json schedules it.
type LocalTimer struct {
	Function string
	Binding  string
	Schedule string
	next     cron.Schedule
}

// LocalTimers returns the timer functions with their parsed schedules, read
// from the same bindings the committed function.json files are generated
// from (and checked against).
func (s *Server) LocalTimers() ([]LocalTimer, error) {
	var out []LocalTimer
	for _, t := range s.trigList {
		for _, b := range t.Bindings {
			if b["type"] != "timerTrigger" {
				continue
			}
			spec, _ := b["schedule"].(string)
			sched, err := ncrontab.Parse(spec)
			if err != nil {
				return nil, fmt.Errorf("timer %s: schedule %q: %w", t.Function, spec, err)
			}
			out = append(out, LocalTimer{Function: t.Function, Binding: t.Binding, Schedule: spec, next: sched})
		}
	}
	return out, nil
}

// Next returns the first time after t the schedule fires (UTC, as the host
// reads schedules without WEBSITE_TIME_ZONE).
func (lt LocalTimer) Next(t time.Time) time.Time { return lt.next.Next(t.UTC()) }

// RunLocalTimers fires every timer function on its schedule until ctx ends,
// by posting the host's timer payload through the whole HTTP stack
// (DeliverLocally), where no Functions host runs them: make run. Under the
// host the timers are the host's, and this must not run (the configuration
// refuses LOCAL_TIMERS in Azure). A failed run is logged and the timer goes
// on, as the host's does.
func (s *Server) RunLocalTimers(ctx context.Context) error {
	timers, err := s.LocalTimers()
	if err != nil {
		return err
	}
	for _, lt := range timers {
		go s.RunTimer(ctx, lt)
	}
	return nil
}

// NewLocalTimer is a timer function with another schedule than its
// function.json's, for tests of the scheduler that cannot wait minutes.
func NewLocalTimer(function, binding, schedule string) (LocalTimer, error) {
	sched, err := ncrontab.Parse(schedule)
	if err != nil {
		return LocalTimer{}, err
	}
	return LocalTimer{Function: function, Binding: binding, Schedule: schedule, next: sched}, nil
}

// RunTimer fires one timer on its schedule until ctx ends.
func (s *Server) RunTimer(ctx context.Context, lt LocalTimer) {
	last := time.Time{}
	for {
		next := lt.Next(time.Now())
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next)):
		}
		if err := s.FireTimer(ctx, lt, last, next); err != nil {
			if ctx.Err() == nil {
				s.Logger.Warn("local timer run failed", "function", lt.Function, "err", err)
			}
		} else {
			s.Logger.Info("local timer ran", "function", lt.Function, "due", next)
		}
		last = next
	}
}

// FireTimer posts one run of a timer, due at due (its previous run at last,
// zero for the first), with the payload the Functions host sends.
func (s *Server) FireTimer(ctx context.Context, lt LocalTimer, last, due time.Time) error {
	status := map[string]any{"Next": lt.Next(due).Format(time.RFC3339), "LastUpdated": due.UTC().Format(time.RFC3339)}
	if !last.IsZero() {
		status["Last"] = last.UTC().Format(time.RFC3339)
	}
	payload := map[string]any{
		"Data": map[string]any{lt.Binding: map[string]any{
			"Schedule":       map[string]any{"AdjustForDST": true},
			"ScheduleStatus": status,
			"IsPastDue":      time.Since(due) > time.Minute,
		}},
		"Metadata": map[string]any{"sys": map[string]any{"MethodName": lt.Function, "UtcNow": time.Now().UTC().Format(time.RFC3339Nano)}},
	}
	s.Logger.Debug("local timer", "function", lt.Function, "due", due.UTC())
	return s.DeliverLocally(ctx, lt.Function, payload)
}
