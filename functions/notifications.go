package functions

import (
	"context"
	"fmt"
	"time"

	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/teamspro"
)

// notifyTrigger is the Service Bus-triggered function that turns queued
// notifications into mails. The queue name and the identity-based connection
// come from app settings (NOTIFICATION_QUEUE, ServiceBusConnection__*).
func (s *Server) notifyTrigger() Trigger {
	return Trigger{
		Function: "notify",
		Binding:  "message",
		Bindings: []map[string]any{{
			"type": "serviceBusTrigger", "direction": "in", "name": "message",
			"queueName": "%NOTIFICATION_QUEUE%", "connection": "ServiceBusConnection",
		}},
		Handle: s.handleNotify,
	}
}

// handleNotify processes one message. A transient failure (mail service or
// storage unavailable) answers non-2xx so the host abandons the message and it
// comes back; a permanent one (unknown type, invalid recipient) is recorded by
// the processor and answered 200, so it never loops to the dead-letter queue.
func (s *Server) handleNotify(ctx context.Context, inv *Invocation) (InvocationResult, error) {
	if s.Processor == nil {
		return InvocationResult{}, teamspro.Errorf(teamspro.EUNAVAILABLE, "Notifications are not configured.")
	}
	body, err := inv.Body("message")
	if err != nil {
		return InvocationResult{}, err
	}
	d := notify.Delivery{Body: body, MessageID: inv.Meta("MessageId"), ContentType: inv.Meta("ContentType"), Subject: inv.Meta("Subject")}
	if n, ok := inv.MetaInt("DeliveryCount"); ok {
		d.DeliveryCount = int(n)
	}
	if n, ok := inv.MetaInt("SequenceNumber"); ok {
		d.SequenceNumber = n
	}
	if t, err := time.Parse(time.RFC3339Nano, inv.Meta("EnqueuedTimeUtc")); err == nil {
		d.EnqueuedTime = t
	}
	props := map[string]any{}
	if err := inv.MetaObject("ApplicationProperties", &props); err != nil || len(props) == 0 {
		_ = inv.MetaObject("UserProperties", &props)
	}
	d.ApplicationProperties = props
	res, err := s.Processor.Process(ctx, d)
	if err != nil {
		return InvocationResult{}, err
	}
	if s.Dispatcher != nil {
		if err := s.Dispatcher.Processed(ctx, res); err != nil {
			return InvocationResult{}, err
		}
	}
	msg := fmt.Sprintf("message %s (%s): sent %d, duplicates %d, failed %d", res.MessageID, res.Type,
		res.Count(notify.OutcomeSent), res.Count(notify.OutcomeDuplicate), res.Count(notify.OutcomeFailed))
	logger(ctx).Info(msg, "permanent", res.Permanent, "reason", res.Reason, "delivery_count", d.DeliveryCount)
	return InvocationResult{Logs: []string{msg}, ReturnValue: res}, nil
}

// handleFlushOutbox queues again the messages the queue refused earlier.
func (s *Server) handleFlushOutbox(ctx context.Context, inv *Invocation) (InvocationResult, error) {
	if s.Dispatcher == nil {
		return InvocationResult{Logs: []string{"no notifications"}}, nil
	}
	n, err := s.Dispatcher.FlushOutbox(ctx)
	msg := fmt.Sprintf("queued %d messages from the outbox", n)
	if err != nil {
		return InvocationResult{}, teamspro.Wrap(teamspro.EUNAVAILABLE, err, "%s; the rest waits", msg)
	}
	// Changes whose request did not announce them (a process that died
	// after storing them, storage or the queue failing meanwhile).
	changes, err := s.Dispatcher.Sweep(ctx)
	msg += fmt.Sprintf("; announced %d stored changes", changes)
	if err != nil {
		return InvocationResult{}, teamspro.Wrap(teamspro.EUNAVAILABLE, err, "%s; the rest waits", msg)
	}
	return InvocationResult{Logs: []string{msg}, ReturnValue: map[string]int{"queued": n, "announced": changes}}, nil
}
