package dispatch

import (
	"context"
	"fmt"

	"github.com/teamspro/functions/internal/calendar"
	"github.com/teamspro/functions/internal/notify"
)

// QueueCopy queues one step of a calendar copy as a calendar.copy message,
// whose id is derived from the job and the step, so that queueing it again
// delivers it once.
func (d *Dispatcher) QueueCopy(ctx context.Context, tenantID string, st calendar.CopyStep) error {
	env, err := notify.NewEnvelope(notify.TypeCalendarCopy, fmt.Sprintf("%s-%d", st.JobID, st.Step), tenantID, d.now(), &notify.CalendarCopy{
		JobID: st.JobID, Step: st.Step, Steps: st.Steps, SourceCalendarID: st.SourceCalendarID, TargetCalendarID: st.TargetCalendarID, EventIDs: st.EventIDs,
	})
	if err != nil {
		return err
	}
	return d.Publish(ctx, env)
}

var _ calendar.CopyQueue = (*Dispatcher)(nil)

// CopyRunner runs the steps of calendar copies; calendar.Service is one.
type CopyRunner interface {
	RunCopyStep(ctx context.Context, tenantID string, step calendar.CopyStep) error
}

// Steps hands the job steps that travel on the notification queue to whoever
// runs them: the notify.StepRunner of the notification processor.
type Steps struct{ Copies CopyRunner }

// RunCalendarCopy implements notify.StepRunner.
func (s Steps) RunCalendarCopy(ctx context.Context, env notify.Envelope, step *notify.CalendarCopy) error {
	return s.Copies.RunCopyStep(ctx, env.TenantID, calendar.CopyStep{JobID: step.JobID, Step: step.Step, Steps: step.Steps,
		SourceCalendarID: step.SourceCalendarID, TargetCalendarID: step.TargetCalendarID, EventIDs: step.EventIDs})
}

var _ notify.StepRunner = Steps{}

// Processed is told of every message the notify function processed, and
// does what follows from it: a series has one reminder scheduled at a time,
// so a delivered reminder schedules the next (ReminderDelivered). Its error
// fails the message, so that its redelivery tries again (the mails already
// sent are not sent twice).
func (d *Dispatcher) Processed(ctx context.Context, res notify.Result) error {
	if r, ok := res.Payload.(*notify.Reminder); ok && !res.Permanent {
		return d.ReminderDelivered(ctx, res.TenantID, r)
	}
	return nil
}
