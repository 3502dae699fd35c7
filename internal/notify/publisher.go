package notify

import (
	"context"
	"strconv"
	"time"
)

// Publisher sends messages to the notification queue. The HTTP functions call it
// after their change is stored; the Service Bus adapter and the in-process Queue
// implement it.
type Publisher interface {
	// Publish enqueues msg for delivery now. The envelope id is the message id, so a
	// queue with duplicate detection drops a second publish of the same id.
	// Returns EINVALID if msg is not a valid envelope, ETOOLARGE if it exceeds the
	// queue's message size, EUNAVAILABLE if the queue cannot be reached (retry later)
	// or the publisher is closed, EINTERNAL for anything else.
	Publish(ctx context.Context, msg Envelope) error

	// Schedule enqueues msg for delivery at at (now, if at is past) and returns its
	// sequence number, the handle CancelScheduled takes: store it with whatever the
	// message is about (a reminder's event) to cancel it when that changes.
	// Returns the same codes as Publish.
	Schedule(ctx context.Context, msg Envelope, at time.Time) (seq int64, err error)

	// CancelScheduled removes scheduled messages before they are delivered. A sequence
	// number that is unknown, already delivered or already cancelled is ignored: the
	// caller wants the message not to arrive later, and cannot do anything different
	// when it is too late. Returns EUNAVAILABLE if the queue cannot be reached,
	// EINTERNAL for anything else.
	CancelScheduled(ctx context.Context, seqs ...int64) error
}

// Delivery is one received message as the consumer sees it: the body bytes and the
// broker's metadata. The lead's Service Bus trigger decodes the host invocation into
// a Delivery; the in-process Queue produces the same.
type Delivery struct {
	Body           []byte
	MessageID      string
	DeliveryCount  int // 1 on the first delivery
	SequenceNumber int64
	EnqueuedTime   time.Time
	ContentType    string
	Subject        string
	// ApplicationProperties carries "version" (the envelope version) among others.
	ApplicationProperties map[string]any
}

// Invocation returns d as the Functions host would POST it to a Service Bus trigger
// whose binding is named binding: {"Data": {binding: body as a JSON string},
// "Metadata": d.Metadata()}. A local run hands this to the same handler Azure calls.
func (d Delivery) Invocation(binding string) map[string]any {
	return map[string]any{
		"Data":     map[string]any{binding: string(d.Body)},
		"Metadata": d.Metadata(),
	}
}

// Metadata returns d's metadata in the shape the Functions host gives a Service Bus
// trigger (Metadata of the invocation payload, scalars JSON-encoded inside strings as
// the host does), so that a local run exercises the same decoding as Azure.
func (d Delivery) Metadata() map[string]any {
	props := map[string]any{}
	for k, v := range d.ApplicationProperties {
		props[k] = v
	}
	return map[string]any{
		"MessageId":             strconv.Quote(d.MessageID),
		"DeliveryCount":         strconv.Itoa(d.DeliveryCount),
		"SequenceNumber":        strconv.FormatInt(d.SequenceNumber, 10),
		"EnqueuedTimeUtc":       d.EnqueuedTime.UTC().Format(time.RFC3339Nano),
		"ContentType":           strconv.Quote(d.ContentType),
		"Subject":               strconv.Quote(d.Subject),
		"ApplicationProperties": props,
		"UserProperties":        props,
	}
}
